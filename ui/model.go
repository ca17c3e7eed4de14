package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	gosync "sync"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"procsync/sync"
)

// Options tunes the program. The zero value works; a real terminal wants
// AltScreen, and tests want StaticSpinner and a fixed StatusTTL.
type Options struct {
	// NoColor strips colours whatever the terminal says (NO_COLOR in the
	// environment already does this through the detected colour profile).
	NoColor bool
	// AltScreen runs full-window in the alternate screen.
	AltScreen bool
	// Input and Output replace the terminal, for tests and embedding.
	Input  io.Reader
	Output io.Writer
	// Width and Height fix the window size when Output is not a terminal
	// (tests, recordings); a terminal reports its own size.
	Width, Height int
	// Environ replaces os.Environ for terminal and NO_COLOR detection.
	Environ []string
	// StaticSpinner freezes the spinner on its first frame so that test
	// frames are deterministic.
	StaticSpinner bool
	// StatusTTL is how long info and warnings stay in the status line
	// (errors stay twice as long); 0 means 5 s, negative means forever.
	StatusTTL time.Duration
	// Explorer, when set, enables the sandbox explorer (`e` on the review).
	Explorer ExplorerBackend
	// Sandbox opens the explorer after sign-in instead of reading the
	// directories (`procsync sandbox`); it needs Explorer.
	Sandbox bool
}

// Run shows the TUI until the user quits or ctx ends. It returns the
// program's error, if any; quitting normally is not an error.
func Run(ctx context.Context, b Backend, opts Options) error {
	m := newModel(b, opts)
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
	if opts.Input != nil {
		popts = append(popts, tea.WithInput(opts.Input))
	}
	if opts.Output != nil {
		popts = append(popts, tea.WithOutput(opts.Output))
	}
	if opts.Environ != nil {
		popts = append(popts, tea.WithEnvironment(opts.Environ))
	}
	popts = append(popts, tea.WithColorProfile(colorProfile(opts)))
	if opts.Width > 0 && opts.Height > 0 {
		popts = append(popts, tea.WithWindowSize(opts.Width, opts.Height))
	}
	_, err := tea.NewProgram(m, popts...).Run()
	m.cancelAll()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return fmt.Errorf("ui: %w", ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("ui: %w", err)
	}
	return nil
}

// colorProfile is the terminal's detected profile, capped at plain text
// attributes when colour is off: by Options.NoColor, or by NO_COLOR set to
// any non-empty value as no-color.org defines it (colorprofile alone only
// honours values that parse as true).
func colorProfile(opts Options) colorprofile.Profile {
	env := opts.Environ
	if env == nil {
		env = os.Environ()
	}
	var out io.Writer = os.Stdout
	if opts.Output != nil {
		out = opts.Output
	}
	p := colorprofile.Detect(out, env)
	noColor := opts.NoColor
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "NO_COLOR="); ok && v != "" {
			noColor = true
		}
	}
	if noColor && p > colorprofile.Ascii {
		p = colorprofile.Ascii
	}
	return p
}

// New returns the root model, for teatest and for embedding in a program
// the caller builds.
func New(b Backend, opts Options) tea.Model { return newModel(b, opts) }

// screenID names a screen; messages from commands carry the id of the
// screen that started them, so only that screen reacts.
type screenID int

const (
	screenSignIn screenID = iota + 1
	screenLoading
	screenReview
	screenConfirm
	screenApply
	screenReport
	screenExplorer
)

// model is the root model: it owns the screens' state and routes messages.
type model struct {
	b     Backend
	opts  Options
	keys  KeyMap
	help  help.Model
	hdr   HeaderInfo
	graph bool
	proc  bool

	w, h     int
	screen   screenID
	showHelp bool
	status   statusLine
	spin     spinner.Model
	bar      bar

	// op is the running background operation (sign-in, snapshot, apply,
	// send); results from any other pump are stale and dropped.
	op     *pump
	cancel context.CancelFunc

	si signinState
	ld loadingState
	rv *review
	cf confirmState
	ap *applyState
	rp *reportState
	ex *explorer

	// quitAfterOp quits once the running operation returns: a second
	// ctrl+c during apply still lets the request in flight finish.
	quitAfterOp bool
	// asking is the quit prompt's question while it is shown; quitting
	// would discard approvals or an unsent report.
	asking string
	// armed is set by a ctrl+c that stopped an apply: the next ctrl+c
	// quits without asking. Any other key disarms it.
	armed bool
	// footH and statH are the footer's and the status line's heights (1
	// or 2 lines each), fixed in Update so that View lays out the same
	// rows Update clamped the lists to.
	footH, statH int
}

