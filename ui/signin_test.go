package ui

import (
	"errors"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// TestSigninScreenAlone drives the sign-in screen without the program:
// enter asks the root for a sign-in, the events show, a pasted code goes to
// the backend's callback, esc asks to cancel, and once both providers are
// in, enter asks for the read.
func TestSigninScreenAlone(t *testing.T) {
	keys := DefaultKeyMap()
	keys.setScreen(screenSignIn, false)
	hdr := newFake(EnvSandbox).hdr
	out := &outbox{}
	s := newSignin(Context{Header: hdr, Width: 120, Height: 34, Out: out}, &keys, false, false, map[string]string{})
	// msgOf is the one message the last Update sent the root, if any.
	msgOf := func(tea.Cmd) tea.Msg {
		sent := out.drain()
		if len(sent) != 1 {
			if len(sent) > 1 {
				t.Errorf("one key told the root %v", sent)
			}
			return nil
		}
		return sent[0]
	}
	if _, cmd := s.Update(press("enter")); msgOf(cmd) != (signInRequestMsg{provider: ProviderGraph}) {
		t.Fatalf("enter = %v, want a Graph sign-in request", msgOf(cmd))
	}
	if _, cmd := s.Update(press("enter")); msgOf(cmd) != nil {
		t.Error("enter during a sign-in started another")
	}
	var pasted string
	s.Update(SignInEvent{Provider: ProviderGraph, Kind: SignInOpenURL, URL: "http://127.0.0.1:1/authorize"})
	s.Update(SignInEvent{Provider: ProviderGraph, Kind: SignInPasteCode, Submit: func(c string) { pasted = c }})
	if v := ansi.Strip(s.View()); !strings.Contains(v, "http://127.0.0.1:1/authorize") || !strings.Contains(v, "code: █") {
		t.Errorf("sign-in events are not shown:\n%s", v)
	}
	if !s.typing() {
		t.Error("the paste prompt does not own the keyboard")
	}
	for _, r := range "ab-12" {
		s.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	s.Update(press("enter"))
	if pasted != "ab-12" {
		t.Errorf("pasted %q, want ab-12", pasted)
	}
	if _, cmd := s.Update(press("esc")); msgOf(cmd) != (cancelSignInMsg{}) {
		t.Errorf("esc during a sign-in = %v, want a cancel", msgOf(cmd))
	}

	s.Update(signInResultMsg{provider: ProviderGraph, err: errors.New("consent denied")})
	if v := ansi.Strip(s.View()); !strings.Contains(v, "Microsoft Graph sign-in failed: consent denied") {
		t.Errorf("the failure is not shown:\n%s", v)
	}
	s.Update(signInResultMsg{provider: ProviderGraph, graph: true})
	if _, cmd := s.Update(press("enter")); msgOf(cmd) != (signInRequestMsg{provider: ProviderProcore}) {
		t.Errorf("enter after Graph = %v, want a Procore sign-in request", msgOf(cmd))
	}
	s.Update(signInResultMsg{provider: ProviderProcore, graph: true, proc: true})
	if _, cmd := s.Update(press("enter")); msgOf(cmd) != (readRequestMsg{}) {
		t.Errorf("enter with both signed in = %v, want a read request", msgOf(cmd))
	}
	if _, cmd := s.Update(press("q")); msgOf(cmd) != (quitRequestMsg{}) {
		t.Errorf("q = %v", msgOf(cmd))
	}
}
