package ui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"procsync/sync/roster"
)

// History implements Backend with historyFixture: a fixed journal on a
// fixed clock, so that the chart's frames are the same on every machine.
func (f *fakeBackend) History(_ context.Context, days int) (*roster.History, error) {
	f.mu.Lock()
	f.historyReads++
	f.mu.Unlock()
	return historyFixture(days), nil
}

// HistoryRun implements Backend with historyRunFixture, after runGate.
func (f *fakeBackend) HistoryRun(ctx context.Context, runID int64) ([]roster.Record, error) {
	f.mu.Lock()
	f.runReads = append(f.runReads, runID)
	gate := f.runGate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return historyRunFixture(runID), nil
}

// historyCalls returns how many times History was called and the runs
// HistoryRun read.
func (f *fakeBackend) historyCalls() (int, []int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.historyReads, append([]int64(nil), f.runReads...)
}

// historyZone is the fixture's time zone (the machine's, for a real
// backend); historyToday is its fixed "today".
var (
	historyZone  = time.FixedZone("EST", -5*3600)
	historyToday = time.Date(2026, 11, 4, 0, 0, 0, 0, historyZone)
)

// historyFixture is days days of counts ending on historyToday, and the
// summaries of four runs of those days; historyRunFixture has their
// actions.
func historyFixture(days int) *roster.History {
	h := &roster.History{}
	for i := range days {
		d := roster.DayCounts{Day: historyToday.AddDate(0, 0, i-days+1)}
		switch {
		case i == 2:
			d.Created = 40 // the big first run
		case i%5 == 0:
			d.Created, d.Updated = 2, 1
		case i%7 == 3:
			d.Reactivated, d.Failed = 1, 1
		case i == days-1:
			d.Created, d.Reactivated, d.Updated, d.Failed = 3, 1, 2, 1
		}
		h.Days = append(h.Days, d)
	}
	at := func(daysAgo, hour int) time.Time {
		return historyToday.AddDate(0, 0, -daysAgo).Add(time.Duration(hour) * time.Hour)
	}
	h.Runs = []roster.RunSummary{
		{ID: 14, Started: at(0, 9), Mode: "auto", Created: 3, Reactivated: 1, Updated: 2, Failed: 1, Actions: 4, Outcome: "failed"},
		{ID: 13, Started: at(0, 8), Mode: "tui", DryRun: true, Outcome: "done"},
		{ID: 12, Started: at(1, 17), Mode: "auto", Outcome: "refused"},
		{ID: 11, Started: at(27, 6), Mode: "tui", Created: 40, Outcome: "done"},
	}
	return h
}

// historyRunFixture is the actions of historyFixture's run id: run 14's,
// one with text that must not reach the terminal raw; the others have none.
func historyRunFixture(id int64) []roster.Record {
	if id != 14 {
		return nil
	}
	return []roster.Record{
		{Kind: roster.KindCreate, Address: "ana.diaz@contoso.com", FirstName: "Ana", LastName: "Díaz", Status: roster.StatusDone, ProcoreID: 5512},
		{Kind: roster.KindCreate, Address: "bo.lee@contoso.com", FirstName: "Bo\x1b]52;c;eA==\x07", LastName: "Lee", Status: roster.StatusFailed,
			Error: "procore: create user: 422 email_address\nhas already been taken", RequestID: "7f3c1b"},
		{Kind: roster.KindReactivate, Address: "li.wei@contoso.com", FirstName: "Li", LastName: "Wei", Status: roster.StatusDone, ProcoreID: 4410},
		{Kind: roster.KindUpdate, Address: "sam.ortiz@contoso.com", FirstName: "Sam", LastName: "Ortiz", Status: roster.StatusDone, ProcoreID: 4411,
			Reason: "job title: Foreman → Superintendent"},
	}
}

// TestHistoryGolden captures the History screen with the fixture at 80
// and 160 columns (the chart's bars are one and three cells wide), a run's
// actions, and the run while its actions are read. Run with -update to
// regenerate testdata/TestHistoryGolden.
func TestHistoryGolden(t *testing.T) {
	tests := []struct {
		name string
		w, h int
		keys []string
		want []string
		// gate holds the run's read, to capture its loading state.
		gate bool
	}{
		{"chart_80x24", 80, 24, nil, []string{"Runs (4)", "c created 55"}, false},
		{"chart_160x45", 160, 45, nil, []string{"Runs (4)", "c created 55"}, false},
		{"run_120x40", 120, 40, []string{"enter"}, []string{"Run 14 ·", "ana.diaz@contoso.com"}, false},
		{"run_loading_120x40", 120, 40, []string{"enter"}, []string{"Run 14 ·", "4 actions", "loading…"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(EnvSandbox)
			if tt.gate {
				f.runGate = make(chan struct{})
			}
			h := start(t, f, tt.w, tt.h)
			if tt.gate {
				// Cleanups run last first: the read ends before the program.
				t.Cleanup(func() { close(f.runGate) })
			}
			h.waitFor("approved 0")
			h.keys(press("h"))
			h.waitFor("Runs (4)")
			h.keys(pressAll(tt.keys...)...)
			golden.RequireEqual(t, h.waitFor(tt.want...))
		})
	}
}

