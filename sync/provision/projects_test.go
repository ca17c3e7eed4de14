package provision_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"procsync/sync/provision"
	"procsync/sync/roster"
	"procsync/sync/sim"
	"procsync/sync/store"
)

const (
	projChildEnv = "PROCSYNC_PROJECTS_CRASH_CHILD"
	projURLEnv   = "PROCSYNC_PROJECTS_CRASH_URL"
	projDirEnv   = "PROCSYNC_PROJECTS_CRASH_DIR"
	projProject  = sim.ProjectRiverside
	projTemplate = sim.TemplateStandard
	projSeed     = 3
	projMembers  = 40
)

// projRules: the members of the E3 license group belong on one project.
var projRules = roster.Rules{Reactivate: true, Projects: []roster.ProjectRule{
	{Group: sim.GroupE3, ProjectIDs: []int64{projProject}, PermissionTemplateID: projTemplate, Source: "test: projects[0]"},
}}

// projPlan snapshots the simulator and plans under projRules, approved
// as --auto approves.
func projPlan(t testing.TB, src provision.Sources) *roster.Plan {
	t.Helper()
	snap, err := provision.TakeSnapshot(context.Background(), src, provision.SnapshotOptions{NamePrefixes: licensePrefixes, Projects: projRules.Projects})
	if err != nil {
		t.Fatal(err)
	}
	p := roster.Diff(snap, projRules)
	p.ApproveAuto(projRules)
	return &p
}

// TestProjectsCrashChild is the child half of TestProjectRuleSIGKILLThenRerun:
// it plans and applies against the parent's simulator until it is killed.
func TestProjectsCrashChild(t *testing.T) {
	if os.Getenv(projChildEnv) == "" {
		t.Skip("child process of TestProjectRuleSIGKILLThenRerun")
	}
	src := simSources(t, os.Getenv(projURLEnv))
	st, err := store.Open(os.Getenv(projDirEnv))
	if err != nil {
		t.Fatal(err)
	}
	run, err := st.BeginRun(context.Background(), store.RunInfo{Mode: store.ModeAuto})
	if err != nil {
		t.Fatal(err)
	}
	_, err = provision.Apply(context.Background(), projPlan(t, src), provision.ApplyOptions{Procore: src.Procore, Journal: st.Journal(run)})
	t.Fatalf("the child finished (%v) before it was killed", err)
}

// TestProjectRuleSIGKILLThenRerun: a [[projects]] rule adds exactly the
// group's new and existing members to its project, each once, with the
// rule's template, even when the applying process is killed (SIGKILL:
// nothing is flushed) while its user writes or its bulk add are in
// flight, and that request then lands unanswered or is refused. The rerun
// is the engine's: Reconcile, snapshot, plan, apply; a third plan has no
// project_add rows left.
func TestProjectRuleSIGKILLThenRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	for _, tt := range []struct {
		name   string
		method string
		path   string
		lands  bool
	}{
		{"creates in flight, land", http.MethodPatch, "/users/sync", true},
		{"creates in flight, refused", http.MethodPatch, "/users/sync", false},
		{"bulk add in flight, lands", http.MethodPost, "/users/bulk_add", true},
		{"bulk add in flight, refused", http.MethodPost, "/users/bulk_add", false},
	} {
		t.Run(tt.name, func(t *testing.T) { projCrashTrial(t, tt.method, tt.path, tt.lands) })
	}
}

