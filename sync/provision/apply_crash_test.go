package provision_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"procsync/sync/procore"
	"procsync/sync/provision"
	"procsync/sync/roster"
	"procsync/sync/sim"
	"procsync/sync/store"
)

const (
	crashChildEnv = "PROCSYNC_APPLY_CRASH_CHILD"
	crashURLEnv   = "PROCSYNC_APPLY_CRASH_URL"
	crashDirEnv   = "PROCSYNC_APPLY_CRASH_DIR"
	// crashInFlightEnv sets the child's ApplyOptions.InFlight.
	crashInFlightEnv = "PROCSYNC_APPLY_CRASH_IN_FLIGHT"
	crashUsers       = 300
	crashBatch       = 25
)

// TestApplyCrashChild is the child half of TestApplySIGKILLThenRerun: it
// applies the plan against the parent's simulator until it is killed.
func TestApplyCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) == "" {
		t.Skip("child process of TestApplySIGKILLThenRerun")
	}
	base, dir := os.Getenv(crashURLEnv), os.Getenv(crashDirEnv)
	cc := clientcredentials.Config{ClientID: sim.ProcoreClientID, ClientSecret: sim.ProcoreClientSecret, TokenURL: base + "/procore-login/oauth/token"}
	pc := procore.New(cc.Client(context.Background()), base+"/procore", sim.CompanyID, procore.WithRetry(applyRetry))
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	run, err := st.BeginRun(context.Background(), store.RunInfo{Mode: store.ModeAuto})
	if err != nil {
		t.Fatal(err)
	}
	inFlight, _ := strconv.Atoi(os.Getenv(crashInFlightEnv))
	_, err = provision.Apply(context.Background(), createPlan(crashUsers), provision.ApplyOptions{Procore: pc, Journal: st.Journal(run), BatchSize: crashBatch, InFlight: inFlight})
	t.Fatalf("the child finished (%v) before it was killed", err)
}

// TestApplySIGKILLThenRerun kills an applying process (SIGKILL: nothing
// is flushed) while its sync request is held inside the simulator, at a
// different batch each trial. The held request then lands (its answer is
// lost) or is refused, and the rerun must reconcile exactly the intents
// that were in flight, as done or failed, and create everyone exactly once.
func TestApplySIGKILLThenRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	crashTrials(t, 4, crashUsers/crashBatch-1, crashTrial)
}

// crashTrials runs trial n times, each killing the child in a random batch
// below maxSkip+1, the held request landing every other time.
func crashTrials(t *testing.T, n, maxSkip int, trial func(t *testing.T, skip int, lands bool)) {
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 15))
	t.Logf("batches to kill in seeded with %d", seed)
	for i := range n {
		skip := rng.IntN(maxSkip)
		lands := i%2 == 0
		t.Run(fmt.Sprintf("batch %d lands %v", skip+1, lands), func(t *testing.T) {
			trial(t, skip, lands)
		})
	}
}

