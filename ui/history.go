package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"procsync/internal/safetext"
	"procsync/sync/roster"
)

// HistoryDays is how many days the History screen's chart shows.
const HistoryDays = 30

// historySource is what the History screen needs of the Backend.
type historySource interface {
	History(ctx context.Context, days int) (*roster.History, error)
	HistoryRun(ctx context.Context, runID int64) ([]roster.Record, error)
}

// HistoryKeyMap is the History screen's key bindings; like KeyMap it
// implements help.KeyMap, so the footer and `?` show what the screen does.
type HistoryKeyMap struct {
	Help, ForceQuit key.Binding
	NavKeys
	Open, Back, Reload key.Binding
}

// DefaultHistoryKeyMap returns the History screen's bindings.
func DefaultHistoryKeyMap() HistoryKeyMap {
	b := key.NewBinding
	k, h := key.WithKeys, key.WithHelp
	return HistoryKeyMap{
		Help:      b(k("?"), h("?", "help")),
		ForceQuit: b(k("ctrl+c"), h("ctrl+c", "quit safely")),
		NavKeys:   DefaultNavKeys(),
		Open:      b(k("enter"), h("enter", "run's actions")),
		Back:      b(k("esc", "q"), h("esc/q", "back to review")),
		Reload:    b(k("r"), h("r", "reload")),
	}
}

// ShortHelp returns the footer's bindings.
func (k HistoryKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Help, k.Back, k.Open, k.Up, k.Down, k.Reload}
}

// FullHelp returns every binding grouped for the `?` overlay.
func (k HistoryKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown},
		{k.Open, k.Back, k.Reload},
		{k.Help, k.ForceQuit},
	}
}

// historyScreen is the History screen, opened with h on the review: a bar
// chart of what the runs of the last HistoryDays days did, per day, and
// the list of those runs' summaries; enter reads and shows a run's
// actions. It reads the journal through the backend in commands, showing
// a loading line until each answer comes and the error (r or enter
// retries) if it fails.
type historyScreen struct {
	src  historySource
	out  *outbox
	keys HistoryKeyMap
	w, h int

	// gen numbers the loads, so that only the latest answer is used.
	gen     int
	cancel  context.CancelFunc
	loading bool
	err     error
	hist    *roster.History
	runs    list
	// run is the run whose actions are shown; nil shows the chart.
	run *roster.RunSummary
	// runGen numbers the reads of a run's actions as gen does the loads:
	// an answer for a run the admin has left is dropped.
	runGen    int
	runCancel context.CancelFunc
	// runActions are run's actions once read; nil while they are read.
	runActions []roster.Record
	actions    []string
	vp         viewport.Model
}

var _ Component = (*historyScreen)(nil)

// historyLoadedMsg answers one of the screen's reads of the journal: a
// load (hist), or when run is not 0 the read of that run's actions. s and
// gen (runGen for a run) say which read it answers.
type historyLoadedMsg struct {
	s    *historyScreen
	gen  int
	hist *roster.History
	// run and actions answer a run's read.
	run     int64
	actions []roster.Record
	err     error
}

func newHistory(src historySource, ctx Context) *historyScreen {
	s := &historyScreen{src: src, out: ctx.Out, keys: DefaultHistoryKeyMap()}
	s.SetSize(ctx.Width, ctx.Height)
	s.settle()
	return s
}

// openHistory shows the History screen, reading the journal afresh: the
// runs may have changed since it was last open.
func (m *model) openHistory() tea.Cmd {
	if m.hi != nil {
		m.hi.close()
	}
	m.hi = newHistory(m.b, m.context())
	m.screen = screenHistory
	return m.hi.Init()
}

// Init implements Component: it starts reading the journal.
func (s *historyScreen) Init() tea.Cmd { return s.load() }

func (s *historyScreen) load() tea.Cmd {
	s.close()
	s.gen++
	s.loading, s.err = true, nil
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	gen, src := s.gen, s.src
	s.settle()
	return func() tea.Msg {
		h, err := src.History(ctx, HistoryDays)
		return historyLoadedMsg{s: s, gen: gen, hist: h, err: err}
	}
}

// close stops the reads in flight.
func (s *historyScreen) close() {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.closeRun()
}

