package provision_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"procsync/sync/procore"
	"procsync/sync/provision"
	"procsync/sync/roster"
	"procsync/sync/sim"
	"procsync/sync/store"
)

// TestApplyInFlightJournalsPendingBeforeEachRequest: with several sync
// batches in flight at once, every request still finds its people
// journaled as pending when it reaches Procore.
func TestApplyInFlightJournalsPendingBeforeEachRequest(t *testing.T) {
	t.Run("sync endpoint", func(t *testing.T) {
		w := witnessedApplyInFlight(t, 100, 3, nil)
		w.report(map[string]int{"sync": 5, "bulk_add": 1})
	})
	t.Run("one request per user", func(t *testing.T) {
		// Batches already in flight when the first 403 comes back fall
		// back too, one batch at a time.
		w := witnessedApplyInFlight(t, 60, 3, func(s *sim.Sim) { s.FailAlways(sim.ServiceProcore, "/users/sync", http.StatusForbidden) })
		w.report(map[string]int{"create": 60, "bulk_add": 1})
	})
}

// TestApplySendsBatchesTogether: with InFlight 3, after the first batch
// (which goes alone), the third and fourth batches reach Procore and are
// answered while the second is still held, and the apply then ends with
// everyone created once and journaled done. Sent one after another, the
// third batch would wait for the second.
func TestApplySendsBatchesTogether(t *testing.T) {
	srv, pc := applySim(t, sim.Options{Seed: 3, Members: 10})
	srv.Sim.Hold(sim.HoldRule{Service: sim.ServiceProcore, Method: http.MethodPatch, PathContains: "/users/sync", Skip: 1})
	t.Cleanup(srv.Sim.Release)
	st, runID := openJournal(t, t.TempDir())
	plan := createPlan(100)
	done := make(chan error, 1)
	go func() {
		_, err := provision.Apply(context.Background(), plan, provision.ApplyOptions{
			Procore: pc, Journal: st.Journal(runID), BatchSize: 20, InFlight: 3,
		})
		done <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, ok := srv.Sim.Held(ctx); !ok {
		t.Fatal("the second sync request never reached the simulator")
	}
	for syncRequests(srv.Sim) < 3 {
		if ctx.Err() != nil {
			t.Fatalf("while the second batch was held, %d batches were answered; want the first and 2 in flight beside it", syncRequests(srv.Sim))
		}
		time.Sleep(2 * time.Millisecond)
	}
	srv.Sim.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	checkJournal(t, st, checkOnce(t, srv.Sim, plan))
}

// TestApplyJournalsNextBatchWhileOneIsInFlight: while the first batch's
// request is held, the second batch's intents reach the journal (planned,
// not yet pending: nothing of it has been sent).
func TestApplyJournalsNextBatchWhileOneIsInFlight(t *testing.T) {
	srv, pc := applySim(t, sim.Options{Seed: 3, Members: 10})
	srv.Sim.Hold(sim.HoldRule{Service: sim.ServiceProcore, Method: http.MethodPatch, PathContains: "/users/sync"})
	t.Cleanup(srv.Sim.Release)
	dir := t.TempDir()
	st, runID := openJournal(t, dir)
	second, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	plan := createPlan(60)
	done := make(chan error, 1)
	go func() {
		_, err := provision.Apply(context.Background(), plan, provision.ApplyOptions{
			Procore: pc, Journal: st.Journal(runID), BatchSize: 20,
		})
		done <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, ok := srv.Sim.Held(ctx); !ok {
		t.Fatal("the first sync request never reached the simulator")
	}
	var counts map[roster.Status]int
	for {
		d, err := second.Run(ctx, runID)
		if err != nil {
			t.Fatal(err)
		}
		counts = map[roster.Status]int{}
		for _, a := range d.Actions {
			counts[a.Status]++
		}
		if counts[roster.StatusPlanned] >= 20 || ctx.Err() != nil {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if counts[store.StatusPending] != 20 || counts[roster.StatusPlanned] != 20 {
		t.Errorf("while batch 1 was held the journal held %v; want its 20 pending and batch 2's 20 planned", counts)
	}
	srv.Sim.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	checkJournal(t, st, checkOnce(t, srv.Sim, plan))
}

// TestApplyInFlightSIGKILLThenRerun kills an apply that sends three
// batches at once, while one of them is held inside the simulator, ten
// times at different batches. Whatever was in flight, every person Procore
// heard of must be journaled pending or done (never only planned), the
// rerun must resolve every pending intent to what Procore holds, and in
// the end everyone exists exactly once.
func TestApplyInFlightSIGKILLThenRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	// The last batches are left out: the held one needs batches after it
	// in flight beside it.
	crashTrials(t, 10, crashUsers/crashBatch-3, inFlightCrashTrial)
}

func inFlightCrashTrial(t *testing.T, skip int, lands bool) {
	srv, pc, dir, _ := killWhileHeld(t, skip, 3)
	if !lands {
		srv.Sim.FailAlways(sim.ServiceProcore, "/users/sync", http.StatusServiceUnavailable)
	}
	srv.Sim.Release()
	waitSyncRequests(t, srv.Sim, skip+1)
	waitQuiet(srv.Sim)
	srv.Sim.ClearFaults()

	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bctx := context.Background()
	runs, err := st.Runs(bctx, 0)
	if err != nil || len(runs) != 1 {
		t.Fatalf("journal runs: %v, %v", runs, err)
	}
	killed, err := st.Run(bctx, runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]roster.Status{}
	for _, a := range killed.Actions {
		status[a.Address] = a.Status
	}
	for _, r := range srv.Sim.Requests() {
		if !strings.HasSuffix(r.Path, "/users/sync") {
			continue
		}
		for _, addr := range syncAddresses(t, r.Body) {
			if s := status[addr]; s != store.StatusPending && s != roster.StatusDone && s != roster.StatusFailed {
				t.Errorf("%s reached Procore but the killed run journaled it %q", addr, s)
			}
		}
	}

	if _, err := st.MarkInterrupted(bctx, 0); err != nil {
		t.Fatal(err)
	}
	rec, err := provision.Reconcile(bctx, st.Journal(0), pc, provision.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byEmail := map[string]int64{}
	for _, u := range srv.Sim.ProcoreUsers() {
		byEmail[strings.ToLower(u.Email)] = u.ID
	}
	for _, r := range rec.Resolved {
		if status[r.Address] != store.StatusPending {
			t.Errorf("Reconcile resolved %s, which the killed run journaled %s", r.Address, status[r.Address])
		}
		id, exists := byEmail[r.Address]
		if exists != (r.Status == roster.StatusDone) || (exists && r.ProcoreID != id) {
			t.Errorf("%s: resolved %s as user %d; Procore holds it: %v (user %d)", r.Address, r.Status, r.ProcoreID, exists, id)
		}
	}
	plan := createPlan(crashUsers)
	for i := range plan.Actions {
		_, have := byEmail[plan.Actions[i].Address]
		plan.Actions[i].Approved = !have
	}
	run, err := st.BeginRun(bctx, store.RunInfo{Mode: store.ModeAuto})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provision.Apply(bctx, plan, provision.ApplyOptions{Procore: pc, Journal: st.Journal(run), InFlight: 3}); err != nil {
		t.Fatal(err)
	}
	checkJournal(t, st, checkOnce(t, srv.Sim, plan))
}

// waitQuiet waits until the simulator's request log stops growing: after
// the kill no new request can come, but those the server was still
// handling land in the log when they finish.
func waitQuiet(s *sim.Sim) {
	n := len(s.Requests())
	for range 500 {
		time.Sleep(10 * time.Millisecond)
		m := len(s.Requests())
		if m == n {
			return
		}
		n = m
	}
}

// TestApplyInFlightStopsOnRefusedCredentials: when one of the batches in
// flight is refused with 401, the others in flight still finish and are
// journaled, no further batch is sent, the unsent intents are skipped
// ("not sent"), and nothing is left pending.
func TestApplyInFlightStopsOnRefusedCredentials(t *testing.T) {
	srv, pc := applySim(t, sim.Options{Seed: 3, Members: 10})
	srv.Sim.Hold(sim.HoldRule{Service: sim.ServiceProcore, Method: http.MethodPatch, PathContains: "/users/sync", Skip: 1})
	t.Cleanup(srv.Sim.Release)
	st, runID := openJournal(t, t.TempDir())
	plan := createPlan(200)
	type result struct {
		res *provision.ApplyResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := provision.Apply(context.Background(), plan, provision.ApplyOptions{
			Procore: pc, Journal: st.Journal(runID), BatchSize: 20, InFlight: 3,
		})
		done <- result{res, err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, ok := srv.Sim.Held(ctx); !ok {
		t.Fatal("the second sync request never reached the simulator")
	}
	// Faults act after the hold: the held batch, and any sent after it,
	// are refused.
	srv.Sim.FailAlways(sim.ServiceProcore, "/users/sync", http.StatusUnauthorized)
	srv.Sim.Release()
	r := <-done
	if r.err == nil || !strings.Contains(r.err.Error(), "401") {
		t.Fatalf("Apply returned %v, want the 401", r.err)
	}
	created := map[string]bool{}
	for _, u := range srv.Sim.Created() {
		created[strings.ToLower(u.Email)] = true
	}
	if len(created) == 0 || len(created) >= len(plan.Actions)-20 {
		t.Fatalf("%d of %d created; want the batches answered before the 401 only", len(created), len(plan.Actions))
	}
	d, err := st.Run(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	count := map[roster.Status]int{}
	for _, a := range d.Actions {
		count[a.Status]++
		switch {
		case a.Status == store.StatusPending || a.Status == roster.StatusPlanned:
			t.Errorf("%s left %s", a.Address, a.Status)
		case created[a.Address] != (a.Status == roster.StatusDone):
			t.Errorf("%s journaled %s; created in Procore: %v", a.Address, a.Status, created[a.Address])
		case a.Status == roster.StatusSkipped && !strings.HasPrefix(a.Error, "not sent: "):
			t.Errorf("%s skipped with %q, want a \"not sent: …\" reason", a.Address, a.Error)
		}
	}
	if len(d.Actions) != len(plan.Actions) || count[roster.StatusFailed] < 20 || count[roster.StatusSkipped] == 0 {
		t.Errorf("journal: %d actions %v; want all %d, the refused batch failed and the unsent skipped", len(d.Actions), count, len(plan.Actions))
	}
	if got := len(r.res.Results); got != len(plan.Actions) {
		t.Errorf("%d results, want %d", got, len(plan.Actions))
	}
}

// TestApplyInFlightStaysInsideTheSpikeLimit: batches sent together still
// go through the rate-limit pacer. With a budget of 6 requests per 10
// seconds and 8 batches, the first batch (sent alone) tells the pacer the
// budget; the ones after it wait for the next window instead of being
// refused. The client here waits for real: pacing is what is tested.
func TestApplyInFlightStaysInsideTheSpikeLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a 10-second rate-limit window")
	}
	srv, err := sim.Start(sim.Options{Seed: 3, Members: 10, ProcoreSpikeLimit: 6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cc := clientcredentials.Config{
		ClientID: sim.ProcoreClientID, ClientSecret: sim.ProcoreClientSecret,
		TokenURL: srv.URL + "/procore-login/oauth/token",
	}
	pc := procore.New(cc.Client(context.Background()), srv.URL+"/procore", sim.CompanyID)
	st, runID := openJournal(t, t.TempDir())
	plan := createPlan(160)
	if _, err := provision.Apply(context.Background(), plan, provision.ApplyOptions{
		Procore: pc, Journal: st.Journal(runID), BatchSize: 20, InFlight: 4,
	}); err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, r := range srv.Sim.Requests() {
		if r.Status == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused != 0 {
		t.Errorf("Procore refused %d requests with 429; the pacer should have kept the batches inside the budget", refused)
	}
	checkJournal(t, st, checkOnce(t, srv.Sim, plan))
}

// TestApplyProbesWithASmallFirstBatch: with batches in flight and the
// default batch size, the first sync request carries 100 users and is
// answered before any other is sent; the rest go in full batches. One
// batch at a time keeps full batches from the start.
func TestApplyProbesWithASmallFirstBatch(t *testing.T) {
	for _, tc := range []struct {
		inFlight int
		want     []int
	}{
		{3, []int{100, 1000, 100}},
		{1, []int{1000, 200}},
	} {
		srv, pc := applySim(t, sim.Options{Seed: 3, Members: 10})
		st, runID := openJournal(t, t.TempDir())
		plan := createPlan(1200)
		if _, err := provision.Apply(context.Background(), plan, provision.ApplyOptions{
			Procore: pc, Journal: st.Journal(runID), InFlight: tc.inFlight,
		}); err != nil {
			t.Fatal(err)
		}
		var sizes []int
		var firstEnd time.Time
		reqs := srv.Sim.Requests()
		// The log is in the order answered; the order sent is what counts.
		slices.SortFunc(reqs, func(a, b sim.Request) int { return a.Time.Compare(b.Time) })
		for _, r := range reqs {
			if r.Method != http.MethodPatch || !strings.HasSuffix(r.Path, "/users/sync") {
				continue
			}
			if len(sizes) == 0 {
				firstEnd = r.End
			} else if r.Time.Before(firstEnd) {
				t.Errorf("in flight %d: a sync request was sent before the first was answered", tc.inFlight)
			}
			sizes = append(sizes, strings.Count(r.Body, `"origin_id"`))
		}
		// The batches after the first may reach Procore in any order.
		if len(sizes) > 0 {
			slices.Sort(sizes[1:])
		}
		want := slices.Clone(tc.want)
		slices.Sort(want[1:])
		if !slices.Equal(sizes, want) {
			t.Errorf("in flight %d: sync requests of %v users (the first, then the rest sorted), want %v", tc.inFlight, sizes, want)
		}
		checkJournal(t, st, checkOnce(t, srv.Sim, plan))
	}
}
