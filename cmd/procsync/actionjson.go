package main

import (
	"procsync/sync/engine"
	"procsync/sync/roster"
)

// actionJSON is one person's action as `--auto --json` and `history --json`
// print it: the one record's keys both outputs share, so the two cannot
// drift apart.
type actionJSON struct {
	Kind      roster.Kind   `json:"kind"`
	Email     string        `json:"email"`
	FirstName string        `json:"first_name"`
	LastName  string        `json:"last_name"`
	EntraID   string        `json:"entra_id"`
	ProcoreID int64         `json:"procore_id"`
	Status    roster.Status `json:"status"`
	Reason    string        `json:"reason"`
	Error     string        `json:"error"`
	// ProjectID is the project of a project_add action, and only there.
	ProjectID int64 `json:"project_id,omitempty"`
}

// actionJSONOf renders r; line and text clean one-line and free text
// (safetext.Line and safetext.Text, or the identity where the output has
// always been raw).
func actionJSONOf(r *roster.Record, line, text func(string) string) actionJSON {
	return actionJSON{Kind: r.Kind, Email: line(r.Address), FirstName: line(r.FirstName), LastName: line(r.LastName),
		EntraID: line(r.EntraID), ProcoreID: r.ProcoreID, Status: r.Status, Reason: text(r.Reason), Error: text(r.Error),
		ProjectID: r.ProjectID}
}

// autoJSON is the `--auto --json` document; its keys and their order are a
// published interface (test/e2e's decodeAuto checks them).
type autoJSON struct {
	DryRun  bool              `json:"dry_run"`
	Plan    engine.PlanCounts `json:"plan"`
	Actions []actionJSON      `json:"actions"`
	Report  engine.AutoReport `json:"report"`
	Brake   *engine.AutoBrake `json:"brake,omitempty"`
}

func autoJSONOf(res *engine.AutoResult) autoJSON {
	out := autoJSON{DryRun: res.DryRun, Plan: res.Plan, Actions: make([]actionJSON, len(res.Actions)), Report: res.Report, Brake: res.Brake}
	same := func(s string) string { return s }
	for i := range res.Actions {
		out.Actions[i] = actionJSONOf(&res.Actions[i], same, same)
	}
	return out
}
