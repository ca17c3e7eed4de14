// Package report renders a run's report: an HTML email in the table style the
// admins know from the old Power Automate flow (all styles inline, because
// mail clients honour <style> blocks unevenly), a plain-text alternative, a
// CSV, and a width-aware text preview for the TUI. It takes plain data (Run)
// so that it can render a run just applied, one refused by a brake, or one
// read back from the journal.
package report

import (
	"fmt"
	"strings"
	"time"

	"procsync/sync/roster"
)

// Run is everything a report shows about one run.
type Run struct {
	// ID is the journal's run id; zero if the run was not journaled.
	ID       int64
	Started  time.Time
	Finished time.Time
	// Mode is "tui" or "auto".
	Mode string
	// ApprovedBy is the signed-in Graph user, or the app id for app-only runs.
	ApprovedBy  string
	Environment string
	CompanyName string
	CompanyID   int64
	Fingerprint string
	DryRun      bool
	// Plan holds the plan's counts per kind, for the summary (how many were
	// in sync or excluded, which the tables do not list).
	Plan roster.Counts
	// Error is the run-level error when the run failed as a whole.
	Error string
	// Cancelled is set when the operator stopped the apply (esc, Ctrl-C,
	// SIGTERM): a deliberate stop, not an error, so the report says so
	// instead of "context canceled".
	Cancelled bool
	// Rows are the run's actions; in_sync and excluded rows are not listed.
	Rows []Row
	// Held is set when a brake refused the run.
	Held *Brake
	// Recent are the runs before this one, newest first (at most
	// RecentRuns of them, from the journal's store.RecentRuns); the HTML
	// sums them up in one line under the summary.
	Recent []roster.RunSummary
}

// RecentRuns is how many earlier runs the report's "Last runs" line shows.
const RecentRuns = 7

// RecentLine is the report's one line about the runs before this one, for
// example "Last 2 runs (UTC): 27 Nov 23:57 auto: 3 created, 1 failed (done);
// 27 Nov 22:57 tui: no changes (done)". It is empty without earlier runs.
func RecentLine(run Run) string {
	recent := run.Recent[:min(len(run.Recent), RecentRuns)]
	if len(recent) == 0 {
		return ""
	}
	parts := make([]string, len(recent))
	for i, r := range recent {
		mode := r.Mode
		if r.DryRun {
			mode += " dry run"
		}
		var counts []string
		for _, c := range []struct {
			n    int
			word string
		}{{r.Created, "created"}, {r.Reactivated, "reactivated"}, {r.Updated, "updated"}, {r.Deactivated, "deactivated"},
			{r.AddedToProjects, "added to projects"}, {r.Failed, "failed"}} {
			if c.n > 0 {
				counts = append(counts, fmt.Sprintf("%d %s", c.n, c.word))
			}
		}
		if len(counts) == 0 {
			counts = []string{"no changes"}
		}
		parts[i] = fmt.Sprintf("%s %s: %s (%s)", r.Started.UTC().Format("2 Jan 15:04"), mode, strings.Join(counts, ", "), r.Outcome)
	}
	what := "runs"
	if len(recent) == 1 {
		what = "run"
	}
	return fmt.Sprintf("Last %d %s (UTC): %s.", len(recent), what, strings.Join(parts, "; "))
}

// Row is one action in a report.
type Row struct {
	Kind      roster.Kind
	Email     string
	FirstName string
	LastName  string
	EntraID   string
	ProcoreID int64
	Status    roster.Status
	Reason    string
	Error     string
	// ProjectID is the project of a project_add row (a new user's
	// membership of a configured project); 0 otherwise.
	ProjectID int64
}

// Brake describes a mass-change brake that refused a headless run.
type Brake struct {
	Creates          int
	MaxCreates       int
	Deactivations    int
	MaxDeactivations int
	Reactivations    int
	MaxReactivations int
	// Rows are the actions held back.
	Rows []Row
}

