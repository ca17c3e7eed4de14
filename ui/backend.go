// Package ui is procsync's terminal interface: sign-in, the three-pane
// review of members, Procore directory and plan, the confirmation, the live
// apply and the report. It drives the domain only through Backend, so that
// the same screens run against the real services, the simulator or a fake.
package ui

import (
	"context"

	"procsync/sync/roster"
)

// Backend is everything the TUI needs from the rest of procsync. The
// command wires it to auth, sync and sync/report; tests use a fake. Every
// method that can block is called from a tea.Cmd, never from Update.
type Backend interface {
	// Header describes where the run writes: tenant, company, environment
	// and report recipients. It must be cheap; the UI calls it once.
	Header() HeaderInfo
	// SignedIn reports whether a usable token exists for each provider.
	SignedIn() (graph, procore bool)
	// SignIn runs the interactive sign-in for provider ("graph" or
	// "procore"), reporting what the user must see or do through out.
	SignIn(ctx context.Context, provider string, out func(SignInEvent)) error
	// Snapshot reads both directories (provision.TakeSnapshot), passing its
	// progress events on as they come; the UI totals them.
	Snapshot(ctx context.Context, progress func(roster.SnapshotProgress)) (*roster.Snapshot, error)
	// Plan computes the plan for a snapshot (roster.Diff with the config).
	Plan(s *roster.Snapshot) roster.Plan
	// Apply carries out the approved actions of p. Cancelling ctx must stop
	// after the request in flight and still return the partial result.
	Apply(ctx context.Context, p *roster.Plan, progress func(roster.ApplyProgress)) (*ApplyResult, error)
	// SendReport mails the report of r to the configured recipients.
	SendReport(ctx context.Context, r *ApplyResult) error
	// OpenReport opens the HTML report of r in the browser.
	OpenReport(r *ApplyResult) error
	// SignInNeeds names the environment variable that provider's sign-in
	// needs and that is not set (Procore's needs the app's client secret
	// even for a person's sign-in), or returns "" when nothing is missing.
	// The sign-in screen says so before the admin starts, since the only
	// fix is to quit, export it and start again.
	SignInNeeds(provider string) string
	// History reads the journal for the History screen: the per-day counts
	// of the last days days up to today, counted in the machine's time
	// zone, and the summaries of the runs of those days, newest first.
	History(ctx context.Context, days int) (*roster.History, error)
	// HistoryRun reads the actions of one run of the journal, in the order
	// they were recorded, when the admin opens it on the History screen.
	HistoryRun(ctx context.Context, runID int64) ([]roster.Record, error)
}

// Provider names accepted by Backend.SignIn.
const (
	ProviderGraph   = "graph"
	ProviderProcore = "procore"
)

// Environment names as HeaderInfo.Environment carries them.
const (
	EnvProduction = "production"
	EnvSandbox    = "sandbox"
	EnvMonthly    = "monthly"
	EnvFederal    = "federal"
	EnvDemo       = "demo"
)

// isProduction reports whether env holds a live company directory:
// production and federal. Writes there need the company name typed, and
// the badge is red.
func isProduction(env string) bool { return env == EnvProduction || env == EnvFederal }

// HeaderInfo is the context shown in the header and the confirmation.
type HeaderInfo struct {
	// Tenant is the Entra tenant id or domain.
	Tenant string
	// Company is the Procore company name; the production confirmation asks
	// for it to be typed.
	Company   string
	CompanyID int64
	// Environment is one of the Env constants.
	Environment string
	// Recipients are the report's To addresses.
	Recipients []string
	// GraphAccount and ProcoreAccount say who each sign-in acts as (a
	// person's address, or "app <name>" for app-only access), once the
	// backend knows; empty until then.
	GraphAccount   string
	ProcoreAccount string
	// NewUsers is what a create writes besides the names and address, for
	// the plan's details.
	NewUsers NewUserSettings
}

// NewUserSettings are the config's settings for the users procsync
// creates (procore.is_employee, procore.project_ids,
// procore.permission_template_id).
type NewUserSettings struct {
	IsEmployee bool
	// ProjectIDs are the projects each new user is added to.
	ProjectIDs []int64
	// PermissionTemplateID is the project permission template; 0 means each
	// project's default.
	PermissionTemplateID int64
}

// SignInEventKind says what a SignInEvent asks the UI to show.
type SignInEventKind string

// Sign-in event kinds.
const (
	// SignInOpenURL: the browser was (or should be) opened at URL; the UI
	// shows the URL so it can be copied when no browser opens.
	SignInOpenURL SignInEventKind = "open_url"
	// SignInDeviceCode: the user enters UserCode at URL on any device.
	SignInDeviceCode SignInEventKind = "device_code"
	// SignInPasteCode: the user pastes the code shown by the provider; the
	// UI reads it and calls Submit.
	SignInPasteCode SignInEventKind = "paste_code"
	// SignInWaiting: a plain progress message.
	SignInWaiting SignInEventKind = "waiting"
	// SignInDone: the provider is signed in as Message (the account).
	SignInDone SignInEventKind = "done"
)

// SignInEvent is one step of an interactive sign-in.
type SignInEvent struct {
	Provider string
	Kind     SignInEventKind
	URL      string
	UserCode string
	Message  string
	// Submit receives the pasted code for SignInPasteCode; it must not block.
	Submit func(code string)
}

// ApplyResult is the outcome of Apply, and the input of the report.
type ApplyResult struct {
	// Results are the approved actions' outcomes in plan order; each
	// record's Index is its action's in the applied plan.
	Results []roster.Record
	// RunID is the journal's run: the backend's handle for its report.
	RunID int64
	// Cancelled is set when the run stopped early on request.
	Cancelled bool
	// Recipients are the report's To addresses.
	Recipients []string
	// HTMLPath is where the HTML report was saved, if it was.
	HTMLPath string
	// Sent is set once the report was mailed.
	Sent bool
}
