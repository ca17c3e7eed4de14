package main

import (
	"path/filepath"
	"strings"
	"testing"

	"procsync/cmd/procsync/config"
)

func TestSandboxCommandLine(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"help lists sandbox", []string{"--help"}, 0, "sandbox", ""},
		{"sandbox help", []string{"sandbox", "--help"}, 0, "Against production the explorer opens read-only", ""},
		{"sandbox extra args", []string{"sandbox", "x"}, 2, "", "takes no arguments"},
		{"sandbox without config", []string{"--config", filepath.Join(t.TempDir(), "none.toml"), "sandbox"}, 2, "", "no config file at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, "", false, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("procsync %v = %d\nstdout %q\nstderr %q\nwant %d, stdout ⊇ %q, stderr ⊇ %q",
					tt.args, code, out, errOut, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

func TestExplorerWritable(t *testing.T) {
	tests := []struct {
		env  string
		demo bool
		want bool
	}{
		{"sandbox", false, true},
		{"monthly", false, true},
		{"production", false, false},
		{"federal", false, false},
		{"", false, false},
		{"sandbox", true, true},
		{"production", true, true},
	}
	for _, tt := range tests {
		cfg := &config.Config{}
		cfg.Procore.Environment = tt.env
		b := newTUIBackend(newSession(cfg, t.TempDir(), nil, nil), nil, false, tt.demo)
		if got := explorerWritable(b); got != tt.want {
			t.Errorf("explorerWritable(env %q, demo %v) = %v, want %v", tt.env, tt.demo, got, tt.want)
		}
		if got := newExplorerBackend(b).Writable(); got != tt.want {
			t.Errorf("newExplorerBackend(env %q, demo %v).Writable() = %v, want %v", tt.env, tt.demo, got, tt.want)
		}
	}
}
