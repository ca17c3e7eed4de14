package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"procsync/cmd/procsync/config"
)

// testGUID is a well-formed Entra application (client) id.
const testGUID = "0c7f3a9e-2b41-4d5c-8e6f-7a8b9c0d1e2f"

var initArgs = []string{"--tenant", "contoso.onmicrosoft.com", "--graph-client-id", testGUID,
	"--procore-client-id", "p-456", "--company-id", "789"}

func TestInitWithFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "config.toml")
	code, stdout, stderr := runCmd(t, "", false, append([]string{"init", "--config", path, "--environment", "sandbox", "--cloud", "usgov"}, initArgs...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, path) {
		t.Errorf("stdout does not name the path: %q", stdout)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("written file does not load: %v", err)
	}
	if cfg.Graph.Tenant != "contoso.onmicrosoft.com" || cfg.Graph.ClientID != testGUID || cfg.Procore.ClientID != "p-456" ||
		cfg.Procore.CompanyID != 789 || cfg.Procore.Environment != "sandbox" || cfg.Graph.Cloud != "usgov" {
		t.Errorf("values not written: %+v", cfg)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, %v; want 0600", fi.Mode(), err)
	}
}

func TestInitUsesEnvPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env.toml")
	t.Setenv(config.ConfigEnv, path)
	if code, _, stderr := runCmd(t, "", false, append([]string{"init"}, initArgs...)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("not written to $PROCSYNC_CONFIG: %v", err)
	}
}

func TestInitNeverOverwritesWithoutForce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("# mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, "", false, append([]string{"init", "--config", path}, initArgs...)...)
	if code != 2 || !strings.Contains(stderr, "already exists; use --force") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if b, _ := os.ReadFile(path); string(b) != "# mine\n" {
		t.Errorf("file was changed: %q", b)
	}
	code, _, stderr = runCmd(t, "", false, append([]string{"init", "--force", "--config", path}, initArgs...)...)
	if code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if _, err := config.Load(path); err != nil {
		t.Errorf("forced file does not load: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".procsync-config-*")); len(m) > 0 {
		t.Errorf("temp files left: %v", m)
	}
}

func TestInitUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"nothing, no terminal", nil, "missing --tenant, --graph-client-id, --procore-client-id, --company-id (stdin is not a terminal"},
		{"one missing", []string{"--tenant", "t.example", "--graph-client-id", testGUID, "--procore-client-id", "p"}, "missing --company-id"},
		{"bad environment", append([]string{"--environment", "prod"}, initArgs...), `invalid --environment: "prod" is not one of production, sandbox, monthly, federal`},
		{"bad cloud", append([]string{"--cloud", "eu"}, initArgs...), `invalid --cloud: "eu" is not one of`},
		{"bad tenant", []string{"--tenant", "a b", "--graph-client-id", testGUID, "--procore-client-id", "p", "--company-id", "1"}, "invalid --tenant"},
		{"negative company", []string{"--tenant", "t.example", "--graph-client-id", testGUID, "--procore-client-id", "p", "--company-id", "-4"}, "invalid --company-id: must be a positive company id"},
		{"company not a number", []string{"--company-id", "abc"}, `invalid argument "abc" for "--company-id"`},
		{"client id not a GUID", []string{"--tenant", "t.example", "--graph-client-id", "not-a-guid", "--procore-client-id", "p", "--company-id", "1"}, `invalid --graph-client-id: "not-a-guid" is not a GUID`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.toml")
			code, _, stderr := runCmd(t, "", false, append([]string{"init", "--config", path}, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
			if _, err := os.Stat(path); err == nil {
				t.Error("a file was written despite the error")
			}
		})
	}
}

func TestInitInteractive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	// The tenant is given by flag; the rest is typed, with a bad company id
	// first and a blank line, both re-asked.
	answers := "not-a-guid\n" + testGUID + "\n\npid-2\nabc\n0\n42\nSandbox\n"
	code, stdout, stderr := runCmd(t, answers, true, "init", "--config", path, "--tenant", "contoso.onmicrosoft.com")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "Entra tenant") {
		t.Error("asked for the tenant although --tenant was given")
	}
	for _, want := range []string{"Graph app registration client id (a GUID): ", `"not-a-guid" is not a GUID`, "Procore app client id: ",
		`"abc" is not a number`, "must be a positive company id", "Procore environment (production, sandbox, monthly, federal) [production]: ",
		"PROCSYNC_PROCORE_CLIENT_SECRET"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, path) {
		t.Errorf("stdout = %q", stdout)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Graph.ClientID != testGUID || cfg.Procore.ClientID != "pid-2" || cfg.Procore.CompanyID != 42 || cfg.Procore.Environment != "sandbox" {
		t.Errorf("answers not written: %+v", cfg)
	}
}

func TestInitInteractiveInputEnds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	code, _, stderr := runCmd(t, testGUID+"\n", true, "init", "--config", path, "--tenant", "t.example")
	if code != 1 || !strings.Contains(stderr, "no answer for procore.client_id (input ended)") {
		t.Errorf("exit %d stderr %q", code, stderr)
	}
}

// TestInitFlagsFillOptions checks the flag-to-options wiring alone, with
// the run function replaced (the cli/cli pattern).
func TestInitFlagsFillOptions(t *testing.T) {
	var got *InitOptions
	f := NewFactory(&IOStreams{In: strings.NewReader(""), Out: &strings.Builder{}, ErrOut: &strings.Builder{}})
	cmd := NewCmdInit(f, func(_ context.Context, o *InitOptions) error { got = o; return nil })
	cmd.SetArgs(append([]string{"--force", "--environment", "federal", "--cloud", "china"}, initArgs...))
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := InitOptions{Tenant: "contoso.onmicrosoft.com", GraphClientID: testGUID, ProcoreClientID: "p-456", environmentSet: true,
		CompanyID: 789, Environment: "federal", Cloud: "china", Force: true}
	got.IO, got.ConfigPath = nil, nil
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("options = %+v, want %+v", *got, want)
	}
}