func newModel(b Backend, opts Options) *model {
	if opts.StatusTTL == 0 {
		opts.StatusTTL = 5 * time.Second
	}
	m := &model{b: b, opts: opts, keys: DefaultKeyMap(), help: help.New(), w: 80, h: 24, footH: 1, statH: 1}
	m.status.ttl = opts.StatusTTL
	m.spin = spinner.New(spinner.WithSpinner(spinner.Dot))
	m.hdr = b.Header()
	m.graph, m.proc = b.SignedIn()
	if m.graph && m.proc {
		m.screen = screenLoading
	} else {
		m.screen = screenSignIn
	}
	return m
}

// Init starts the snapshot straight away when both providers are signed in.
func (m *model) Init() tea.Cmd {
	if m.screen == screenLoading {
		return m.startSnapshot()
	}
	return nil
}

// pump carries a background operation's progress into the program without
// ever blocking the backend: progress values queue under a mutex and one
// wake-up is pending at most, so a burst of 100,000 events costs a handful
// of Updates.
type pump struct {
	screen screenID
	mu     gosync.Mutex
	items  []any
	wake   chan struct{}
	final  chan tea.Msg
	ctx    context.Context
}

func newPump(s screenID, ctx context.Context) *pump {
	return &pump{screen: s, wake: make(chan struct{}, 1), final: make(chan tea.Msg, 1), ctx: ctx}
}

func (p *pump) push(v any) {
	p.mu.Lock()
	p.items = append(p.items, v)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *pump) take() []any {
	p.mu.Lock()
	defer p.mu.Unlock()
	it := p.items
	p.items = nil
	return it
}

// finish delivers the operation's result; it never blocks (capacity 1).
func (p *pump) finish(m tea.Msg) { p.final <- m }

// pumpMsg carries queued progress items; done is non-nil for the last one.
type pumpMsg struct {
	p     *pump
	items []any
	done  tea.Msg
}

func (p *pump) next() tea.Cmd {
	return func() tea.Msg {
		select {
		case <-p.wake:
			return pumpMsg{p: p, items: p.take()}
		case d := <-p.final:
			return pumpMsg{p: p, items: p.take(), done: d}
		}
	}
}

// start launches fn as the current operation of screen s.
func (m *model) start(s screenID, fn func(ctx context.Context, p *pump) tea.Msg) tea.Cmd {
	m.cancelAll()
	ctx, cancel := context.WithCancel(context.Background())
	p := newPump(s, ctx)
	m.op, m.cancel = p, cancel
	go func() { p.finish(fn(ctx, p)) }()
	return p.next()
}

func (m *model) cancelAll() {
	if m.cancel != nil {
		m.cancel()
	}
}

// Operation results, delivered as pumpMsg.done.
type (
	signInDone struct {
		provider string
		err      error
	}
	snapshotDone struct {
		snap *sync.Snapshot
		plan sync.Plan
		// rv is the review screen, built off the UI goroutine: sorting and
		// indexing 100,000 rows takes longer than a frame.
		rv  *review
		err error
	}
	applyDone struct {
		res *ApplyResult
		err error
	}
	sendDone struct{ err error }
	// openDoneMsg is the result of opening the HTML report saved at path.
	openDoneMsg struct {
		screen screenID
		path   string
		err    error
	}
)

func (m *model) startSnapshot() tea.Cmd {
	if m.opts.Sandbox && m.opts.Explorer != nil {
		return m.openExplorer()
	}
	m.screen = screenLoading
	m.ld = loadingState{groupRead: map[string]int{}}
	cmds := []tea.Cmd{m.start(screenLoading, func(ctx context.Context, p *pump) tea.Msg {
		s, err := m.b.Snapshot(ctx, func(sp sync.SnapshotProgress) { p.push(sp) })
		if err != nil {
			return snapshotDone{err: err}
		}
		// Plan is pure but linear in the tenant's size: keep it off Update.
		plan := m.b.Plan(s)
		return snapshotDone{snap: s, plan: plan, rv: newReview(s, plan)}
	})}
	if !m.opts.StaticSpinner {
		cmds = append(cmds, m.spin.Tick)
	}
	return tea.Batch(cmds...)
}

