package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"procsync/sync/roster"
)

// AutoOptions configure RunAuto.
type AutoOptions struct {
	// DryRun plans only: every action "planned", nothing written to Procore.
	DryRun bool
	// SnapshotProgress and ApplyProgress, if set, get progress events (the
	// command prints them to stderr when it is a terminal).
	SnapshotProgress func(roster.SnapshotProgress)
	ApplyProgress    func(roster.ApplyProgress)
}

// PlanCounts are the plan's counts per kind, in DESIGN.md's key order;
// every key is always present.
type PlanCounts struct {
	Create     int `json:"create"`
	Reactivate int `json:"reactivate"`
	Update     int `json:"update"`
	InSync     int `json:"in_sync"`
	Excluded   int `json:"excluded"`
	Conflict   int `json:"conflict"`
	Offboard   int `json:"offboard"`
	ProjectAdd int `json:"project_add"`
}

// AutoReport says where the report went.
type AutoReport struct {
	Sent bool     `json:"sent"`
	To   []string `json:"to"`
	Path string   `json:"path"`
}

// AutoBrake is the `brake` object of `--auto --json`: present when a brake
// refused the run, or, in a dry run, would refuse the real run.
type AutoBrake struct {
	// WouldRefuse is true in a dry run: nothing was going to be applied
	// anyway, but the real run would be refused.
	WouldRefuse      bool     `json:"would_refuse"`
	Reasons          []string `json:"reasons"`
	HowToAllow       string   `json:"how_to_allow"`
	Creates          int      `json:"creates"`
	MaxCreates       int      `json:"max_creates"`
	Deactivations    int      `json:"deactivations"`
	MaxDeactivations int      `json:"max_deactivations"`
	Reactivations    int      `json:"reactivations"`
	MaxReactivations int      `json:"max_reactivations"`
}

func autoBrake(be *BrakeError, dry bool) *AutoBrake {
	b := be.brake()
	return &AutoBrake{WouldRefuse: dry, Reasons: b.Reasons(), HowToAllow: b.HowToAllow(),
		Creates: be.Creates, MaxCreates: be.MaxCreates, Deactivations: be.Deactivations, MaxDeactivations: be.MaxDeactivations,
		Reactivations: be.Reactivations, MaxReactivations: be.MaxReactivations}
}

// DryRunBrakeError says that a dry run's plan would be refused by a brake
// in a real run. It wraps the BrakeError, so the exit code is the real
// run's (3), as `kubectl --dry-run=server` reports what the real call
// would reject.
type DryRunBrakeError struct{ Brake *BrakeError }

// Error implements error.
func (e *DryRunBrakeError) Error() string {
	return "dry run: a real run would be refused. " + e.Brake.Error()
}

// Unwrap returns the BrakeError.
func (e *DryRunBrakeError) Unwrap() error { return e.Brake }

// AutoResult is the outcome of RunAuto. cmd/procsync renders it as the
// `--auto --json` object of DESIGN.md.
type AutoResult struct {
	DryRun bool
	Plan   PlanCounts
	// Actions are the plan's actions but the ones in sync, each with what
	// happened to it. cmd/procsync renders them for `--json`.
	Actions []roster.Record
	Report  AutoReport
	// Brake is set when a brake refused the run or would refuse it.
	Brake *AutoBrake
	// Run is the run as journaled; nil when the run failed before planning.
	Run *Run
}

// reportGrace bounds sending the report after the run was interrupted;
// schedulers give a stopping process tens of seconds before SIGKILL.
const reportGrace = 15 * time.Second