// closeRun stops the read of a run's actions, if one is in flight; its
// answer, should it come anyway, no longer matches runGen.
func (s *historyScreen) closeRun() {
	s.runGen++
	if s.runCancel != nil {
		s.runCancel()
		s.runCancel = nil
	}
}

// SetSize implements Component.
func (s *historyScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	_, runsH := s.heights()
	s.runs.setHeight(runsH - 3)
	s.vp.SetWidth(max(1, w-2))
	s.vp.SetHeight(max(1, h-3))
	if s.run != nil && s.runActions != nil {
		s.actions = actionLines(s.runActions, w-2)
		s.vp.SetContentLines(s.actions)
	}
}

// heights splits the body between the chart's box and the runs' box: the
// chart's bars get up to 12 rows, and shrink on a short terminal so that
// a few runs stay in view.
func (s *historyScreen) heights() (chartH, runsH int) {
	bars := min(max(s.h-5-8, 3), 12)
	chartH = bars + 5
	return chartH, max(s.h-chartH, 3)
}

// ShortHelp implements help.KeyMap.
func (s *historyScreen) ShortHelp() []key.Binding { return s.keys.ShortHelp() }

// FullHelp implements help.KeyMap.
func (s *historyScreen) FullHelp() [][]key.Binding { return s.keys.FullHelp() }

// Update implements Component: the journal's answer and keys.
func (s *historyScreen) Update(msg tea.Msg) (Component, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case historyLoadedMsg:
		if msg.run != 0 {
			if msg.s == s && msg.gen == s.runGen && s.run != nil && s.run.ID == msg.run {
				cmd = s.onRunActions(msg.actions, msg.err)
				s.settle()
			}
			return s, cmd
		}
		if msg.s != s || msg.gen != s.gen {
			return s, nil
		}
		s.loading, s.cancel = false, nil
		s.err, s.hist = msg.err, msg.hist
		if msg.err == nil && msg.hist == nil {
			s.hist = &roster.History{}
		}
		if s.hist != nil {
			s.runs = newList(make([]string, len(s.hist.Runs)))
			s.SetSize(s.w, s.h)
		}
		if msg.err != nil {
			cmd = s.out.status(levelError, fmt.Sprintf("history: %v — press r to retry", msg.err))
		}
	case tea.KeyPressMsg:
		cmd = s.onKey(msg)
	}
	s.settle()
	return s, cmd
}

func (s *historyScreen) onKey(k tea.KeyPressMsg) tea.Cmd {
	keys := &s.keys
	if s.run != nil {
		switch {
		case key.Matches(k, keys.Back):
			s.closeRun()
			s.run, s.runActions, s.actions = nil, nil, nil
		case key.Matches(k, keys.Up):
			s.vp.ScrollUp(1)
		case key.Matches(k, keys.Down):
			s.vp.ScrollDown(1)
		case key.Matches(k, keys.PageUp):
			s.vp.ScrollUp(s.vp.Height())
		case key.Matches(k, keys.PageDown):
			s.vp.ScrollDown(s.vp.Height())
		case key.Matches(k, keys.Top):
			s.vp.GotoTop()
		case key.Matches(k, keys.Bottom):
			s.vp.GotoBottom()
		}
		return nil
	}
	switch {
	case key.Matches(k, keys.Back):
		s.close()
		return s.out.send(leaveMsg{from: screenHistory})
	case key.Matches(k, keys.Reload):
		return s.load()
	case key.Matches(k, keys.Open):
		if i := s.runs.current(); i >= 0 && s.hist != nil {
			return s.openRun(&s.hist.Runs[i])
		}
		return nil
	}
	s.runs.navigate(k, &keys.NavKeys)
	return nil
}

// openRun shows run r, loading until its actions are read: the list holds
// only the runs' summaries, as a month of runs can journal millions of
// actions and the admin opens a few.
func (s *historyScreen) openRun(r *roster.RunSummary) tea.Cmd {
	s.closeRun()
	s.run, s.runActions, s.actions = r, nil, nil
	s.vp.SetContentLines(nil)
	s.vp.GotoTop()
	ctx, cancel := context.WithCancel(context.Background())
	s.runCancel = cancel
	gen, src, id := s.runGen, s.src, r.ID
	return func() tea.Msg {
		actions, err := src.HistoryRun(ctx, id)
		return historyLoadedMsg{s: s, gen: gen, run: id, actions: actions, err: err}
	}
}