// crashTrial kills the child while batch skip+1 is in flight; lands says
// whether that request then takes effect.
func crashTrial(t *testing.T, skip int, lands bool) {
	srv, pc, dir, held := killWhileHeld(t, skip, 0)
	inFlight := syncAddresses(t, held.Body)
	if !lands {
		// Faults act after the hold, so the released request is refused
		// without effect.
		srv.Sim.FailAlways(sim.ServiceProcore, "/users/sync", http.StatusServiceUnavailable)
	}
	srv.Sim.Release()
	waitSyncRequests(t, srv.Sim, skip+1)
	srv.Sim.ClearFaults()
	want := skip * crashBatch
	if lands {
		want += len(inFlight)
	}
	if before := len(srv.Sim.Created()); before != want {
		t.Fatalf("%d users created before the rerun, want %d", before, want)
	}

	// The rerun, as the engine does it: reconcile, re-read, plan, apply.
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := st.MarkInterrupted(ctx, 0); err != nil {
		t.Fatal(err)
	}
	rec, err := provision.Reconcile(ctx, st.Journal(0), pc, provision.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkReconciled(t, srv.Sim, rec, inFlight, lands)
	users, err := pc.Users(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, u := range users {
		have[strings.ToLower(u.EmailAddress)] = true
	}
	plan := createPlan(crashUsers)
	for i := range plan.Actions {
		plan.Actions[i].Approved = !have[plan.Actions[i].Address]
	}
	run, err := st.BeginRun(ctx, store.RunInfo{Mode: store.ModeAuto})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provision.Apply(ctx, plan, provision.ApplyOptions{Procore: pc, Journal: st.Journal(run)}); err != nil {
		t.Fatal(err)
	}
	ids := checkOnce(t, srv.Sim, plan)
	checkJournal(t, st, ids)
	if got := len(srv.Sim.Created()); got != crashUsers {
		t.Errorf("simulator created %d users, want %d", got, crashUsers)
	}
}

// killWhileHeld starts the child apply (with inFlight batches at once)
// against a new simulator that holds sync request skip+1, and kills it
// with SIGKILL while that request is held. It returns the simulator, its
// client, the child's state directory and the held request.
func killWhileHeld(t *testing.T, skip, inFlight int) (*sim.Server, *procore.Client, string, sim.Request) {
	t.Helper()
	srv, pc := applySim(t, sim.Options{Seed: 6, Members: 20})
	srv.Sim.Hold(sim.HoldRule{Service: sim.ServiceProcore, Method: http.MethodPatch, PathContains: "/users/sync", Skip: skip})
	t.Cleanup(srv.Sim.Release)
	dir := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^TestApplyCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashURLEnv+"="+srv.URL, crashDirEnv+"="+dir,
		crashInFlightEnv+"="+strconv.Itoa(inFlight))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	held, ok := srv.Sim.Held(ctx)
	cancel()
	if !ok {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("sync request %d never reached the simulator", skip+1)
	}
	// The kill lands while the request is in flight, by construction.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	return srv, pc, dir, held
}

// syncAddresses lists the addresses of a sync request body.
func syncAddresses(t *testing.T, body string) []string {
	t.Helper()
	var in struct {
		Updates []procore.SyncUser `json:"updates"`
	}
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatalf("decode the held sync request: %v", err)
	}
	var out []string
	for _, u := range in.Updates {
		out = append(out, strings.ToLower(u.EmailAddress))
	}
	if len(out) != crashBatch {
		t.Fatalf("the held sync request names %d users, want %d", len(out), crashBatch)
	}
	return out
}

// waitSyncRequests waits until the simulator has answered n sync requests
// (the log records a request once its handler is done).
func waitSyncRequests(t *testing.T, s *sim.Sim, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for syncRequests(s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the released sync request %d was never answered", n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// checkReconciled asserts that Reconcile resolved exactly the in-flight
// users: done as the user Procore now holds when the request landed,
// failed when it did not.
func checkReconciled(t *testing.T, s *sim.Sim, rec *provision.ReconcileResult, inFlight []string, landed bool) {
	t.Helper()
	byEmail := map[string]int64{}
	for _, u := range s.ProcoreUsers() {
		byEmail[strings.ToLower(u.Email)] = u.ID
	}
	got := map[string]roster.Record{}
	for _, r := range rec.Resolved {
		if _, dup := got[r.Address]; dup {
			t.Errorf("%s resolved twice", r.Address)
		}
		got[r.Address] = r
	}
	for _, a := range inFlight {
		r, ok := got[a]
		delete(got, a)
		switch {
		case !ok:
			t.Errorf("%s was in flight but Reconcile did not resolve it", a)
		case landed && (r.Status != roster.StatusDone || r.ProcoreID != byEmail[a]):
			t.Errorf("%s landed: resolved %s as Procore user %d, want done as %d", a, r.Status, r.ProcoreID, byEmail[a])
		case !landed && r.Status != roster.StatusFailed:
			t.Errorf("%s never landed: resolved %s, want failed", a, r.Status)
		}
	}
	for a, r := range got {
		t.Errorf("Reconcile resolved %s (%s), which was not in flight", a, r.Status)
	}
}
