package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"procsync/sync/roster"
)

// Tests for issue 17, "a new admin's first day": keys, quitting, details,
// confirmation and counts in the TUI.

// SignInNeeds implements Backend: the fake needs no secret; secretFake
// below lacks one.
func (f *fakeBackend) SignInNeeds(string) string { return "" }

// secretFake is a fake whose Procore sign-in lacks its client secret.
type secretFake struct{ *fakeBackend }

func (s secretFake) SignInNeeds(p string) string {
	if p == ProviderProcore {
		return "PROCSYNC_PROCORE_CLIENT_SECRET"
	}
	return ""
}

// cancelErrFake wraps the cancel in an error, as a backend that passes the
// engine's context.Canceled on would.
type cancelErrFake struct{ *fakeBackend }

func (c cancelErrFake) Apply(ctx context.Context, p *roster.Plan, progress func(roster.ApplyProgress)) (*ApplyResult, error) {
	res, err := c.fakeBackend.Apply(ctx, p, progress)
	if ctx.Err() != nil {
		return res, fmt.Errorf("apply: %w", ctx.Err())
	}
	return res, err
}

// noBrowserFake cannot open a browser, as over SSH.
type noBrowserFake struct{ *fakeBackend }

func (noBrowserFake) OpenReport(*ApplyResult) error { return errors.New("exit status 3") }

// finished waits for the program to exit; it fails the test after 10 s.
func (h *harness) finished() {
	h.t.Helper()
	h.tm.WaitFinished(h.t, teatest.WithFinalTimeout(10*time.Second))
}

// status is the status line as shown, unwrapped: its mark ("· ", "! ",
// "✗ ", "? ") and text. Tests read it after waiting for a frame, when it
// no longer changes until the next key.
func (h *harness) status() string {
	h.t.Helper()
	var out string
	h.inspect(func(m *model) {
		var parts []string
		for _, l := range m.statusLines() {
			parts = append(parts, strings.TrimSpace(ansi.Strip(l)))
		}
		out = strings.Join(parts, " ")
	})
	return out
}

func TestFirstDaySpaceKeepsTheCursor(t *testing.T) {
	h := start(t, newFake(EnvSandbox), 120, 40)
	h.waitFor("approved 0")
	h.keys(press("space"))
	h.waitFor("approved 1")
	if s := h.status(); s != "· approved create ana.diaz@contoso.com" {
		t.Errorf("status after space = %q", s)
	}
	h.inspect(func(m *model) {
		if c := m.rv.panes[panePlan].cursor; c != 0 {
			t.Errorf("space moved the cursor to row %d; it must stay on the row it approved", c)
		}
	})
	h.keys(press("space"))
	h.waitFor("approved 0")
	if s := h.status(); s != "· cleared create ana.diaz@contoso.com" {
		t.Errorf("status after the second space = %q", s)
	}
}

// TestFirstDayApproveAndClearVisible: a and n act on the same rows (the
// visible ones) and say how many changed.
func TestFirstDayApproveAndClearVisible(t *testing.T) {
	steps := []struct {
		keys   []string
		typed  string // typed after keys, then enter
		status string
		want   int // approved afterwards
	}{
		{[]string{"/"}, "kowal", "", 0},
		{[]string{"a"}, "", "· approved 1 reactivation (the rows the filter shows)", 1},
		{[]string{"esc", "a"}, "", "· approved 6 creates", 7},
		{[]string{"a"}, "", "· nothing more to approve: every visible create, reactivation and project addition is approved already", 7},
		{[]string{"/"}, "zoe", "", 7},
		{[]string{"n"}, "", "· cleared 1; 6 hidden by the filter are still approved", 6},
		{[]string{"esc", "n"}, "", "· cleared 6", 0},
		{[]string{"a"}, "", "· approved 6 creates and 1 reactivation", 7},
	}
	h := start(t, newFake(EnvSandbox), 120, 40)
	h.waitFor("approved 0")
	for i, st := range steps {
		h.keys(pressAll(st.keys...)...)
		if st.typed != "" {
			h.typeText(st.typed)
			h.keys(press("enter"))
		}
		h.waitFor("approved " + itoa(st.want) + " │")
		if st.status != "" && h.status() != st.status {
			t.Errorf("step %d (%v): status %q, want %q", i, st.keys, h.status(), st.status)
		}
	}
}

