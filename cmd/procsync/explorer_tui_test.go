package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"procsync/sync/sim"
	"procsync/ui"
)

// These tests drive the whole TUI as `procsync sandbox` does, over the real
// explorer backend and the simulator: they check the requests the explorer
// sends and the simulator's state after each write. The explorer screen's
// own behaviour is tested in package ui over a fake backend.

// headerBackend is the review side of the TUI, reduced to what the sandbox
// explorer reads: the header, and both providers signed in. Any other call
// panics on the nil embedded interface, which a sandbox run never makes.
type headerBackend struct {
	ui.Backend
	env string
}

func (b headerBackend) Header() ui.HeaderInfo {
	return ui.HeaderInfo{Tenant: "contoso.onmicrosoft.com", Company: "Contoso Construction", CompanyID: sim.CompanyID,
		Environment: b.env, Recipients: []string{"it@contoso.com", "ops@contoso.com"}}
}

func (headerBackend) SignedIn() (bool, bool) { return true, true }

func (headerBackend) SignInNeeds(string) string { return "" }

// tuiHarness drives one program at 120x40 through teatest.
type tuiHarness struct {
	t  *testing.T
	tm *teatest.TestModel
}

// frameProbe wraps the root model so that a test reads the frame the
// program would draw, in the program's message order.
type frameProbe struct{ tea.Model }

type frameMsg struct{ ch chan string }

func (p frameProbe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if fm, ok := msg.(frameMsg); ok {
		fm.ch <- ansi.Strip(p.Model.View().Content)
		return p, nil
	}
	m, cmd := p.Model.Update(msg)
	return frameProbe{m}, cmd
}

// startExplorer runs the program as `procsync sandbox` does, at 120x40.
func startExplorer(t *testing.T, env string, ce ui.ExplorerBackend) *tuiHarness {
	t.Helper()
	opts := ui.Options{StaticSpinner: true, StatusTTL: -1, Explorer: ce, Sandbox: true}
	tm := teatest.NewTestModel(t, frameProbe{ui.New(headerBackend{env: env}, opts)}, teatest.WithInitialTermSize(120, 40))
	t.Cleanup(func() {
		tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
		tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	})
	return &tuiHarness{t: t, tm: tm}
}