// TestHistoryFromReview opens the History screen with h from the review,
// which shows the key in its footer, and goes back with esc and q.
func TestHistoryFromReview(t *testing.T) {
	h := start(t, newFake(EnvSandbox), 160, 45)
	if f := h.waitFor("approved 0"); !strings.Contains(f, "h history") {
		t.Errorf("the review's footer does not show h:\n%s", f)
	}
	h.keys(press("h"))
	f := h.waitFor("Runs (4)", "esc/q back to review")
	if strings.Contains(f, "eA==") {
		t.Errorf("an escape sequence's payload reached the screen:\n%s", f)
	}
	h.keys(press("esc"))
	h.waitFor("approved 0", "h history")
	h.keys(press("h"))
	h.waitFor("Runs (4)")
	h.keys(pressAll("enter", "q")...)
	h.waitFor("Runs (4)", "esc/q back to review")
	h.keys(press("q"))
	h.waitFor("approved 0")
}

// TestHistoryReadsActionsOnEnter counts the fake's reads: h and r read
// the chart and the runs' summaries, moving along the runs reads nothing,
// and enter reads the actions of the run under the cursor, once each time.
func TestHistoryReadsActionsOnEnter(t *testing.T) {
	f := newFake(EnvSandbox)
	h := start(t, f, 160, 45)
	h.waitFor("approved 0")
	h.keys(press("h"))
	h.waitFor("Runs (4)")
	h.keys(pressAll("j", "j", "k", "k")...)
	h.waitFor("Runs (4)")
	if reads, runs := f.historyCalls(); reads != 1 || len(runs) != 0 {
		t.Fatalf("after h and moves: %d History reads and runs %v read, want 1 and none", reads, runs)
	}
	h.keys(press("enter"))
	h.waitFor("Run 14 ·", "ana.diaz@contoso.com")
	h.keys(pressAll("esc", "j", "enter")...)
	h.waitFor("Run 13 ·", "journaled no actions")
	h.keys(pressAll("esc", "r")...)
	h.waitFor("Runs (4)", "r reload")
	if reads, runs := f.historyCalls(); reads != 2 || len(runs) != 2 || runs[0] != 14 || runs[1] != 13 {
		t.Errorf("after two runs opened and r: %d History reads and runs %v read, want 2 and [14 13]", reads, runs)
	}
}

// runSource is a historySource that lists the runs whose actions it read
// and fails those reads with fail when set.
type runSource struct {
	historyFunc
	reads []int64
	fail  error
}

func (r *runSource) HistoryRun(_ context.Context, runID int64) ([]roster.Record, error) {
	r.reads = append(r.reads, runID)
	if r.fail != nil {
		return nil, r.fail
	}
	return historyRunFixture(runID), nil
}

