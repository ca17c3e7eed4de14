package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"procsync/auth"
	"procsync/cmd/procsync/config"
	"procsync/sync/engine"
	"procsync/sync/roster"
	"procsync/sync/store"
	"procsync/ui"
)

// tuiBackend implements ui.Backend over a session and its engine: the TUI
// drives exactly the calls that --auto makes, one step at a time.
type tuiBackend struct {
	s *session
	// opener opens a sign-in URL (the real browser, or the demo's
	// in-process stand-in).
	opener func(string) error
	// noBrowser makes sign-in use the device code / paste-code flows.
	noBrowser bool
	// demo shows the DEMO badge instead of the configured environment.
	demo bool

	// connectMu serialises connect: the review and the explorer may both
	// be first to need the session.
	connectMu sync.Mutex

	mu sync.Mutex
	// runs and reports are the applied runs by journal run id
	// (ui.ApplyResult.RunID), for sending a report later.
	runs    map[int64]*engine.Run
	reports map[int64]*engine.ReportOutcome
}

func newTUIBackend(s *session, opener func(string) error, noBrowser, demo bool) *tuiBackend {
	return &tuiBackend{s: s, opener: opener, noBrowser: noBrowser, demo: demo,
		runs: map[int64]*engine.Run{}, reports: map[int64]*engine.ReportOutcome{}}
}

// Header implements ui.Backend.
func (b *tuiBackend) Header() ui.HeaderInfo {
	env := b.s.environment()
	if b.demo {
		env = ui.EnvDemo
	}
	// The company's name and who the sign-ins act as are known once
	// connected; until then the header shows the company id alone.
	h := ui.HeaderInfo{Tenant: b.s.cfg.Graph.Tenant, Company: b.s.companyName, CompanyID: b.s.cfg.Procore.CompanyID,
		Environment: env, Recipients: b.s.cfg.Report.To, GraphAccount: b.s.approvedBy,
		NewUsers: ui.NewUserSettings{IsEmployee: b.s.cfg.Procore.IsEmployee, ProjectIDs: b.s.cfg.Procore.ProjectIDs,
			PermissionTemplateID: b.s.cfg.Procore.PermissionTemplateID}}
	if b.s.procoreTS != nil && b.s.procoreTS.Method() == auth.MethodApp {
		h.ProcoreAccount = "service account"
	}
	return h
}

// SignInNeeds implements ui.Backend: Procore's sign-in needs the app's
// client secret even for a person (auth.LoginProcore refuses without it).
func (b *tuiBackend) SignInNeeds(provider string) string {
	if provider == ui.ProviderProcore && b.s.auths.Procore.ClientSecret == "" {
		return config.ProcoreSecretEnv
	}
	return ""
}

// SignedIn implements ui.Backend: a provider counts as signed in when a
// token source can be built for it (stored tokens or client credentials).
// The demo counts only stored sign-ins, so that a newcomer sees the real
// code flow for both providers.
func (b *tuiBackend) SignedIn() (graph, procore bool) {
	ctx := context.Background()
	if b.demo {
		// Without the secrets a token source can only be a stored sign-in;
		// auth knows under which key this config keeps it.
		g, p := b.s.auths.Graph, b.s.auths.Procore
		g.ClientSecret, p.ClientSecret = "", ""
		gts, gerr := auth.GraphTokenSource(ctx, g, b.s.tokens)
		pts, perr := auth.ProcoreTokenSource(ctx, p, b.s.tokens)
		return gerr == nil && gts.Method() == auth.MethodUser, perr == nil && pts.Method() == auth.MethodUser
	}
	_, gerr := auth.GraphTokenSource(ctx, b.s.auths.Graph, b.s.tokens)
	_, perr := auth.ProcoreTokenSource(ctx, b.s.auths.Procore, b.s.tokens)
	return gerr == nil, perr == nil
}

// lineWriter turns what auth prints for a person into sign-in events.
type lineWriter struct {
	emit func(string)
	buf  []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := string(w.buf[:i]); line != "" {
			w.emit(line)
		}
		w.buf = w.buf[i+1:]
	}
}

