package provision_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"procsync/sync/provision"
	"procsync/sync/roster"
	"procsync/sync/sim"
	"procsync/sync/store"
)

// bulkAdds counts the bulk-add requests the simulator answered with status.
func bulkAdds(s *sim.Sim, status int) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/users/bulk_add") && r.Status == status {
			n++
		}
	}
	return n
}

// projectAdds returns the journal's project_add rows of every run.
func projectAdds(t *testing.T, st *store.Store) []store.Action {
	t.Helper()
	runs, err := st.Runs(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Action
	for _, r := range runs {
		d, err := st.Run(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range d.Actions {
			if a.Kind == roster.KindProjectAdd {
				out = append(out, a)
			}
		}
	}
	return out
}

// checkMemberships asserts that every created user is on every project in
// the simulator and that the journal says so, once per user and project.
func checkMemberships(t *testing.T, s *sim.Sim, st *store.Store, ids map[string]int64, projects []int64) {
	t.Helper()
	for _, pid := range projects {
		members := s.ProjectUsers(pid)
		for addr, id := range ids {
			if _, ok := members[id]; !ok {
				t.Errorf("%s (%d) is not on project %d", addr, id, pid)
			}
		}
	}
	done := map[[2]int64]int{}
	for _, a := range projectAdds(t, st) {
		if a.Status != roster.StatusDone {
			t.Errorf("journal: %s project %d is %s (%s)", a.Address, a.ProjectID, a.Status, a.Error)
			continue
		}
		if a.ProcoreID != ids[a.Address] {
			t.Errorf("journal: %s project %d names user %d, Procore holds %d", a.Address, a.ProjectID, a.ProcoreID, ids[a.Address])
		}
		done[[2]int64{a.ProcoreID, a.ProjectID}]++
	}
	for _, id := range ids {
		for _, pid := range projects {
			if n := done[[2]int64{id, pid}]; n != 1 {
				t.Errorf("journal: user %d on project %d done %d times, want 1", id, pid, n)
			}
		}
	}
}

// TestMembershipRetriedUntilAdded: a bulk add that fails leaves the
// memberships failed in the journal and the apply reports it; the next
// Reconcile adds them exactly once, and a further one has nothing to do.
func TestMembershipRetriedUntilAdded(t *testing.T) {
	projects := []int64{sim.ProjectOHare, sim.ProjectHQ}
	srv, pc := applySim(t, sim.Options{Seed: 1, Members: 20})
	st, run := openJournal(t, t.TempDir())
	plan := createPlan(3)
	srv.Sim.FailAlways("procore", "bulk_add", http.StatusServiceUnavailable)

	res, err := provision.Apply(context.Background(), plan, provision.ApplyOptions{
		Procore: pc, Journal: st.Journal(run), ProjectIDs: projects, PermissionTemplateID: sim.TemplateStandard,
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := checkOnce(t, srv.Sim, plan)
	if got, want := len(res.ProjectErrors), len(ids)*len(projects); got != want {
		t.Errorf("%d project errors, want %d: %q", got, want, res.ProjectErrors)
	}
	if len(res.Memberships) != len(ids)*len(projects) {
		t.Fatalf("%d memberships in the result, want %d", len(res.Memberships), len(ids)*len(projects))
	}
	for _, m := range res.Memberships {
		if m.Status != roster.StatusFailed || !strings.Contains(m.Error, "503") || m.ProcoreID != ids[m.Address] {
			t.Errorf("membership %+v: want failed with the 503", m)
		}
	}
	for _, r := range res.Results {
		if r.Status != roster.StatusDone || !strings.Contains(r.Error, "not added to project") {
			t.Errorf("create %d: %s %q; want done, saying the membership is missing", r.Index, r.Status, r.Error)
		}
	}
	adds := projectAdds(t, st)
	if len(adds) != len(ids)*len(projects) {
		t.Fatalf("journal holds %d project_add rows, want %d", len(adds), len(ids)*len(projects))
	}
	for _, a := range adds {
		if a.Status != roster.StatusFailed || a.ProcoreID != ids[a.Address] {
			t.Errorf("journal: %s project %d: %s, user %d", a.Address, a.ProjectID, a.Status, a.ProcoreID)
		}
	}

	srv.Sim.ClearFaults()
	rec, err := provision.Reconcile(context.Background(), st.Journal(0), pc, provision.ReconcileOptions{ProjectIDs: projects, PermissionTemplateID: sim.TemplateStandard})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Memberships) != len(ids)*len(projects) || len(rec.MembershipsNotAdded()) != 0 {
		t.Errorf("reconcile settled %d memberships, %d still failing", len(rec.Memberships), len(rec.MembershipsNotAdded()))
	}
	checkMemberships(t, srv.Sim, st, ids, projects)
	checkJournal(t, st, ids)
	for addr, id := range ids {
		if tmpl := srv.Sim.ProjectUsers(sim.ProjectHQ)[id]; tmpl != sim.TemplateStandard {
			t.Errorf("%s on project %d with template %d, want %d", addr, sim.ProjectHQ, tmpl, sim.TemplateStandard)
		}
	}
	if n := bulkAdds(srv.Sim, http.StatusOK); n != 1 {
		t.Errorf("%d bulk adds succeeded, want exactly 1", n)
	}

	// Nothing is owed any more: no request at all.
	before := len(srv.Sim.Requests())
	rec, err = provision.Reconcile(context.Background(), st.Journal(0), pc, provision.ReconcileOptions{ProjectIDs: projects})
	if err != nil || len(rec.Memberships) != 0 {
		t.Errorf("second reconcile: %v, %d memberships", err, len(rec.Memberships))
	}
	if n := len(srv.Sim.Requests()) - before; n != 0 {
		t.Errorf("second reconcile sent %d requests", n)
	}
}

// TestMembershipReconcile covers the cases Reconcile meets: a membership
// whose user is a member already (done, no add), one whose project is no
// longer configured (skipped), one a crash left planned before its user id
// was known (added, the id found by origin_id), and one whose create never
// happened (skipped).
func TestMembershipReconcile(t *testing.T) {
	srv, pc := applySim(t, sim.Options{Seed: 1, Members: 20})
	st, run := openJournal(t, t.TempDir())
	ctx := context.Background()
	plan := createPlan(2)
	// Both users exist; the first is on O'Hare already.
	res, err := provision.Apply(ctx, plan, provision.ApplyOptions{Procore: pc, ProjectIDs: []int64{sim.ProjectOHare}})
	if err != nil || len(res.ProjectErrors) != 0 {
		t.Fatalf("apply: %v %q", err, res.ProjectErrors)
	}
	ids := checkOnce(t, srv.Sim, plan)
	a0, a1 := plan.Actions[0].Address, plan.Actions[1].Address
	if _, on := srv.Sim.ProjectUsers(sim.ProjectHQ)[ids[a0]]; on {
		t.Fatalf("%s on HQ before the test", a0)
	}
	add := roster.KindProjectAdd
	owed := []roster.Record{
		{Kind: add, Address: a0, EntraID: plan.Actions[0].Member.ID, ProcoreID: ids[a0], ProjectID: sim.ProjectOHare},        // already a member
		{Kind: add, Address: a0, EntraID: plan.Actions[0].Member.ID, ProcoreID: ids[a0], ProjectID: 42},                      // no longer configured
		{Kind: add, Address: a1, EntraID: plan.Actions[1].Member.ID, ProjectID: sim.ProjectHQ},                               // id unknown
		{Kind: add, Address: "ghost@contoso.com", EntraID: "00000000-0000-4000-8000-999999999999", ProjectID: sim.ProjectHQ}, // never created
	}
	var intents []roster.Record
	for _, m := range owed {
		m.Status, m.Reason = roster.StatusPlanned, fmt.Sprintf("new user: add to project %d", m.ProjectID)
		intents = append(intents, m)
	}
	if _, err := st.Journal(run).RecordIntents(ctx, intents); err != nil {
		t.Fatal(err)
	}
	okBefore := bulkAdds(srv.Sim, http.StatusOK)
	rec, err := provision.Reconcile(ctx, st.Journal(0), pc, provision.ReconcileOptions{ProjectIDs: []int64{sim.ProjectOHare, sim.ProjectHQ}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		status roster.Status
		user   int64
		errHas string
	}{
		{roster.StatusDone, ids[a0], ""},
		{roster.StatusSkipped, ids[a0], "no longer in procore.project_ids"},
		{roster.StatusDone, ids[a1], ""},
		{roster.StatusSkipped, 0, "not created"},
	}
	if len(rec.Memberships) != len(want) {
		t.Fatalf("settled %d memberships, want %d", len(rec.Memberships), len(want))
	}
	for i, w := range want {
		m := rec.Memberships[i]
		if m.Status != w.status || m.ProcoreID != w.user || !strings.Contains(m.Error, w.errHas) {
			t.Errorf("membership %d (%s, project %d): %s user %d %q; want %s user %d %q", i, m.Address, m.ProjectID, m.Status, m.ProcoreID, m.Error, w.status, w.user, w.errHas)
		}
	}
	if _, ok := srv.Sim.ProjectUsers(sim.ProjectHQ)[ids[a1]]; !ok {
		t.Errorf("%s not added to HQ", a1)
	}
	// One bulk add, for a1 only: a0 was a member already.
	if n := bulkAdds(srv.Sim, http.StatusOK) - okBefore; n != 1 {
		t.Errorf("%d bulk adds, want 1", n)
	}
	if open, err := st.OpenProjectAdds(ctx); err != nil || len(open) != 0 {
		t.Errorf("open memberships after reconcile: %d, %v", len(open), err)
	}
}