// TestHistoryRunAnswers drives a run's reads by hand: the run shows
// loading until its answer; an answer for a run the admin left (went back,
// opened another, or opened the same again) is dropped; an error goes back
// to the runs and says on the status line that enter reads again.
func TestHistoryRunAnswers(t *testing.T) {
	src := &runSource{historyFunc: func(_ context.Context, days int) (*roster.History, error) { return historyFixture(days), nil }}
	out := &outbox{}
	s := newHistory(src, Context{Width: 120, Height: 34, Out: out})
	c, _ := runCmds(t, s, out, s.Init())
	view := func() string { return ansi.Strip(c.View()) }
	enter := func() tea.Cmd {
		t.Helper()
		var cmd tea.Cmd
		c, cmd = c.Update(press("enter"))
		if cmd == nil {
			t.Fatal("enter read nothing")
		}
		return cmd
	}

	// enter on run 14, then back before the answer: it is dropped.
	first := enter()
	if v := view(); !strings.Contains(v, "Run 14 · Wed 4 Nov 2026 09:00 · auto · failed · 4 actions") || !strings.Contains(v, "loading…") {
		t.Errorf("run 14 while its actions are read:\n%s", v)
	}
	c, _ = keyIn(t, c, out, press("esc"))
	c, sent := runCmds(t, c, out, first)
	if v := view(); len(sent) != 0 || !strings.Contains(v, "Runs (4)") || strings.Contains(v, "Run 14 ·") {
		t.Errorf("an answer after esc: told the root %v, view:\n%s", sent, v)
	}

	// Run 14 again, and then run 13: the answers for 14 are dropped.
	again := enter()
	c, _ = keyIn(t, c, out, press("esc"), press("j"))
	second := enter()
	c, sent = runCmds(t, c, out, again)
	if v := view(); len(sent) != 0 || !strings.Contains(v, "Run 13 ·") || !strings.Contains(v, "loading…") {
		t.Errorf("run 14's answer while run 13 is open: told the root %v, view:\n%s", sent, v)
	}
	c, _ = keyIn(t, c, out, press("esc"), press("k"))
	third := enter()
	c, _ = runCmds(t, c, out, second)
	if v := view(); !strings.Contains(v, "Run 14 ·") || !strings.Contains(v, "loading…") {
		t.Errorf("run 13's answer while run 14 is open again:\n%s", v)
	}
	c, _ = runCmds(t, c, out, third)
	if v := view(); !strings.Contains(v, "ana.diaz@contoso.com") || strings.Contains(v, "loading…") {
		t.Errorf("run 14's own answer is not shown:\n%s", v)
	}
	if !slices.Equal(src.reads, []int64{14, 14, 13, 14}) {
		t.Errorf("runs read %v, want [14 14 13 14]: one read per enter", src.reads)
	}

	// A read that fails: back to the runs, and the status line says so.
	c, _ = keyIn(t, c, out, press("esc"))
	src.fail = errors.New("journal: read run 14: database is locked")
	c, sent = keyIn(t, c, out, press("enter"))
	if len(sent) != 1 || sent[0].(statusMsg).level != levelError ||
		sent[0].(statusMsg).text != "history: run 14's actions: journal: read run 14: database is locked — press enter to read them again" {
		t.Errorf("a failed read told the root %v", sent)
	}
	if v := view(); !strings.Contains(v, "Runs (4)") || strings.Contains(v, "Run 14 ·") {
		t.Errorf("after a failed read:\n%s", v)
	}
	src.fail = nil
	c, _ = keyIn(t, c, out, press("enter"))
	if v := view(); !strings.Contains(v, "ana.diaz@contoso.com") {
		t.Errorf("enter after a failed read:\n%s", v)
	}
}

// historyFunc is a historySource over a function, with historyRunFixture
// for the runs' actions.
type historyFunc func(ctx context.Context, days int) (*roster.History, error)

func (f historyFunc) History(ctx context.Context, days int) (*roster.History, error) {
	return f(ctx, days)
}

func (f historyFunc) HistoryRun(_ context.Context, runID int64) ([]roster.Record, error) {
	return historyRunFixture(runID), nil
}

// TestHistoryScreenAlone drives the History screen without the program:
// it shows a loading line until the journal answers, then the chart and
// the runs; enter shows a run's actions, esc goes back to the runs and
// then asks the root to leave; an error is shown with a status message and
// r reads again; an answer to an older read is dropped.
func TestHistoryScreenAlone(t *testing.T) {
	fail := true
	var asked []int
	src := historyFunc(func(_ context.Context, days int) (*roster.History, error) {
		asked = append(asked, days)
		if fail {
			return nil, errors.New("journal: daily counts: database is locked")
		}
		return historyFixture(days), nil
	})
	out := &outbox{}
	s := newHistory(src, Context{Width: 120, Height: 34, Out: out})
	cmd := s.Init()
	if v := ansi.Strip(s.View()); !strings.Contains(v, "reading the journal") {
		t.Errorf("no loading state before the answer:\n%s", v)
	}

	// The first read fails.
	c, sent := runCmds(t, s, out, cmd)
	if v := ansi.Strip(c.View()); !strings.Contains(v, "The journal could not be read: journal: daily counts: database is locked") {
		t.Errorf("the error is not shown:\n%s", v)
	}
	if len(sent) != 1 || !strings.Contains(sent[0].(statusMsg).text, "press r to retry") || sent[0].(statusMsg).level != levelError {
		t.Errorf("the error told the root %v", sent)
	}

	// r reads again, and the chart and runs appear.
	fail = false
	c, sent = keyIn(t, c, out, press("r"))
	if len(sent) != 0 || len(asked) != 2 || asked[1] != HistoryDays {
		t.Errorf("reload: told the root %v; reads %v", sent, asked)
	}
	v := ansi.Strip(c.View())
	for _, want := range []string{"History · last 30 days (6 Oct – 4 Nov)", "c created 55", "r reactivated 4", "u updated 8", "f failed 4",
		"Runs (4)", "14  Wed 04 Nov 09:00  auto", "13  Wed 04 Nov 08:00  tui dry", "refused"} {
		if !strings.Contains(v, want) {
			t.Errorf("the chart lacks %q:\n%s", want, v)
		}
	}

	// enter: the newest run's actions, cleaned and on one line each.
	c, _ = keyIn(t, c, out, press("enter"))
	v = ansi.Strip(c.View())
	for _, want := range []string{"Run 14 · Wed 4 Nov 2026 09:00 · auto · failed · 4 actions", "ana.diaz@contoso.com", "5512",
		"procore: create user: 422 email_address has already been taken (request 7f3c1b)", "job title: Foreman → Superintendent"} {
		if !strings.Contains(v, want) {
			t.Errorf("the run's actions lack %q:\n%s", want, v)
		}
	}
	if strings.ContainsAny(v, "\x1b\x07") || strings.Contains(v, "eA==") {
		t.Errorf("an escape sequence reached the screen:\n%q", v)
	}

	// esc: back to the runs, with the cursor where it was; j enter opens
	// the next run.
	c, sent = keyIn(t, c, out, press("esc"))
	if len(sent) != 0 || !strings.Contains(ansi.Strip(c.View()), "Runs (4)") {
		t.Errorf("esc in a run: told the root %v, view:\n%s", sent, ansi.Strip(c.View()))
	}
	c, _ = keyIn(t, c, out, press("j"), press("enter"))
	if v := ansi.Strip(c.View()); !strings.Contains(v, "Run 13 ·") || !strings.Contains(v, "journaled no actions") {
		t.Errorf("j enter does not show run 13:\n%s", v)
	}
	c, _ = keyIn(t, c, out, press("q"))

	// An answer to an older read is dropped.
	hs := c.(*historyScreen)
	c, _ = c.Update(historyLoadedMsg{s: hs, gen: hs.gen - 1, err: errors.New("stale")})
	if v := ansi.Strip(c.View()); strings.Contains(v, "stale") || !strings.Contains(v, "Runs (4)") {
		t.Errorf("a stale answer changed the screen:\n%s", v)
	}

	// esc on the runs asks the root to go back to the review.
	_, sent = keyIn(t, c, out, press("esc"))
	if len(sent) != 1 || sent[0] != (leaveMsg{from: screenHistory}) {
		t.Errorf("esc on the runs told the root %v, want leaveMsg from the History screen", sent)
	}
}