func TestFirstDayQuitPrompt(t *testing.T) {
	t.Run("q without approvals quits at once", func(t *testing.T) {
		h := start(t, newFake(EnvSandbox), 120, 40)
		h.waitFor("approved 0")
		h.keys(press("q"))
		h.finished()
	})
	t.Run("q with approvals asks; n stays, y quits", func(t *testing.T) {
		h := start(t, newFake(EnvSandbox), 120, 40)
		h.waitFor("approved 0")
		h.keys(pressAll("a", "q")...)
		fr := h.waitFor("? Quit and discard 7 approved actions? y/n")
		if !strings.Contains(fr, "y quit • n stay") {
			t.Errorf("the footer does not offer the answers:\n%s", fr)
		}
		// Keys other than the answers (enter included) do nothing while asking.
		h.keys(pressAll("x", "space", "enter")...)
		h.keys(press("n"))
		fr = h.waitFor("not quitting; nothing was discarded")
		if !strings.Contains(fr, "approved 7 │") {
			t.Errorf("answering n lost approvals (or x/space acted behind the prompt):\n%s", fr)
		}
		h.keys(pressAll("q", "y")...)
		h.finished()
	})
	t.Run("one approved action, ctrl+c asks and ctrl+c confirms", func(t *testing.T) {
		h := start(t, newFake(EnvSandbox), 120, 40)
		h.waitFor("approved 0")
		h.keys(pressAll("space", "ctrl+c")...)
		h.waitFor("? Quit and discard 1 approved action? y/n")
		h.keys(press("ctrl+c"))
		h.finished()
	})
	t.Run("esc closes the prompt", func(t *testing.T) {
		h := start(t, newFake(EnvSandbox), 120, 40)
		h.waitFor("approved 0")
		h.keys(pressAll("space", "q")...)
		h.waitFor("Quit and discard")
		h.keys(press("esc"))
		h.waitFor("not quitting")
	})
	t.Run("an unsent report asks", func(t *testing.T) {
		h := start(t, newFake(EnvSandbox), 120, 40)
		h.waitFor("approved 0")
		h.keys(pressAll("a", "x", "enter")...)
		h.waitFor("Preview", "not sent yet")
		h.keys(press("q"))
		h.waitFor("? Quit without sending the report? y/n (it is saved at /home/admin/.local/state/procsync/reports/run-7.html)")
		h.keys(press("n"))
		h.keys(press("s"))
		h.waitFor("report sent to")
		h.keys(press("q"))
		h.finished()
	})
}

// TestFirstDayCtrlCDuringApply: ctrl+c during an apply ends like esc (the
// request in flight finishes, the report says cancelled, never "context
// canceled"); a second ctrl+c quits without asking.
func TestFirstDayCtrlCDuringApply(t *testing.T) {
	for _, wrapErr := range []bool{false, true} {
		t.Run(fmt.Sprintf("backend error %v", wrapErr), func(t *testing.T) {
			f := newFake(EnvSandbox)
			f.applyAfter, f.applyGate = 2, make(chan struct{})
			var b Backend = f
			if wrapErr {
				b = cancelErrFake{f}
			}
			h := start(t, b, 120, 40)
			h.waitFor("approved 0")
			h.keys(pressAll("a", "x", "enter")...)
			h.waitFor("2 / 7")
			h.keys(press("ctrl+c"))
			fr := h.waitFor("Report CANCELLED", "Preview")
			if want := "! apply cancelled: 2 done, 0 failed, 5 not applied; ctrl+c again quits (the report is saved, not sent)"; h.status() != want {
				t.Errorf("status %q, want %q", h.status(), want)
			}
			if !strings.Contains(fr, "2 done, 0 failed, 5 not applied (cancelled") {
				t.Errorf("the report preview does not count what was not applied:\n%s", fr)
			}
			if strings.Contains(fr, "context canceled") || strings.Contains(fr, "apply stopped") {
				t.Errorf("a deliberate cancel reads as an error:\n%s", fr)
			}
			h.keys(press("ctrl+c"))
			h.finished()
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.applied) != 2 {
				t.Errorf("applied %d, want the 2 before ctrl+c", len(f.applied))
			}
		})
	}
}

