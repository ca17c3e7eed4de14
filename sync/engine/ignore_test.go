package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"procsync/sync/engine"
	"procsync/sync/roster"
)

// TestRunAutoHonoursIgnoreList checks that a person on the journal's ignore
// list is planned excluded with who and why, and never created by --auto;
// the same engine Snapshot feeds the TUI.
func TestRunAutoHonoursIgnoreList(t *testing.T) {
	f := newFixture(t, engine.Brakes{MaxCreates: -1, MaxDeactivations: -1, MaxReactivations: -1})
	ctx := context.Background()
	dry, err := f.engine(t).RunAuto(ctx, engine.AutoOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	var target roster.Record
	for _, a := range dry.Actions {
		if a.Kind == roster.KindCreate {
			target = a
			break
		}
	}
	if target.Address == "" {
		t.Fatal("the seeded tenant needs a create; the test proves nothing")
	}
	if _, err := f.st.AddIgnore(ctx, roster.Ignore{Address: target.Address, By: "admin@contoso.com", Reason: "external auditor"}, time.Time{}); err != nil {
		t.Fatal(err)
	}

	e := f.engine(t)
	snap, err := e.Snapshot(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Ignored) != 1 {
		t.Fatalf("snapshot carries %d ignores, want 1", len(snap.Ignored))
	}
	res, err := e.RunAuto(ctx, engine.AutoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.Create != dry.Plan.Create-1 || res.Plan.Excluded != dry.Plan.Excluded+1 {
		t.Errorf("plan %+v after ignoring one create of %+v", res.Plan, dry.Plan)
	}
	found := false
	for _, a := range res.Actions {
		if a.Address != target.Address {
			continue
		}
		found = true
		if a.Kind != roster.KindExcluded || !strings.HasPrefix(a.Reason, "ignored by admin@contoso.com: external auditor") {
			t.Errorf("ignored person: %s %q", a.Kind, a.Reason)
		}
	}
	if !found {
		t.Error("the ignored person is not among the run's actions")
	}
	for _, u := range f.srv.Sim.ProcoreUsers() {
		if strings.EqualFold(u.Email, target.Address) {
			t.Errorf("the ignored person was created in Procore: %+v", u)
		}
	}
}
