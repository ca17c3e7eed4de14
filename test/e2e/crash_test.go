package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"procsync/sync/sim"
	"procsync/sync/store"
)

// simHeld is GET /_sim/hold's answer.
type simHeld struct {
	Held    bool `json:"held"`
	Request struct {
		Method string `json:"method"`
		Path   string `json:"path"`
		Body   string `json:"body"`
	} `json:"request"`
}

// hold arms the simulator's hold rule (sim.HoldRule as JSON): the matching
// request stops inside the simulator until release.
func (p *simProc) hold(t *testing.T, rule map[string]any) {
	t.Helper()
	p.inspect(t, http.MethodPost, "/_sim/hold", rule, nil)
	t.Cleanup(func() { p.release(t) })
}

// running is a procsync process the test started and will stop.
type running struct {
	cmd    *exec.Cmd
	stderr *syncWriter
	exited chan error // receives cmd.Wait's result once
}

// startHeld starts cmd and waits until the simulator holds one of its
// requests (see hold). If cmd exits first, the test fails with its stderr.
func (p *simProc) startHeld(t *testing.T, cmd *exec.Cmd) (*running, simHeld) {
	t.Helper()
	r := &running{cmd: cmd, stderr: &syncWriter{w: &bytes.Buffer{}}, exited: make(chan error, 1)}
	cmd.Stderr = r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.exited <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var h simHeld
		p.inspect(t, http.MethodGet, "/_sim/hold?wait_ms=200", nil, &h)
		if h.Held {
			return r, h
		}
		select {
		case err := <-r.exited:
			t.Fatalf("procsync %s exited (%v) before the simulator held a request\nstderr:\n%s", strings.Join(cmd.Args[1:], " "), err, r.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-r.exited
			t.Fatalf("no request of procsync %s reached the simulator in 60 s\nstderr:\n%s", strings.Join(cmd.Args[1:], " "), r.stderr.String())
		}
	}
}

// allowAll raises the brakes the demo config sets, so that a large tenant's
// first run applies everything.
func (p *simProc) allowAll(t *testing.T) {
	t.Helper()
	p.setConfig(t, "max_creates =", "max_creates = 100000")
	p.setConfig(t, "max_reactivations =", "max_reactivations = 100000")
}

// release lets the held request go on and disarms the rule.
func (p *simProc) release(t *testing.T) {
	t.Helper()
	p.inspect(t, http.MethodDelete, "/_sim/hold", nil, nil)
}

// inspect calls one of the simulator's /_sim/ endpoints.
func (p *simProc) inspect(t *testing.T, method, path string, in, out any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("decode %s %s: %v", method, path, err)
		}
	}
}

