package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"procsync/sync/engine"
	"procsync/sync/roster"
	"procsync/sync/sim"
)

// TestRunAutoProjectRule: a [[projects]] rule through the whole headless
// flow. A dry run lists the project_add rows and leaves nothing open for
// Reconcile to add; the real run adds the group's new and existing members
// (a new user's membership of a project procore.project_ids also names is
// added once), --auto --json and the report show the rows, and the next
// run has nothing left to add.
func TestRunAutoProjectRule(t *testing.T) {
	f := newFixture(t, engine.Brakes{MaxCreates: -1, MaxDeactivations: -1, MaxReactivations: -1})
	f.d.Rules.Projects = []roster.ProjectRule{{Group: sim.GroupE3, ProjectIDs: []int64{sim.ProjectHQ, sim.ProjectRiverside}, PermissionTemplateID: sim.TemplateStandard}}
	ctx := context.Background()
	before := map[int64]map[int64]int64{sim.ProjectHQ: f.srv.Sim.ProjectUsers(sim.ProjectHQ), sim.ProjectRiverside: f.srv.Sim.ProjectUsers(sim.ProjectRiverside)}

	dry, err := f.engine(t).RunAuto(ctx, engine.AutoOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Plan.ProjectAdd == 0 {
		t.Fatal("the dry run plans no project_add rows; the test proves nothing")
	}
	for _, a := range dry.Actions {
		if a.Kind == roster.KindProjectAdd && (a.Status != roster.StatusPlanned || a.ProjectID == 0) {
			t.Errorf("dry run: %s project %d is %s, want planned", a.Address, a.ProjectID, a.Status)
		}
	}
	if open, err := f.st.Journal(0).OpenProjectAdds(ctx); err != nil || len(open) != 0 {
		t.Fatalf("after a dry run the journal holds %d open memberships (%v); Reconcile would add what nobody approved", len(open), err)
	}

	res, err := f.engine(t).RunAuto(ctx, engine.AutoOptions{})
	if err != nil {
		t.Fatalf("run: %v (%d failed)", err, failedOf(res))
	}
	if res.Plan.ProjectAdd != dry.Plan.ProjectAdd {
		t.Errorf("the run plans %d project_add rows, the dry run %d", res.Plan.ProjectAdd, dry.Plan.ProjectAdd)
	}
	newUsers, existing, onHQ := 0, 0, map[int64]int{}
	for _, a := range res.Actions {
		if a.Kind != roster.KindProjectAdd {
			continue
		}
		if a.Status != roster.StatusDone || a.ProcoreID == 0 {
			t.Errorf("%s project %d: %s user %d %s", a.Address, a.ProjectID, a.Status, a.ProcoreID, a.Error)
			continue
		}
		if strings.Contains(a.Reason, "once the create") {
			newUsers++
		} else {
			existing++
		}
		if tmpl, ok := f.srv.Sim.ProjectUsers(a.ProjectID)[a.ProcoreID]; !ok {
			t.Errorf("user %d is not on project %d", a.ProcoreID, a.ProjectID)
		} else if _, was := before[a.ProjectID][a.ProcoreID]; !was && tmpl != sim.TemplateStandard {
			t.Errorf("user %d is on project %d with template %d", a.ProcoreID, a.ProjectID, tmpl)
		}
		if a.ProjectID == sim.ProjectHQ {
			onHQ[a.ProcoreID]++
		}
	}
	if newUsers == 0 || existing == 0 {
		t.Errorf("%d rows for new users and %d for existing ones; the seed should give both", newUsers, existing)
	}
	// Every new user was on project HQ once: by the row where the rule
	// names it, by procore.project_ids otherwise, never by both.
	for _, m := range res.Run.Apply.Memberships {
		if m.ProjectID == sim.ProjectHQ {
			onHQ[m.ProcoreID]++
		}
	}
	for id, n := range onHQ {
		if n != 1 {
			t.Errorf("user %d added to project %d %d times", id, sim.ProjectHQ, n)
		}
	}
	html, err := os.ReadFile(res.Report.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "Added to projects") || !strings.Contains(string(html), fmt.Sprint(sim.ProjectRiverside)) {
		t.Error("the report has no \"Added to projects\" table naming the rule's project")
	}

	adds := 0
	for _, r := range f.srv.Sim.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/users/bulk_add") {
			adds++
		}
	}
	again, err := f.engine(t).RunAuto(ctx, engine.AutoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Plan.ProjectAdd != 0 {
		t.Errorf("the next run plans %d project_add rows, want 0", again.Plan.ProjectAdd)
	}
	for _, r := range f.srv.Sim.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/users/bulk_add") {
			adds--
		}
	}
	if adds != 0 {
		t.Errorf("the next run sent %d bulk adds, want none", -adds)
	}
}
