package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"procsync/auth"
	"procsync/cmd/procsync/config"
	"procsync/sync/engine"
	"procsync/sync/roster"
	"procsync/sync/store"
)

// AutoOptions are the inputs of `procsync --auto` (and `procsync demo
// --auto`): its dependencies, resolved when the run starts, and its flags.
type AutoOptions struct {
	IO *IOStreams
	// State reads the config, resolves the state directory and opens the
	// token store; the demo hands out its simulated tenant's.
	State func() (*config.Config, string, auth.Store, error)
	// Logger returns the logger the global flags chose.
	Logger func() *slog.Logger
	// Hints renders the --config/--state-dir flags repeated in every hint
	// to sign in.
	Hints func() string

	DryRun bool
	JSON   bool
}

// runAuto is the headless run. It holds the state directory's lock for the
// whole run, so two schedulers can never apply at once, and maps every
// outcome onto the documented exit codes.
func runAuto(ctx context.Context, opts *AutoOptions) error {
	cfg, stateDir, tokens, err := opts.State()
	if err != nil {
		return err
	}
	log := opts.Logger()
	lock, err := store.Lock(stateDir)
	if err != nil {
		var le *store.LockedError
		if errors.As(err, &le) {
			return &ExitError{Code: exitError, Err: err}
		}
		return err
	}
	defer lock.Unlock()
	if lock.Stale != nil {
		log.Warn("took over the lock of a run that died", "pid", lock.Stale.PID, "host", lock.Stale.Host)
	}

	s := newSession(cfg, stateDir, tokens, log).withHints(opts.Hints())
	defer s.close()
	if err := s.connect(ctx, store.ModeAuto); err != nil {
		return &ExitError{Code: runExitCode(err), Err: err}
	}
	log.Info("run starting", "environment", s.environment(), "company", s.companyName, "approved_by", s.approvedBy, "dry_run", opts.DryRun)

	progress := newProgressLine(opts.IO.ErrOut, opts.IO.IsStderrTTY())
	res, runErr := s.engine.RunAuto(ctx, engine.AutoOptions{
		DryRun:           opts.DryRun,
		SnapshotProgress: progress.snapshot,
		ApplyProgress:    progress.apply,
	})
	progress.done()

	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		if err := enc.Encode(autoJSONOf(res)); err != nil {
			return err
		}
	} else {
		printAutoSummary(opts.IO.Out, res)
	}
	code := autoExitCode(res, runErr)
	if code == exitOK {
		log.Info("run finished", "created", countStatus(res, roster.KindCreate, roster.StatusDone))
		return nil
	}
	if runErr == nil {
		runErr = fmt.Errorf("%d actions failed (procsync history --run %d shows them)", countFailed(res), runID(res))
	}
	if ctx.Err() != nil {
		runErr = fmt.Errorf("interrupted: stopped after the request in flight; the journal is consistent and the next run resumes: %w", runErr)
	}
	return &ExitError{Code: code, Err: runErr}
}

func runID(res *engine.AutoResult) int64 {
	if res.Run != nil {
		return res.Run.ID
	}
	return 0
}

func countFailed(res *engine.AutoResult) int {
	n := 0
	for _, a := range res.Actions {
		if a.Status == roster.StatusFailed {
			n++
		}
	}
	return n
}

func countStatus(res *engine.AutoResult, k roster.Kind, st roster.Status) int {
	n := 0
	for _, a := range res.Actions {
		if a.Kind == k && a.Status == st {
			n++
		}
	}
	return n
}

// printAutoSummary is the human summary of a headless run on stdout.
func printAutoSummary(w io.Writer, res *engine.AutoResult) {
	p := res.Plan
	mode := "run"
	if res.DryRun {
		mode = "dry run"
	}
	fmt.Fprintf(w, "procsync %s: plan create %d, reactivate %d, update %d, offboard %d, conflict %d, excluded %d, in sync %d\n",
		mode, p.Create, p.Reactivate, p.Update, p.Offboard, p.Conflict, p.Excluded, p.InSync)
	// Count what the journal lists, so that this line and `procsync
	// history` give the same numbers: excluded people are in the plan's
	// counts, not among the actions.
	byStatus := map[roster.Status]int{}
	for _, a := range res.Actions {
		if a.Kind != roster.KindExcluded {
			byStatus[a.Status]++
		}
	}
	var parts []string
	for _, st := range []roster.Status{roster.StatusDone, roster.StatusFailed, roster.StatusSkipped, roster.StatusPlanned} {
		if byStatus[st] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", st, byStatus[st]))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "actions: %s\n", strings.Join(parts, ", "))
	}
	for _, a := range res.Actions {
		if a.Status == roster.StatusFailed {
			fmt.Fprintf(w, "  failed %s %s: %s\n", a.Kind, a.Address, a.Error)
		}
	}
	if b := res.Brake; b != nil {
		head := "brake: nothing was applied."
		if b.WouldRefuse {
			head = "brake: a real run would be refused; nothing would be applied."
		}
		fmt.Fprintf(w, "%s %s %s\n", head, strings.Join(b.Reasons, " "), b.HowToAllow)
	}
	if res.Report.Path != "" {
		sent := "saved"
		if res.Report.Sent {
			sent = "sent to " + strings.Join(res.Report.To, ", ")
		}
		fmt.Fprintf(w, "report: %s (%s)\n", res.Report.Path, sent)
	}
}