// answered counts the requests to paths ending in suffix that the
// simulator has answered (its log records a request once the handler is
// done).
func (p *simProc) answered(t *testing.T, suffix string) int {
	t.Helper()
	n := 0
	for _, r := range p.requests(t) {
		if strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

// crashWrite is a write request TestAutoCrash kills a run in.
type crashWrite struct {
	method, suffix string
	// resolved is the journal status of its intents after the rerun when
	// the request landed and when it was refused.
	landed, refused string
}

var (
	// A sync request's users: Reconcile finds each done or not there.
	crashSync = crashWrite{http.MethodPatch, "/users/sync", "done", "failed"}
	// A bulk project add's memberships: Reconcile adds those not there.
	crashBulkAdd = crashWrite{http.MethodPost, "/users/bulk_add", "done", "done"}
)

// TestAutoCrash kills a real run with SIGKILL while one of its writes (the
// users' sync request or the new users' project add) is held inside the
// simulator, then runs again. The held request then lands (its answer
// lost: the hardest case for the rerun) or is refused. The killed run must
// have journaled exactly the request's intents as pending, the rerun must
// resolve exactly those, and every expected user must exist exactly once.
func TestAutoCrash(t *testing.T) {
	t.Parallel()
	const (
		members = 600
		trials  = 10
	)
	want := expectedCreates(t, members)
	midApply := 0
	for trial := range trials {
		w, lands := crashSync, trial%2 == 0
		if trial%4 >= 2 {
			w = crashBulkAdd
		}
		if crashTrial(t, members, want, w, lands) {
			midApply++
		}
		if t.Failed() {
			t.Fatalf("trial %d (%s %s held, lands %v) left the directory or the journal wrong", trial, w.method, w.suffix, lands)
		}
	}
	// The hold makes every kill land inside apply; fewer means the run
	// never sent the request the rule waited for.
	if midApply < trials*8/10 {
		t.Errorf("only %d of %d kills landed while a write was in flight", midApply, trials)
	}
}

// crashTrial runs one trial of TestAutoCrash and reports whether the kill
// landed while the write was in flight.
func crashTrial(t *testing.T, members int, want map[string]string, w crashWrite, lands bool) bool {
	p := startSim(t, members)
	p.allowAll(t)
	p.setConfig(t, "# project_ids", fmt.Sprintf("project_ids = [%d, %d]", sim.ProjectOHare, sim.ProjectHQ))
	p.hold(t, map[string]any{"service": "procore", "method": w.method, "path_contains": w.suffix})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run, h := p.startHeld(t, p.command(ctx, nil, "--auto"))
	_ = run.cmd.Process.Kill() // SIGKILL: no handler runs, nothing is flushed
	werr := <-run.exited
	var ee *exec.ExitError
	if !errors.As(werr, &ee) || ee.Exited() {
		t.Errorf("%s %s held: the run ended (%v) before the kill\nstderr:\n%s", w.method, w.suffix, werr, run.stderr.String())
		return false
	}
	inFlight := heldIntents(t, p, h.Request.Body)
	if !lands {
		// Faults act after the hold: the released request is refused
		// without effect.
		p.faults(t, map[string]any{"service": "procore", "path_contains": w.suffix, "status": http.StatusServiceUnavailable})
	}
	p.release(t)
	deadline := time.Now().Add(30 * time.Second)
	for p.answered(t, w.suffix) < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the released %s %s was never answered", w.method, w.suffix)
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.inspect(t, http.MethodDelete, "/_sim/faults", nil, nil)
	before := p.state(t)
	t.Logf("%s %s held (%d intents), lands %v: %d users created before the rerun", w.method, w.suffix, len(inFlight), lands, len(before.CreatedIDs))
	status, key := journalActions(t, p.StateDir)
	checkPendingIsInFlight(t, status, key, inFlight)

	r := p.run(t, nil, "--auto")
	if r.Code != 0 {
		t.Errorf("rerun exit %d, want 0\nstderr:\n%s", r.Code, r.Stderr)
		return true
	}
	checkCreated(t, p.state(t), want)
	now, _ := journalActions(t, p.StateDir)
	resolved := w.refused
	if lands {
		resolved = w.landed
	}
	checkResolved(t, status, now, key, resolved)
	return true
}

// heldIntents names the intents of a held sync or bulk add request the way
// journalActions keys them: "address" for a user, "address project" for
// a membership.
func heldIntents(t *testing.T, p *simProc, body string) map[string]bool {
	t.Helper()
	var in struct {
		Updates []struct {
			ID    int64  `json:"id"`
			Email string `json:"email_address"`
		} `json:"updates"`
		Users []struct {
			UserID    int64 `json:"user_id"`
			ProjectID int64 `json:"project_id"`
		} `json:"users"`
	}
	mustUnmarshal(t, []byte(body), &in)
	// Creates carry their address; reactivations, updates and
	// memberships only the Procore id.
	byID := map[int64]string{}
	for _, u := range p.state(t).ProcoreUsers {
		byID[u.ID] = norm(u.Email)
	}
	out := map[string]bool{}
	for _, u := range in.Updates {
		if u.Email == "" {
			u.Email = byID[u.ID]
		}
		out[norm(u.Email)] = true
	}
	for _, m := range in.Users {
		out[fmt.Sprintf("%s %d", byID[m.UserID], m.ProjectID)] = true
	}
	if len(out) == 0 {
		t.Fatalf("the held request names nobody: %s", body)
	}
	return out
}

// journalActions reads the statuses of the first (killed) run's actions by
// journal id, and their keys: "address" for a user, "address project" for
// a membership.
func journalActions(t *testing.T, stateDir string) (status, key map[int64]string) {
	t.Helper()
	st, err := store.Open(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	runs, err := st.Runs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) == 0 {
		t.Fatal("the journal holds no run")
	}
	killed, err := st.Run(ctx, runs[len(runs)-1].ID) // newest first
	if err != nil {
		t.Fatal(err)
	}
	status, key = map[int64]string{}, map[int64]string{}
	for _, a := range killed.Actions {
		status[a.ID], key[a.ID] = string(a.Status), norm(a.Address)
		if a.Kind == "project_add" {
			key[a.ID] = fmt.Sprintf("%s %d", key[a.ID], a.ProjectID)
		}
	}
	return status, key
}

// checkPendingIsInFlight asserts that the killed run left pending exactly
// the intents of the request in flight: the journal said so before sending.
func checkPendingIsInFlight(t *testing.T, status, key map[int64]string, inFlight map[string]bool) {
	t.Helper()
	pending := 0
	for id, s := range status {
		switch {
		case s == "pending" && !inFlight[key[id]]:
			t.Errorf("%s is pending but was not in flight", key[id])
		case s != "pending" && inFlight[key[id]]:
			t.Errorf("%s was in flight but is journaled %s, not pending", key[id], s)
		case s == "pending":
			pending++
		}
	}
	if pending != len(inFlight) {
		t.Errorf("%d actions pending after the kill, want the %d in flight", pending, len(inFlight))
	}
}

// checkResolved asserts that the rerun resolved every pending intent of
// the killed run as want, and left its other actions as they were, except
// memberships still owed (planned), which a rerun adds.
func checkResolved(t *testing.T, before, after, key map[int64]string, want string) {
	t.Helper()
	for id, was := range before {
		now := after[id]
		switch {
		case was == "pending" && now != want:
			t.Errorf("%s was in flight; the rerun resolved it %s, want %s", key[id], now, want)
		case was != "pending" && was != "planned" && now != was:
			t.Errorf("%s was journaled %s, the rerun changed it to %s", key[id], was, now)
		}
	}
}

// TestAutoLock: a second run while one holds the state directory exits 1
// at once and names the holder. The first run is kept inside a Graph
// request by the simulator's hold rule until the second has been refused.
func TestAutoLock(t *testing.T) {
	t.Parallel()
	p := startSim(t, sim.DefaultMembers)
	p.hold(t, map[string]any{"service": "graph"})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	first, _ := p.startHeld(t, p.command(ctx, nil, "--auto"))
	// Held in a Graph request, the first run is past taking the lock.
	lockPath := filepath.Join(p.StateDir, store.LockFileName)
	pid := strconv.Itoa(first.cmd.Process.Pid)
	if b, err := os.ReadFile(lockPath); err != nil || !strings.Contains(string(b), pid) {
		t.Errorf("lock file %s does not name the first run (pid %s): %q, %v", lockPath, pid, b, err)
	}

	r := p.run(t, nil, "--auto")
	if r.Code != 1 {
		t.Errorf("second run: exit %d, want 1\nstderr:\n%s", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "another procsync run") || !strings.Contains(r.Stderr, "pid "+pid) {
		t.Errorf("second run does not name the lock holder (pid %s):\n%s", pid, r.Stderr)
	}
	p.release(t)
	if err := <-first.exited; err != nil {
		t.Errorf("first run: %v\nstderr:\n%s", err, first.stderr.String())
	}
	// The lock is released: a third run goes ahead.
	if r := p.run(t, nil, "--auto"); r.Code != 0 {
		t.Errorf("run after the first finished: exit %d\nstderr:\n%s", r.Code, r.Stderr)
	}
}