// waitFor polls frames until one contains all of want.
func (h *tuiHarness) waitFor(want ...string) string {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var f string
	for time.Now().Before(deadline) {
		ch := make(chan string, 1)
		h.tm.Send(frameMsg{ch})
		select {
		case f = <-ch:
		case <-time.After(10 * time.Second):
			h.t.Fatal("no frame within 10s")
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(f, w)
		}
		if ok {
			return f
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("frame never contained %q; last frame:\n%s", want, f)
	return ""
}

func (h *tuiHarness) keys(ks ...tea.KeyPressMsg) {
	for _, k := range ks {
		h.tm.Send(k)
	}
}

func (h *tuiHarness) typeText(s string) { h.tm.Type(s) }

var (
	keyUp   = tea.KeyPressMsg{Code: tea.KeyUp}
	keyDown = tea.KeyPressMsg{Code: tea.KeyDown}
)

func press(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func pressAll(ss ...string) []tea.KeyPressMsg {
	out := make([]tea.KeyPressMsg, len(ss))
	for i, s := range ss {
		out[i] = press(s)
	}
	return out
}

// volatile are the parts of a frame that change from run to run: request
// ids and the rate-limit window's reset time. Replacements keep the width.
var volatile = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "00000000-0000-0000-0000-000000000000"},
	{regexp.MustCompile(`resets \d\d:\d\d:\d\d UTC`), "resets 00:00:00 UTC"},
	{regexp.MustCompile(`127\.0\.0\.1:\d{5}`), "127.0.0.1:00000"},
	{regexp.MustCompile(`127\.0\.0\.1:\d{4}\b`), "127.0.0.1:0000"},
}

func stable(s string) string {
	for _, v := range volatile {
		s = v.re.ReplaceAllString(s, v.repl)
	}
	return s
}

// explorerReady is in the first frame after the companies are read.
const explorerReady = "Vendors"

// TestExplorerGolden captures the explorer against the simulator. Run with
// -update to regenerate testdata/TestExplorerGolden/*.golden.
func TestExplorerGolden(t *testing.T) {
	tests := []struct {
		name     string
		env      string
		writable bool
		drive    func(h *tuiHarness) string
	}{
		{"tree", ui.EnvSandbox, true, func(h *tuiHarness) string {
			h.waitFor(explorerReady)
			// Projects (active) → first project → its users.
			h.keys(pressAll("j", "j", "enter")...)
			h.waitFor("Projects (active) · ")
			h.keys(pressAll("j", "enter")...)
			h.waitFor("Contoso HQ Fit-Out · ")
			return h.waitFor("@contoso.com")
		}},
		{"json", ui.EnvSandbox, true, func(h *tuiHarness) string {
			h.waitFor(explorerReady)
			// Users → second user → JSON focused and scrolled by two.
			h.keys(pressAll("j", "j", "j", "enter")...)
			h.waitFor("Users · ")
			h.keys(pressAll("j", "j", "tab", "j", "j")...)
			return h.waitFor("JSON · ", `"email_address": "`)
		}},
		{"scroll", ui.EnvSandbox, true, func(h *tuiHarness) string {
			h.waitFor(explorerReady)
			h.keys(press(":"))
			h.typeText("graph /v1.0/subscribedSkus")
			h.keys(press("enter"))
			h.waitFor("Response · GET graph /v1.0/subscribedSkus  (1–")
			h.keys(pressAll("j", "j", "j")...)
			return h.waitFor("Response · GET graph /v1.0/subscribedSkus  (4–")
		}},
		{"console", ui.EnvSandbox, true, func(h *tuiHarness) string {
			h.waitFor(explorerReady)
			h.keys(press(":"))
			h.typeText("procore /rest/v1.0/me")
			h.waitFor(":procore /rest/v1.0/me█")
			h.keys(press("enter"))
			return h.waitFor("Response · GET procore /rest/v1.0/me", "status   200 OK", "budget   ")
		}},
		{"graph", ui.EnvSandbox, true, func(h *tuiHarness) string {
			h.waitFor(explorerReady)
			h.keys(pressAll("G", "k", "enter")...)
			h.waitFor("License groups · ")
			h.keys(pressAll("j", "enter")...)
			return h.waitFor(`"matchedBy"`, "@contoso.com")
		}},
		{"readonly", ui.EnvProduction, true, func(h *tuiHarness) string {
			h.waitFor(explorerReady)
			// c must do nothing: no form opens.
			h.keys(pressAll("c", "j", "j", "j", "enter")...)
			return h.waitFor("READ-ONLY · PRODUCTION", "Users · ")
		}},
		{"help_readonly", ui.EnvProduction, true, func(h *tuiHarness) string {
			h.waitFor(explorerReady)
			h.keys(press("?"))
			return h.waitFor("Keys", "GET console")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce, _ := simExplorer(t, tt.writable)
			h := startExplorer(t, tt.env, ce)
			got := stable(tt.drive(h))
			if tt.env == ui.EnvProduction {
				for _, w := range []string{"create test user", "deactivate", "add to project", "Create test user"} {
					if strings.Contains(got, w) && !strings.Contains(got, "are off") {
						t.Errorf("read-only frame offers %q", w)
					}
				}
			}
			golden.RequireEqual(t, got)
		})
	}
}

// TestExplorerConsoleHistory checks that up and down recall the console's
// earlier requests, and that each GET went to the simulator as typed, with
// the company header on Procore.
func TestExplorerConsoleHistory(t *testing.T) {
	ce, srv := simExplorer(t, true)
	h := startExplorer(t, ui.EnvSandbox, ce)
	h.waitFor(explorerReady)
	for _, line := range []string{"procore /rest/v1.0/me", "graph /v1.0/subscribedSkus", "/rest/v1.0/companies"} {
		h.keys(press(":"))
		h.typeText(line)
		h.keys(press("enter"))
		h.waitFor("status   200 OK", "Response · GET ")
	}
	h.keys(press(":"), keyUp, keyUp)
	h.waitFor(":graph /v1.0/subscribedSkus█")
	h.keys(keyUp, keyUp)
	h.waitFor(":procore /rest/v1.0/me█")
	h.keys(keyDown, keyDown, keyDown)
	h.waitFor(":█")
	h.keys(press("esc"))

	want := map[string]bool{"/procore/rest/v1.0/me": false, "/graph/v1.0/subscribedSkus": false, "/procore/rest/v1.0/companies": false}
	for _, r := range srv.Sim.Requests() {
		if _, ok := want[r.Path]; ok && r.Method == "GET" {
			want[r.Path] = true
			if r.Service == "procore" && r.Header.Get("Procore-Company-Id") != fmt.Sprint(sim.CompanyID) {
				t.Errorf("%s sent Procore-Company-Id %q", r.Path, r.Header.Get("Procore-Company-Id"))
			}
		}
	}
	for p, seen := range want {
		if !seen {
			t.Errorf("the console never sent GET %s", p)
		}
	}
}

// TestExplorerWrites creates a test user, deactivates, reactivates and adds
// them to a project through the UI, and checks the simulator's state after
// each step.
func TestExplorerWrites(t *testing.T) {
	ce, srv := simExplorer(t, true)
	h := startExplorer(t, ui.EnvSandbox, ce)
	h.waitFor(explorerReady)
	const email = "test.explorer@contoso.com"

	h.keys(press("c"))
	h.waitFor("Create test user", "email       █")
	h.typeText(email)
	h.keys(press("tab"))
	h.typeText("Test")
	h.keys(press("tab"))
	h.typeText("Explorer")
	h.keys(press("enter"))
	h.waitFor("Create test user?", "email        "+email, "enter confirms")
	if n := countUsers(srv, email); n != 0 {
		t.Fatalf("the user exists before the confirmation (%d)", n)
	}
	h.keys(press("enter"))
	f := h.waitFor("created test user "+email, "JSON · "+email)
	if !strings.Contains(f, `"last_name": "Explorer"`) {
		t.Errorf("the new user's JSON is not shown:\n%s", f)
	}
	if n := countUsers(srv, email); n != 1 {
		t.Fatalf("simulator holds %d users %s after create, want 1", n, email)
	}
	id := userID(srv, email)

	// The cursor is on the new user: deactivate, then reactivate.
	h.keys(press("d"))
	h.waitFor("Deactivate user?", fmt.Sprintf("%s #%d", email, id))
	h.keys(press("enter"))
	h.waitFor("deactivated " + email)
	if active(srv, id) {
		t.Fatal("the user is still active after deactivate")
	}
	h.keys(press("d"))
	h.waitFor("Reactivate user?")
	h.keys(press("esc"))
	h.waitFor("cancelled: nothing was written")
	if active(srv, id) {
		t.Fatal("esc reactivated the user")
	}
	h.keys(press("d"))
	h.waitFor("Reactivate user?")
	h.keys(press("enter"))
	h.waitFor("reactivated " + email)
	if !active(srv, id) {
		t.Fatal("the user is not active after reactivate")
	}

	// Add to the first active project with its default template.
	h.keys(press("p"))
	h.waitFor("Add "+email+" to which project?", "Contoso HQ Fit-Out")
	h.keys(press("enter"))
	h.waitFor("Permission template for " + email)
	h.waitFor("(the project's default template)")
	h.keys(press("enter"))
	h.waitFor("Add user to project?")
	h.keys(press("enter"))
	h.waitFor("added " + email)
	added := false
	for _, r := range srv.Sim.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, fmt.Sprintf("/users/%d/actions/add", id)) && r.Status < 300 {
			added = true
		}
	}
	if !added {
		t.Error("no successful add-to-project request reached the simulator")
	}
	if v := srv.Sim.Violations(); len(v) > 0 {
		t.Errorf("simulator saw protocol violations: %v", v)
	}
}

