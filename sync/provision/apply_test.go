package provision_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"procsync/sync/internal/httpx"
	"procsync/sync/procore"
	"procsync/sync/provision"
	"procsync/sync/roster"
	"procsync/sync/sim"
	"procsync/sync/store"
)

var applyRetry = httpx.Options{WaitScale: 0.001, MaxRetries: 20, BaseDelay: time.Millisecond}

// applySim starts a simulator and returns it with a Procore client signed
// in by client credentials, as --auto is.
func applySim(t testing.TB, opts sim.Options) (*sim.Server, *procore.Client) {
	t.Helper()
	srv, err := sim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cc := clientcredentials.Config{
		ClientID: sim.ProcoreClientID, ClientSecret: sim.ProcoreClientSecret,
		TokenURL: srv.URL + "/procore-login/oauth/token",
	}
	return srv, procore.New(cc.Client(context.Background()), srv.URL+"/procore", sim.CompanyID, procore.WithRetry(applyRetry))
}

// createPlan is a plan of n approved creates of new people.
func createPlan(n int) *roster.Plan {
	p := &roster.Plan{Counts: roster.Counts{}}
	for i := range n {
		m := &roster.Member{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), GivenName: "New", Surname: fmt.Sprintf("Person%04d", i)}
		p.Actions = append(p.Actions, roster.Action{
			Kind: roster.KindCreate, Address: fmt.Sprintf("new.person%04d@contoso.com", i), Member: m,
			FirstName: m.GivenName, LastName: m.Surname, Reason: "in a license group, not in Procore", Approved: true,
		})
	}
	p.Counts[roster.KindCreate] = n
	return p
}

func openJournal(t testing.TB, dir string) (*store.Store, int64) {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	id, err := st.BeginRun(context.Background(), store.RunInfo{Mode: store.ModeAuto})
	if err != nil {
		t.Fatal(err)
	}
	return st, id
}

// checkOnce asserts that every planned person exists exactly once in the
// simulator, with origin_id set to the Entra id.
func checkOnce(t *testing.T, s *sim.Sim, plan *roster.Plan) map[string]int64 {
	t.Helper()
	byEmail := map[string][]sim.ProcoreUser{}
	for _, u := range s.ProcoreUsers() {
		byEmail[strings.ToLower(u.Email)] = append(byEmail[strings.ToLower(u.Email)], u)
	}
	ids := map[string]int64{}
	for _, a := range plan.Actions {
		got := byEmail[a.Address]
		if len(got) != 1 {
			t.Errorf("%s: %d users in Procore, want 1", a.Address, len(got))
			continue
		}
		if got[0].OriginID != a.Member.ID {
			t.Errorf("%s: origin_id %q, want %q", a.Address, got[0].OriginID, a.Member.ID)
		}
		ids[a.Address] = got[0].ID
	}
	return ids
}

// checkJournal asserts that the journal holds a final outcome for every
// intent and that each done create names the user Procore holds.
func checkJournal(t *testing.T, st *store.Store, ids map[string]int64) {
	t.Helper()
	runs, err := st.Runs(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	done := map[string]int{}
	for _, r := range runs {
		d, err := st.Run(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range d.Actions {
			if a.Kind == roster.KindProjectAdd {
				// Memberships are checked by checkMemberships.
				continue
			}
			switch a.Status {
			case store.StatusPending:
				t.Errorf("run %d: %s still pending", r.ID, a.Address)
			case roster.StatusDone:
				done[a.Address]++
				if a.ProcoreID != ids[a.Address] {
					t.Errorf("run %d: %s done as Procore user %d, Procore holds %d", r.ID, a.Address, a.ProcoreID, ids[a.Address])
				}
			}
		}
	}
	for addr := range ids {
		if done[addr] != 1 {
			t.Errorf("%s: journaled done %d times, want 1", addr, done[addr])
		}
	}
}

func syncRequests(s *sim.Sim) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == http.MethodPatch && strings.HasSuffix(r.Path, "/users/sync") {
			n++
		}
	}
	return n
}

