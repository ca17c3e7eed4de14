package e2e

import (
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
	// 3,000 members make about 1,100 creates: several sync batches. The
	// first is held inside the simulator, so the SIGTERM lands while it is
	// in flight and no other is sent.
	const members = 3000
	want := expectedCreates(t, members)
	p := startSim(t, members)
	p.allowAll(t)
	p.hold(t, map[string]any{"service": "procore", "method": "PATCH", "path_contains": "/users/sync"})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Stop the run while its first write is in flight, then let that
	// write finish, as the run must.
	run, _ := p.startHeld(t, p.command(ctx, nil, "--auto"))
	if err := run.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.release(t)
	werr := <-run.exited
	stderr := run.stderr
	var ee *exec.ExitError
	if !errors.As(werr, &ee) || !ee.Exited() || ee.ExitCode() != 1 {
		t.Fatalf("after SIGTERM: %v, want exit 1\nstderr:\n%s", werr, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say the run was interrupted:\n%s", stderr.String())
	}
	if n := len(p.requestsMatching(t, "PATCH", "/users/sync")); n != 1 {
		t.Errorf("after SIGTERM the run sent %d sync requests, want only the one in flight", n)
	}
	st := p.state(t)
	if len(st.Mails) != 1 {
		t.Errorf("after SIGTERM: %d mails, want the one report of what was applied", len(st.Mails))
	}

	h := p.run(t, nil, "history", "--json")
	if !strings.Contains(h.Stdout, `"outcome": "interrupted"`) {
		t.Errorf("history does not record the run as interrupted:\n%s", h.Stdout)
	}

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