// onRunActions takes the open run's actions, rendered once here (and again
// on a resize) so that View only reads. When they cannot be read the
// screen goes back to the runs, where enter reads them again.
func (s *historyScreen) onRunActions(actions []roster.Record, err error) tea.Cmd {
	// The read is over; cancelling frees its context.
	s.closeRun()
	if err != nil {
		id := s.run.ID
		s.run = nil
		return s.out.status(levelError, fmt.Sprintf("history: run %d's actions: %v — press enter to read them again", id, err))
	}
	if actions == nil {
		actions = []roster.Record{}
	}
	s.runActions = actions
	s.actions = actionLines(actions, s.w-2)
	s.vp.SetContentLines(s.actions)
	s.vp.GotoTop()
	return nil
}

// settle enables the bindings that act now.
func (s *historyScreen) settle() {
	k := &s.keys
	for _, b := range []*key.Binding{&k.Up, &k.Down, &k.Top, &k.Bottom, &k.PageUp, &k.PageDown, &k.Open, &k.Reload} {
		b.SetEnabled(s.hist != nil && s.run == nil && !s.loading)
	}
	k.Reload.SetEnabled(s.run == nil)
	k.Open.SetEnabled(k.Open.Enabled() && s.hist != nil && len(s.hist.Runs) > 0)
	k.Back.SetHelp("esc/q", "back to review")
	if s.run != nil {
		k.Back.SetHelp("esc/q", "back to runs")
		for _, b := range []*key.Binding{&k.Up, &k.Down, &k.Top, &k.Bottom, &k.PageUp, &k.PageDown} {
			b.SetEnabled(true)
		}
	}
}

// View implements Component.
func (s *historyScreen) View() string {
	switch {
	case s.loading:
		return box("History", []string{stInfo.Render("reading the journal…")}, s.w, s.h, true)
	case s.err != nil:
		return box("History", []string{stErr.Render("The journal could not be read: " + safetext.Line(s.err.Error())),
			"", stDim.Render("r reads it again · esc goes back to the review")}, s.w, s.h, true)
	case s.run != nil:
		return s.runView()
	}
	chartH, runsH := s.heights()
	days := s.hist.Days
	title := fmt.Sprintf("History · last %d days", len(days))
	if len(days) > 0 {
		title += fmt.Sprintf(" (%s – %s)", days[0].Day.Format("2 Jan"), days[len(days)-1].Day.Format("2 Jan"))
	}
	chart := box(title, historyChart(days, s.w-2, chartH-5), s.w, chartH, false)
	runsTitle := fmt.Sprintf("Runs (%d)", len(s.hist.Runs))
	body := []string{stDim.Render(runHeader())}
	if len(s.hist.Runs) == 0 {
		body = append(body, stDim.Render("No runs in these days. Runs appear here once procsync has applied a plan."))
	}
	body = append(body, s.runs.view(s.w-2, true, func(i, _ int) string { return s.runRow(&s.hist.Runs[i]) })...)
	return chart + "\n" + box(runsTitle, body, s.w, runsH, true)
}

// zone is where the chart's days were counted: the runs' times are shown
// in it too, so that a run's row and its day's bar agree.
func (s *historyScreen) zone() *time.Location {
	if s.hist != nil && len(s.hist.Days) > 0 {
		return s.hist.Days[0].Day.Location()
	}
	return time.Local
}

// runHeader is the runs list's column header; runRow's columns match it.
func runHeader() string {
	return fmt.Sprintf("%6s  %-16s  %-8s  %4s %4s %4s %4s  %-11s  %s", "RUN", "STARTED", "MODE", "c", "r", "u", "f", "OUTCOME", "ACTIONS")
}

func (s *historyScreen) runRow(r *roster.RunSummary) string {
	mode := safetext.Line(r.Mode)
	if r.DryRun {
		mode += " dry"
	}
	outcome := safetext.Line(r.Outcome)
	st := stDim
	switch outcome {
	case "done":
		st = stOK
	case "failed":
		st = stErr
	case "refused", "interrupted":
		st = stWarn
	case "running":
		st = stInfo
	}
	return fmt.Sprintf("%6d  %-16s  %-8s  %4d %4d %4d %4d  ", r.ID, r.Started.In(s.zone()).Format("Mon 02 Jan 15:04"),
		mode, r.Created, r.Reactivated, r.Updated, r.Failed) + st.Render(fmt.Sprintf("%-11s", outcome)) + "  " +
		stDim.Render(strconv.Itoa(r.Actions))
}