func TestApplyCreates1200InTwoSyncRequests(t *testing.T) {
	srv, pc := applySim(t, sim.Options{Seed: 1, Members: 20})
	st, run := openJournal(t, t.TempDir())
	plan := createPlan(1200)
	var events int
	res, err := provision.Apply(context.Background(), plan, provision.ApplyOptions{
		Procore: pc, Journal: st.Journal(run), IsEmployee: true,
		ProjectIDs: []int64{sim.ProjectOHare}, PermissionTemplateID: sim.TemplateStandard,
		Progress: func(ev roster.ApplyProgress) {
			events++
			if ev.Total != 1200 || ev.Done != events {
				t.Fatalf("event %d: done %d of %d", events, ev.Done, ev.Total)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := syncRequests(srv.Sim); n != 2 {
		t.Errorf("%d sync requests, want 2", n)
	}
	if c := res.Counts(); c[roster.StatusDone] != 1200 || events != 1200 {
		t.Errorf("counts %v, %d events", c, events)
	}
	ids := checkOnce(t, srv.Sim, plan)
	checkJournal(t, st, ids)
	members := srv.Sim.ProjectUsers(sim.ProjectOHare)
	for addr, id := range ids {
		if tmpl, ok := members[id]; !ok || tmpl != sim.TemplateStandard {
			t.Fatalf("%s (%d) not on project %d with template %d (%v, %d)", addr, id, sim.ProjectOHare, sim.TemplateStandard, ok, tmpl)
		}
	}
	if v := srv.Sim.Violations(); len(v) > 0 {
		t.Errorf("simulator violations: %v", v)
	}
}

func TestApplyUnderWriteFaults(t *testing.T) {
	for _, tc := range []struct {
		name     string
		forbid   bool
		kinds    []sim.FaultKind
		batch    int
		wantSync bool
	}{
		{name: "sync endpoint, 40% 429/503", kinds: []sim.FaultKind{sim.FaultThrottle, sim.FaultUnavailable}, batch: 50, wantSync: true},
		{name: "sync endpoint, lost answers", kinds: []sim.FaultKind{sim.FaultDrop}, batch: 50, wantSync: true},
		{name: "403 fallback, 40% 429/503", forbid: true, kinds: []sim.FaultKind{sim.FaultThrottle, sim.FaultUnavailable}},
		{name: "403 fallback, lost answers", forbid: true, kinds: []sim.FaultKind{sim.FaultDrop, sim.FaultThrottle}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, pc := applySim(t, sim.Options{Seed: 2, Members: 20})
			if tc.forbid {
				srv.Sim.FailAlways("procore", "/users/sync", http.StatusForbidden)
			}
			srv.Sim.SetFaults("procore", sim.Faults{Rate: 0.4, Kinds: tc.kinds, WritesOnly: true, RetryAfter: 0, Seed: 7})
			st, run := openJournal(t, t.TempDir())
			plan := createPlan(150)
			res, err := provision.Apply(context.Background(), plan, provision.ApplyOptions{Procore: pc, Journal: st.Journal(run), BatchSize: tc.batch})
			if err != nil {
				t.Fatal(err)
			}
			if res.Fallback != tc.forbid {
				t.Errorf("fallback = %v", res.Fallback)
			}
			if c := res.Counts(); c[roster.StatusDone] != len(plan.Actions) {
				for _, r := range res.Results {
					if r.Status != roster.StatusDone {
						t.Log(r.Error)
						break
					}
				}
				t.Errorf("counts %v", c)
			}
			ids := checkOnce(t, srv.Sim, plan)
			checkJournal(t, st, ids)
			injected := 0
			for k, n := range srv.Sim.FaultsInjected() {
				if strings.HasPrefix(k, "procore ") && k != "procore fail" {
					injected += n
				}
			}
			if injected == 0 {
				t.Error("no faults were injected; the test proves nothing")
			}
			t.Logf("faults: %v", srv.Sim.FaultsInjected())
		})
	}
}

func TestApplyCancelThenRerun(t *testing.T) {
	srv, pc := applySim(t, sim.Options{Seed: 3, Members: 20})
	dir := t.TempDir()
	st, run := openJournal(t, dir)
	plan := createPlan(300)
	ctx, cancel := context.WithCancel(context.Background())
	res, err := provision.Apply(ctx, plan, provision.ApplyOptions{
		Procore: pc, Journal: st.Journal(run), BatchSize: 100,
		Progress: func(ev roster.ApplyProgress) {
			if ev.Done == 100 {
				cancel() // after the first batch
			}
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	c := res.Counts()
	if c[roster.StatusDone] != 100 || c[roster.StatusSkipped] != 200 {
		t.Fatalf("counts after cancel %v", c)
	}
	if n := syncRequests(srv.Sim); n != 1 {
		t.Errorf("%d sync requests before the cancel took effect, want 1", n)
	}
	d, err := st.Run(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range d.Actions {
		if a.Status != roster.StatusDone && !(a.Status == roster.StatusSkipped && a.Error == provision.ErrCancelledText) {
			t.Fatalf("%s: status %s (%q) after cancel", a.Address, a.Status, a.Error)
		}
	}

	// Run again with the whole plan, as a fresh run would if it planned
	// from a stale snapshot: origin_id makes the repeat harmless.
	run2, err := st.BeginRun(context.Background(), store.RunInfo{Mode: store.ModeAuto})
	if err != nil {
		t.Fatal(err)
	}
	for i := range plan.Actions {
		plan.Actions[i].Approved = true
	}
	if _, err := provision.Apply(context.Background(), plan, provision.ApplyOptions{Procore: pc, Journal: st.Journal(run2), BatchSize: 100}); err != nil {
		t.Fatal(err)
	}
	ids := checkOnce(t, srv.Sim, plan)
	if got := len(srv.Sim.Created()); got != 300 {
		t.Errorf("simulator created %d users, want 300", got)
	}
	_ = ids
}

func TestReconcile(t *testing.T) {
	srv, pc := applySim(t, sim.Options{Seed: 4, Members: 20})
	st, run := openJournal(t, t.TempDir())
	plan := createPlan(4)
	// The first two reached Procore before the "crash", the last two not.
	if _, err := provision.Apply(context.Background(), &roster.Plan{Actions: plan.Actions[:2]}, provision.ApplyOptions{Procore: pc}); err != nil {
		t.Fatal(err)
	}
	j := st.Journal(run)
	var intents []roster.Record
	for i := range plan.Actions {
		intents = append(intents, roster.RecordOf(&plan.Actions[i], ""))
	}
	if _, err := j.RecordIntents(context.Background(), intents); err != nil {
		t.Fatal(err)
	}
	res, err := provision.Reconcile(context.Background(), st.Journal(0), pc, provision.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []roster.Status{roster.StatusDone, roster.StatusDone, roster.StatusFailed, roster.StatusFailed}
	if len(res.Resolved) != 4 {
		t.Fatalf("resolved %d", len(res.Resolved))
	}
	for i, r := range res.Resolved {
		if r.Status != want[i] {
			t.Errorf("%s: %s, want %s", r.Address, r.Status, want[i])
		}
	}
	if len(res.Created()) != 2 {
		t.Errorf("created ids %v", res.Created())
	}
	if left, _ := st.Unfinished(context.Background()); len(left) != 0 {
		t.Errorf("%d still pending", len(left))
	}
	if got := len(srv.Sim.Created()); got != 2 {
		t.Errorf("reconcile wrote to Procore: %d created", got)
	}
}

// TestIntentOf: what the journal records for a plan action. Offboard
// actions carry no names of their own, so the journal takes the Procore
// user's, and every action that has a Procore user keeps its id.
func TestIntentOf(t *testing.T) {
	tests := []struct {
		name string
		a    roster.Action
		want roster.Record
	}{
		{"create", roster.Action{Kind: roster.KindCreate, Address: "ana@contoso.com", FirstName: "Ana", LastName: "Diaz", Reason: "new",
			Member: &roster.Member{ID: "e-1"}},
			roster.Record{Kind: roster.KindCreate, Address: "ana@contoso.com", EntraID: "e-1", FirstName: "Ana", LastName: "Diaz", Reason: "new"}},
		{"reactivate keeps the Procore id", roster.Action{Kind: roster.KindReactivate, Address: "li@contoso.com", FirstName: "Li", LastName: "Wei",
			Member: &roster.Member{ID: "e-2"}, User: &roster.ProcoreUser{ID: 4410, FirstName: "Li", LastName: "W."}},
			roster.Record{Kind: roster.KindReactivate, Address: "li@contoso.com", EntraID: "e-2", FirstName: "Li", LastName: "Wei", ProcoreID: 4410}},
		{"offboard takes the Procore names", roster.Action{Kind: roster.KindOffboard, Address: "old@contoso.com",
			User: &roster.ProcoreUser{ID: 99, FirstName: "Old", LastName: "Timer"}},
			roster.Record{Kind: roster.KindOffboard, Address: "old@contoso.com", FirstName: "Old", LastName: "Timer", ProcoreID: 99}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := roster.RecordOf(&tt.a, ""); got != tt.want {
				t.Errorf("IntentOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// The cursor finds, walking the plan in order, each approved action's
// outcome and nothing for the others: gaps, the first and last action, and
// no results at all.
func TestResultCursor(t *testing.T) {
	res := &provision.ApplyResult{Results: []roster.Record{{Index: 0, Status: roster.StatusDone}, {Index: 3, Status: roster.StatusFailed}, {Index: 4}, {Index: 9, Status: roster.StatusSkipped}}}
	c := res.Cursor()
	for i := range 12 {
		got, gotOK := c.Next(i)
		var want roster.Record
		wantOK := false
		for _, r := range res.Results {
			if r.Index == i {
				want, wantOK = r, true
			}
		}
		if gotOK != wantOK || got != want {
			t.Errorf("action %d: cursor %v %v, want %v %v", i, got, gotOK, want, wantOK)
		}
	}
	var none *provision.ApplyResult
	c = none.Cursor()
	if _, ok := c.Next(0); ok {
		t.Error("a nil result has an outcome")
	}
}
