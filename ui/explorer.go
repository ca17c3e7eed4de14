package ui

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// The explorer is a Component made of four parts, one file each: the tree
// of lazily read folders (explorer_tree.go), the detail pane with the
// selected object's JSON or the console's answer (explorer_detail.go), the
// GET console with its history (explorer_console.go) and the three sandbox
// writes, form → pick → confirm (explorer_writes.go). This file routes
// messages and keys to them and lays them out.

// explorer is the sandbox explorer screen: a lazily read tree of the
// Procore company and the Graph license groups, the selected object as JSON,
// a GET console and, in a sandbox only, three small writes.
type explorer struct {
	b        ExplorerBackend
	writable bool
	env      string
	keys     ExplorerKeyMap
	// back is set when the explorer was opened from the review: q and esc
	// then go back to it instead of quitting.
	back bool
	// out carries the explorer's messages to the root.
	out    *outbox
	ctx    context.Context
	cancel context.CancelFunc

	roots []*xnode
	rows  []*xnode
	tree  list
	// selectAfter selects the user with this id once its folder is read
	// again (after a create).
	selectAfter int64
	// openCompany is the configured company, opened when companies arrive.
	openCompany int64

	detail  detailPane
	mode    explorerMode
	filter  lineInput
	console console
	busy    string

	form    userForm
	pick    pickState
	confirm confirmX

	w, h, treeW, paneH int
}

// Explorer messages. Each carries what it answers, so a stale answer is
// recognised and dropped. The root does not know them: it forwards every
// message it does not handle itself to the explorer.
type (
	exLoadedMsg struct {
		n     *xnode
		gen   int
		items []ExplorerItem
		err   error
	}
	exConsoleMsg struct {
		resp *ConsoleResponse
		err  error
	}
	exWriteMsg struct {
		what    string
		item    ExplorerItem
		node    *xnode
		company *xnode
		project int64
		err     error
	}
	exPickMsg struct {
		step  int
		items []ExplorerItem
		err   error
	}
)

func newExplorer(b ExplorerBackend, ctx Context) *explorer {
	hdr := ctx.Header
	e := &explorer{b: b, env: hdr.Environment, keys: DefaultExplorerKeyMap(), openCompany: hdr.CompanyID, out: ctx.Out}
	// Both the environment and the backend must allow writes: a production
	// config never writes, whatever a backend claims.
	switch hdr.Environment {
	case EnvSandbox, EnvMonthly, EnvDemo:
		e.writable = b.Writable()
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	proc := &xnode{kind: nkSection, label: sectionProcore, open: true}
	gr := &xnode{kind: nkSection, label: sectionGraph, open: true, loaded: true}
	gr.add(nkGroups, "License groups")
	gr.add(nkSKUs, "Subscribed SKUs")
	e.roots = []*xnode{proc, gr}
	e.console.input.prompt = ":"
	e.filter.prompt = "/"
	e.rebuild()
	e.SetSize(ctx.Width, ctx.Height)
	e.settle()
	return e
}

// setBack says whether the explorer was opened from the review.
func (e *explorer) setBack(back bool) {
	e.back = back
	e.settle()
}

// Init reads the companies.
func (e *explorer) Init() tea.Cmd { return e.load(e.roots[0]) }

// close cancels the reads and writes in flight.
func (e *explorer) close() {
	if e.cancel != nil {
		e.cancel()
	}
}

// SetSize lays the tree and the detail pane out in the body.
func (e *explorer) SetSize(w, h int) {
	e.w, e.h = w, h
	e.treeW = max(30, w*2/5)
	e.paneH = max(4, h-2)
	e.tree.setHeight(e.paneH - 2)
	e.detail.vp.SetHeight(e.paneH - 2)
	e.detail.vp.SetWidth(max(1, w-e.treeW-2))
	e.pick.list.setHeight(max(1, e.paneH-5))
}

// ShortHelp implements help.KeyMap with the bindings live in this mode.
func (e *explorer) ShortHelp() []key.Binding { return e.keys.ShortHelp() }

// FullHelp implements help.KeyMap.
func (e *explorer) FullHelp() [][]key.Binding { return e.keys.FullHelp() }

// Update handles keys and the explorer's own messages.
func (e *explorer) Update(msg tea.Msg) (Component, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		cmd = e.onKey(msg)
	case exLoadedMsg:
		cmd = e.onLoaded(msg)
	case exConsoleMsg:
		e.busy = ""
		if msg.err != nil {
			cmd = e.out.status(levelError, msg.err.Error())
			break
		}
		e.detail.resp = msg.resp
		e.detail.focus = true
		e.detail.top = true
		cmd = e.out.status(levelInfo, fmt.Sprintf("GET %s %s: %d %s", msg.resp.API, msg.resp.Path,
			msg.resp.Status, http.StatusText(msg.resp.Status)))
	case exPickMsg:
		cmd = e.onPickLoaded(msg)
	case exWriteMsg:
		cmd = e.onWrite(msg)
	}
	e.settle()
	return e, cmd
}