// RunAuto is the headless run: reconcile, snapshot, plan, approve by the
// --auto rule, brakes, apply (or only plan, for a dry run), report. The
// caller holds the state lock. The result is never nil; err is the run's
// error, if any (cmd/procsync maps both to an exit code).
func (e *Engine) RunAuto(ctx context.Context, opts AutoOptions) (*AutoResult, error) {
	res := &AutoResult{DryRun: opts.DryRun, Actions: []roster.Record{}, Report: AutoReport{To: nonNil(e.d.Report.To)}}
	var owed []roster.Record
	if !opts.DryRun {
		// A dry run writes nothing to Procore and leaves the journal's
		// pending intents to the next real run.
		rec, err := e.Reconcile(ctx)
		if err != nil {
			return res, err
		}
		owed = rec.Memberships
	}
	snap, err := e.Snapshot(ctx, opts.SnapshotProgress)
	if err != nil {
		return res, err
	}
	plan := e.Plan(snap)
	// A headless run plans once: the rest of it need not carry what the
	// reads prepared for the plan.
	roster.ReleasePrepared(snap.Members)
	plan.ApproveAuto(e.d.Rules)

	var run *Run
	var runErr error
	switch {
	case opts.DryRun:
		run, runErr = e.DryRun(ctx, plan)
		var brake *BrakeError
		if err := e.Brakes(plan); errors.As(err, &brake) {
			res.Brake = autoBrake(brake, true)
			if runErr == nil {
				runErr = &DryRunBrakeError{Brake: brake}
			}
		}
	default:
		var brake *BrakeError
		if err := e.Brakes(plan); errors.As(err, &brake) {
			res.Brake = autoBrake(brake, false)
			run, runErr = e.Refuse(ctx, plan, brake)
			if runErr == nil {
				runErr = brake
			}
		} else {
			run, runErr = e.Apply(ctx, plan, opts.ApplyProgress)
		}
	}
	run.Owed = owed
	if runErr == nil {
		// A membership that still cannot be added needs a person, like a
		// failed action: the run exits 1 (and the next run retries it).
		for _, m := range owed {
			if m.Status == roster.StatusFailed {
				runErr = fmt.Errorf("a project membership from an earlier run is still not added: %s; the next run retries it", m.Error)
				break
			}
		}
	}
	res.Run = run
	// The --json result needs only the finished run: it is built while
	// the report is rendered and mailed (at 100,000 members it is a tenth
	// of a second), from fields the report does not touch.
	filled := make(chan struct{})
	go func() {
		defer close(filled)
		res.fill(run)
	}()
	if ctx.Err() == nil || run.ID != 0 {
		// The report goes out even after a failed apply: the failures
		// need a person. After a cancel (SIGTERM from a scheduler) what
		// was applied must still be reported, since the next run will
		// find nothing to do and send nothing: so the report gets a short
		// grace period of its own.
		rctx := ctx
		if ctx.Err() != nil {
			var cancel context.CancelFunc
			rctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), reportGrace)
			defer cancel()
		}
		rep, rerr := e.Report(rctx, run)
		if rep != nil {
			res.Report.Sent, res.Report.Path = rep.Sent, rep.Path
		}
		if rerr != nil {
			e.d.Logger.Error("report", "error", rerr)
			if runErr == nil {
				runErr = rerr
			}
		}
	}
	<-filled
	return res, runErr
}

func (res *AutoResult) fill(run *Run) {
	c := run.Plan.Counts
	res.Plan = PlanCounts{
		Create: c[roster.KindCreate], Reactivate: c[roster.KindReactivate], Update: c[roster.KindUpdate],
		InSync: c[roster.KindInSync], Excluded: c[roster.KindExcluded], Conflict: c[roster.KindConflict], Offboard: c[roster.KindOffboard],
		ProjectAdd: c[roster.KindProjectAdd],
	}
	res.Actions = slices.Grow(res.Actions, len(run.Plan.Actions)-c[roster.KindInSync])
	results := run.Apply.Cursor()
	for i := range run.Plan.Actions {
		a := &run.Plan.Actions[i]
		if a.Kind == roster.KindInSync {
			continue
		}
		act := roster.RecordOf(a, roster.StatusPlanned)
		if r, ok := results.Next(i); ok {
			act.Settle(r)
		}
		if run.Held != nil && a.Approved {
			act.Status, act.Error = roster.StatusSkipped, run.Held.Error()
		}
		res.Actions = append(res.Actions, act)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