// Reasons lists why the brake held the run back, one sentence each.
func (b *Brake) Reasons() []string {
	var out []string
	for _, c := range b.clauses() {
		out = append(out, strings.ToUpper(c[:1])+c[1:]+".")
	}
	return out
}

func (b *Brake) clauses() []string {
	var out []string
	if b.Creates > b.MaxCreates {
		out = append(out, fmt.Sprintf("the plan creates %d users, more than auto.max_creates = %d", b.Creates, b.MaxCreates))
	}
	if b.Deactivations > b.MaxDeactivations {
		out = append(out, fmt.Sprintf("the plan deactivates %d users, more than auto.max_deactivations = %d", b.Deactivations, b.MaxDeactivations))
	}
	if b.Reactivations > b.MaxReactivations {
		out = append(out, fmt.Sprintf("the plan reactivates %d users, more than auto.max_reactivations = %d", b.Reactivations, b.MaxReactivations))
	}
	if len(out) == 0 {
		out = append(out, "a brake refused the plan")
	}
	return out
}

// HowToAllow tells the operator how to let the held-back changes through.
func (b *Brake) HowToAllow() string {
	var raise []string
	if b.Creates > b.MaxCreates {
		raise = append(raise, fmt.Sprintf("auto.max_creates to at least %d", b.Creates))
	}
	if b.Deactivations > b.MaxDeactivations {
		raise = append(raise, fmt.Sprintf("auto.max_deactivations to at least %d", b.Deactivations))
	}
	if b.Reactivations > b.MaxReactivations {
		raise = append(raise, fmt.Sprintf("auto.max_reactivations to at least %d", b.Reactivations))
	}
	if len(raise) == 0 {
		return "Review and approve the plan in the TUI (run procsync)."
	}
	return "To allow it, review and approve the plan in the TUI (run procsync), or raise " +
		strings.Join(raise, " and ") + " in the config file and let the next scheduled run apply it."
}

// tally counts rows by kind for one status.
func tally(rows []Row, status roster.Status) map[roster.Kind]int {
	m := map[roster.Kind]int{}
	for _, r := range rows {
		if r.Status == status {
			m[r.Kind]++
		}
	}
	return m
}

// cancelledNote says that the operator stopped the apply and how many
// approved actions were therefore not applied.
func cancelledNote(run Run) string {
	n := 0
	for _, r := range run.Rows {
		if r.Status == roster.StatusSkipped {
			n++
		}
	}
	switch n {
	case 0:
		return "The apply was cancelled by the operator."
	case 1:
		return "The apply was cancelled by the operator; 1 approved action was not applied and stays in the plan for the next run."
	}
	return fmt.Sprintf("The apply was cancelled by the operator; %d approved actions were not applied and stay in the plan for the next run.", n)
}

func failed(rows []Row) int {
	n := 0
	for _, r := range rows {
		if r.Status == roster.StatusFailed {
			n++
		}
	}
	return n
}

// Summary is the report's one-line summary, for example "3 created,
// 1 reactivated, 1 failed." or "Dry run: 3 creates planned; nothing was
// applied."
func Summary(run Run) string {
	s := shortSummary(run)
	if run.Cancelled {
		s += " " + cancelledNote(run)
	}
	if run.Error != "" {
		s += " The run stopped with an error: " + run.Error
	}
	return s
}

// shortSummary is Summary without the run error, for the mail subject.
func shortSummary(run Run) string {
	if run.Held != nil {
		return "Nothing applied: " + strings.Join(run.Held.clauses(), "; ") + "."
	}
	if run.DryRun {
		planned := tally(run.Rows, roster.StatusPlanned)
		parts := countParts(planned, map[roster.Kind]string{
			roster.KindCreate: "create", roster.KindReactivate: "reactivation", roster.KindUpdate: "update", roster.KindOffboard: "deactivation"}, true)
		if n := planned[roster.KindProjectAdd]; n > 0 {
			w := "project additions"
			if n == 1 {
				w = "project addition"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, w))
		}
		if len(parts) == 0 {
			return "Dry run: nothing to do."
		}
		return "Dry run: " + strings.Join(parts, ", ") + " planned; nothing was applied."
	}
	done := tally(run.Rows, roster.StatusDone)
	parts := countParts(done, map[roster.Kind]string{
		roster.KindCreate: "created", roster.KindReactivate: "reactivated", roster.KindUpdate: "updated", roster.KindOffboard: "deactivated"}, false)
	if n := done[roster.KindProjectAdd]; n > 0 {
		w := "project memberships"
		if n == 1 {
			w = "project membership"
		}
		parts = append(parts, fmt.Sprintf("%d %s added", n, w))
	}
	if n := failed(run.Rows); n > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", n))
	}
	if len(parts) == 0 {
		return "No changes."
	}
	return strings.Join(parts, ", ") + "."
}

