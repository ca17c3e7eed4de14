package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// startExplorer runs the program as `procsync sandbox` does, at 120x40.
func startExplorer(t *testing.T, env string, ce ExplorerBackend) *harness {
	t.Helper()
	f := newFake(env)
	opts := testOpts
	opts.Explorer, opts.Sandbox = ce, true
	return startWith(t, f, opts)
}

// explorerReady is in the first frame after the companies are read.
const explorerReady = "Vendors"

var keyUp = tea.KeyPressMsg{Code: tea.KeyUp}

// startWith is start with options of the test's own.
func startWith(t *testing.T, b Backend, opts Options) *harness {
	t.Helper()
	tm := teatest.NewTestModel(t, probe{New(b, opts)}, teatest.WithInitialTermSize(120, 40))
	h := &harness{t: t, tm: tm}
	t.Cleanup(func() {
		tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
		tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	})
	return h
}

func TestParseConsole(t *testing.T) {
	tests := []struct {
		in, api, path string
		ok            bool
	}{
		{"graph /v1.0/me", APIGraph, "/v1.0/me", true},
		{"g v1.0/groups?$top=5", APIGraph, "/v1.0/groups?$top=5", true},
		{"procore /rest/v1.0/me", APIProcore, "/rest/v1.0/me", true},
		{"P /rest/v1.1/projects", APIProcore, "/rest/v1.1/projects", true},
		{"/rest/v1.0/companies", APIProcore, "/rest/v1.0/companies", true},
		{"/beta/me", APIGraph, "/beta/me", true},
		{"/v1.0/me", APIGraph, "/v1.0/me", true},
		{"/elsewhere", "", "", false},
		{"post /rest/v1.0/me", "", "", false},
		{"graph /v1.0/me extra", "", "", false},
	}
	for _, tt := range tests {
		api, path, err := parseConsole(tt.in)
		if (err == nil) != tt.ok || api != tt.api || path != tt.path {
			t.Errorf("parseConsole(%q) = %q, %q, %v; want %q, %q, ok=%v", tt.in, api, path, err, tt.api, tt.path, tt.ok)
		}
	}
}

func TestPrettyJSON(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`{"a":1,"b":"x"}`, []string{"{", `  "a": 1,`, `  "b": "x"`, "}"}},
		{`not json`, []string{"not json"}},
		{``, []string{"(empty body)"}},
		{`[]`, []string{"[]"}},
	}
	for _, tt := range tests {
		got := prettyJSON([]byte(tt.in))
		for i := range got {
			got[i] = ansi.Strip(got[i])
		}
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("prettyJSON(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
