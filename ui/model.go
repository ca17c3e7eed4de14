package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"procsync/sync/roster"
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
	screenHistory
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

	w, h   int
	screen screenID
	// out is the screens' outbox: what they ask of the root, drained after
	// every message.
	out outbox
	// hl is the `?` overlay while it is shown.
	hl     *helpScreen
	status statusLine
	spin   spinner.Model

	// op is the running background operation (sign-in, snapshot, apply,
	// send); results from any other pump are stale and dropped.
	op     *pump
	cancel context.CancelFunc

	si *signinScreen
	ld *loadingScreen
	rv *review
	cf *confirmScreen
	ap *applyScreen
	rp *reportScreen
	ex *explorer
	hi *historyScreen

	// quitAfterOp quits once the running operation returns: a second
	// ctrl+c during apply still lets the request in flight finish.
	quitAfterOp bool
	// qp is the quit prompt while it is shown: quitting would discard
	// approvals or an unsent report.
	qp *quitPrompt
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
	m.si = newSignin(m.context(), &m.keys, m.graph, m.proc, signInNeeds(b))
	m.si.Update(spinFrameMsg(m.spinFrame()))
	if m.graph && m.proc {
		m.screen = screenLoading
	} else {
		m.screen = screenSignIn
	}
	// View only reads the bindings; every Update syncs them after.
	m.syncKeys()
	return m
}

// Init starts the snapshot straight away when both providers are signed in.
func (m *model) Init() tea.Cmd {
	if m.screen == screenLoading {
		return m.startSnapshot()
	}
	return nil
}

