package ui

import (
	"os/exec"
	"strings"
	"testing"
)

// TestUIImportsNoAPIClient (issue 16 item 2): the UI drives the engine
// through interfaces that cmd/procsync implements; of procsync it may use
// only the pure domain (and itself), never a client, the transport, auth or
// the simulator.
func TestUIImportsNoAPIClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string]bool{"procsync/ui": true, "procsync/sync/roster": true, "procsync/internal/safetext": true}
	for _, dep := range strings.Fields(string(out)) {
		if (dep == "procsync" || strings.HasPrefix(dep, "procsync/")) && !allowed[dep] {
			t.Errorf("ui depends on %s", dep)
		}
	}
}
