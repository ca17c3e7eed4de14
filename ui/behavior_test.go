package ui

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"procsync/sync/roster"
)

func approvedAddrs(h *harness) []string {
	var out []string
	h.inspect(func(m *model) {
		for _, a := range m.rv.plan.Actions {
			if a.Approved {
				out = append(out, string(a.Kind)+" "+a.Address)
			}
		}
	})
	sort.Strings(out)
	return out
}

func TestApprovals(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		typ  string // typed after keys, then enter, then post
		post []string
		want []string
		// deactivate sets procore.offboard = "deactivate".
		deactivate bool
	}{
		{"space approves the row under the cursor", []string{"space", "j", "space"}, "", nil,
			[]string{"create ana.diaz@contoso.com", "create emil.berg@contoso.com"}, false},
		{"space twice on one row unapproves", []string{"space", "space"}, "", nil, nil, false},
		{"a approves every create and reactivation", []string{"a"}, "", nil, []string{
			"create ana.diaz@contoso.com", "create emil.berg@contoso.com", "create fatima.haddad@contoso.com",
			"create ivan.petrov@contoso.com", "create jo.nguyen@contoso.com", "create zoe.adams@contoso.com",
			"reactivate dana.kowalski@contoso.com"}, false},
		{"a approves only what the filter shows", []string{"/"}, "kowal", []string{"a"},
			[]string{"reactivate dana.kowalski@contoso.com"}, false},
		{"n approves none", []string{"a", "n"}, "", nil, nil, false},
		{"conflicts cannot be approved", []string{"/"}, "conflict", []string{"space", "a"}, nil, false},
		{"space outside the plan pane does nothing", []string{"1", "space", "2", "space"}, "", nil, nil, false},
		{"offboard is report-only by default", []string{"/"}, "offboard", []string{"space"}, nil, false},
		{"offboard is approved only by hand", []string{"/"}, "offboard", []string{"a", "space"},
			[]string{"offboard omar.said@contoso.com"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(EnvSandbox)
			if tt.deactivate {
				f.rules.Offboard = roster.OffboardDeactivate
			}
			h := start(t, f, 120, 40)
			h.waitFor("approved 0")
			h.keys(pressAll(tt.keys...)...)
			if tt.typ != "" {
				h.typeText(tt.typ)
				h.keys(press("enter"))
			}
			h.keys(pressAll(tt.post...)...)
			got := approvedAddrs(h)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("approved = %q, want %q", got, tt.want)
			}
			fr := h.frame()
			if want := "approved " + itoa(len(tt.want)); !strings.Contains(fr, want) {
				t.Errorf("header does not say %q:\n%s", want, fr)
			}
		})
	}
}

func itoa(n int) string { return Thousands(n) }

func TestConfirm(t *testing.T) {
	tests := []struct {
		name        string
		env         string
		typed       string
		wantApplied int
	}{
		{"sandbox applies on enter", EnvSandbox, "", 7},
		{"production refuses without the name", EnvProduction, "", 0},
		{"production refuses a wrong name", EnvProduction, "Contoso", 0},
		{"production applies with the name", EnvProduction, "Contoso Construction", 7},
		{"production accepts the name in any case", EnvProduction, "contoso construction", 7},
		// Federal is Procore's production for government: live people too.
		{"federal refuses without the name", EnvFederal, "", 0},
		{"federal applies with the name", EnvFederal, "Contoso Construction", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(tt.env)
			h := start(t, f, 120, 40)
			h.waitFor("approved 0")
			h.keys(pressAll("a", "x")...)
			h.waitFor("Apply 7 approved actions:")
			h.typeText(tt.typed)
			h.keys(press("enter"))
			if tt.wantApplied == 0 {
				fr := h.waitFor("to confirm a production write")
				if !strings.Contains(fr, "Apply 7 approved actions:") {
					t.Errorf("left the confirmation without the company name:\n%s", fr)
				}
			} else {
				h.waitFor("Preview", "apply finished")
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.applied) != tt.wantApplied {
				t.Errorf("applied %d actions, want %d", len(f.applied), tt.wantApplied)
			}
		})
	}
}

