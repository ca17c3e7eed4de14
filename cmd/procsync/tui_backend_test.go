package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"procsync/auth"
	"procsync/cmd/procsync/config"
	"procsync/sync/roster"
	"procsync/sync/sim"
	"procsync/ui"
)

// TestTUIBackendAgainstSimulator drives the ui.Backend that the TUI really
// uses, not the UI tests' fake, against the simulator: a Graph sign-in by
// the code flow (the demo's in-process browser plays the person), Procore
// by its client credentials, then read, plan, apply three creates and send
// the report, which must reach the simulator exactly once, to the
// configured recipients, from the signed-in admin.
func TestTUIBackendAgainstSimulator(t *testing.T) {
	srv, err := sim.Start(sim.Options{Seed: 1, Members: 40})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cfg, err := config.Parse(demoConfigFor(srv, sim.ProcoreRedirectURIs[0]), "test config")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Procore.ClientSecret = sim.ProcoreClientSecret
	dir := t.TempDir()
	s := newSession(cfg, dir, &auth.FileStore{Path: filepath.Join(dir, "tokens.json")}, nil)
	t.Cleanup(s.close)
	b := newTUIBackend(s, inProcessBrowser, false, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if g, p := b.SignedIn(); g || !p {
		t.Fatalf("before sign-in: graph %v, procore %v; want false, true (client credentials)", g, p)
	}
	var kinds []ui.SignInEventKind
	if err := b.SignIn(ctx, ui.ProviderGraph, func(ev ui.SignInEvent) { kinds = append(kinds, ev.Kind) }); err != nil {
		t.Fatalf("Graph sign-in: %v", err)
	}
	if !slices.Contains(kinds, ui.SignInOpenURL) || kinds[len(kinds)-1] != ui.SignInDone {
		t.Errorf("sign-in events %v: want an open-URL event and done last", kinds)
	}
	if g, p := b.SignedIn(); !g || !p {
		t.Fatalf("after sign-in: graph %v, procore %v", g, p)
	}

	snap, err := b.Snapshot(ctx, func(roster.SnapshotProgress) {})
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	plan := b.Plan(snap)
	var approved []string
	for i := range plan.Actions {
		if a := &plan.Actions[i]; a.Kind == roster.KindCreate && len(approved) < 3 {
			a.Approved = true
			approved = append(approved, a.Address)
		}
	}
	if len(approved) != 3 {
		t.Fatalf("the plan has %d creates, want at least 3", len(approved))
	}
	events := 0
	res, err := b.Apply(ctx, &plan, func(roster.ApplyProgress) { events++ })
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if len(res.Results) != 3 || events != 3 {
		t.Fatalf("Apply: %d results and %d events, want 3 and 3", len(res.Results), events)
	}
	for _, r := range res.Results {
		if r.Status != roster.StatusDone {
			t.Errorf("%s: %s %s", r.Address, r.Status, r.Error)
		}
	}
	if got := len(srv.Sim.Created()); got != 3 {
		t.Errorf("the simulator created %d users, want 3", got)
	}
	if res.HTMLPath == "" {
		t.Error("Apply saved no report")
	}

	if n := len(srv.Sim.Mails()); n != 0 {
		t.Fatalf("%d mails before SendReport; the TUI sends only when asked", n)
	}
	if err := b.SendReport(ctx, res); err != nil {
		t.Fatalf("SendReport: %v", err)
	}
	mails := srv.Sim.Mails()
	if len(mails) != 1 {
		t.Fatalf("the simulator received %d mails, want 1", len(mails))
	}
	m := mails[0]
	if !slices.Equal(m.To, cfg.Report.To) {
		t.Errorf("mail to %q, want %q", m.To, cfg.Report.To)
	}
	if m.From != sim.AdminUPN {
		t.Errorf("mail from %q, want the signed-in admin %q", m.From, sim.AdminUPN)
	}
	for _, addr := range approved {
		if !strings.Contains(m.Content, addr) {
			t.Errorf("the report does not name %s", addr)
		}
	}
}
