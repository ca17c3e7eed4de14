package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"procsync/auth"
	"procsync/cmd/procsync/config"
	"procsync/sync/sim"
)

// simConfigFile writes a config for srv and returns its path and a fresh
// state directory; tokens go to the file store.
func simConfigFile(t *testing.T, srv *sim.Server) (string, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, demoConfigFor(srv, sim.ProcoreRedirectURIs[0]), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(auth.StoreEnv, "file")
	t.Setenv("PROCSYNC_CONFIG", "")
	t.Setenv("PROCSYNC_STATE_DIR", "")
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })
	return path, filepath.Join(dir, "state")
}

// TestDebugLogReachesAuth (issue 14.12): --log-level debug shows auth's own
// logs (token requests), which went nowhere when the default logger was
// never set. status shows the API host the tokens go to (issue 14.3).
func TestDebugLogReachesAuth(t *testing.T) {
	srv, err := sim.Start(sim.Options{Seed: 1, Members: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	path, state := simConfigFile(t, srv)
	t.Setenv(config.GraphSecretEnv, sim.GraphClientSecret)
	t.Setenv(config.ProcoreSecretEnv, sim.ProcoreClientSecret)

	code, stdout, stderr := runCmd(t, "", false, "--log-level", "debug", "status", "graph", "--config", path, "--state-dir", state)
	if code != 0 {
		t.Fatalf("status: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "auth: client credentials token obtained") {
		t.Errorf("--log-level debug shows nothing from auth:\n%s", stderr)
	}
	if want := "api:"; !strings.Contains(stdout, want) || !strings.Contains(stdout, strings.TrimPrefix(srv.URL, "http://")) {
		t.Errorf("status does not show the API host:\n%s", stdout)
	}
	code, _, stderr = runCmd(t, "", false, "status", "graph", "--config", path, "--state-dir", state)
	if code != 0 || strings.Contains(stderr, "auth:") {
		t.Errorf("at the default level auth's debug logs show: exit %d\n%s", code, stderr)
	}
}

// TestHintsRepeatTheFlags (issue 17.5): a hint to sign in names the
// --config and --state-dir the command was given, so that following it
// signs in to this config.
func TestHintsRepeatTheFlags(t *testing.T) {
	srv, err := sim.Start(sim.Options{Seed: 1, Members: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	path, state := simConfigFile(t, srv)
	t.Setenv(config.GraphSecretEnv, "")
	t.Setenv(config.ProcoreSecretEnv, "")

	code, stdout, stderr := runCmd(t, "", false, "status", "--config", path, "--state-dir", state)
	if code != exitSignIn {
		t.Fatalf("status: exit %d, want %d\n%s\n%s", code, exitSignIn, stdout, stderr)
	}
	for _, p := range []string{"graph", "procore"} {
		want := "procsync login " + p + " --config " + path + " --state-dir " + state
		if !strings.Contains(stdout+stderr, want) {
			t.Errorf("no hint %q in:\n%s\n%s", want, stdout, stderr)
		}
	}
	code, _, stderr = runCmd(t, "", false, "--auto", "--config", path, "--state-dir", state)
	if code != exitSignIn || !strings.Contains(stderr, "procsync login graph --config "+path+" --state-dir "+state) {
		t.Errorf("--auto: exit %d, hint missing the flags:\n%s", code, stderr)
	}
}
