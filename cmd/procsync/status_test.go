package main

import (
	"encoding/json"
	"strings"
	"testing"

	"procsync/cmd/procsync/config"
	"procsync/sync/sim"
)

// TestStatusJSON covers issue 17 items 9 and 10: `status --json` prints one
// object keyed by provider, and the environment says what the TUI says
// (the session's environment, then the simulator's address), not only
// "simulator".
func TestStatusJSON(t *testing.T) {
	srv, err := sim.Start(sim.Options{Seed: 1, Members: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	path, state := simConfigFile(t, srv)

	// Without secrets and stored sign-ins: exit 4, both providers listed
	// as not signed in, with the command to run.
	t.Setenv(config.GraphSecretEnv, "")
	t.Setenv(config.ProcoreSecretEnv, "")
	code, stdout, stderr := runCmd(t, "", false, "status", "--json", "--config", path, "--state-dir", state)
	if code != exitSignIn {
		t.Fatalf("exit %d, want 4\n%s\n%s", code, stdout, stderr)
	}
	var out map[string]struct {
		SignedIn    bool   `json:"signed_in"`
		Environment string `json:"environment"`
		APIHost     string `json:"api_host"`
		Problem     string `json:"problem"`
		Account     string `json:"account"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	for _, p := range []string{"graph", "procore"} {
		if out[p].SignedIn || !strings.Contains(out[p].Problem, "procsync login "+p+" --config "+path) {
			t.Errorf("%s: %+v", p, out[p])
		}
	}

	t.Setenv(config.GraphSecretEnv, sim.GraphClientSecret)
	t.Setenv(config.ProcoreSecretEnv, sim.ProcoreClientSecret)
	code, stdout, stderr = runCmd(t, "", false, "status", "--json", "--config", path, "--state-dir", state)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	clear(out)
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// The TUI's header, the journal and the report take the session's
	// environment; status says the same, then where the hosts are.
	want := newSession(cfg, state, nil, nil).environment() + " (simulator at " + host + ")"
	if p := out["procore"]; !p.SignedIn || p.APIHost != host || p.Environment != want {
		t.Errorf("procore: %+v", p)
	}
	if g := out["graph"]; !g.SignedIn || g.Account == "" {
		t.Errorf("graph: %+v", g)
	}
}
