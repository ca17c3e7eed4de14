package main

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"procsync/auth"
)

// The tests below check each command's flag-to-options wiring alone, with
// the run function replaced through NewCmdX's runF hook (the cli/cli
// pattern): the flags and arguments land in the options, and the injected
// dependencies are the factory's. What the run functions do is tested
// against the simulator elsewhere.

// hookFactory returns a factory over buffers whose global flags point at a
// config and a state directory that do not need to exist.
func hookFactory(t *testing.T) *Factory {
	t.Helper()
	f := NewFactory(&IOStreams{In: strings.NewReader(""), Out: &strings.Builder{}, ErrOut: &strings.Builder{}})
	f.ConfigFlag = filepath.Join(t.TempDir(), "procsync.toml")
	f.StateDirFlag = t.TempDir()
	return f
}

// execute runs cmd with args and fails the test on an error.
func execute(t *testing.T, cmd *cobra.Command, args ...string) {
	t.Helper()
	cmd.SetArgs(args)
	cmd.SetOut(&strings.Builder{})
	cmd.SetErr(&strings.Builder{})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("%s %q: %v", cmd.Name(), args, err)
	}
}

// checkHints fails unless hints names the factory's --config and
// --state-dir, as every sign-in hint must.
func checkHints(t *testing.T, f *Factory, hints func() string) {
	t.Helper()
	if hints == nil {
		t.Fatal("no sign-in hints wired")
	}
	if got, want := hints(), " --config "+f.ConfigFlag+" --state-dir "+f.StateDirFlag; got != want {
		t.Errorf("hints = %q, want %q", got, want)
	}
}

func TestVersionHook(t *testing.T) {
	f := hookFactory(t)
	var got *VersionOptions
	execute(t, NewCmdVersion(f, func(_ context.Context, o *VersionOptions) error { got = o; return nil }))
	if got == nil || got.IO != f.IO {
		t.Fatalf("options = %+v, want the factory's streams", got)
	}
}

