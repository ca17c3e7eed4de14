// Package engine is procsync's one run flow: reconcile what an interrupted
// run left, snapshot both directories, plan, hold back mass changes, apply,
// and report. The TUI calls its steps one at a time; `procsync --auto`
// calls RunAuto, which strings the same steps together. There is no second
// copy of the flow.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"procsync/sync/graph"
	"procsync/sync/procore"
	"procsync/sync/provision"
	"procsync/sync/report"
	"procsync/sync/roster"
	"procsync/sync/store"
)

// ApplySettings are the configured extras of an apply.
type ApplySettings struct {
	// ProjectIDs are the projects new users are added to.
	ProjectIDs           []int64
	PermissionTemplateID int64
	IsEmployee           bool
	// Concurrency bounds the per-user fallback; 0 is provision's default.
	Concurrency int
	// InFlight bounds the sync batches and project bulk adds sent at
	// once (procore.batches_in_flight); 0 is DefaultInFlight.
	InFlight int
}

// DefaultInFlight is how many write batches are in flight at once when the
// config does not say: measured with BenchmarkRun, four hide the journal's
// and the JSON's time behind the network, and four requests stay well
// inside Procore's spike limit, whose pacing (httpx) still applies to each.
const DefaultInFlight = 4

// ReportSettings say who gets the report and when.
type ReportSettings struct {
	To      []string
	From    string
	Subject string
	// Send is "changes" (default), "always" or "never".
	Send string
	// AppOnly is set when Graph is used with app-only credentials: the
	// mail then goes out as From, since there is no signed-in mailbox.
	AppOnly bool
}

// Brakes are the mass-change limits of a headless run. A negative limit
// means none; 0 allows none of that kind. A run whose approved actions of
// a kind exceed its limit is refused whole; exactly the limit goes through.
type Brakes struct {
	MaxCreates       int
	MaxDeactivations int
	// MaxReactivations bounds reactivations: each gives a former user
	// their access back (auto.max_reactivations).
	MaxReactivations int
}

// Deps is everything an Engine needs.
type Deps struct {
	Graph   *graph.Client
	Procore *procore.Client
	// Store is the journal; the caller holds the state lock.
	Store    *store.Store
	Rules    roster.Rules
	Snapshot provision.SnapshotOptions
	Apply    ApplySettings
	Report   ReportSettings
	Brakes   Brakes
	// Environment is the Procore environment name (production, sandbox…).
	Environment string
	CompanyName string
	CompanyID   int64
	// ApprovedBy is the signed-in Graph user or the app id.
	ApprovedBy string
	// Mode is store.ModeTUI or store.ModeAuto.
	Mode store.Mode
	// StateDir holds the journal and the reports.
	StateDir string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger gets operational messages; nil discards them.
	Logger *slog.Logger
}

// Engine runs the flow. Its methods are the steps; it keeps no state
// between them, so the TUI may call them in any sensible order.
type Engine struct {
	d Deps
}

