package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"procsync/auth"
	"procsync/cmd/procsync/config"
	"procsync/sync/roster"
	"procsync/sync/sim"
	"procsync/sync/store"
)

func TestLinkHook(t *testing.T) {
	f := hookFactory(t)
	var got *LinkOptions
	hook := func(_ context.Context, o *LinkOptions) error { got = o; return nil }
	execute(t, NewCmdLink(f, hook), " Hiro.Hernandez@Contoso.com", "1800077", "--yes")
	if got == nil {
		t.Fatal("runF was not called")
	}
	if got.Address != "hiro.hernandez@contoso.com" || got.ProcoreID != 1800077 || !got.Yes {
		t.Errorf("options = %+v", got)
	}
	if got.IO != f.IO || got.State == nil || got.Logger == nil || got.Actor == nil {
		t.Error("link does not get the factory's streams, state, logger and actor")
	}
	checkHints(t, f, got.Hints)
	for _, args := range [][]string{{"hiro@contoso.com"}, {"not-an-address", "1"}, {"hiro@contoso.com", "x12"}} {
		got = nil
		cmd := NewCmdLink(hookFactory(t), hook)
		cmd.SetArgs(args)
		cmd.SetOut(&strings.Builder{})
		cmd.SetErr(&strings.Builder{})
		var fe *FlagError
		if err := cmd.Execute(); !errors.As(err, &fe) || got != nil {
			t.Errorf("link %q: err %v, run called %v; want a usage error", args, err, got != nil)
		}
	}
}

func TestIgnoreHooks(t *testing.T) {
	f := hookFactory(t)
	var got *IgnoreOptions
	hook := func(_ context.Context, o *IgnoreOptions) error { got = o; return nil }
	execute(t, NewCmdIgnore(f, hook), "Ana@Contoso.com", "--reason", "auditor")
	if got == nil || got.Address != "ana@contoso.com" || got.Reason != "auditor" || got.List || got.Remove {
		t.Fatalf("ignore options = %+v", got)
	}
	if dir, err := got.StateDir(); err != nil || dir != f.StateDirFlag || got.Actor == nil || got.IO != f.IO {
		t.Errorf("ignore does not get the factory's state dir, streams and actor")
	}
	got = nil
	execute(t, NewCmdIgnore(f, hook), "--list", "--all", "--json")
	if got == nil || !got.List || !got.All || !got.JSON {
		t.Fatalf("ignore --list options = %+v", got)
	}
	got = nil
	execute(t, NewCmdUnignore(f, hook), "ana@contoso.com")
	if got == nil || !got.Remove || got.Address != "ana@contoso.com" {
		t.Fatalf("unignore options = %+v", got)
	}
	for _, c := range []struct {
		unignore bool
		args     []string
	}{
		{false, []string{"ana@contoso.com"}}, // no reason
		{false, []string{"--reason", "x"}},   // no address
		{false, []string{"--list", "ana@contoso.com"}},
		{false, []string{"ana@contoso.com", "--reason", "x", "--json"}},
		{true, nil},
		{true, []string{"nobody"}},
	} {
		got = nil
		cmd := NewCmdIgnore(hookFactory(t), hook)
		if c.unignore {
			cmd = NewCmdUnignore(hookFactory(t), hook)
		}
		cmd.SetArgs(c.args)
		cmd.SetOut(&strings.Builder{})
		cmd.SetErr(&strings.Builder{})
		var fe *FlagError
		if err := cmd.Execute(); !errors.As(err, &fe) || got != nil {
			t.Errorf("%v %q: err %v, run called %v; want a usage error", c.unignore, c.args, err, got != nil)
		}
	}
}

// TestIgnoreRun checks ignore, the list and unignore against a journal.
func TestIgnoreRun(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	run := func(o IgnoreOptions) (string, error) {
		out := &strings.Builder{}
		o.IO = &IOStreams{Out: out, ErrOut: &strings.Builder{}}
		o.StateDir = func() (string, error) { return dir, nil }
		o.Actor = func() string { return "ana (cli)" }
		o.Now = func() time.Time { return now }
		err := runIgnore(ctx, &o)
		return out.String(), err
	}
	if out, err := run(IgnoreOptions{List: true}); err != nil || !strings.Contains(out, "Nobody is ignored") {
		t.Fatalf("empty list: %q, %v", out, err)
	}
	if out, err := run(IgnoreOptions{Address: "bo@contoso.com", Reason: "shared mailbox"}); err != nil || !strings.Contains(out, "ignored by ana (cli): shared mailbox") {
		t.Fatalf("ignore: %q, %v", out, err)
	}
	if out, err := run(IgnoreOptions{Address: "bo@contoso.com", Reason: "again"}); err != nil || !strings.Contains(out, "already ignored") {
		t.Errorf("ignore twice: %q, %v", out, err)
	}
	if out, err := run(IgnoreOptions{List: true, JSON: true}); err != nil || !strings.Contains(out, `"email": "bo@contoso.com"`) || !strings.Contains(out, `"by": "ana (cli)"`) {
		t.Errorf("list --json: %q, %v", out, err)
	}
	if out, err := run(IgnoreOptions{Remove: true, Address: "bo@contoso.com"}); err != nil || !strings.Contains(out, "no longer ignored") {
		t.Errorf("unignore: %q, %v", out, err)
	}
	if _, err := run(IgnoreOptions{Remove: true, Address: "bo@contoso.com"}); exitCode(err) != exitError {
		t.Errorf("unignore twice: %v, want exit 1", err)
	}
	out, err := run(IgnoreOptions{List: true, All: true})
	if err != nil || !strings.Contains(out, "bo@contoso.com") || !strings.Contains(out, "by ana (cli)") {
		t.Errorf("list --all: %q, %v", out, err)
	}
}