// TestFirstDayExplorerQGoesBack: q leaves the explorer for the review it
// was opened from, and quits only at the top (`procsync sandbox`).
func TestFirstDayExplorerQGoesBack(t *testing.T) {
	ce := newFakeExplorer(false)
	opts := testOpts
	opts.Explorer = ce
	h := startWith(t, newFake(EnvSandbox), opts)
	h.waitFor("approved 0")
	h.keys(press("e"))
	fr := h.waitFor(explorerReady)
	if !strings.Contains(fr, "q back to review") {
		t.Errorf("the explorer footer does not say q goes back:\n%s", fr)
	}
	h.keys(press("q"))
	h.waitFor("3 Plan")

	top := startExplorer(t, EnvSandbox, ce)
	fr = top.waitFor(explorerReady)
	if !strings.Contains(fr, "q quit") {
		t.Errorf("the sandbox explorer footer does not say q quits:\n%s", fr)
	}
	top.keys(press("q"))
	top.finished()
}

// TestFirstDayFooterShowsEveryKey: at 120 columns the footer wraps rather
// than cut bindings off.
func TestFirstDayFooterShowsEveryKey(t *testing.T) {
	f := newFake(EnvSandbox)
	h := start(t, f, 120, 40)
	check := func(name string) {
		h.inspect(func(m *model) {
			lines := strings.Split(ansi.Strip(m.View().Content), "\n")
			if len(lines) != 40 {
				t.Errorf("%s: %d lines, want 40", name, len(lines))
			}
			foot := strings.Join(lines[len(lines)-m.footH:], "\n")
			if strings.Contains(foot, "…") {
				t.Errorf("%s: the footer is cut:\n%s", name, foot)
			}
			for _, b := range m.helpKeys().ShortHelp() {
				if !b.Enabled() {
					continue
				}
				if hb := b.Help(); !strings.Contains(foot, hb.Key+" "+hb.Desc) {
					t.Errorf("%s: the footer lacks %q:\n%s", name, hb.Key+" "+hb.Desc, foot)
				}
			}
		})
	}
	h.waitFor("approved 0")
	check("review")
	h.inspect(func(m *model) {
		if m.footH != 2 {
			t.Errorf("review footer takes %d lines at 120 columns, want 2", m.footH)
		}
	})
	h.keys(pressAll("a", "x")...)
	h.waitFor("Nothing is written until")
	check("confirm")
	h.keys(press("enter"))
	h.waitFor("Preview")
	check("report")
}

func TestFirstDayDetails(t *testing.T) {
	detail := func(t *testing.T, f *fakeBackend, filter string) string {
		t.Helper()
		h := start(t, f, 120, 40)
		h.waitFor("approved 0")
		h.keys(press("/"))
		h.typeText(filter)
		h.keys(pressAll("enter", "enter")...)
		return h.waitFor("Details")
	}
	t.Run("excluded guest", func(t *testing.T) {
		fr := detail(t, newFake(EnvSandbox), "lars")
		for _, want := range []string{"Writes               nothing: an excluded person is never provisioned",
			"To include           set groups.include_guests = true in the config"} {
			if !strings.Contains(fr, want) {
				t.Errorf("lacks %q:\n%s", want, fr)
			}
		}
		if strings.Contains(fr, "first name") || strings.Contains(fr, "first_name") {
			t.Errorf("an excluded row claims to write a name:\n%s", fr)
		}
	})
	t.Run("excluded disabled", func(t *testing.T) {
		fr := detail(t, newFake(EnvSandbox), "mia")
		if !strings.Contains(fr, "groups.include_disabled = true") {
			t.Errorf("does not name groups.include_disabled:\n%s", fr)
		}
	})
	t.Run("conflict", func(t *testing.T) {
		fr := detail(t, newFake(EnvSandbox), "conflict kim")
		for _, want := range []string{"Writes               nothing", "To resolve", "give each person their own"} {
			if !strings.Contains(fr, want) {
				t.Errorf("lacks %q:\n%s", want, fr)
			}
		}
		if strings.Contains(fr, "first_name") {
			t.Errorf("a conflict claims to write a name:\n%s", fr)
		}
	})
	t.Run("create lists every field it writes", func(t *testing.T) {
		f := newFake(EnvSandbox)
		f.hdr.NewUsers = NewUserSettings{IsEmployee: true, ProjectIDs: []int64{11, 12}, PermissionTemplateID: 7}
		fr := detail(t, f, "ana")
		for _, want := range []string{"email_address ana.diaz@contoso.com", `first_name "Ana", last_name "Diaz"`,
			"is_employee true (procore.is_employee)", "origin_id 0b1f-01 (the Entra object id)",
			"added to projects 11, 12 with permission template 7"} {
			if !strings.Contains(fr, want) {
				t.Errorf("lacks %q:\n%s", want, fr)
			}
		}
	})
}