// Operation results, delivered as pumpMsg.done.
type (
	signInDone struct {
		provider string
		err      error
	}
	snapshotDone struct {
		snap *roster.Snapshot
		plan roster.Plan
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

// Update routes a message to the current screen, then relays the screen
// out when the footer needs another line (or one less).
func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	// What the screens asked of the root takes effect now, before the
	// next message: a key queued behind the one that switched screens
	// must meet the new screen.
	for msgs := m.out.drain(); len(msgs) > 0; msgs = m.out.drain() {
		for _, r := range msgs {
			if c, ok := m.onRequest(r); ok {
				cmd = tea.Batch(cmd, c)
			}
		}
	}
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
		if m.ld != nil {
			m.ld.Update(spinFrameMsg(m.spinFrame()))
		}
		m.si.Update(spinFrameMsg(m.spinFrame()))
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
	case historyLoadedMsg:
		if m.hi != nil {
			_, cmd := m.hi.Update(msg)
			return cmd
		}
		return nil
	}
	if cmd, ok := m.onResolveResult(msg); ok {
		return cmd
	}
	// Anything else answers a command of the explorer's: it keeps its
	// state while the review is shown, so it hears its answers there too.
	if m.ex != nil {
		_, cmd := m.ex.Update(msg)
		return cmd
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
	m.ex = newExplorer(m.opts.Explorer, m.context())
	m.ex.setBack(m.rv != nil)
	m.ex.SetSize(m.w, m.bodyHeight())
	return m.ex.Init()
}

// helpKeys is the key map of the current screen, for the footer and `?`.
func (m *model) helpKeys() help.KeyMap {
	if m.screen == screenExplorer && m.ex != nil && m.qp == nil {
		return m.ex
	}
	if m.screen == screenHistory && m.hi != nil && m.qp == nil {
		return m.hi
	}
	return &m.keys
}

func (m *model) onPump(msg pumpMsg) tea.Cmd {
	var cmd tea.Cmd
	switch msg.p.screen {
	case screenSignIn:
		cmd = m.onSignInPump(msg)
	case screenLoading:
		cmd = m.onSnapshotPump(msg)
	case screenApply:
		cmd = m.onApplyPump(msg)
	case screenReport:
		if msg.done != nil {
			_, cmd = m.rp.Update(msg.done)
		}
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
	if m.qp != nil {
		return m.onQuitPrompt(k)
	}
	if key.Matches(k, m.keys.ForceQuit) {
		return m.onCtrlC()
	}
	m.armed = false
	if m.hl != nil {
		// Any key closes the help overlay; q still quits.
		m.hl = nil
		if key.Matches(k, m.keys.Quit) {
			return m.requestQuit()
		}
		return nil
	}
	if key.Matches(k, m.keys.Help) && !m.typing() {
		m.hl = newHelpScreen(m.helpKeys(), m.w, m.bodyHeight())
		return nil
	}
	if m.screen == screenReview && !m.typing() && key.Matches(k, m.keys.Explore) {
		return m.openExplorer()
	}
	if m.screen == screenReview && !m.typing() && key.Matches(k, m.keys.History) {
		return m.openHistory()
	}
	switch m.screen {
	case screenHistory:
		_, cmd := m.hi.Update(k)
		return cmd
	case screenExplorer:
		_, cmd := m.ex.Update(k)
		return cmd
	case screenSignIn:
		_, cmd := m.si.Update(k)
		return cmd
	case screenLoading:
		_, cmd := m.ld.Update(k)
		return cmd
	case screenReview:
		_, cmd := m.rv.Update(k)
		return cmd
	case screenConfirm:
		_, cmd := m.cf.Update(k)
		return cmd
	case screenApply:
		_, cmd := m.ap.Update(k)
		return cmd
	case screenReport:
		_, cmd := m.rp.Update(k)
		return cmd
	}
	return nil
}

// typing reports whether a text field owns the keyboard, so that `?` and
// letters are text rather than commands.
func (m *model) typing() bool {
	return m.filtering() || (m.screen == screenReview && m.rv != nil && m.rv.typing()) || (m.screen == screenConfirm && m.cf.typing()) ||
		(m.screen == screenSignIn && m.si.typing()) ||
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
	if m.rv != nil {
		m.rv.SetSize(m.w, m.bodyHeight())
	}
	if m.qp != nil {
		m.qp.SetSize(m.w, 1)
	}
	if m.hl != nil {
		m.hl.SetSize(m.w, m.bodyHeight())
	}
	m.si.SetSize(m.w, m.bodyHeight())
	if m.ld != nil {
		m.ld.SetSize(m.w, m.bodyHeight())
	}
	if m.cf != nil {
		m.cf.SetSize(m.w, m.bodyHeight())
	}
	if m.ap != nil {
		m.ap.SetSize(m.w, m.bodyHeight())
	}
	if m.rp != nil {
		m.rp.SetSize(m.w, m.bodyHeight())
	}
	if m.ex != nil {
		m.ex.SetSize(m.w, m.bodyHeight())
	}
	if m.hi != nil {
		m.hi.SetSize(m.w, m.bodyHeight())
	}
}

// context is what the screens share: the header and the body's size.
func (m *model) context() Context {
	return Context{Header: m.hdr, Width: m.w, Height: m.bodyHeight(), Out: &m.out}
}

// bodyHeight is what is left between the two header lines and the status
// and footer lines.
func (m *model) bodyHeight() int { return max(m.h-2-max(m.statH, 1)-max(m.footH, 1), 4) }

// statusLines is the quit prompt, or the status message wrapped onto at
// most two lines: an error's request id at the end must stay readable.
func (m *model) statusLines() []string {
	if m.qp != nil {
		return []string{m.qp.View()}
	}
	return m.status.lines(m.w)
}

// syncKeys enables the bindings of the current screen, or only the quit
// prompt's answers while it is shown.
func (m *model) syncKeys() {
	m.keys.setScreen(m.screen, m.typing())
	m.keys.Explore.SetEnabled(m.keys.Explore.Enabled() && m.opts.Explorer != nil)
	m.keys.setResolving(m.reviewShown(), m.resolver() != nil)
	if m.qp != nil {
		m.keys.asking()
	}
}

// View renders header, the screen's body, the status line and the footer.
func (m *model) View() tea.View {
	lines := make([]string, 0, m.h)
	lines = append(lines, m.headerLines()...)
	bh := m.bodyHeight()
	var body string
	switch {
	case m.hl != nil:
		body = m.hl.View()
	case m.screen == screenSignIn:
		body = m.si.View()
	case m.screen == screenLoading:
		body = m.ld.View()
	case m.screen == screenReview:
		body = m.rv.View()
	case m.screen == screenConfirm:
		body = m.cf.View()
	case m.screen == screenApply:
		body = m.ap.View()
	case m.screen == screenReport:
		body = m.rp.View()
	case m.screen == screenExplorer:
		body = m.ex.View()
	case m.screen == screenHistory:
		body = m.hi.View()
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