// linkSim starts a simulator whose tenant holds the demo's conflicts, and
// returns a config for it with both apps' secrets (client credentials, as
// a scheduled run signs in).
func linkSim(t *testing.T) (*sim.Server, *config.Config) {
	t.Helper()
	srv, err := sim.Start(sim.Options{Seed: 1, Members: 200})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cfg, err := config.Parse(demoConfigFor(srv, sim.ProcoreRedirectURIs[0]), "test config")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Procore.ClientSecret, cfg.Graph.ClientSecret = sim.ProcoreClientSecret, sim.GraphClientSecret
	return srv, cfg
}

// planOf reads and plans as the engine does.
func planOf(t *testing.T, cfg *config.Config, dir string) roster.Plan {
	t.Helper()
	ctx := context.Background()
	s := newSession(cfg, dir, &auth.FileStore{Path: filepath.Join(dir, "tokens.json")}, nil)
	defer s.close()
	if err := s.connect(ctx, store.ModeAuto); err != nil {
		t.Fatal(err)
	}
	snap, err := s.engine.Snapshot(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return *s.engine.Plan(snap)
}

// TestLinkRun links a conflict's member to one of its candidates with the
// command, then checks that the next plan has the member in sync with that
// user, that origin_id was written by one sync request, that a second link
// changes nothing, and what the command refuses.
func TestLinkRun(t *testing.T) {
	srv, cfg := linkSim(t)
	dir := t.TempDir()
	ctx := context.Background()
	plan := planOf(t, cfg, dir)
	var conflict *roster.Action
	for i := range plan.Actions {
		if a := &plan.Actions[i]; a.Kind == roster.KindConflict && len(a.Candidates) == 2 {
			conflict = a
			break
		}
	}
	if conflict == nil {
		t.Fatal("the seeded tenant has no conflict between two Procore users; the test proves nothing")
	}
	pick := conflict.Candidates[1]
	run := func(addr string, id int64, yes bool, c *config.Config) (string, error) {
		out := &strings.Builder{}
		err := runLink(ctx, &LinkOptions{
			IO: &IOStreams{Out: out, ErrOut: &strings.Builder{}}, State: fixedState(c, dir, &auth.FileStore{Path: filepath.Join(dir, "tokens.json")}),
			Logger: func() *slog.Logger { return discardLogger }, Hints: func() string { return "" }, Actor: func() string { return "ana (cli)" },
			Address: addr, ProcoreID: id, Yes: yes,
		})
		return out.String(), err
	}

	prod := *cfg
	prod.Procore.Environment = "production"
	srv.Sim.ResetRequests()
	var fe *FlagError
	if _, err := run(conflict.Address, pick.ID, false, &prod); !errors.As(err, &fe) || !strings.Contains(err.Error(), "--yes") {
		t.Errorf("production without --yes: %v, want a usage error naming --yes", err)
	}
	if n := len(srv.Sim.Requests()); n != 0 {
		t.Errorf("the refused production link sent %d requests", n)
	}

	if _, err := run(conflict.Address, 99, false, cfg); exitCode(err) != exitError || !strings.Contains(err.Error(), "not a user of this Procore company") {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := run("nobody.here@contoso.com", pick.ID, false, cfg); exitCode(err) != exitError || !strings.Contains(err.Error(), "no member") {
		t.Errorf("unknown member: %v", err)
	}

	srv.Sim.ResetRequests()
	out, err := run(conflict.Address, pick.ID, false, cfg)
	if err != nil {
		t.Fatalf("link: %v", err)
	}
	if !strings.Contains(out, "Linked "+conflict.Address) {
		t.Errorf("output %q", out)
	}
	syncs := 0
	for _, r := range srv.Sim.Requests() {
		if r.Method == "PATCH" && strings.HasSuffix(r.Path, "/users/sync") {
			syncs++
		}
	}
	if u, _ := srv.Sim.ProcoreUser(pick.ID); u.OriginID != conflict.Member.ID || syncs != 1 {
		t.Fatalf("after the link: origin_id %q (want %q), %d sync requests (want 1)", u.OriginID, conflict.Member.ID, syncs)
	}

	next := planOf(t, cfg, dir)
	for _, a := range next.Actions {
		if a.Member != nil && a.Member.ID == conflict.Member.ID {
			if a.Kind != roster.KindInSync || a.User == nil || a.User.ID != pick.ID {
				t.Errorf("next plan: %s user %v (%s), want in_sync with %d", a.Kind, a.User, a.Reason, pick.ID)
			}
		}
	}
	if out, err := run(conflict.Address, pick.ID, false, cfg); err != nil || !strings.Contains(out, "already linked") {
		t.Errorf("second link: %q, %v", out, err)
	}
	// The other candidate cannot take the member's origin_id too.
	if _, err := run(conflict.Address, conflict.Candidates[0].ID, false, cfg); exitCode(err) != exitError || !strings.Contains(err.Error(), "already holds") {
		t.Errorf("link to the other candidate: %v", err)
	}

	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	links := 0
	for _, r := range runs {
		d, _ := st.Run(ctx, r.ID)
		for _, a := range d.Actions {
			if a.Kind == roster.KindLink {
				links++
				if a.Status != roster.StatusDone || !strings.Contains(a.Reason, "linked by ana (cli)") {
					t.Errorf("journal: %+v", a)
				}
			}
		}
	}
	if links != 1 {
		t.Errorf("journal holds %d links, want 1", links)
	}
}
