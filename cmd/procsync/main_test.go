package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCmd runs one command line with buffers and returns exit code, stdout
// and stderr.
func runCmd(t *testing.T, stdin string, tty bool, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	io.SetTTY(tty, tty)
	code := run(context.Background(), args, io)
	return code, out.String(), errOut.String()
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		code    int
		stdout  string // substring
		stderr  string // substring
		noOther string // must appear in neither stream
	}{
		{"help", []string{"--help"}, 0, "Procore has no SCIM", "", "coming"},
		{"help lists commands", []string{"--help"}, 0, "init", "", ""},
		{"help lists demo", []string{"--help"}, 0, "demo", "", ""},
		{"global flags", []string{"--help"}, 0, "--state-dir", "", ""},
		{"version", []string{"version"}, 0, "procsync dev (commit unknown, go1.", "", ""},
		{"version flag", []string{"--version"}, 0, "procsync dev", "", ""},
		{"unknown flag", []string{"--bogus"}, 2, "", "unknown flag: --bogus", ""},
		{"unknown subcommand flag", []string{"version", "--json"}, 2, "", "unknown flag: --json\nRun 'procsync version --help' for usage.", ""},
		{"extra args", []string{"version", "extra"}, 2, "", "takes no arguments", ""},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`, "did you mean"},
		{"mistyped command", []string{"statsu"}, 2, "", `unknown command "statsu" for "procsync" (did you mean "status"?)`, ""},
		{"mistyped flag", []string{"--auto", "--dryrun"}, 2, "", "unknown flag: --dryrun (did you mean --dry-run?)", ""},
		{"mistyped subcommand flag", []string{"history", "--limt", "3"}, 2, "", "unknown flag: --limt (did you mean --limit?)", ""},
		{"mistyped global flag", []string{"version", "--confg", "x"}, 2, "", "(did you mean --config?)", ""},
		{"too many providers", []string{"status", "graph", "procore"}, 2, "", "accepts at most 1 arg(s), received 2\nRun 'procsync status --help' for usage.", ""},
		{"unknown provider", []string{"login", "slack"}, 2, "", `unknown provider "slack"`, ""},
		{"bad log level", []string{"--log-level", "loud", "version"}, 2, "", `invalid --log-level "loud"`, ""},
		{"bad log format", []string{"--log-format", "xml", "version"}, 2, "", `invalid --log-format "xml"`, ""},
		{"good log flags", []string{"--log-format", "json", "--log-level", "debug", "version"}, 0, "procsync", "", ""},
		{"demo all interfaces", []string{"demo", "--serve", ":8080"}, 2, "", "refusing to serve on all interfaces", ""},
		{"demo users", []string{"demo", "--users", "0"}, 2, "", "invalid --users 0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "", false, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, stdout)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr)
			}
			if tt.noOther != "" && strings.Contains(strings.ToLower(stdout+stderr), tt.noOther) {
				t.Errorf("output mentions %q", tt.noOther)
			}
		})
	}
}

func TestExitCodeForConfigErrors(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/bad.toml"
	code, _, _ := runCmd(t, "", false, "init", "--config", path, "--tenant", "t.example", "--graph-client-id", testGUID,
		"--procore-client-id", "p", "--company-id", "1")
	if code != 0 {
		t.Fatalf("init failed: %d", code)
	}
	f := NewFactory(&IOStreams{})
	f.ConfigFlag = dir + "/missing.toml"
	if _, err := f.Config(); err == nil || exitCode(err) != exitUsage {
		t.Errorf("missing file: err %v code %d, want 2 (a missing config is a config error)", err, exitCode(err))
	}
	f.ConfigFlag = path
	if _, err := f.Config(); err != nil {
		t.Errorf("written config does not load: %v", err)
	}
}