func TestConfirmEscWritesNothing(t *testing.T) {
	f := newFake(EnvSandbox)
	h := start(t, f, 120, 40)
	h.waitFor("approved 0")
	h.keys(pressAll("a", "x", "esc")...)
	h.waitFor("apply cancelled; nothing was written", "approved 7")
	if len(f.applied) != 0 {
		t.Errorf("applied %d actions after esc", len(f.applied))
	}
}

// TestNothingApprovedDoesNotConfirm: x with nothing approved warns and
// stays on the review: no confirmation, and the enter that would accept
// one applies nothing.
func TestNothingApprovedDoesNotConfirm(t *testing.T) {
	f := newFake(EnvSandbox)
	h := start(t, f, 120, 40)
	h.waitFor("approved 0")
	h.keys(press("x"))
	fr := h.waitFor("nothing approved")
	if strings.Contains(fr, "approved actions?") {
		t.Errorf("a confirmation appeared with nothing approved:\n%s", fr)
	}
	var screen screenID
	h.inspect(func(m *model) { screen = m.screen })
	if screen == screenConfirm {
		t.Error("the confirmation screen is up with nothing approved")
	}
	// Enter applies on a sandbox confirmation; here it must not.
	h.keys(press("enter"))
	fr = h.waitFor("approved 0")
	h.inspect(func(m *model) { screen = m.screen })
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.applies != 0 || len(f.applied) != 0 {
		t.Errorf("Apply called %d times (%d actions) with nothing approved:\n%s", f.applies, len(f.applied), fr)
	}
	if screen == screenConfirm || screen == screenApply {
		t.Errorf("after enter the screen is %v, want the review:\n%s", screen, fr)
	}
}

// TestApplyCancel checks that esc and ctrl+c during apply let the request
// in flight finish and then stop: two actions done, nothing after.
func TestApplyCancel(t *testing.T) {
	for _, k := range []string{"esc", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			f := newFake(EnvSandbox)
			f.applyAfter, f.applyGate = 2, make(chan struct{})
			tm := teatest.NewTestModel(t, probe{New(f, testOpts)}, teatest.WithInitialTermSize(120, 40))
			h := &harness{t: t, tm: tm}
			h.waitFor("approved 0")
			h.keys(pressAll("a", "x", "enter")...)
			h.waitFor("2 / 7")
			h.keys(press(k))
			// Both land on the report; ctrl+c then quits (after esc, the
			// second answers the quit prompt about the unsent report).
			fr := h.waitFor("Preview", "CANCELLED")
			if !strings.Contains(fr, "2 done, 0 failed") {
				t.Errorf("report after cancel:\n%s", fr)
			}
			h.keys(press("ctrl+c"))
			if k == "esc" {
				h.waitFor("Quit without sending the report")
				h.keys(press("ctrl+c"))
			}
			tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.applied) != 2 {
				t.Errorf("applied %d actions, want the 2 before cancelling", len(f.applied))
			}
		})
	}
}

func TestReportSendOpenAndBack(t *testing.T) {
	f := newFake(EnvSandbox)
	h := start(t, f, 120, 40)
	h.waitFor("approved 0")
	h.keys(pressAll("a", "x", "enter")...)
	h.waitFor("Preview", "not sent yet")
	h.keys(press("s"))
	h.waitFor("report sent to it@contoso.com, ops@contoso.com")
	// The screen itself, not only the status line, says it was sent.
	h.waitFor("Report   to it@contoso.com, ops@contoso.com   sent")
	h.keys(press("s"))
	h.waitFor("already sent")
	h.keys(press("o"))
	h.waitFor("report opened in the browser")
	h.keys(press("enter"))
	h.waitFor("approved 0", "3 Plan")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sends != 1 || f.opens != 1 {
		t.Errorf("sends=%d opens=%d, want 1 and 1", f.sends, f.opens)
	}
	if f.snapshots != 2 {
		t.Errorf("snapshots=%d, want 2: the review after the report needs a fresh read", f.snapshots)
	}
}