// TestConflictFixNamesProcoreIDs runs the real diff: a conflict over two
// Procore users names both ids and what to change.
func TestConflictFixNamesProcoreIDs(t *testing.T) {
	snap := &roster.Snapshot{
		Groups: []roster.Group{{ID: "g", DisplayName: "License – E3"}},
		Members: []roster.Member{{ID: "m-1", GivenName: "Ana", Surname: "Diaz", DisplayName: "Ana Diaz", Mail: "ana@contoso.com",
			UserPrincipalName: "ana@contoso.com", AccountEnabled: true, UserType: "Member", Groups: []string{"License – E3"}}},
		Users: []roster.ProcoreUser{
			{ID: 4101, Email: "ana@contoso.com", FirstName: "Ana", LastName: "Diaz", IsActive: true},
			{ID: 4102, Email: "ANA@contoso.com", FirstName: "Ana", LastName: "D", IsActive: false},
		},
	}
	p := roster.Diff(snap, roster.Rules{})
	if len(p.Actions) == 0 || p.Actions[0].Kind != roster.KindConflict {
		t.Fatalf("want one conflict, got %+v", p.Actions)
	}
	fix := conflictFix(&p.Actions[0])
	for _, want := range []string{"#4101", "#4102", "in Procore's company directory", "press r"} {
		if !strings.Contains(fix, want) {
			t.Errorf("%q lacks %q (reason %q)", fix, want, p.Actions[0].Reason)
		}
	}
}

func TestFirstDayConfirmNamesAndPlurals(t *testing.T) {
	tests := []struct {
		keys []string
		want string
	}{
		{[]string{"space", "x"}, "Apply 1 approved action: Ana Diaz?"},
		{[]string{"space", "j", "space", "j", "space", "x"}, "Apply 3 approved actions: Ana Diaz, Emil Berg, Fatima Haddad?"},
		{[]string{"a", "x"}, "Apply 7 approved actions: Ana Diaz, Emil Berg, Fatima Haddad and 4 more?"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			h := start(t, newFake(EnvSandbox), 120, 40)
			h.waitFor("approved 0")
			h.keys(pressAll(tt.keys...)...)
			h.waitFor(tt.want)
		})
	}
}

// TestFirstDayCountsAfterApply: after an apply the header and the pane
// titles agree on counts that include what the apply did.
func TestFirstDayCountsAfterApply(t *testing.T) {
	f := newFake(EnvSandbox)
	h := start(t, f, 120, 40)
	before := h.waitFor("approved 0")
	if !strings.Contains(before, "procore 8 (2 inactive) │ 6 create 1 reactivate") {
		t.Fatalf("unexpected counts before the apply:\n%s", before)
	}
	h.keys(pressAll("a", "x", "enter")...)
	// zoe.adams fails in the fake: 5 creates and the reactivation are done.
	fr := h.waitFor("Preview", "apply finished")
	want := "6 done 1 failed │ members 15 │ procore 13 (1 inactive) │ 1 create 1 offboard 2 conflict 2 excluded 10 in sync"
	if !strings.Contains(fr, want) {
		t.Errorf("the header after the apply lacks %q:\n%s", want, fr)
	}
	if !strings.Contains(fr, "6 done, 1 failed, 0 not applied") {
		t.Errorf("the report's counts differ from the header's:\n%s", fr)
	}
	// Back on the review without a fresh read (esc cancels it): the panes
	// say the same as the header.
	gate := make(chan struct{})
	defer close(gate)
	f.mu.Lock()
	f.snapGate = gate
	f.mu.Unlock()
	h.keys(press("enter"))
	h.waitFor("Reading both directories")
	h.keys(press("esc"))
	fr = h.waitFor("OUT OF DATE")
	for _, want := range []string{want, "Procore · 13 users: 12 active, 1 inactive", "┃ ✓  create     ana.diaz@contoso.com",
		"┃ ✗  create     zoe.adams@contoso.com"} {
		if !strings.Contains(fr, want) {
			t.Errorf("the review after the apply lacks %q:\n%s", want, fr)
		}
	}
	// Nothing approved and the plan out of date: q quits without asking.
	h.keys(press("q"))
	h.finished()
}

