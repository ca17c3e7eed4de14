package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"procsync/sync/sim"
)

// TestAutoDryRunBrake covers issue 17 item 1: a dry run whose plan a brake
// would refuse says so in text and in --json (a brake object), and exits 3
// like the real run, while still writing nothing.
func TestAutoDryRunBrake(t *testing.T) {
	t.Parallel()
	p := startSim(t, sim.DefaultMembers)
	want := expectedCreates(t, sim.DefaultMembers)
	limit := len(want) - 1
	p.setConfig(t, "max_creates =", fmt.Sprintf("max_creates = %d", limit))

	r := p.run(t, nil, "--auto", "--dry-run", "--json")
	if r.Code != 3 {
		t.Fatalf("exit %d, want 3 (the real run would be braked)\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	out := decodeAuto(t, r.Stdout)
	if !out.DryRun {
		t.Error("dry_run is false")
	}
	if out.Brake == nil || !out.Brake.WouldRefuse || out.Brake.Creates != len(want) || out.Brake.MaxCreates != limit ||
		!strings.Contains(out.Brake.HowToAllow, fmt.Sprintf("auto.max_creates to at least %d", len(want))) {
		t.Errorf("brake object = %+v", out.Brake)
	}
	for _, a := range out.Actions {
		if a.Kind == "create" && a.Status != "planned" {
			t.Errorf("dry run: %s %s is %s, want planned", a.Kind, a.Email, a.Status)
		}
	}
	if !strings.Contains(r.Stderr, "a real run would be refused") {
		t.Errorf("stderr does not say the real run would be refused:\n%s", r.Stderr)
	}

	text := p.run(t, nil, "--auto", "--dry-run")
	if text.Code != 3 || !strings.Contains(text.Stdout, "brake: a real run would be refused") ||
		!strings.Contains(text.Stdout, "auto.max_creates") {
		t.Errorf("text dry run: exit %d\nstdout:\n%s\nstderr:\n%s", text.Code, text.Stdout, text.Stderr)
	}
	st := p.state(t)
	if len(st.CreatedIDs) != 0 {
		t.Errorf("a dry run created %d users", len(st.CreatedIDs))
	}
	for ep, n := range st.writes() {
		if strings.HasPrefix(strings.SplitN(ep, " ", 2)[1], "/procore/") {
			t.Errorf("a dry run wrote to Procore: %s ×%d", ep, n)
		}
	}
}

// TestAutoAndHistoryAgree covers issue 17 item 8: the counts a headless run
// prints are the counts `history` shows for it, and an app-only run is
// approved by the app's name, not a bare GUID.
func TestAutoAndHistoryAgree(t *testing.T) {
	t.Parallel()
	p := startSim(t, sim.DefaultMembers)
	p.allowAll(t)
	for _, args := range [][]string{{"--auto", "--dry-run"}, {"--auto"}} {
		r := p.run(t, nil, args...)
		if r.Code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", args, r.Code, r.Stdout, r.Stderr)
		}
		h := p.run(t, nil, "history", "--json", "--limit", "1")
		var runs []struct {
			ApprovedBy string         `json:"approved_by"`
			Applied    map[string]int `json:"applied"`
		}
		if err := json.Unmarshal([]byte(h.Stdout), &runs); err != nil || len(runs) != 1 {
			t.Fatalf("history --json: %v\n%s", err, h.Stdout)
		}
		if !strings.HasPrefix(runs[0].ApprovedBy, "app procsync (") {
			t.Errorf("%v: approved by %q, want the app's name", args, runs[0].ApprovedBy)
		}
		var parts []string
		for _, st := range []string{"done", "failed", "skipped", "planned"} {
			if n := runs[0].Applied[st]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", st, n))
			}
		}
		if want := "actions: " + strings.Join(parts, ", ") + "\n"; !strings.Contains(r.Stdout, want) {
			t.Errorf("%v: the run printed\n%s\nhistory counts %v (want the line %q)", args, r.Stdout, runs[0].Applied, want)
		}
	}
}