// TestSignInFlow: each provider is signed in once, Graph first, only when
// the operator presses enter, and the plan is read after both.
func TestSignInFlow(t *testing.T) {
	f := newFake(EnvSandbox)
	f.graph, f.procore = false, false
	calls := func() ([]string, int) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return slices.Clone(f.signIns), f.snapshots
	}
	f.signInGate = make(chan struct{})
	h := start(t, f, 120, 40)
	h.waitFor("Press enter to sign in to Microsoft Graph")
	if got, snaps := calls(); len(got) != 0 || snaps != 0 {
		t.Errorf("before enter: sign-ins %q and %d snapshots, want none", got, snaps)
	}
	h.keys(press("enter"))
	// A second enter while the browser is out must not start another.
	h.waitFor("waiting for the browser")
	h.keys(press("enter"))
	h.waitFor("waiting for the browser")
	close(f.signInGate)
	h.waitFor("Microsoft Graph signed in", "Press enter to sign in to Procore")
	if got, snaps := calls(); !slices.Equal(got, []string{ProviderGraph}) || snaps != 0 {
		t.Errorf("after Graph: sign-ins %q and %d snapshots, want [%s] and none", got, snaps, ProviderGraph)
	}
	if g, p := f.SignedIn(); !g || p {
		t.Errorf("after Graph: signed in graph=%v procore=%v, want true and false", g, p)
	}
	h.keys(press("enter"))
	h.waitFor("approved 0")
	if got, snaps := calls(); !slices.Equal(got, []string{ProviderGraph, ProviderProcore}) || snaps != 1 {
		t.Errorf("after Procore: sign-ins %q and %d snapshots, want [%s %s] and 1", got, snaps, ProviderGraph, ProviderProcore)
	}
}

// pasteFake asks for a pasted code and checks it arrives.
type pasteFake struct {
	*fakeBackend
	got chan string
}