// SignIn implements ui.Backend with the same flows as `procsync login`.
func (b *tuiBackend) SignIn(ctx context.Context, provider string, out func(ui.SignInEvent)) error {
	p, err := auth.ParseProvider(provider)
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	defer pw.Close()
	opts := auth.LoginOptions{
		Out: &lineWriter{emit: func(line string) {
			out(ui.SignInEvent{Provider: provider, Kind: ui.SignInWaiting, Message: line})
		}},
		In:        bufio.NewReader(pr),
		NoBrowser: b.noBrowser,
		Logger:    b.s.logger,
		Opener: func(url string) error {
			out(ui.SignInEvent{Provider: provider, Kind: ui.SignInOpenURL, URL: url})
			return b.opener(url)
		},
	}
	if b.noBrowser && p == auth.Procore {
		out(ui.SignInEvent{Provider: provider, Kind: ui.SignInPasteCode,
			Message: "Open the URL, sign in, then paste the code Procore shows",
			Submit:  func(code string) { go fmt.Fprintln(pw, code) }})
	}
	if err := b.s.auths.Login(ctx, p, b.s.tokens, opts); err != nil {
		return err
	}
	out(ui.SignInEvent{Provider: provider, Kind: ui.SignInDone})
	return nil
}

// connect builds the engine on first use (after sign-in).
func (b *tuiBackend) connect(ctx context.Context) error {
	b.connectMu.Lock()
	defer b.connectMu.Unlock()
	if b.s.engine != nil {
		return nil
	}
	return b.s.connect(ctx, store.ModeTUI)
}

// withLock holds the state directory's lock around journal writes, so the
// TUI and a scheduled run never apply at the same time. The TUI does not
// hold it while the admin reads the screen: that could block the schedule
// for hours.
func (b *tuiBackend) withLock(fn func() error) error {
	lock, err := store.Lock(b.s.stateDir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	return fn()
}

// Snapshot implements ui.Backend: it first reconciles what an interrupted
// run left pending, then reads both directories.
func (b *tuiBackend) Snapshot(ctx context.Context, progress func(roster.SnapshotProgress)) (*roster.Snapshot, error) {
	if err := b.connect(ctx); err != nil {
		return nil, err
	}
	if err := b.withLock(func() error {
		_, err := b.s.engine.Reconcile(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	return b.s.engine.Snapshot(ctx, progress)
}

// Plan implements ui.Backend.
func (b *tuiBackend) Plan(snap *roster.Snapshot) roster.Plan {
	return *b.s.engine.Plan(snap)
}

// Apply implements ui.Backend: the approved actions go through the engine
// (journal first), and the report is saved at once; sending is the admin's
// choice on the report screen.
func (b *tuiBackend) Apply(ctx context.Context, p *roster.Plan, progress func(roster.ApplyProgress)) (*ui.ApplyResult, error) {
	var run *engine.Run
	var applyErr error
	err := b.withLock(func() error {
		run, applyErr = b.s.engine.Apply(ctx, p, progress)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if run == nil {
		return nil, applyErr
	}
	res := &ui.ApplyResult{Cancelled: ctx.Err() != nil, Recipients: b.s.cfg.Report.To, RunID: run.ID}
	if run.Apply != nil {
		res.Results = run.Apply.Results
	}
	rep, rerr := b.s.engine.SaveReport(run)
	if rep != nil {
		res.HTMLPath = rep.Path
	}
	b.mu.Lock()
	b.runs[run.ID], b.reports[run.ID] = run, rep
	b.mu.Unlock()
	if applyErr != nil && !errors.Is(applyErr, context.Canceled) {
		return res, applyErr
	}
	return res, rerr
}

// SendReport implements ui.Backend.
func (b *tuiBackend) SendReport(ctx context.Context, r *ui.ApplyResult) error {
	b.mu.Lock()
	run, rep := b.runs[r.RunID], b.reports[r.RunID]
	b.mu.Unlock()
	if run == nil || rep == nil {
		return errors.New("report: this run's report was not saved; nothing to send")
	}
	if len(b.s.cfg.Report.To) == 0 {
		return errors.New("report: no recipients: set report.to in the config")
	}
	// The UI marks r sent when this returns nil: r is the UI's, and this
	// runs off its goroutine.
	return b.s.engine.SendReport(ctx, run, rep)
}

// OpenReport implements ui.Backend.
func (b *tuiBackend) OpenReport(r *ui.ApplyResult) error {
	if r.HTMLPath == "" {
		return errors.New("report: no saved report to open")
	}
	return auth.DefaultOpener("file://" + r.HTMLPath)
}