// settle brings what View reads up to date after a change: the bindings
// of the mode, and the detail pane's lines for the selected row.
func (e *explorer) settle() {
	e.keys.set(e.mode, e.writable, e.back)
	e.refreshDetail()
}

// typing reports whether a text field has the keyboard.
func (e *explorer) typing() bool {
	return e.mode == modeFilter || e.mode == modeConsole || e.mode == modeForm
}

func (e *explorer) onKey(k tea.KeyPressMsg) tea.Cmd {
	switch e.mode {
	case modeFilter:
		e.filterKey(k)
		return nil
	case modeConsole:
		return e.consoleKey(k)
	case modeForm:
		return e.formKey(k)
	case modePick:
		return e.pickKey(k)
	case modeConfirm:
		return e.confirmKey(k)
	}
	before := e.current()
	cmd := e.browseKey(k)
	if e.current() != before {
		// Moving in the tree shows the new row's JSON instead of the last
		// console answer.
		e.detail.resp, e.detail.top = nil, true
	}
	return cmd
}

func (e *explorer) filterKey(k tea.KeyPressMsg) {
	if !e.tree.filtering(k, &e.keys.FilterKeys, e.keys.Back, &e.filter) {
		e.mode = modeBrowse
	}
	e.filter.active = e.mode == modeFilter
}

// View renders the banner, the tree beside the detail pane (or a write's
// form, pick or confirmation), and the console line.
func (e *explorer) View() string {
	rw := e.w - e.treeW
	treeFocus := !e.detail.focus && e.mode != modeForm && e.mode != modePick && e.mode != modeConfirm
	left := box(e.treeTitle(), e.tree.view(e.treeW-2, treeFocus, e.renderRow), e.treeW, e.paneH, treeFocus)
	var right string
	if title, lines := e.modalLines(rw - 2); title != "" {
		right = box(title, lines, rw, e.paneH, true)
	} else {
		right = e.detailBox(rw, e.paneH)
	}
	ll, rl := strings.Split(left, "\n"), strings.Split(right, "\n")
	var b strings.Builder
	b.WriteString(e.banner(e.w))
	for i := range ll {
		b.WriteByte('\n')
		b.WriteString(ll[i])
		if i < len(rl) {
			b.WriteString(rl[i])
		}
	}
	b.WriteByte('\n')
	switch {
	case e.mode == modeConsole:
		b.WriteString(e.console.input.view() + stDim.Render("   graph /v1.0/…  or  procore /rest/v1.0/…  ·  ↑/↓ history"))
	case e.busy != "":
		b.WriteString(stInfo.Render(e.busy + " …"))
	default:
		b.WriteString(stDim.Render(": GET console — graph /v1.0/organization  ·  procore /rest/v1.0/me"))
	}
	return b.String()
}

// banner is the explorer's first line: what it may do here.
func (e *explorer) banner(w int) string {
	if !e.writable {
		st := lipgloss.NewStyle().Background(colRed).Foreground(colWhite).Bold(true)
		return st.Render(fit(" READ-ONLY · "+strings.ToUpper(e.env)+
			": the explorer never writes here; create, deactivate and add-to-project are off", w))
	}
	st := lipgloss.NewStyle().Background(colYellow).Foreground(colBlack).Bold(true)
	return st.Render(fit(" SANDBOX EXPLORER · "+strings.ToUpper(e.env)+
		": writes allowed: c create test user · d deactivate/reactivate · p add to project", w))
}

// summary is the header's second line on the explorer.
func (e *explorer) summary() string {
	mode := stOK.Render("writes allowed (sandbox)")
	if !e.writable {
		mode = stErr.Render("read-only")
	}
	return stBold.Render("explorer") + stDim.Render(" │ ") + mode
}
