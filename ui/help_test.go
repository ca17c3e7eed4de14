package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"procsync/sync/roster"
)

// TestHelpShowsEveryBindingAt80Columns checks that `?` on a narrow terminal
// lists every enabled binding in full, rather than cutting columns off.
func TestHelpShowsEveryBindingAt80Columns(t *testing.T) {
	h := start(t, newFake(EnvSandbox), 80, 24)
	h.waitFor("approved 0")
	h.keys(press("?"))
	h.waitFor("Keys")
	h.inspect(func(m *model) {
		screen := ansi.Strip(m.View().Content)
		for _, group := range m.keys.FullHelp() {
			for _, b := range group {
				if !b.Enabled() {
					continue
				}
				hb := b.Help()
				if !strings.Contains(screen, hb.Key) || !strings.Contains(screen, hb.Desc) {
					t.Errorf("help at 80 columns lacks %q %q:\n%s", hb.Key, hb.Desc, screen)
				}
			}
		}
	})
}

// TestSignInURLWrapsAt80Columns: the sign-in address must appear whole
// (wrapped, not cut) so that it can be copied on a narrow terminal.
func TestSignInURLWrapsAt80Columns(t *testing.T) {
	f := newFake(EnvSandbox)
	f.graph, f.procore = false, false
	f.signInGate = make(chan struct{})
	defer close(f.signInGate)
	h := start(t, f, 80, 24)
	h.waitFor("Press enter to sign in to Microsoft Graph")
	h.keys(press("enter"))
	h.waitFor("Open this address")
	const url = "http://127.0.0.1:41234/identity/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=demo&response_type=code"
	h.inspect(func(m *model) {
		var joined strings.Builder
		for _, l := range strings.Split(ansi.Strip(m.View().Content), "\n") {
			joined.WriteString(strings.TrimSpace(strings.Trim(l, "│┃")))
		}
		if !strings.Contains(joined.String(), url) {
			t.Errorf("the sign-in URL is not shown whole at 80 columns:\n%s", ansi.Strip(m.View().Content))
		}
	})
}

// TestMembersPaneShowsPlanAddress: with match.email_attribute =
// "userPrincipalName" the plan matches on the UPN, and the members pane
// must show that address, not the mail.
func TestMembersPaneShowsPlanAddress(t *testing.T) {
	m := roster.Member{ID: "e-1", DisplayName: "Ana Díaz", Mail: "ana@contoso.com", UserPrincipalName: "a.diaz@contoso.com",
		AccountEnabled: true, UserType: "Member", Groups: []string{"License – E3"}}
	snap := &roster.Snapshot{Groups: []roster.Group{{ID: "g", DisplayName: "License – E3"}}, Members: []roster.Member{m}}
	plan := roster.Diff(snap, roster.Rules{EmailAttribute: roster.EmailAttributeUPN})
	r := newReview(snap, plan)
	var screen strings.Builder
	for i := range r.mrows {
		screen.WriteString(ansi.Strip(r.memberRow(i, 100)) + "\n")
	}
	if !strings.Contains(screen.String(), "a.diaz@contoso.com") || strings.Contains(screen.String(), "ana@contoso.com") {
		t.Errorf("members pane does not show the plan's address a.diaz@contoso.com:\n%s", screen.String())
	}
}