// New checks deps and builds an Engine.
func New(d Deps) (*Engine, error) {
	switch {
	case d.Procore == nil:
		return nil, errors.New("engine: no Procore client")
	case d.Store == nil:
		return nil, errors.New("engine: no journal")
	case d.StateDir == "":
		return nil, errors.New("engine: no state directory")
	}
	if d.Mode == "" {
		d.Mode = store.ModeAuto
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Engine{d: d}, nil
}

// BrakeError is a mass-change brake refusing a plan. Nothing was written.
type BrakeError struct {
	Creates, MaxCreates             int
	Deactivations, MaxDeactivations int
	Reactivations, MaxReactivations int
}

// Error implements error.
func (e *BrakeError) Error() string {
	b := e.brake()
	msg := "brake: "
	for i, r := range b.Reasons() {
		if i > 0 {
			msg += " "
		}
		msg += r
	}
	return msg + " Nothing was applied. " + b.HowToAllow()
}

func (e *BrakeError) brake() *report.Brake {
	return &report.Brake{Creates: e.Creates, MaxCreates: e.MaxCreates, Deactivations: e.Deactivations, MaxDeactivations: e.MaxDeactivations,
		Reactivations: e.Reactivations, MaxReactivations: e.MaxReactivations}
}

// Run is one run's result, from Apply, DryRun or Refuse, for Report.
type Run struct {
	// ID is the journal run id.
	ID       int64
	Started  time.Time
	Finished time.Time
	Plan     *roster.Plan
	// Apply is nil for a dry run or a refused run.
	Apply  *provision.ApplyResult
	DryRun bool
	// Held is set when a brake refused the run.
	Held *BrakeError
	// Owed are the project memberships of earlier runs that Reconcile
	// settled before this run (added, or still failing); the report lists
	// them, since their own run's report said they were not added.
	Owed []roster.Record
	// Err is the run-level error, if any.
	Err error
}

// Failed returns the number of approved actions that failed.
func (r *Run) Failed() int {
	if r.Apply == nil {
		return 0
	}
	return r.Apply.Counts()[roster.StatusFailed]
}

// Reconcile marks runs that died as interrupted, resolves the intents they
// left pending against Procore, and adds the project memberships earlier
// runs journaled but did not add (see provision.Reconcile). Memberships that
// still fail are logged and left for the next run; they do not stop this
// one. Call it with the state lock held, before Plan.
func (e *Engine) Reconcile(ctx context.Context) (*provision.ReconcileResult, error) {
	ids, err := e.d.Store.MarkInterrupted(ctx, 0)
	if err != nil {
		return nil, err
	}
	if len(ids) > 0 {
		e.d.Logger.Warn("earlier runs were interrupted", "runs", ids)
	}
	res, err := provision.Reconcile(ctx, e.d.Store.Journal(0), e.d.Procore, provision.ReconcileOptions{
		ProjectIDs: e.d.Apply.ProjectIDs, PermissionTemplateID: e.d.Apply.PermissionTemplateID,
		Projects: e.d.Rules.Projects,
	})
	if err != nil {
		return res, err
	}
	if len(res.Resolved) > 0 {
		e.d.Logger.Info("reconciled interrupted actions", "count", len(res.Resolved))
	}
	added := 0
	for _, m := range res.Memberships {
		switch m.Status {
		case roster.StatusDone:
			added++
		case roster.StatusFailed:
			e.d.Logger.Warn("project membership from an earlier run still not added", "email", m.Address, "project", m.ProjectID, "error", m.Error)
		}
	}
	if added > 0 {
		e.d.Logger.Info("added project memberships owed by earlier runs", "count", added)
	}
	return res, nil
}

// Snapshot reads both directories completely.
func (e *Engine) Snapshot(ctx context.Context, progress func(roster.SnapshotProgress)) (*roster.Snapshot, error) {
	if e.d.Graph == nil {
		return nil, errors.New("engine: no Graph client")
	}
	opts := e.d.Snapshot
	opts.Progress = progress
	// The rules say what is mapped and which projects' users to read.
	if opts.Map == nil {
		opts.Map = e.d.Rules.Map
	}
	if opts.Projects == nil {
		opts.Projects = e.d.Rules.Projects
	}
	if opts.EmailAttribute == "" {
		opts.EmailAttribute = e.d.Rules.EmailAttribute
	}
	if opts.Now == nil {
		opts.Now = e.d.Now
	}
	snap, err := provision.TakeSnapshot(ctx, provision.Sources{Graph: e.d.Graph, Procore: e.d.Procore}, opts)
	if err != nil {
		return snap, err
	}
	return snap, e.loadIgnored(ctx, snap)
}

// Plan computes the plan of a snapshot under the configured rules. Nothing
// is approved yet.
func (e *Engine) Plan(snap *roster.Snapshot) *roster.Plan {
	p := roster.Diff(snap, e.d.Rules)
	return &p
}

// Brakes checks the approved actions against the mass-change limits and
// returns a *BrakeError if they exceed them.
func (e *Engine) Brakes(plan *roster.Plan) error {
	c := plan.ApprovedCounts()
	b := &BrakeError{
		Creates: c[roster.KindCreate], MaxCreates: e.d.Brakes.MaxCreates,
		Deactivations: c[roster.KindOffboard], MaxDeactivations: e.d.Brakes.MaxDeactivations,
		Reactivations: c[roster.KindReactivate], MaxReactivations: e.d.Brakes.MaxReactivations,
	}
	over := false
	for _, l := range []struct{ n, max *int }{
		{&b.Creates, &b.MaxCreates}, {&b.Deactivations, &b.MaxDeactivations}, {&b.Reactivations, &b.MaxReactivations},
	} {
		if *l.max < 0 {
			// No limit reads as not limiting in the report.
			*l.max = *l.n
		}
		over = over || *l.n > *l.max
	}
	if !over {
		return nil
	}
	return b
}

func (e *Engine) begin(ctx context.Context, plan *roster.Plan, dry bool) (int64, time.Time, error) {
	started := e.d.Now()
	id, err := e.d.Store.BeginRun(ctx, store.RunInfo{
		Started: started, Mode: e.d.Mode, ApprovedBy: e.d.ApprovedBy, Environment: e.d.Environment,
		CompanyID: e.d.CompanyID, Fingerprint: plan.Fingerprint, Counts: plan.Counts, DryRun: dry,
	})
	return id, started, err
}

// listed reports whether an action is journaled and reported: everything
// but in_sync and excluded people, who are only counted.
func listed(a *roster.Action) bool {
	return a.Kind != roster.KindInSync && a.Kind != roster.KindExcluded
}

// listedRecords returns the listed actions that pick picks, as journal
// records with status.
func listedRecords(plan *roster.Plan, status roster.Status, pick func(*roster.Action) bool) []roster.Record {
	n := 0
	for i := range plan.Actions {
		if a := &plan.Actions[i]; listed(a) && pick(a) {
			n++
		}
	}
	in := make([]roster.Record, 0, n)
	for i := range plan.Actions {
		a := &plan.Actions[i]
		if listed(a) && pick(a) {
			in = append(in, listedRecord(a, status))
		}
	}
	return in
}

// recordListed journals the listed actions that pick picks with status.
func (e *Engine) recordListed(ctx context.Context, runID int64, plan *roster.Plan, status roster.Status, pick func(*roster.Action) bool) error {
	in := listedRecords(plan, status, pick)
	if len(in) == 0 {
		return nil
	}
	_, err := e.d.Store.Journal(runID).RecordIntents(ctx, in)
	return err
}

// Apply applies the plan's approved actions in a new journal run: the
// actions not approved are journaled as planned, the approved ones through
// provision.Apply. The returned Run is complete even when err is not nil.
func (e *Engine) Apply(ctx context.Context, plan *roster.Plan, progress func(roster.ApplyProgress)) (*Run, error) {
	jctx := context.WithoutCancel(ctx)
	id, started, err := e.begin(jctx, plan, false)
	run := &Run{ID: id, Started: started, Plan: plan}
	if err != nil {
		run.Err = err
		return run, err
	}
	inFlight := e.d.Apply.InFlight
	if inFlight <= 0 {
		inFlight = DefaultInFlight
	}
	// The rows not applied are journaled by Apply once its first request
	// is on its way: nothing waits on them.
	run.Apply, err = provision.Apply(ctx, plan, provision.ApplyOptions{
		Procore: e.d.Procore, Journal: e.d.Store.Journal(id),
		ProjectIDs: e.d.Apply.ProjectIDs, PermissionTemplateID: e.d.Apply.PermissionTemplateID,
		IsEmployee: e.d.Apply.IsEmployee, Concurrency: e.d.Apply.Concurrency, Progress: progress,
		InFlight: inFlight, Listed: listedRecords(plan, roster.StatusPlanned, func(a *roster.Action) bool { return !a.Approved }),
	})
	if err == nil && run.Apply != nil && len(run.Apply.ProjectErrors) > 0 {
		err = fmt.Errorf("apply: %d project memberships not added (first: %s)", len(run.Apply.ProjectErrors), run.Apply.ProjectErrors[0])
	}
	run.Err = err
	outcome := store.RunDone
	switch {
	case ctx.Err() != nil:
		outcome = store.RunInterrupted
	case err != nil || run.Failed() > 0:
		outcome = store.RunFailed
	}
	if ferr := e.d.Store.FinishRun(jctx, id, outcome, err); ferr != nil {
		err = errors.Join(err, ferr)
		run.Err = err
	}
	run.Finished = e.d.Now()
	return run, err
}

// DryRun journals the plan as a dry run: every listed action planned,
// nothing sent to Procore.
func (e *Engine) DryRun(ctx context.Context, plan *roster.Plan) (*Run, error) {
	id, started, err := e.begin(ctx, plan, true)
	run := &Run{ID: id, Started: started, Plan: plan, DryRun: true}
	if err == nil {
		err = e.recordListed(ctx, id, plan, roster.StatusPlanned, func(*roster.Action) bool { return true })
	}
	if err == nil {
		err = e.d.Store.FinishRun(ctx, id, store.RunDone, nil)
	}
	run.Err, run.Finished = err, e.d.Now()
	return run, err
}

// Refuse journals a run that a brake refused: the approved actions are
// journaled as skipped, nothing is sent.
func (e *Engine) Refuse(ctx context.Context, plan *roster.Plan, brake *BrakeError) (*Run, error) {
	id, started, err := e.begin(ctx, plan, false)
	run := &Run{ID: id, Started: started, Plan: plan, Held: brake}
	if err == nil {
		err = e.recordListed(ctx, id, plan, roster.StatusPlanned, func(a *roster.Action) bool { return !a.Approved })
	}
	if err == nil {
		err = e.recordListed(ctx, id, plan, roster.StatusSkipped, func(a *roster.Action) bool { return a.Approved })
	}
	if err == nil {
		err = e.d.Store.FinishRun(ctx, id, store.RunRefused, brake)
	}
	run.Err, run.Finished = err, e.d.Now()
	return run, err
}

// ReportOutcome says what became of a run's report.
type ReportOutcome struct {
	Path    string
	CSVPath string
	Sent    bool
	To      []string
	// SendErr is why sending failed, if it did.
	SendErr error
	// rendered is the report as saved, which SendReport mails.
	rendered *report.Rendered
}

// ReportRun converts a Run into the report's data.
func (e *Engine) ReportRun(run *Run) report.Run {
	rr := report.Run{
		ID: run.ID, Started: run.Started, Finished: run.Finished, Mode: string(e.d.Mode),
		ApprovedBy: run.approvedBy(e.d.ApprovedBy), Environment: e.d.Environment, CompanyName: e.d.CompanyName,
		CompanyID: e.d.CompanyID, Fingerprint: run.Plan.Fingerprint, DryRun: run.DryRun, Plan: run.Plan.Counts,
	}
	// The report's line about the runs before this one; without it the
	// report is still whole, so a journal that cannot say is only logged.
	recent, err := e.d.Store.RecentRuns(context.Background(), report.RecentRuns, run.ID)
	if err != nil {
		e.d.Logger.Warn("report: the earlier runs for the report's summary line", "error", err)
	}
	rr.Recent = recent
	switch {
	case run.Err == nil || run.Held != nil:
	case errors.Is(run.Err, context.Canceled):
		// A deliberate stop (esc, Ctrl-C, SIGTERM) is not a run error.
		rr.Cancelled = true
	default:
		rr.Error = run.Err.Error()
	}
	var held []report.Row
	c := run.Plan.Counts
	rr.Rows = make([]report.Row, 0, len(run.Plan.Actions)-c[roster.KindInSync]-c[roster.KindExcluded])
	results := run.Apply.Cursor()
	for i := range run.Plan.Actions {
		a := &run.Plan.Actions[i]
		if !listed(a) {
			continue
		}
		row := rowOf(a)
		if r, ok := results.Next(i); ok {
			row.Status, row.Error = r.Status, r.Error
			// A failed reactivate, update or offboard keeps the Procore
			// id of the user it is about, as --json does.
			if r.ProcoreID != 0 {
				row.ProcoreID = r.ProcoreID
			}
		}
		if run.Held != nil && a.Approved {
			row.Status = roster.StatusSkipped
			held = append(held, row)
			continue
		}
		rr.Rows = append(rr.Rows, row)
	}
	if run.Held != nil {
		rr.Held = run.Held.brake()
		rr.Held.Rows = held
	}
	var ms []roster.Record
	ms = append(ms, run.Owed...)
	if run.Apply != nil {
		ms = append(ms, run.Apply.Memberships...)
	}
	for _, m := range ms {
		if m.Status == roster.StatusSkipped {
			// The user was not created (that row says so) or the project
			// is no longer configured: nothing is owed.
			continue
		}
		rr.Rows = append(rr.Rows, report.RowOf(m))
	}
	return rr
}

func (r *Run) approvedBy(who string) string {
	if r.DryRun || r.Held != nil {
		return ""
	}
	return who
}

func rowOf(a *roster.Action) report.Row {
	return report.RowOf(roster.RecordOf(a, roster.StatusPlanned))
}

// Report saves the run's report under <state>/reports, sends it through
// Graph when the send mode says so, and records it in the journal. A failed
// send is returned as an error and also recorded. The report is rendered
// once, and the mail goes out while the files are written.
func (e *Engine) Report(ctx context.Context, run *Run) (*ReportOutcome, error) {
	rr := e.ReportRun(run)
	rend, err := report.Render(rr)
	if err != nil {
		return &ReportOutcome{To: e.d.Report.To}, err
	}
	if !report.ShouldSend(e.d.Report.Send, rr) || len(e.d.Report.To) == 0 {
		out, err := e.saveReport(rend)
		if err != nil {
			return out, err
		}
		return out, e.recordReport(ctx, run, out)
	}
	sent := make(chan error, 1)
	go func() { sent <- e.send(ctx, rend) }()
	out, saveErr := e.saveReport(rend)
	out.SendErr = <-sent
	out.Sent = out.SendErr == nil
	err = e.recordReport(ctx, run, out)
	return out, errors.Join(out.SendErr, saveErr, err)
}

// SaveReport saves the run's report (HTML and CSV) under <state>/reports
// without sending it: the TUI saves at once and sends when the admin asks.
func (e *Engine) SaveReport(run *Run) (*ReportOutcome, error) {
	rend, err := report.Render(e.ReportRun(run))
	if err != nil {
		return &ReportOutcome{To: e.d.Report.To}, err
	}
	return e.saveReport(rend)
}

func (e *Engine) saveReport(rend *report.Rendered) (*ReportOutcome, error) {
	out := &ReportOutcome{To: e.d.Report.To, rendered: rend}
	var err error
	out.Path, out.CSVPath, err = rend.Save(report.Dir(e.d.StateDir))
	return out, err
}

// SendReport sends a saved report through Graph whatever the send mode,
// and records the attempt in the journal.
func (e *Engine) SendReport(ctx context.Context, run *Run, out *ReportOutcome) error {
	// The report saved is the one mailed, rendered once.
	rend := out.rendered
	var err error
	if rend == nil {
		rend, err = report.Render(e.ReportRun(run))
	}
	if err == nil {
		err = e.send(ctx, rend)
	}
	out.SendErr = err
	out.Sent = out.SendErr == nil
	if err := e.recordReport(ctx, run, out); err != nil {
		return errors.Join(out.SendErr, err)
	}
	return out.SendErr
}

func (e *Engine) recordReport(ctx context.Context, run *Run, out *ReportOutcome) error {
	if run.ID == 0 {
		return nil
	}
	rec := store.Report{RunID: run.ID, Path: out.Path, CSVPath: out.CSVPath, Recipients: e.d.Report.To, Sent: out.Sent}
	if out.SendErr != nil {
		rec.Error = out.SendErr.Error()
	}
	return e.d.Store.RecordReport(context.WithoutCancel(ctx), rec)
}

func (e *Engine) send(ctx context.Context, rend *report.Rendered) error {
	if e.d.Graph == nil {
		return errors.New("report: no Graph client to send the mail")
	}
	from := ""
	if e.d.Report.AppOnly {
		if e.d.Report.From == "" {
			return errors.New("report: app-only sending needs report.from (the mailbox to send as)")
		}
		from = e.d.Report.From
	}
	// The mail carries a cut HTML (the first rows of each table) and the
	// complete list as an attachment: a big first run's full HTML would
	// pass Graph's 4 MB request limit. The saved HTML stays complete.
	html, err := rend.MailHTML()
	if err != nil {
		return err
	}
	att, err := rend.Attachment(graph.MaxInlineAttachment)
	if err != nil {
		return err
	}
	return e.d.Graph.SendMail(ctx, from, graph.Message{
		Subject: report.Subject(e.d.Report.Subject, rend.Run), HTML: html, To: e.d.Report.To,
		Attachments: []graph.Attachment{{Name: att.Name, ContentType: att.ContentType, Data: att.Data}},
	})
}