func TestDemoHook(t *testing.T) {
	f := hookFactory(t)
	var got *DemoOptions
	cmd := NewCmdDemo(f, func(_ context.Context, o *DemoOptions) error { got = o; return nil })
	execute(t, cmd, "--auto", "--dry-run", "--json", "--users", "7", "--seed", "3", "--sim-url-file", "u.txt")
	if got == nil {
		t.Fatal("runF was not called")
	}
	if got.IO != f.IO || got.Factory != f {
		t.Error("the demo does not get the factory's streams and factory")
	}
	got.IO, got.Factory = nil, nil
	want := DemoOptions{Auto: true, DryRun: true, JSON: true, Users: 7, Seed: 3, URLFile: "u.txt"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("options = %+v, want %+v", *got, want)
	}

	// Flag mistakes are refused before the run function.
	got = nil
	cmd = NewCmdDemo(f, func(_ context.Context, o *DemoOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--json"})
	cmd.SetOut(&strings.Builder{})
	cmd.SetErr(&strings.Builder{})
	var fe *FlagError
	if err := cmd.Execute(); !errors.As(err, &fe) || got != nil {
		t.Errorf("demo --json without --auto: err %v, run called %v", err, got != nil)
	}
}

func TestLoginHook(t *testing.T) {
	f := hookFactory(t)
	var got *LoginOptions
	execute(t, NewCmdLogin(f, func(_ context.Context, o *LoginOptions) error { got = o; return nil }), "procore", "--device-code")
	if got == nil {
		t.Fatal("runF was not called")
	}
	if !reflect.DeepEqual(got.Providers, []auth.Provider{auth.Procore}) || !got.DeviceCode {
		t.Errorf("providers %v, device code %v; want [procore], true", got.Providers, got.DeviceCode)
	}
	if got.IO != f.IO || got.Auth == nil || got.Opener == nil || got.Logger == nil || got.Logger() != f.Logger {
		t.Error("login does not get the factory's streams, state, opener and logger")
	}
	// Auth opens the config the global flags name: here, none exists.
	if _, _, _, err := got.Auth(); err == nil || !strings.Contains(err.Error(), f.ConfigFlag) {
		t.Errorf("Auth() = %v, want an error naming %s", err, f.ConfigFlag)
	}
}

func TestLogoutHook(t *testing.T) {
	f := hookFactory(t)
	var got *LogoutOptions
	execute(t, NewCmdLogout(f, func(_ context.Context, o *LogoutOptions) error { got = o; return nil }))
	if got == nil {
		t.Fatal("runF was not called")
	}
	if !reflect.DeepEqual(got.Providers, []auth.Provider{auth.Graph, auth.Procore}) {
		t.Errorf("providers %v, want both", got.Providers)
	}
	if got.IO != f.IO || got.Auth == nil {
		t.Error("logout does not get the factory's streams and state")
	}
}

func TestStatusHook(t *testing.T) {
	f := hookFactory(t)
	var got *StatusOptions
	execute(t, NewCmdStatus(f, func(_ context.Context, o *StatusOptions) error { got = o; return nil }), "graph", "--json")
	if got == nil {
		t.Fatal("runF was not called")
	}
	if !reflect.DeepEqual(got.Providers, []auth.Provider{auth.Graph}) || !got.JSON {
		t.Errorf("providers %v, JSON %v; want [graph], true", got.Providers, got.JSON)
	}
	if got.IO != f.IO || got.Auth == nil {
		t.Error("status does not get the factory's streams and state")
	}
	checkHints(t, f, got.Hints)

	// An unknown provider is a usage mistake, found before the run.
	got = nil
	cmd := NewCmdStatus(f, func(_ context.Context, o *StatusOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"slack"})
	cmd.SetOut(&strings.Builder{})
	cmd.SetErr(&strings.Builder{})
	var fe *FlagError
	if err := cmd.Execute(); !errors.As(err, &fe) || got != nil {
		t.Errorf("status slack: err %v, run called %v", err, got != nil)
	}
}

func TestHistoryHook(t *testing.T) {
	f := hookFactory(t)
	var got *HistoryOptions
	execute(t, NewCmdHistory(f, func(_ context.Context, o *HistoryOptions) error { got = o; return nil }), "--json", "--run", "12", "--limit", "5")
	if got == nil {
		t.Fatal("runF was not called")
	}
	if !got.JSON || got.RunID != 12 || got.Limit != 5 || got.IO != f.IO {
		t.Errorf("options = %+v", got)
	}
	if dir, err := got.StateDir(); err != nil || dir != f.StateDirFlag {
		t.Errorf("StateDir() = %q, %v; want the --state-dir %q", dir, err, f.StateDirFlag)
	}
}

// TestRootHook covers the root's --auto: its flags fill RootOptions, and
// --dry-run or --json without --auto is refused before anything runs.
func TestRootHook(t *testing.T) {
	f := hookFactory(t)
	var got *RootOptions
	hook := func(_ context.Context, o *RootOptions) error { got = o; return nil }
	// Binding the global flags resets the factory's fields to their
	// defaults: read the paths first.
	args := []string{"--auto", "--dry-run", "--json", "--config", f.ConfigFlag, "--state-dir", f.StateDirFlag}
	execute(t, NewCmdRoot(f, hook), args...)
	if got == nil {
		t.Fatal("runF was not called")
	}
	if !got.Auto || !got.DryRun || !got.JSON {
		t.Errorf("auto %v, dry run %v, JSON %v; want all set", got.Auto, got.DryRun, got.JSON)
	}
	if got.IO != f.IO || got.State == nil || got.Logger == nil || got.TUILogger == nil || got.Opener == nil {
		t.Error("the root does not get the factory's streams, state, loggers and opener")
	}
	checkHints(t, f, got.Hints)
	if _, _, _, err := got.State(); err == nil || !strings.Contains(err.Error(), f.ConfigFlag) {
		t.Errorf("State() = %v, want an error naming %s", err, f.ConfigFlag)
	}

	got = nil
	cmd := NewCmdRoot(hookFactory(t), hook)
	cmd.SetArgs([]string{"--dry-run"})
	var fe *FlagError
	if err := cmd.Execute(); !errors.As(err, &fe) || got != nil {
		t.Errorf("--dry-run without --auto: err %v, run called %v", err, got != nil)
	}
}
