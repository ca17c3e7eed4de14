package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// probe wraps the root model so that a test can read the frame the program
// would draw, synchronised with the program's message order.
type probe struct{ tea.Model }

type probeMsg struct{ ch chan string }

// inspectMsg runs fn on the model inside the program's goroutine, so that
// tests read state without racing Update.
type inspectMsg struct {
	fn   func(*model)
	done chan struct{}
}

func (p probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch pm := msg.(type) {
	case probeMsg:
		pm.ch <- ansi.Strip(p.Model.View().Content)
		return p, nil
	case inspectMsg:
		pm.fn(p.Model.(*model))
		close(pm.done)
		return p, nil
	}
	m, cmd := p.Model.Update(msg)
	return probe{m}, cmd
}

// harness drives one program at 120x40 through teatest.
type harness struct {
	t  *testing.T
	tm *teatest.TestModel
}

var testOpts = Options{StaticSpinner: true, StatusTTL: -1}

func start(t *testing.T, b Backend, w, h int) *harness {
	t.Helper()
	tm := teatest.NewTestModel(t, probe{New(b, testOpts)}, teatest.WithInitialTermSize(w, h))
	hs := &harness{t: t, tm: tm}
	t.Cleanup(func() {
		// ctrl+c twice: the second answers the quit prompt (or quits
		// after an apply the first one stopped).
		tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
		tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
		tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	})
	return hs
}

// frame returns the current frame as plain text.
func (h *harness) frame() string {
	h.t.Helper()
	ch := make(chan string, 1)
	h.tm.Send(probeMsg{ch})
	select {
	case s := <-ch:
		return s
	case <-time.After(10 * time.Second):
		h.t.Fatal("no frame within 10s")
		return ""
	}
}

// waitFor polls frames until one contains all of want.
func (h *harness) waitFor(want ...string) string {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var f string
	for time.Now().Before(deadline) {
		f = h.frame()
		ok := true
		for _, w := range want {
			if !strings.Contains(f, w) {
				ok = false
				break
			}
		}
		if ok {
			return f
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("frame never contained %q; last frame:\n%s", want, f)
	return ""
}

// inspect runs fn on the model in the program's goroutine.
func (h *harness) inspect(fn func(*model)) {
	h.t.Helper()
	done := make(chan struct{})
	h.tm.Send(inspectMsg{fn: fn, done: done})
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		h.t.Fatal("inspect timed out")
	}
}

func (h *harness) keys(ks ...tea.KeyPressMsg) {
	for _, k := range ks {
		h.tm.Send(k)
	}
}

func (h *harness) typeText(s string) { h.tm.Type(s) }

func press(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
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

// TestGolden captures every screen at 120x40. Run with -update to
// regenerate testdata/TestGolden/*.golden after an intended change.
func TestGolden(t *testing.T) {
	const reviewReady = "approved 0"
	tests := []struct {
		name  string
		setup func(f *fakeBackend)
		drive func(h *harness) string
	}{
		{"signin", func(f *fakeBackend) { f.graph = false }, func(h *harness) string {
			return h.waitFor("Press enter to sign in to Microsoft Graph")
		}},
		{"signin_url", func(f *fakeBackend) { f.graph = false; f.signInGate = make(chan struct{}) }, func(h *harness) string {
			h.keys(press("enter"))
			return h.waitFor("Open this address", "waiting for the browser")
		}},
		{"loading", func(f *fakeBackend) { f.snapGate = make(chan struct{}) }, func(h *harness) string {
			return h.waitFor("Procore users read      5 / 8", "members read            13")
		}},
		{"review_members", nil, func(h *harness) string {
			h.waitFor(reviewReady)
			h.keys(pressAll("1", "j", "j")...)
			return h.waitFor("┏━ 1 Members")
		}},
		{"review_procore", nil, func(h *harness) string {
			h.waitFor(reviewReady)
			h.keys(pressAll("tab", "tab", "j")...)
			return h.waitFor("┏━ 2 Procore")
		}},
		{"review_plan", nil, func(h *harness) string {
			h.waitFor(reviewReady)
			h.keys(pressAll("space", "j", "space", "j", "j", "j", "space")...)
			return h.waitFor("approved 3")
		}},
		{"filter", nil, func(h *harness) string {
			h.waitFor(reviewReady)
			h.keys(press("/"))
			h.typeText("lee")
			return h.waitFor("/lee█", "(2 of 16)")
		}},
		{"detail", nil, func(h *harness) string {
			h.waitFor(reviewReady)
			h.keys(pressAll("G", "k", "k", "k", "k", "k", "k", "enter")...)
			return h.waitFor("Details")
		}},
		{"confirm_sandbox", nil, func(h *harness) string {
			h.waitFor(reviewReady)
			h.keys(pressAll("a", "x")...)
			return h.waitFor("Apply 7 approved actions:")
		}},
		{"confirm_production", func(f *fakeBackend) { f.hdr.Environment = EnvProduction }, func(h *harness) string {
			h.waitFor(reviewReady)
			h.keys(pressAll("a", "x")...)
			h.typeText("Contoso Con")
			return h.waitFor("company name: Contoso Con█")
		}},
		{"apply_progress", func(f *fakeBackend) { f.applyAfter = 2; f.applyGate = make(chan struct{}) }, func(h *harness) string {
			h.waitFor(reviewReady)
			h.keys(pressAll("a", "x", "enter")...)
			return h.waitFor("2 / 7")
		}},
		{"report", nil, func(h *harness) string {
			h.waitFor(reviewReady)
			h.keys(pressAll("a", "x", "enter")...)
			return h.waitFor("Preview", "zoe.adams")
		}},
		{"help", nil, func(h *harness) string {
			h.waitFor(reviewReady)
			h.keys(press("?"))
			return h.waitFor("Keys")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(EnvSandbox)
			if tt.setup != nil {
				tt.setup(f)
			}
			h := start(t, f, 120, 40)
			got := tt.drive(h)
			for _, g := range []chan struct{}{f.snapGate, f.applyGate, f.signInGate} {
				if g != nil {
					close(g)
				}
			}
			golden.RequireEqual(t, got)
		})
	}
}