// TestExplorerReadOnly checks that a production explorer neither offers nor
// performs writes, even when a backend claims it could.
func TestExplorerReadOnly(t *testing.T) {
	for _, env := range []string{ui.EnvProduction, ui.EnvFederal} {
		t.Run(env, func(t *testing.T) {
			ce, srv := simExplorer(t, true)
			h := startExplorer(t, env, ce)
			h.waitFor(explorerReady)
			h.keys(pressAll("j", "j", "j", "enter")...)
			h.waitFor("Users · ")
			h.keys(pressAll("j", "c", "d", "p")...)
			f := h.waitFor("READ-ONLY")
			for _, w := range []string{"Create test user", "Deactivate user?", "to which project?", "c create", "d deactivate", "p add"} {
				if strings.Contains(f, w) {
					t.Errorf("read-only explorer shows %q", w)
				}
			}
			for _, r := range srv.Sim.Requests() {
				if r.Service == "procore" && r.Method != "GET" && !strings.Contains(r.Path, "oauth") {
					t.Errorf("read-only explorer sent %s %s", r.Method, r.Path)
				}
			}
		})
	}
}

func countUsers(srv *sim.Server, email string) int {
	n := 0
	for _, u := range srv.Sim.ProcoreUsers() {
		if strings.EqualFold(u.Email, email) {
			n++
		}
	}
	return n
}

func userID(srv *sim.Server, email string) int64 {
	for _, u := range srv.Sim.ProcoreUsers() {
		if strings.EqualFold(u.Email, email) {
			return u.ID
		}
	}
	return 0
}

func active(srv *sim.Server, id int64) bool {
	for _, u := range srv.Sim.ProcoreUsers() {
		if u.ID == id {
			return u.IsActive
		}
	}
	return false
}
