package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// runCmds runs cmd and the commands its messages lead to, as the program
// would, feeding every message back to c; it returns what c sent the root
// through out (status, leave, quit) meanwhile. Commands run in order on
// this goroutine, so the test needs no program and no waiting.
func runCmds(t *testing.T, c Component, out *outbox, cmd tea.Cmd) (Component, []tea.Msg) {
	t.Helper()
	toRoot := out.drain()
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > 1000 {
			t.Fatal("the component keeps producing commands")
		}
		cmd, queue = queue[0], queue[1:]
		if cmd == nil {
			continue
		}
		switch msg := cmd().(type) {
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case nil:
		default:
			var next tea.Cmd
			c, next = c.Update(msg)
			toRoot = append(toRoot, out.drain()...)
			queue = append(queue, next)
		}
	}
	return c, toRoot
}

// keyIn sends keys to c one after the other, running what each starts; it
// returns what c sent the root.
func keyIn(t *testing.T, c Component, out *outbox, keys ...tea.KeyPressMsg) (Component, []tea.Msg) {
	t.Helper()
	var all []tea.Msg
	for _, k := range keys {
		var cmd tea.Cmd
		c, cmd = c.Update(k)
		var sent []tea.Msg
		c, sent = runCmds(t, c, out, cmd)
		all = append(all, sent...)
	}
	return c, all
}

func newTestExplorer(t *testing.T, env string, fe *fakeExplorer, back bool) (Component, *outbox) {
	t.Helper()
	out := &outbox{}
	e := newExplorer(fe, Context{Header: HeaderInfo{Environment: env, CompanyID: fakeCompanyID}, Width: 120, Height: 34, Out: out})
	e.setBack(back)
	c, sent := runCmds(t, e, out, e.Init())
	if len(sent) != 0 {
		t.Fatalf("reading the companies told the root %v", sent)
	}
	return c, out
}

// TestExplorerComponentAlone drives the explorer without the program: it
// reads the tree from its backend, sends console GETs, writes only after
// the confirmation, and answers the root only with messages.
func TestExplorerComponentAlone(t *testing.T) {
	fe := newFakeExplorer(true)
	c, ob := newTestExplorer(t, EnvSandbox, fe, true)
	if v := ansi.Strip(c.View()); !strings.Contains(v, "Vendors") || !strings.Contains(v, "Contoso Construction") {
		t.Fatalf("the tree after Init:\n%s", v)
	}

	// Users → the first user's JSON.
	c, _ = keyIn(t, c, ob, pressAll("j", "j", "j", "enter", "j")...)
	if v := ansi.Strip(c.View()); !strings.Contains(v, "JSON · ana@contoso.com") {
		t.Errorf("the first user's JSON is not shown:\n%s", v)
	}

	// The console: a GET, its answer in the detail pane and the status.
	c, _ = keyIn(t, c, ob, press(":"))
	c, _ = keyIn(t, c, ob, typed("procore /rest/v1.0/me")...)
	c, out := keyIn(t, c, ob, press("enter"))
	if gets, _ := fe.recorded(); len(gets) != 1 || gets[0] != "procore /rest/v1.0/me" {
		t.Errorf("console GETs = %v", gets)
	}
	if len(out) != 1 || out[0] != (statusMsg{level: levelInfo, text: "GET procore /rest/v1.0/me: 200 OK"}) {
		t.Errorf("console told the root %v", out)
	}
	if v := ansi.Strip(c.View()); !strings.Contains(v, "Response · GET procore /rest/v1.0/me") {
		t.Errorf("the answer is not shown:\n%s", v)
	}

	// Up on a fresh console line recalls the line sent.
	c, _ = keyIn(t, c, ob, press(":"), keyUp)
	if v := ansi.Strip(c.View()); !strings.Contains(v, ":procore /rest/v1.0/me█") {
		t.Errorf("up did not recall the last line:\n%s", v)
	}
	c, _ = keyIn(t, c, ob, press("esc"))

	// d asks first; esc writes nothing, enter writes.
	c, _ = keyIn(t, c, ob, press("esc"), press("esc"))
	c, out = keyIn(t, c, ob, press("d"), press("esc"))
	if _, w := fe.recorded(); len(w) != 0 || len(out) != 1 || !strings.Contains(out[0].(statusMsg).text, "nothing was written") {
		t.Fatalf("esc on the confirmation: writes %v, root told %v", w, out)
	}
	_, out = keyIn(t, c, ob, press("d"), press("enter"))
	if _, w := fe.recorded(); len(w) != 1 || w[0] != "active 11 false" {
		t.Errorf("writes after confirming = %v", w)
	}
	if len(out) != 1 || !strings.Contains(out[0].(statusMsg).text, "deactivated ana@contoso.com") {
		t.Errorf("the deactivation told the root %v", out)
	}
}

// TestExplorerComponentLeaves: opened from the review, q asks the root to
// go back; at the top (procsync sandbox) it asks to quit.
func TestExplorerComponentLeaves(t *testing.T) {
	for _, tt := range []struct {
		back bool
		want tea.Msg
	}{{true, leaveMsg{from: screenExplorer}}, {false, quitRequestMsg{}}} {
		c, ob := newTestExplorer(t, EnvProduction, newFakeExplorer(true), tt.back)
		if _, out := keyIn(t, c, ob, press("q")); len(out) != 1 || out[0] != tt.want {
			t.Errorf("back %v: q told the root %v, want %v", tt.back, out, tt.want)
		}
	}
}

// TestExplorerComponentReadOnly: in production the write keys do nothing,
// whatever the backend claims.
func TestExplorerComponentReadOnly(t *testing.T) {
	fe := newFakeExplorer(true)
	c, ob := newTestExplorer(t, EnvProduction, fe, false)
	c, _ = keyIn(t, c, ob, pressAll("j", "j", "j", "enter", "j", "c", "d", "p", "enter")...)
	if _, w := fe.recorded(); len(w) != 0 {
		t.Errorf("a production explorer wrote %v", w)
	}
	if v := ansi.Strip(c.View()); !strings.Contains(v, "READ-ONLY · PRODUCTION") {
		t.Errorf("no read-only banner:\n%s", v)
	}
}

// typed is s as key presses.
func typed(s string) []tea.KeyPressMsg {
	var ks []tea.KeyPressMsg
	for _, r := range s {
		ks = append(ks, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return ks
}

// TestConsoleHistory: up walks back through the lines sent, skipping a
// repeat, and down past the newest gives an empty line.
func TestConsoleHistory(t *testing.T) {
	var h history
	for _, l := range []string{"a", "b", "b", "c"} {
		h.add(l)
	}
	var got []string
	for {
		l, ok := h.prev()
		if !ok {
			break
		}
		got = append(got, l)
	}
	if strings.Join(got, ",") != "c,b,a" {
		t.Errorf("prev walked %v, want c,b,a", got)
	}
	if l := h.next(); l != "b" {
		t.Errorf("next after the oldest = %q, want b", l)
	}
	h.next()
	if l := h.next(); l != "" {
		t.Errorf("next past the newest = %q, want empty", l)
	}
}
