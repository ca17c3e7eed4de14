package sync_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	psync "procsync/sync"
	"procsync/sync/procore"
	"procsync/sync/sim"
	"procsync/sync/store"
)

const (
	crashChildEnv = "PROCSYNC_APPLY_CRASH_CHILD"
	crashURLEnv   = "PROCSYNC_APPLY_CRASH_URL"
	crashDirEnv   = "PROCSYNC_APPLY_CRASH_DIR"
	crashUsers    = 600
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
	_, err = psync.Apply(context.Background(), createPlan(crashUsers), psync.ApplyOptions{Procore: pc, Journal: st.Journal(run), BatchSize: 25})
	t.Fatalf("the child finished (%v) before it was killed", err)
}

func TestApplySIGKILLThenRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	srv, pc := applySim(t, sim.Options{Seed: 6, Members: 20})
	// Slow writes down so that the kill lands mid-apply.
	srv.Sim.SetFaults("procore", sim.Faults{Rate: 1, Kinds: []sim.FaultKind{sim.FaultLatency}, Latency: 40 * time.Millisecond, WritesOnly: true})
	dir := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^TestApplyCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashURLEnv+"="+srv.URL, crashDirEnv+"="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for syncRequests(srv.Sim) < 5 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("the child never got going")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	srv.Sim.ClearFaults()
	before := len(srv.Sim.Created())
	if before == 0 || before >= crashUsers {
		t.Fatalf("killed after %d of %d creates; the test needs a kill mid-apply", before, crashUsers)
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
	if _, err := psync.Reconcile(ctx, st.Journal(0), pc, psync.ReconcileOptions{}); err != nil {
		t.Fatal(err)
	}
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
	if _, err := psync.Apply(ctx, plan, psync.ApplyOptions{Procore: pc, Journal: st.Journal(run)}); err != nil {
		t.Fatal(err)
	}
	ids := checkOnce(t, srv.Sim, plan)
	checkJournal(t, st, ids)
	if got := len(srv.Sim.Created()); got != crashUsers {
		t.Errorf("simulator created %d users, want %d", got, crashUsers)
	}
	t.Logf("killed after %d creates", before)
}