func projCrashTrial(t *testing.T, method, path string, lands bool) {
	srv := startSnapSim(t, sim.Options{Seed: projSeed, Members: projMembers})
	src := simSources(t, srv.URL)
	before := srv.Sim.ProjectUsers(projProject)

	// Who the rule must add: read from the plan before anything ran.
	first := projPlan(t, src)
	wantExisting, wantNew := map[int64]bool{}, map[string]bool{}
	for _, a := range first.Actions {
		if a.Kind != roster.KindProjectAdd {
			continue
		}
		if a.User != nil {
			wantExisting[a.User.ID] = true
		} else {
			wantNew[a.Address] = true
		}
	}
	if len(wantExisting) == 0 || len(wantNew) == 0 {
		t.Fatalf("the seeded plan has %d existing and %d new members to add; the test needs both", len(wantExisting), len(wantNew))
	}

	srv.Sim.Hold(sim.HoldRule{Service: sim.ServiceProcore, Method: method, PathContains: path})
	t.Cleanup(srv.Sim.Release)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestProjectsCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), projChildEnv+"=1", projURLEnv+"="+srv.URL, projDirEnv+"="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	_, ok := srv.Sim.Held(ctx)
	cancel()
	if !ok {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("%s %s never reached the simulator", method, path)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if !lands {
		srv.Sim.FailAlways(sim.ServiceProcore, path, http.StatusServiceUnavailable)
	}
	srv.Sim.Release()
	waitAnswered(t, srv.Sim, method, path, 1)
	srv.Sim.ClearFaults()

	// The rerun, as the engine does it.
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bg := context.Background()
	if _, err := st.MarkInterrupted(bg, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := provision.Reconcile(bg, st.Journal(0), src.Procore, provision.ReconcileOptions{Projects: projRules.Projects}); err != nil {
		t.Fatal(err)
	}
	run, err := st.BeginRun(bg, store.RunInfo{Mode: store.ModeAuto})
	if err != nil {
		t.Fatal(err)
	}
	res, err := provision.Apply(bg, projPlan(t, src), provision.ApplyOptions{Procore: src.Procore, Journal: st.Journal(run)})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Results {
		if r.Status != roster.StatusDone {
			t.Errorf("rerun: %s %s: %s %s", r.Kind, r.Address, r.Status, r.Error)
		}
	}
	if left := projPlan(t, src); left.Counts[roster.KindProjectAdd] != 0 || left.Counts[roster.KindCreate] != 0 {
		t.Errorf("a third plan still has %d project_add rows and %d creates", left.Counts[roster.KindProjectAdd], left.Counts[roster.KindCreate])
	}

	// Exactly the group's new and existing members were added, with the
	// rule's template.
	want := map[int64]bool{}
	for id := range wantExisting {
		want[id] = true
	}
	for _, u := range srv.Sim.ProcoreUsers() {
		if wantNew[strings.ToLower(u.Email)] {
			want[u.ID] = true
		}
	}
	if len(want) != len(wantExisting)+len(wantNew) {
		t.Fatalf("%d of %d new members exist in Procore", len(want)-len(wantExisting), len(wantNew))
	}
	after := srv.Sim.ProjectUsers(projProject)
	for id, tmpl := range after {
		if _, was := before[id]; was {
			continue
		}
		if !want[id] {
			t.Errorf("user %d was added to project %d but is not a member the rule names", id, projProject)
		} else if tmpl != projTemplate {
			t.Errorf("user %d is on project %d with template %d, want %d", id, projProject, tmpl, projTemplate)
		}
	}
	for id := range want {
		if _, ok := after[id]; !ok {
			t.Errorf("user %d is not on project %d", id, projProject)
		}
	}
	// Once: no membership was sent again after it landed, and the journal
	// holds one done row per member.
	for pair, n := range bulkAddsLanded(t, srv.Sim) {
		if n != 1 {
			t.Errorf("user %d was added to project %d by %d bulk adds that landed, want 1", pair[0], pair[1], n)
		}
	}
	done := map[int64]int{}
	for _, a := range projectAdds(t, st) {
		if a.Status == roster.StatusDone && a.ProjectID == projProject {
			done[a.ProcoreID]++
		}
	}
	for id := range want {
		if done[id] != 1 {
			t.Errorf("journal: user %d done on project %d %d times, want 1", id, projProject, done[id])
		}
	}
	if len(done) != len(want) {
		t.Errorf("journal: %d users done on project %d, want %d", len(done), projProject, len(want))
	}
}

// waitAnswered waits until the simulator has answered n requests of
// method to a path containing path (the log records a request once its
// handler is done).
func waitAnswered(t *testing.T, s *sim.Sim, method, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := 0
		for _, r := range s.Requests() {
			if r.Method == method && strings.Contains(r.Path, path) {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the released %s %s was never answered", method, path)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// bulkAddsLanded counts, per (user, project), the entries of the bulk adds
// the simulator answered 200: the adds that took effect.
func bulkAddsLanded(t *testing.T, s *sim.Sim) map[[2]int64]int {
	t.Helper()
	out := map[[2]int64]int{}
	for _, r := range s.Requests() {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.Path, "/users/bulk_add") || r.Status != http.StatusOK {
			continue
		}
		var body struct {
			Users []struct {
				UserID    int64 `json:"user_id"`
				ProjectID int64 `json:"project_id"`
			} `json:"users"`
		}
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
			t.Fatalf("decode a bulk add: %v", err)
		}
		for _, u := range body.Users {
			out[[2]int64{u.UserID, u.ProjectID}]++
		}
	}
	return out
}

// TestProjectRuleGroupNotALicenseGroup: a rule naming a group procsync does
// not read fails the snapshot, naming the rule and the license groups.
func TestProjectRuleGroupNotALicenseGroup(t *testing.T) {
	srv := startSnapSim(t, sim.Options{Seed: projSeed, Members: projMembers})
	src := simSources(t, srv.URL)
	rules := []roster.ProjectRule{{Group: sim.GroupOHare, ProjectIDs: []int64{projProject}, Source: "c.toml:30: projects[0]"}}
	_, err := provision.TakeSnapshot(context.Background(), src, provision.SnapshotOptions{NamePrefixes: licensePrefixes, Projects: rules})
	if err == nil || !strings.Contains(err.Error(), "c.toml:30: projects[0]: group \""+sim.GroupOHare+"\" is not one of the license groups") ||
		!strings.Contains(err.Error(), sim.GroupE3) {
		t.Errorf("TakeSnapshot = %v; want the rule refused, naming the license groups", err)
	}
}

// TestSnapshotReadsRuleProjects: the snapshot reads each project a rule
// names once, with the rest, and reports who is on it.
func TestSnapshotReadsRuleProjects(t *testing.T) {
	srv := startSnapSim(t, sim.Options{Seed: projSeed, Members: projMembers})
	src := simSources(t, srv.URL)
	rules := []roster.ProjectRule{
		{Group: sim.GroupE3, ProjectIDs: []int64{sim.ProjectOHare, projProject}},
		{Group: sim.GroupE1, ProjectIDs: []int64{projProject}},
	}
	snap, err := provision.TakeSnapshot(context.Background(), src, provision.SnapshotOptions{NamePrefixes: licensePrefixes, Projects: rules})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Projects) != 2 {
		t.Fatalf("snapshot holds %d project directories, want 2", len(snap.Projects))
	}
	for _, p := range snap.Projects {
		want := srv.Sim.ProjectUsers(p.ProjectID)
		if len(p.UserIDs) != len(want) {
			t.Errorf("project %d: %d users read, the simulator holds %d", p.ProjectID, len(p.UserIDs), len(want))
		}
		for _, id := range p.UserIDs {
			if _, ok := want[id]; !ok {
				t.Errorf("project %d: user %d read but not on it", p.ProjectID, id)
			}
		}
	}
	reads := 0
	for _, r := range srv.Sim.Requests() {
		if r.Method == http.MethodGet && strings.HasSuffix(r.Path, fmt.Sprintf("/projects/%d/users", projProject)) {
			reads++
		}
	}
	if reads != 1 {
		t.Errorf("project %d's users were read %d times, want 1", projProject, reads)
	}
}

// TestProjectRowOfInactiveUser: a project_add row for an inactive user is
// sent after the user's reactivation, and only when that reactivation was
// applied; without it the row is skipped and the journal holds nothing
// open for Reconcile.
func TestProjectRowOfInactiveUser(t *testing.T) {
	srv, pc := applySim(t, sim.Options{Seed: 1, Members: 20})
	st, run := openJournal(t, t.TempDir())
	var inactive []roster.ProcoreUser
	for _, u := range srv.Sim.ProcoreUsers() {
		if !u.IsActive && len(inactive) < 2 {
			inactive = append(inactive, roster.ProcoreUser{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Email: strings.ToLower(u.Email)})
		}
	}
	if len(inactive) < 2 {
		t.Fatal("the seed has fewer than 2 inactive users")
	}
	plan := &roster.Plan{Rules: roster.Rules{Reactivate: true}}
	for i := range inactive {
		u := &inactive[i]
		m := &roster.Member{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i)}
		plan.Actions = append(plan.Actions,
			// Only the first one's reactivation is approved.
			roster.Action{Kind: roster.KindReactivate, Address: u.Email, Member: m, User: u, Approved: i == 0},
			roster.Action{Kind: roster.KindProjectAdd, Address: u.Email, Member: m, User: u, Approved: true,
				Project: &roster.ProjectAdd{ProjectID: projProject, PermissionTemplateID: projTemplate, Group: sim.GroupE3}})
	}
	res, err := provision.Apply(context.Background(), plan, provision.ApplyOptions{Procore: pc, Journal: st.Journal(run)})
	if err != nil {
		t.Fatal(err)
	}
	on := srv.Sim.ProjectUsers(projProject)
	results := res.Cursor()
	if r, _ := results.Next(1); r.Status != roster.StatusDone {
		t.Errorf("the reactivated user's row: %s %s", r.Status, r.Error)
	}
	if _, ok := on[inactive[0].ID]; !ok {
		t.Errorf("user %d, reactivated, is not on project %d", inactive[0].ID, projProject)
	}
	if r, _ := results.Next(3); r.Status != roster.StatusSkipped || !strings.Contains(r.Error, "reactivation was not applied") {
		t.Errorf("the inactive user's row: %s %q, want skipped", r.Status, r.Error)
	}
	if _, ok := on[inactive[1].ID]; ok {
		t.Errorf("user %d, still inactive, was added to project %d", inactive[1].ID, projProject)
	}
	if open, err := st.Journal(0).OpenProjectAdds(context.Background()); err != nil || len(open) != 0 {
		t.Errorf("the journal holds %d open memberships (%v)", len(open), err)
	}
}