func countParts(counts map[roster.Kind]int, words map[roster.Kind]string, plural bool) []string {
	var parts []string
	for _, k := range []roster.Kind{roster.KindCreate, roster.KindReactivate, roster.KindUpdate, roster.KindOffboard} {
		n := counts[k]
		if n == 0 {
			continue
		}
		w := words[k]
		if plural && n != 1 {
			w += "s"
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, w))
	}
	return parts
}

// Facts are the report's header lines as label/value pairs: environment,
// company, run, who approved, when, and the plan fingerprint.
func Facts(run Run) [][2]string {
	var f [][2]string
	add := func(k, v string) {
		if v != "" {
			f = append(f, [2]string{k, v})
		}
	}
	add("Environment", run.Environment)
	company := run.CompanyName
	if run.CompanyID != 0 {
		if company != "" {
			company += fmt.Sprintf(" (%d)", run.CompanyID)
		} else {
			company = fmt.Sprint(run.CompanyID)
		}
	}
	add("Company", company)
	if run.ID != 0 {
		add("Run", fmt.Sprintf("%d (%s)", run.ID, run.Mode))
	} else {
		add("Mode", run.Mode)
	}
	add("Approved by", run.ApprovedBy)
	add("Started", fmtTime(run.Started))
	add("Finished", fmtTime(run.Finished))
	add("Plan fingerprint", run.Fingerprint)
	if c := planCounts(run.Plan); c != "" {
		add("Plan", c)
	}
	return f
}

func planCounts(c roster.Counts) string {
	var parts []string
	for _, k := range roster.Kinds {
		if n := c[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(string(k), "_", " ")))
		}
	}
	return strings.Join(parts, ", ")
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// Changed reports whether the run changed anything in Procore.
func Changed(run Run) bool {
	if run.DryRun {
		return false
	}
	for _, r := range run.Rows {
		if r.Status == roster.StatusDone {
			return true
		}
	}
	return false
}

// ShouldSend decides whether a run's report is mailed, by report.send mode:
// "always", "never", or "changes" (the default). With "changes" a report
// goes out when something changed, and also when something failed or a brake
// held the run back: those need a person, and silence would hide them. A dry
// run writes nothing, so only "always" mails it.
func ShouldSend(mode string, run Run) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if run.DryRun {
		return false
	}
	return Changed(run) || failed(run.Rows) > 0 || run.Held != nil || run.Error != "" || run.Cancelled
}

// Subject is the mail subject: base (or a default) followed by the summary
// counts, for example "procsync: Procore users provisioned — 3 created,
// 1 failed". Line breaks are removed, so a name can never inject a header.
func Subject(base string, run Run) string {
	base = strings.TrimSpace(base)
	if base == "" {
		base = "procsync: Procore users provisioned"
	}
	s := base + " — " + strings.TrimSuffix(shortSummary(run), ".")
	if run.Cancelled {
		s += " (cancelled)"
	}
	if run.Error != "" {
		s += " (run error)"
	}
	if run.DryRun {
		s = "[dry run] " + s
	}
	// Sandbox and test runs are tagged; federal is a production zone.
	if run.Environment != "" && run.Environment != "production" && run.Environment != "federal" {
		s = "[" + run.Environment + "] " + s
	}
	return strings.Join(strings.Fields(s), " ")
}