func (p *pasteFake) SignIn(ctx context.Context, provider string, out func(SignInEvent)) error {
	ch := make(chan string, 1)
	out(SignInEvent{Provider: provider, Kind: SignInPasteCode, Submit: func(c string) { ch <- c }})
	select {
	case c := <-ch:
		p.got <- c
		return p.fakeBackend.SignIn(ctx, provider, func(SignInEvent) {})
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestSignInPasteCode(t *testing.T) {
	f := newFake(EnvSandbox)
	f.procore = false
	p := &pasteFake{fakeBackend: f, got: make(chan string, 1)}
	h := start(t, p, 120, 40)
	h.keys(press("enter"))
	h.waitFor("code: █")
	h.typeText("q-is-text?")
	h.keys(press("enter"))
	select {
	case c := <-p.got:
		if c != "q-is-text?" {
			t.Errorf("submitted %q", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("code never submitted")
	}
	h.waitFor("approved 0")
}

// TestCountsAgree checks that the header and the pane titles give the
// same numbers.
func TestCountsAgree(t *testing.T) {
	h := start(t, newFake(EnvSandbox), 120, 40)
	fr := h.waitFor("approved 0")
	num := func(re string) string {
		m := regexp.MustCompile(re).FindStringSubmatch(fr)
		if m == nil {
			t.Fatalf("no %s in:\n%s", re, fr)
		}
		return m[1]
	}
	pairs := [][2]string{
		{`members (\d+) │`, `Members · (\d+) people`},
		{`procore (\d+) \(`, `Procore · (\d+) users`},
		{`procore \d+ \((\d+) inactive\)`, `active, (\d+) inactive, `},
		{`approved (\d+) │`, `· (\d+) approved`},
	}
	for _, p := range pairs {
		if a, b := num(p[0]), num(p[1]); a != b {
			t.Errorf("header %s=%s but pane %s=%s", p[0], a, p[1], b)
		}
	}
}

// TestSmallTerminal checks that every screen fits 80x24 exactly.
func TestSmallTerminal(t *testing.T) {
	f := newFake(EnvProduction)
	f.applyAfter, f.applyGate = 2, make(chan struct{})
	defer close(f.applyGate)
	h := start(t, f, 80, 24)
	check := func(name string) {
		h.inspect(func(m *model) {
			lines := strings.Split(m.View().Content, "\n")
			if len(lines) != 24 {
				t.Errorf("%s: %d lines, want 24", name, len(lines))
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > 80 {
					t.Errorf("%s: line %d is %d wide: %q", name, i, w, ansi.Strip(l))
				}
			}
		})
	}
	h.waitFor("approved 0")
	check("review")
	h.keys(press("?"))
	h.waitFor("Keys")
	check("help")
	h.keys(press("esc"), press("enter"))
	h.waitFor("Reason")
	check("detail")
	h.keys(pressAll("esc", "a", "x")...)
	h.waitFor("Type the company name")
	check("confirm")
	h.typeText("Contoso Construction")
	h.keys(press("enter"))
	h.waitFor("2 / 7")
	check("apply")
	// Resizing mid-apply must relayout, not break.
	h.tm.Send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.inspect(func(m *model) {
		if got := len(strings.Split(m.View().Content, "\n")); got != 30 {
			t.Errorf("after resize: %d lines, want 30", got)
		}
	})
}

// syncBuffer is a goroutine-safe output sink for Run.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestNoColor runs the real program and checks that NO_COLOR (any
// non-empty value) leaves no colour in the output, while without it the
// same run is coloured.
func TestNoColor(t *testing.T) {
	colour := regexp.MustCompile(`\x1b\[[0-9;]*(3[0-7]|4[0-7]|9[0-7]|38;|48;)[0-9;]*m`)
	tests := []struct {
		name   string
		env    []string
		opt    bool
		colour bool
	}{
		{"colour", []string{"TERM=xterm-256color", "TTY_FORCE=1"}, false, true},
		{"NO_COLOR=1", []string{"TERM=xterm-256color", "TTY_FORCE=1", "NO_COLOR=1"}, false, false},
		{"NO_COLOR=yes", []string{"TERM=xterm-256color", "TTY_FORCE=1", "NO_COLOR=yes"}, false, false},
		{"Options.NoColor", []string{"TERM=xterm-256color", "TTY_FORCE=1"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &syncBuffer{}
			in, inW := io.Pipe()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			errc := make(chan error, 1)
			go func() {
				errc <- Run(ctx, newFake(EnvProduction), Options{Input: in, Output: out, Environ: tt.env,
					NoColor: tt.opt, StaticSpinner: true, Width: 120, Height: 40})
			}()
			for !strings.Contains(ansi.Strip(out.String()), "approved") {
				if ctx.Err() != nil {
					t.Fatalf("review never drawn:\n%q", out.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			_, _ = inW.Write([]byte("q"))
			if err := <-errc; err != nil {
				t.Fatalf("Run: %v", err)
			}
			_ = inW.Close()
			if got := colour.MatchString(out.String()); got != tt.colour {
				t.Errorf("colour codes present = %v, want %v", got, tt.colour)
			}
		})
	}
}

// TestListWindow checks that the list keeps the cursor visible and
// renders only the window.
func TestListWindow(t *testing.T) {
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "row " + Thousands(i)
	}
	tests := []struct {
		name               string
		ops                func(l *list)
		cursor, offset, nv int
	}{
		{"start", func(l *list) {}, 0, 0, 10},
		{"down past window", func(l *list) { l.move(12) }, 12, 3, 10},
		{"bottom", func(l *list) { l.bottom() }, 999, 990, 10},
		{"clamp above", func(l *list) { l.move(-5) }, 0, 0, 10},
		{"filter narrows", func(l *list) { l.bottom(); l.setFilter("row 99") }, 0, 0, 10},
		{"filter extends (words match anywhere)", func(l *list) { l.setFilter("row 9"); l.setFilter("row 99"); l.bottom() }, 18, 9, 10},
		{"filter cleared", func(l *list) { l.setFilter("row 5"); l.setFilter("") }, 0, 0, 10},
		{"no match", func(l *list) { l.setFilter("nothing") }, 0, 0, 0},
		{"short list", func(l *list) { l.setFilter("row 1,00") }, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newList(keys)
			l.setHeight(10)
			tt.ops(&l)
			rendered := 0
			lines := l.view(20, true, func(row, w int) string { rendered++; return keys[row] })
			if l.cursor != tt.cursor || l.offset != tt.offset || len(lines) != tt.nv || rendered != tt.nv {
				t.Errorf("cursor=%d offset=%d lines=%d rendered=%d, want %d %d %d", l.cursor, l.offset, len(lines), rendered,
					tt.cursor, tt.offset, tt.nv)
			}
		})
	}
}

func TestRefreshKeepsApprovals(t *testing.T) {
	f := newFake(EnvSandbox)
	h := start(t, f, 120, 40)
	h.waitFor("approved 0")
	h.keys(pressAll("space", "j", "space", "r")...)
	h.waitFor("approved 2")
	h.inspect(func(m *model) {
		// The backend counts under its lock, from the snapshot goroutine.
		f.mu.Lock()
		n := f.snapshots
		f.mu.Unlock()
		if n != 2 {
			t.Errorf("snapshots = %d, want 2", n)
		}
	})
	if got := approvedAddrs(h); len(got) != 2 {
		t.Errorf("approvals after refresh: %q", got)
	}
}

func TestSnapshotErrorKeepsPlan(t *testing.T) {
	f := newFake(EnvSandbox)
	h := start(t, f, 120, 40)
	h.waitFor("approved 0")
	f.mu.Lock()
	f.snapErr = errTest
	f.mu.Unlock()
	h.keys(press("r"))
	h.waitFor("refresh failed", "graph: list members of License", "3 Plan")
}

var errTest = &testErr{"graph: list members of License – Microsoft 365 E3: 503 Service Unavailable after 5 retries"}

type testErr struct{ s string }

func (e *testErr) Error() string { return e.s }

// TestNavigation checks focus and cursor keys on the review screen.
func TestNavigation(t *testing.T) {
	tests := []struct {
		name   string
		keys   []string
		focus  int
		cursor int
	}{
		{"plan has focus first", nil, panePlan, 0},
		{"tab wraps to members", []string{"tab"}, paneMembers, 0},
		{"shift+tab goes back", []string{"shift+tab"}, paneProcore, 0},
		{"numbers pick panes", []string{"1", "3", "2"}, paneProcore, 0},
		{"j and down move", []string{"j", "down", "j"}, panePlan, 3},
		{"G goes to the last row", []string{"G"}, panePlan, 15},
		{"g goes back to the top", []string{"G", "g"}, panePlan, 0},
		{"k stops at the top", []string{"k", "k"}, panePlan, 0},
		{"each pane keeps its cursor", []string{"j", "j", "1", "j", "3"}, panePlan, 2},
		{"filter then esc restores every row", []string{"/", "z", "o", "e", "esc", "G"}, panePlan, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, newFake(EnvSandbox), 120, 40)
			h.waitFor("approved 0")
			h.keys(pressAll(tt.keys...)...)
			h.inspect(func(m *model) {
				if m.rv.focus != tt.focus || m.rv.panes[m.rv.focus].cursor != tt.cursor {
					t.Errorf("focus=%d cursor=%d, want %d %d", m.rv.focus, m.rv.panes[m.rv.focus].cursor, tt.focus, tt.cursor)
				}
			})
		})
	}
}

// TestStalePlanAfterApply checks that a plan an apply already ran on
// cannot be applied again when the fresh read is cancelled.
func TestStalePlanAfterApply(t *testing.T) {
	f := newFake(EnvSandbox)
	h := start(t, f, 120, 40)
	h.waitFor("approved 0")
	h.keys(pressAll("a", "x", "enter")...)
	h.waitFor("Preview", "apply finished")
	gate := make(chan struct{})
	defer close(gate)
	f.mu.Lock()
	f.snapGate = gate
	f.mu.Unlock()
	h.keys(press("enter"))
	h.waitFor("Reading both directories")
	h.keys(press("esc"))
	h.waitFor("OUT OF DATE", "refresh cancelled")
	h.keys(pressAll("a", "x")...)
	h.waitFor("this plan predates the last apply")
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.applied) != 7 {
		t.Errorf("applied %d, want only the first run's 7", len(f.applied))
	}
}

// TestEnvBadge checks the badge colours that tell production from the rest.
func TestEnvBadge(t *testing.T) {
	tests := []struct {
		env, text, bg string
	}{
		{EnvProduction, "[ PRODUCTION ]", "41"},
		{EnvFederal, "[ FEDERAL ]", "41"},
		{EnvSandbox, "[ SANDBOX ]", "43"},
		{EnvMonthly, "[ MONTHLY ]", "43"},
		{EnvDemo, "[ DEMO ]", "44"},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			b := envBadge(tt.env)
			if got := ansi.Strip(b); got != tt.text {
				t.Errorf("text %q, want %q", got, tt.text)
			}
			if !regexp.MustCompile(`\x1b\[([0-9;]*;)?` + tt.bg + `(;[0-9;]*)?m`).MatchString(b) {
				t.Errorf("badge %q lacks background %s", b, tt.bg)
			}
		})
	}
}
