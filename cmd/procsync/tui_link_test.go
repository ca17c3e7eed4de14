package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"procsync/auth"
	"procsync/sync/roster"
)

// TestTUIResolverAgainstSimulator drives the TUI backend's Resolver against
// the simulator: link a conflict to a candidate (origin_id written, the next
// plan in sync), ignore a create (excluded with the admin's name and the
// reason), list and un-ignore.
func TestTUIResolverAgainstSimulator(t *testing.T) {
	srv, cfg := linkSim(t)
	dir := t.TempDir()
	s := newSession(cfg, dir, &auth.FileStore{Path: filepath.Join(dir, "tokens.json")}, nil)
	t.Cleanup(s.close)
	b := newTUIBackend(s, inProcessBrowser, false, false)
	ctx := context.Background()

	snap, err := b.Snapshot(ctx, func(roster.SnapshotProgress) {})
	if err != nil {
		t.Fatal(err)
	}
	plan := b.Plan(snap)
	var conflict, create *roster.Action
	for i := range plan.Actions {
		a := &plan.Actions[i]
		switch {
		case conflict == nil && a.Kind == roster.KindConflict && len(a.Candidates) == 2:
			conflict = a
		case create == nil && a.Kind == roster.KindCreate:
			create = a
		}
	}
	if conflict == nil || create == nil {
		t.Fatal("the seeded tenant needs a conflict and a create")
	}
	pick := conflict.Candidates[0]
	if err := b.Link(ctx, conflict.Member, conflict.Address, pick); err != nil {
		t.Fatal(err)
	}
	if u, _ := srv.Sim.ProcoreUser(pick.ID); u.OriginID != conflict.Member.ID {
		t.Fatalf("origin_id %q, want %q", u.OriginID, conflict.Member.ID)
	}
	if err := b.Ignore(ctx, create.Member, create.Address, "external auditor"); err != nil {
		t.Fatal(err)
	}

	snap, err = b.Snapshot(ctx, func(roster.SnapshotProgress) {})
	if err != nil {
		t.Fatal(err)
	}
	next := b.Plan(snap)
	for _, a := range next.Actions {
		switch {
		case a.Member != nil && a.Member.ID == conflict.Member.ID:
			if a.Kind != roster.KindInSync || a.User.ID != pick.ID {
				t.Errorf("linked member: %s %q", a.Kind, a.Reason)
			}
		case a.Member != nil && a.Member.ID == create.Member.ID:
			if a.Kind != roster.KindExcluded || !strings.HasPrefix(a.Reason, "ignored by "+s.approvedBy+": external auditor") {
				t.Errorf("ignored member: %s %q", a.Kind, a.Reason)
			}
		}
	}
	list, err := b.Ignored(ctx)
	if err != nil || len(list) != 1 || list[0].Address != create.Address || list[0].EntraID != create.Member.ID {
		t.Fatalf("ignored list %+v, %v", list, err)
	}
	if err := b.Unignore(ctx, list[0]); err != nil {
		t.Fatal(err)
	}
	if list, _ := b.Ignored(ctx); len(list) != 0 {
		t.Errorf("after un-ignore: %+v", list)
	}
}
