package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAutoSIGTERM stops a run mid-apply the way a scheduler does: the run
// finishes the request in flight, reports what it applied, closes the
// journal as interrupted and exits 1; the next run completes the work with
// nobody created twice.
func TestAutoSIGTERM(t *testing.T) {
	t.Parallel()
	// 3,000 members make about 1,100 creates: two sync batches, so a
	// SIGTERM after the first lands while the second is in flight.
	const members = 3000
	want := expectedCreates(t, members)
	p := startSim(t, members)
	p.setConfig(t, "max_creates =", "max_creates = 100000")
	// Every Procore write takes 400 ms, so apply lasts long enough to be
	// interrupted inside it.
	p.faults(t, map[string]any{"service": "procore", "rate": 1, "kinds": []string{"latency"}, "latency_ms": 400, "writes_only": true, "path_contains": "/rest/"})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := p.command(ctx, nil, "--auto")
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	sc := bufio.NewScanner(stderrPipe)
	for sc.Scan() {
		stderr.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "run starting") {
			break
		}
	}
	// Wait for the first write to reach Procore, then stop the run.
	deadline := time.Now().Add(20 * time.Second)
	for len(p.requestsMatching(t, "PATCH", "/users/sync")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no write reached the simulator\nstderr:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		stderr.WriteString(sc.Text() + "\n")
	}
	werr := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(werr, &ee) || !ee.Exited() || ee.ExitCode() != 1 {
		t.Fatalf("after SIGTERM: %v, want exit 1\nstderr:\n%s", werr, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say the run was interrupted:\n%s", stderr.String())
	}
	st := p.state(t)
	if len(st.Mails) != 1 {
		t.Errorf("after SIGTERM: %d mails, want the one report of what was applied", len(st.Mails))
	}

	h := p.run(t, nil, "history", "--json")
	if !strings.Contains(h.Stdout, `"outcome": "interrupted"`) {
		t.Errorf("history does not record the run as interrupted:\n%s", h.Stdout)
	}

	p.faults(t, map[string]any{"service": "procore", "rate": 0})
	if r := p.run(t, nil, "--auto"); r.Code != 0 {
		t.Fatalf("rerun: exit %d\nstderr:\n%s", r.Code, r.Stderr)
	}
	checkCreated(t, p.state(t), want)
}

// requestsMatching lists the simulator's logged requests with this method
// whose path contains part. The simulator logs a request once answered.
func (p *simProc) requestsMatching(t *testing.T, method, part string) []simRequest {
	t.Helper()
	var out []simRequest
	for _, r := range p.requests(t) {
		if r.Method == method && strings.Contains(r.Path, part) {
			out = append(out, r)
		}
	}
	return out
}
