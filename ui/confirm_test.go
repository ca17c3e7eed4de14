package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// confirmFor builds the confirmation alone, for a plan whose first two
// creates are approved, with the keys the root enables on it.
func confirmFor(t *testing.T, env string) (Component, *outbox) {
	t.Helper()
	keys := DefaultKeyMap()
	keys.setScreen(screenConfirm, isProduction(env))
	out := &outbox{}
	c := newConfirm(Context{Header: newFake(env).hdr, Out: out}, &keys, approvedPlan(t))
	c.SetSize(120, 34)
	return c, out
}

// TestConfirmScreenAlone: enter asks the root to apply, esc asks it to go
// back, and in production enter is refused until the company is typed.
func TestConfirmScreenAlone(t *testing.T) {
	c, out := confirmFor(t, EnvSandbox)
	if v := ansi.Strip(c.View()); !strings.Contains(v, "Apply 2 approved actions: ") || !strings.Contains(v, "Nothing is written until you press enter.") {
		t.Errorf("sandbox confirmation:\n%s", v)
	}
	if _, sent := keyIn(t, c, out, press("enter")); len(sent) != 1 || sent[0] != (applyRequestMsg{}) {
		t.Errorf("enter told the root %v, want an apply request", sent)
	}
	_, sent := keyIn(t, c, out, press("esc"))
	if len(sent) != 2 || sent[0] != (leaveMsg{from: screenConfirm}) || !strings.Contains(sent[1].(statusMsg).text, "nothing was written") {
		t.Errorf("esc told the root %v", sent)
	}

	p, pout := confirmFor(t, EnvProduction)
	_, sent = keyIn(t, p, pout, press("enter"))
	if len(sent) != 1 || sent[0].(statusMsg).level != levelError || !strings.Contains(sent[0].(statusMsg).text, "type the company name") {
		t.Errorf("production enter without the name told the root %v", sent)
	}
	for _, r := range "contoso construction" {
		p, _ = p.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	if _, sent = keyIn(t, p, pout, press("enter")); len(sent) != 1 || sent[0] != (applyRequestMsg{}) {
		t.Errorf("enter after typing the company name told the root %v, want an apply request", sent)
	}
}