// TestHistoryChartScale checks the bars against the counts: the fullest
// day fills the height, a lone failure still shows, and an empty period
// says so.
func TestHistoryChartScale(t *testing.T) {
	day := func(i int) time.Time { return historyToday.AddDate(0, 0, i-2) }
	days := []roster.DayCounts{
		{Day: day(0), Created: 10},
		{Day: day(1), Created: 9, Failed: 1},
		{Day: day(2)},
	}
	lines := historyChart(days, 60, 5)
	bars := lines[1:6]
	column := func(col int) string {
		var b strings.Builder
		for _, l := range bars {
			r := []rune(ansi.Strip(l))
			if col < len(r) {
				b.WriteRune(r[col])
			}
		}
		return b.String()
	}
	// "10 ┤" then one column per day of width col.
	axis := len("10") + 2
	col := min(max((60-axis-1)/3, 1), 5)
	if got := column(axis); got != "ccccc" {
		t.Errorf("day 0 bar (top to bottom) = %q, want ccccc", got)
	}
	if got := column(axis + col); got != "fcccc" {
		t.Errorf("day 1 bar = %q, want fcccc: the failure must show", got)
	}
	if got := column(axis + 2*col); strings.TrimSpace(got) != "" {
		t.Errorf("day 2 bar = %q, want empty", got)
	}
	if !strings.Contains(ansi.Strip(lines[0]), "c created 19") || !strings.Contains(ansi.Strip(lines[0]), "f failed 1") {
		t.Errorf("legend = %q", ansi.Strip(lines[0]))
	}
	empty := historyChart([]roster.DayCounts{{Day: day(0)}, {Day: day(1)}}, 60, 3)
	if !strings.Contains(ansi.Strip(strings.Join(empty, "\n")), "no changes in these days") {
		t.Errorf("an empty period:\n%s", ansi.Strip(strings.Join(empty, "\n")))
	}
	for _, tc := range []struct {
		counts []int
		cells  int
	}{{[]int{1, 0, 0, 100}, 10}, {[]int{5, 5, 5, 5}, 3}, {[]int{1, 1, 1, 1}, 4}, {[]int{3, 0, 2, 1}, 6}, {[]int{3, 1, 2, 1}, 2}, {[]int{40, 0, 0, 0}, 10}} {
		got := stackCells(tc.counts, tc.cells)
		sum := 0
		for i, n := range got {
			sum += n
			if tc.counts[i] > 0 && n == 0 && (tc.cells >= len(tc.counts) || i == len(tc.counts)-1) {
				t.Errorf("stackCells(%v, %d) = %v hides count %d", tc.counts, tc.cells, got, i)
			}
		}
		if sum != tc.cells {
			t.Errorf("stackCells(%v, %d) = %v, sums to %d", tc.counts, tc.cells, got, sum)
		}
	}
}
