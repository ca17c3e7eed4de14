package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// reviewAlone builds the review over the demo snapshot and plan, bound to
// a key map set for the review, without the program.
func reviewAlone(t *testing.T) (*review, *KeyMap, *outbox) {
	t.Helper()
	f := newFake(EnvSandbox)
	keys := DefaultKeyMap()
	keys.setScreen(screenReview, false)
	out := &outbox{}
	r := newReview(f.snap, f.Plan(f.snap))
	r.bind(Context{Header: f.hdr, Width: 120, Height: 34, Out: out}, &keys)
	return r, &keys, out
}

// TestReviewScreenAlone drives the review without the program: the plan
// pane approves, the filter narrows it with its own keys, and x, r and q
// become requests to the root.
func TestReviewScreenAlone(t *testing.T) {
	r, keys, out := reviewAlone(t)
	send := func(ks ...tea.KeyPressMsg) []tea.Msg {
		for _, k := range ks {
			keys.setScreen(screenReview, r.filter.active)
			r.Update(k)
		}
		return out.drain()
	}
	if sent := send(press("x")); len(sent) != 1 || !strings.Contains(sent[0].(statusMsg).text, "nothing approved") {
		t.Errorf("x with nothing approved told the root %v", sent)
	}
	// Filter the plan to Emil, keep the filter, approve what it shows.
	send(press("3"), press("/"))
	send(typed("emil")...)
	send(press("enter"))
	if r.filter.active || r.panes[panePlan].filter != "emil" {
		t.Fatalf("enter did not keep the filter: active %v, filter %q", r.filter.active, r.panes[panePlan].filter)
	}
	if v := ansi.Strip(r.View()); !strings.Contains(v, "/emil  (1 of ") {
		t.Errorf("the plan title does not show the filter:\n%s", v)
	}
	if sent := send(press("a")); len(sent) != 1 || sent[0] != (statusMsg{level: levelInfo, text: "approved 1 create (the rows the filter shows)"}) {
		t.Errorf("a told the root %v", sent)
	}
	if sent := send(press("x")); len(sent) != 1 || sent[0] != (confirmRequestMsg{}) {
		t.Errorf("x with an approval told the root %v, want a confirmation request", sent)
	}
	if sent := send(press("r")); len(sent) != 1 || sent[0] != (refreshRequestMsg{}) {
		t.Errorf("r told the root %v, want a refresh request", sent)
	}
	if sent := send(press("q")); len(sent) != 1 || sent[0] != (quitRequestMsg{}) {
		t.Errorf("q told the root %v, want a quit request", sent)
	}
	// esc in the filter clears it; the arrows move while letters are text.
	send(press("/"), press("j"), press("esc"))
	if r.panes[panePlan].filter != "" || r.filter.active {
		t.Errorf("esc left the filter %q (active %v)", r.panes[panePlan].filter, r.filter.active)
	}
}