func TestFirstDayHeaderShowsWhoIsSignedIn(t *testing.T) {
	f := newFake(EnvSandbox)
	f.hdr.GraphAccount, f.hdr.ProcoreAccount = "megan.bowen@contoso.com", "service account"
	h := start(t, f, 160, 40)
	fr := h.waitFor("approved 0")
	want := "│ tenant contoso.onmicrosoft.com         graph ● megan.bowen@contoso.com  procore ● service account"
	if l := strings.Split(fr, "\n")[0]; !strings.HasSuffix(l, want) {
		t.Errorf("the header does not say who is signed in:\n%s", l)
	}
	// Narrower, the accounts shrink before the company is cut.
	h.tm.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
	fr = h.waitFor("graph ● megan.bowen@con…  procore ● service account")
	if l := strings.Split(fr, "\n")[0]; !strings.Contains(l, "Contoso Construction #562949953421312 │ cont") {
		t.Errorf("the company gave way to the accounts:\n%s", l)
	}
}

func TestFirstDaySignInNeedsProcoreSecret(t *testing.T) {
	f := newFake(EnvSandbox)
	f.procore = false
	h := start(t, secretFake{f}, 120, 40)
	fr := h.waitFor("Sign in")
	want := "Procore's sign-in needs the app's client secret in PROCSYNC_PROCORE_CLIENT_SECRET, which is not set: " +
		"quit (q), export PROCSYNC_PROCORE_CLIENT_SECRET, restart procsync."
	if !strings.Contains(strings.Join(strings.Fields(fr), " "), want) {
		t.Errorf("the sign-in screen does not warn before starting; want %q:\n%s", want, fr)
	}
	if strings.Contains(fr, "Press enter to sign in to Procore") {
		t.Errorf("offers a sign-in that cannot work:\n%s", fr)
	}
	h.keys(press("enter"))
	fr = h.waitFor("✗ Procore sign-in needs")
	if strings.Contains(fr, "press enter to retry") || strings.Contains(fr, "Press enter to retry") {
		t.Errorf("offers a retry that cannot help:\n%s", fr)
	}
	if s := h.status(); s != "✗ Procore sign-in needs PROCSYNC_PROCORE_CLIENT_SECRET: quit (q), export PROCSYNC_PROCORE_CLIENT_SECRET, restart procsync" {
		t.Errorf("status %q", s)
	}
}

func TestFirstDayOpenWithoutBrowserShowsPath(t *testing.T) {
	f := newFake(EnvSandbox)
	h := start(t, noBrowserFake{f}, 120, 40)
	h.waitFor("approved 0")
	h.keys(pressAll("a", "x", "enter")...)
	h.waitFor("Preview")
	h.keys(press("o"))
	h.waitFor("no browser could open it")
	if want := "! report saved at /home/admin/.local/state/procsync/reports/run-7.html (no browser could open it: exit status 3)"; h.status() != want {
		t.Errorf("status %q, want %q", h.status(), want)
	}
}

// TestREADMEKeyTable checks the README's key table against the key map:
// every binding's help key is in the table's key column, on a row whose
// text has the binding's help; every key in that column is bound.
func TestREADMEKeyTable(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		keys map[string]bool
		does string
	}
	var rows []row
	in := false
	tick := regexp.MustCompile("`([^`]+)`")
	for _, l := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(l, "| key | does |"):
			in = true
			continue
		case in && !strings.HasPrefix(l, "|"):
			in = false
		}
		if !in || strings.HasPrefix(l, "|---") {
			continue
		}
		cells := strings.Split(l, "|")
		if len(cells) < 4 {
			t.Fatalf("README key table row %q", l)
		}
		r := row{keys: map[string]bool{}, does: strings.ToLower(strings.Join(cells[2:], "|"))}
		for _, m := range tick.FindAllStringSubmatch(cells[1], -1) {
			r.keys[m[1]] = true
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		t.Fatal("no key table (| key | does |) in README.md")
	}
	km := DefaultKeyMap()
	bound := map[string]bool{}
	for _, b := range km.all() {
		hb := b.Help()
		keys := strings.Split(hb.Key, "/")
		if hb.Key == "/" {
			keys = []string{"/"}
		}
		for _, k := range keys {
			bound[k] = true
			found := false
			for _, r := range rows {
				if r.keys[k] && strings.Contains(r.does, strings.ToLower(hb.Desc)) {
					found = true
				}
			}
			if !found {
				t.Errorf("README key table: no row for `%s` that says %q", k, hb.Desc)
			}
		}
		for _, k := range b.Keys() {
			bound[k] = true
		}
	}
	for _, r := range rows {
		for k := range r.keys {
			if !bound[k] {
				t.Errorf("README key table lists `%s`, which no binding has", k)
			}
		}
	}
}