// runView is a run's actions, scrolled by the viewport, or a loading
// line while they are read.
func (s *historyScreen) runView() string {
	r := s.run
	// The summary's count until the actions come: a running run may have
	// journaled more since the list was read.
	n := r.Actions
	if s.runActions != nil {
		n = len(s.runActions)
	}
	title := fmt.Sprintf("Run %d · %s · %s · %s · %d actions", r.ID, r.Started.In(s.zone()).Format("Mon 2 Jan 2006 15:04"),
		safetext.Line(r.Mode), safetext.Line(r.Outcome), n)
	lines := s.actions
	switch {
	case s.runActions == nil:
		lines = []string{stInfo.Render("loading…")}
	case len(lines) == 0:
		lines = []string{stDim.Render("This run journaled no actions: nothing needed doing, or it stopped before applying.")}
	}
	h := s.h - 1
	off := min(s.vp.YOffset(), max(len(lines)-1, 0))
	end := min(len(lines), off+h-2)
	if len(lines) > h-2 {
		title += fmt.Sprintf("  (lines %d–%d of %d)", off+1, end, len(lines))
	}
	cols := actionColumns(s.w - 2)
	head := " " + stDim.Render(fit("KIND", 11)+" "+fit("STATUS", 8)+" "+fit("EMAIL", cols.email)+" "+fit("NAME", cols.name)+" "+
		fit("PROCORE ID", 10)+" DETAIL")
	return head + "\n" + box(title, lines[off:end], s.w, h, true)
}

// actionCols are the widths of an action line's email and name columns,
// and the room left for its detail on the same line.
type actionCols struct{ email, name, detail int }

// actionColumns fits the action columns into width: kind, status and
// Procore id are fixed; email and name share what is left up to 30 and 22
// cells, and the detail takes the rest (it wraps below when it is short).
func actionColumns(width int) actionCols {
	free := max(width-11-8-10-5, 20)
	email := min(30, free*3/5)
	name := min(22, free-email)
	return actionCols{email: email, name: name, detail: max(width-11-8-10-5-email-name, 0)}
}

// actionLines renders a run's actions width cells wide, one line each and
// the detail (the reason, or the error with its request id) wrapped below
// when it does not fit, cleaned of escape sequences whatever the journal
// holds.
func actionLines(actions []roster.Record, width int) []string {
	cols := actionColumns(width)
	out := make([]string, 0, len(actions))
	line := safetext.Line
	for _, a := range actions {
		detail := a.Reason
		if a.Error != "" {
			detail = a.Error
			if a.RequestID != "" {
				detail += " (request " + a.RequestID + ")"
			}
		}
		if a.ProjectID != 0 {
			detail = fmt.Sprintf("project %d; %s", a.ProjectID, detail)
		}
		id := "-"
		if a.ProcoreID != 0 {
			id = strconv.FormatInt(a.ProcoreID, 10)
		}
		// Labelled and coloured as the plan pane shows kinds ("to project").
		kind := line(kindLabel(a.Kind))
		st := kindStyle[string(a.Kind)]
		status := line(string(a.Status))
		stStatus := stDim
		switch a.Status {
		case roster.StatusDone:
			stStatus = stOK
		case roster.StatusFailed:
			stStatus = stErr
		}
		name := strings.TrimSpace(line(a.FirstName) + " " + line(a.LastName))
		detail = strings.Join(strings.Fields(line(detail)), " ")
		row := st.Render(fit(kind, 11)) + " " + stStatus.Render(fit(status, 8)) + " " + fit(line(a.Address), cols.email) + " " +
			fit(name, cols.name) + " " + fit(id, 10) + " "
		if ansi.StringWidth(detail) <= cols.detail {
			out = append(out, row+detail)
			continue
		}
		out = append(out, row)
		for j, l := range strings.Split(ansi.Wrap(detail, max(width-6, 10), " "), "\n") {
			mark := "      "
			if j == 0 {
				mark = "    " + stDim.Render("↳ ")
			}
			out = append(out, mark+l)
		}
	}
	return out
}