// Update routes a message to the current screen, then relays the screen
// out when the footer needs another line (or one less).
func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	m.syncKeys()
	f, s := len(m.footerLines()), len(m.statusLines())
	if f != m.footH || s != m.statH {
		m.footH, m.statH = f, s
		m.layout()
	}
	return m, cmd
}

func (m *model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = max(msg.Width, 20), max(msg.Height, 8)
		m.layout()
		return nil
	case clearStatusMsg:
		m.status.clear(msg.id)
		return nil
	case spinner.TickMsg:
		// The spinner runs while something is being waited for; it stops
		// by not asking for the next tick.
		busy := m.screen == screenLoading || (m.screen == screenSignIn && m.si.running != "")
		if !busy || m.opts.StaticSpinner {
			return nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return cmd
	case pumpMsg:
		if msg.p != m.op {
			return nil // a cancelled or superseded operation
		}
		return m.onPump(msg)
	case openDoneMsg:
		if msg.screen != m.screen {
			return nil
		}
		if msg.err != nil {
			// Without a browser (over SSH, in a container) the path is
			// what the admin needs, not the opener's exit status.
			if msg.path != "" {
				return m.status.set(levelWarn, fmt.Sprintf("report saved at %s (no browser could open it: %v)", msg.path, msg.err))
			}
			return m.status.set(levelError, fmt.Sprintf("open report: %v", msg.err))
		}
		return m.status.set(levelInfo, "report opened in the browser")
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case exLoadedMsg, exConsoleMsg, exPickMsg, exWriteMsg:
		if m.ex == nil {
			return nil
		}
		return m.ex.onMsg(m, msg)
	}
	return nil
}

// openExplorer shows the explorer, building it (and reading the companies)
// the first time.
func (m *model) openExplorer() tea.Cmd {
	if m.opts.Explorer == nil {
		return nil
	}
	m.screen = screenExplorer
	if m.ex != nil {
		return nil
	}
	m.ex = newExplorer(m.opts.Explorer, m.hdr)
	m.ex.layout(m.w, m.bodyHeight())
	return m.ex.init()
}

// helpKeys is the key map of the current screen, for the footer and `?`.
func (m *model) helpKeys() help.KeyMap {
	if m.screen == screenExplorer && m.ex != nil && m.asking == "" {
		m.ex.keys.set(m.ex.mode, m.ex.writable, m.ex.canGoBack(m))
		return m.ex.keys
	}
	return m.keys
}

func (m *model) onPump(msg pumpMsg) tea.Cmd {
	var cmd tea.Cmd
	switch msg.p.screen {
	case screenSignIn:
		cmd = m.si.onPump(m, msg)
	case screenLoading:
		cmd = m.ld.onPump(m, msg)
	case screenApply:
		cmd = m.ap.onPump(m, msg)
	case screenReport:
		cmd = m.rp.onPump(m, msg)
	}
	if msg.done == nil {
		return tea.Batch(cmd, msg.p.next())
	}
	if m.op == msg.p {
		// The screen may already have started the next operation.
		m.op = nil
	}
	if m.quitAfterOp {
		return tea.Quit
	}
	return cmd
}

func (m *model) onKey(k tea.KeyPressMsg) tea.Cmd {
	m.syncKeys()
	if m.asking != "" {
		return m.onQuitPrompt(k)
	}
	if key.Matches(k, m.keys.ForceQuit) {
		return m.onCtrlC()
	}
	m.armed = false
	if m.showHelp {
		// Any key closes the help overlay; q still quits.
		m.showHelp = false
		if key.Matches(k, m.keys.Quit) {
			return m.requestQuit()
		}
		return nil
	}
	if key.Matches(k, m.keys.Help) && !m.typing() {
		m.showHelp = true
		return nil
	}
	if m.screen == screenReview && !m.typing() && key.Matches(k, m.keys.Explore) {
		return m.openExplorer()
	}
	switch m.screen {
	case screenExplorer:
		return m.ex.onKey(m, k)
	case screenSignIn:
		return m.si.onKey(m, k)
	case screenLoading:
		switch {
		case key.Matches(k, m.keys.Back):
			m.cancelAll()
			m.op = nil
			if m.rv != nil {
				m.screen = screenReview
				return m.status.set(levelWarn, "refresh cancelled: the plan shown is from the previous read")
			}
			m.screen = screenSignIn
			return m.status.set(levelWarn, "reading cancelled: press enter to read again")
		case key.Matches(k, m.keys.Quit):
			return m.requestQuit()
		}
	case screenReview:
		return m.rv.onKey(m, k)
	case screenConfirm:
		return m.cf.onKey(m, k)
	case screenApply:
		return m.ap.onKey(m, k)
	case screenReport:
		return m.rp.onKey(m, k)
	}
	return nil
}

// typing reports whether a text field owns the keyboard, so that `?` and
// letters are text rather than commands.
func (m *model) typing() bool {
	return m.filtering() || (m.screen == screenConfirm && m.cf.needType) ||
		(m.screen == screenSignIn && m.si.submit != nil) ||
		(m.screen == screenExplorer && m.ex != nil && m.ex.typing())
}

func (m *model) filtering() bool {
	return m.screen == screenReview && m.rv != nil && m.rv.filter.active
}

// quitSafely quits at once unless an apply is in flight: then it cancels,
// lets the request in flight finish so the journal stays consistent, and
// quits when Apply returns.
func (m *model) quitSafely() tea.Cmd {
	if m.screen == screenApply && m.op != nil {
		m.quitAfterOp = true
		m.ap.cancelling = true
		m.cancelAll()
		return m.status.set(levelWarn, "stopping after the request in flight, then quitting…")
	}
	m.cancelAll()
	if m.ex != nil {
		m.ex.close()
	}
	return tea.Quit
}

// layout sizes the components after a resize.
func (m *model) layout() {
	m.help.SetWidth(m.w)
	m.bar.width = max(10, m.w-16)
	if m.rv != nil {
		m.rv.layout(m.w, m.bodyHeight())
	}
	if m.ap != nil {
		m.ap.list.setHeight(m.bodyHeight() - 7)
	}
	if m.rp != nil {
		m.rp.list.setHeight(m.bodyHeight() - 4)
	}
	if m.ex != nil {
		m.ex.layout(m.w, m.bodyHeight())
	}
}

// bodyHeight is what is left between the two header lines and the status
// and footer lines.
func (m *model) bodyHeight() int { return max(m.h-2-max(m.statH, 1)-max(m.footH, 1), 4) }

// statusLines is the quit prompt, or the status message wrapped onto at
// most two lines: an error's request id at the end must stay readable.
func (m *model) statusLines() []string {
	if m.asking != "" {
		return []string{stWarn.Render(fit("? "+m.asking, m.w))}
	}
	return m.status.lines(m.w)
}

// syncKeys enables the bindings of the current screen, or only the quit
// prompt's answers while it is shown.
func (m *model) syncKeys() {
	m.keys.setScreen(m.screen, m.typing())
	m.keys.Explore.SetEnabled(m.keys.Explore.Enabled() && m.opts.Explorer != nil)
	if m.asking != "" {
		m.keys.asking()
	}
}

// View renders header, the screen's body, the status line and the footer.
func (m *model) View() tea.View {
	m.syncKeys()
	lines := make([]string, 0, m.h)
	lines = append(lines, m.headerLines()...)
	bh := m.bodyHeight()
	var body string
	switch {
	case m.showHelp:
		body = box("Keys", m.fullHelpLines(m.w-2), m.w, bh, true)
	case m.screen == screenSignIn:
		body = m.si.view(m, bh)
	case m.screen == screenLoading:
		body = m.ld.view(m, bh)
	case m.screen == screenReview:
		body = m.rv.view(m, bh)
	case m.screen == screenConfirm:
		body = m.cf.view(m, bh)
	case m.screen == screenApply:
		body = m.ap.view(m, bh)
	case m.screen == screenReport:
		body = m.rp.view(m, bh)
	case m.screen == screenExplorer:
		body = m.ex.view(m, bh)
	}
	bl := strings.Split(body, "\n")
	for i := 0; i < bh; i++ {
		if i < len(bl) {
			lines = append(lines, fit(bl[i], m.w))
		} else {
			lines = append(lines, strings.Repeat(" ", m.w))
		}
	}
	st := m.statusLines()
	for i := 0; i < max(m.statH, 1); i++ {
		l := ""
		if i < len(st) {
			l = st[i]
		}
		lines = append(lines, fit(l, m.w))
	}
	foot := m.footerLines()
	for i := 0; i < max(m.footH, 1); i++ {
		l := ""
		if i < len(foot) {
			l = foot[i]
		}
		lines = append(lines, fit(l, m.w))
	}
	v := tea.NewView(strings.Join(lines, "\n"))
	v.AltScreen = m.opts.AltScreen
	v.WindowTitle = "procsync"
	return v
}
