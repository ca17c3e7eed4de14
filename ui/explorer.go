package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// nodeKind says what a row of the explorer's tree stands for, and so what
// opening it reads.
type nodeKind int

const (
	nkSection nodeKind = iota // "Procore", "Microsoft Graph"
	nkCompany
	nkProjects // folder; its status cycles Active → Inactive → All
	nkProject
	nkProjectUser
	nkUsers
	nkUser
	nkTemplates
	nkTemplate
	nkVendors
	nkVendor
	nkGroups
	nkGroup
	nkMember
	nkSKUs
	nkSKU
	nkInfo // a message row: loading, error, empty
)

// Section labels; the sections' children are fixed.
const (
	sectionProcore = "Procore"
	sectionGraph   = "Microsoft Graph (read-only)"
)

// projectStatuses is the cycle of the projects folder's filter, in the
// values Procore's filters[by_status] takes.
var projectStatuses = []string{"Active", "Inactive", "All"}

// xnode is one row of the tree. Folders read their children when first
// opened; gen drops the answer of a read that was superseded by a reload.
type xnode struct {
	kind     nodeKind
	label    string
	item     ExplorerItem
	company  *xnode
	status   string
	parent   *xnode
	children []*xnode
	depth    int
	open     bool
	loaded   bool
	loading  bool
	gen      int
	err      string
}

func (n *xnode) expandable() bool {
	switch n.kind {
	case nkSection, nkCompany, nkProjects, nkProject, nkUsers, nkTemplates, nkVendors, nkGroups, nkGroup, nkSKUs:
		return true
	}
	return false
}

func (n *xnode) add(kind nodeKind, label string) *xnode {
	c := &xnode{kind: kind, label: label, parent: n, depth: n.depth + 1, company: n.company}
	n.children = append(n.children, c)
	return c
}

// ancestor returns the nearest node of kind k, n included.
func (n *xnode) ancestor(k nodeKind) *xnode {
	for ; n != nil; n = n.parent {
		if n.kind == k {
			return n
		}
	}
	return nil
}

// explorer is the sandbox explorer screen: a lazily read tree of the
// Procore company and the Graph license groups, the selected object as JSON,
// a GET console and, in a sandbox only, three small writes.
type explorer struct {
	b        ExplorerBackend
	writable bool
	env      string
	keys     ExplorerKeyMap
	ctx      context.Context
	cancel   context.CancelFunc

	roots []*xnode
	rows  []*xnode
	tree  list
	// selectAfter selects the user with this id once its folder is read
	// again (after a create).
	selectAfter int64
	// openCompany is the configured company, opened when companies arrive.
	openCompany int64

	focusJSON bool
	dOff      int
	dLines    []string
	dFor      *xnode

	mode    explorerMode
	filter  lineInput
	console lineInput
	history []string
	histPos int
	resp    *ConsoleResponse
	busy    string

	form    userForm
	pick    pickState
	confirm confirmX

	w, h, treeW, paneH int
}

// userForm is the create-test-user form.
type userForm struct {
	fields  [3]lineInput
	idx     int
	company *xnode
}

// pickState is a one-of-many choice (a project, then a template) for
// add-to-project.
type pickState struct {
	title   string
	items   []ExplorerItem
	list    list
	step    int
	user    *xnode
	project ExplorerItem
	loading bool
}

// confirmX is a pending write, shown with its consequences until enter.
type confirmX struct {
	title string
	lines []string
	run   func(ctx context.Context) tea.Msg
}

// Explorer messages. Each carries what it answers, so a stale answer is
// recognised and dropped.
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

func newExplorer(b ExplorerBackend, hdr HeaderInfo) *explorer {
	e := &explorer{b: b, env: hdr.Environment, keys: DefaultExplorerKeyMap(), openCompany: hdr.CompanyID}
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
	e.console.prompt = ":"
	e.filter.prompt = "/"
	e.rebuild()
	return e
}

// init reads the companies.
func (e *explorer) init() tea.Cmd { return e.load(e.roots[0]) }

func (e *explorer) close() {
	if e.cancel != nil {
		e.cancel()
	}
}

// load (re)reads n's children in the background.
func (e *explorer) load(n *xnode) tea.Cmd {
	n.gen++
	n.loading, n.err = true, ""
	gen, b, ctx := n.gen, e.b, e.ctx
	var companyID int64
	if n.company != nil {
		companyID = n.company.item.ID
	}
	var fetch func() ([]ExplorerItem, error)
	switch n.kind {
	case nkSection:
		fetch = func() ([]ExplorerItem, error) { return b.Companies(ctx) }
	case nkProjects:
		st := n.status
		fetch = func() ([]ExplorerItem, error) { return b.Projects(ctx, companyID, st) }
	case nkProject:
		pid := n.item.ID
		fetch = func() ([]ExplorerItem, error) { return b.ProjectUsers(ctx, companyID, pid) }
	case nkUsers:
		fetch = func() ([]ExplorerItem, error) { return b.CompanyUsers(ctx, companyID) }
	case nkTemplates:
		fetch = func() ([]ExplorerItem, error) { return b.PermissionTemplates(ctx, companyID) }
	case nkVendors:
		fetch = func() ([]ExplorerItem, error) { return b.Vendors(ctx, companyID) }
	case nkGroups:
		fetch = func() ([]ExplorerItem, error) { return b.LicenseGroups(ctx) }
	case nkGroup:
		id, name := n.item.Key, n.item.Label
		fetch = func() ([]ExplorerItem, error) { return b.GroupMembers(ctx, id, name) }
	case nkSKUs:
		fetch = func() ([]ExplorerItem, error) { return b.SubscribedSKUs(ctx) }
	default:
		n.loading = false
		return nil
	}
	e.rebuild()
	return func() tea.Msg {
		items, err := fetch()
		return exLoadedMsg{n: n, gen: gen, items: items, err: err}
	}
}

// childKind is the kind of the rows a folder holds.
var childKind = map[nodeKind]nodeKind{
	nkSection: nkCompany, nkProjects: nkProject, nkProject: nkProjectUser, nkUsers: nkUser,
	nkTemplates: nkTemplate, nkVendors: nkVendor, nkGroups: nkGroup, nkGroup: nkMember, nkSKUs: nkSKU,
}

func (e *explorer) onLoaded(m *model, msg exLoadedMsg) tea.Cmd {
	n := msg.n
	if msg.gen != n.gen {
		return nil
	}
	n.loading = false
	if msg.err != nil {
		n.err = msg.err.Error()
		e.rebuild()
		return m.status.set(levelError, msg.err.Error())
	}
	n.loaded = true
	n.children = nil
	for _, it := range msg.items {
		c := n.add(childKind[n.kind], it.Label)
		c.item = it
		if c.kind == nkCompany {
			c.company = c
			c.loaded = true
			c.add(nkProjects, "Projects").status = projectStatuses[0]
			c.add(nkUsers, "Users")
			c.add(nkTemplates, "Permission templates")
			c.add(nkVendors, "Vendors")
			if it.ID == e.openCompany || len(msg.items) == 1 {
				c.open = true
			}
		}
	}
	var sel *xnode
	if e.selectAfter != 0 && n.kind == nkUsers {
		for _, c := range n.children {
			if c.item.ID == e.selectAfter {
				sel = c
			}
		}
		e.selectAfter = 0
	}
	e.rebuild()
	if sel != nil {
		e.selectNode(sel)
		e.resp, e.dOff = nil, 0
	}
	return nil
}

// flatten lists the visible rows: every open node's children, plus a
// message row for a folder being read, failed or empty.
func (e *explorer) flatten() []*xnode {
	var out []*xnode
	var walk func(ns []*xnode)
	walk = func(ns []*xnode) {
		for _, n := range ns {
			out = append(out, n)
			if !n.open {
				continue
			}
			info := func(s string) {
				out = append(out, &xnode{kind: nkInfo, label: s, parent: n, depth: n.depth + 1})
			}
			switch {
			case n.loading:
				info("reading…")
			case n.err != "":
				info("✗ " + n.err)
			case n.loaded && len(n.children) == 0:
				info("(none)")
			default:
				walk(n.children)
			}
		}
	}
	walk(e.roots)
	return out
}

// rebuild recomputes the rows after the tree changed, keeping the cursor
// on the same node and the filter as typed.
func (e *explorer) rebuild() {
	cur := e.current()
	e.rows = e.flatten()
	keys := make([]string, len(e.rows))
	for i, n := range e.rows {
		keys[i] = strings.ToLower(e.label(n) + " " + n.item.Note)
	}
	f := e.tree.filter
	e.tree = newList(keys)
	e.tree.setHeight(max(1, e.paneH-2))
	e.tree.setFilter(f)
	if cur != nil {
		e.selectNode(cur)
	}
}

// selectNode moves the cursor onto n if it is visible.
func (e *explorer) selectNode(n *xnode) {
	for i := 0; i < e.tree.len(); i++ {
		if e.rows[e.tree.row(i)] == n {
			e.tree.cursor = i
			e.tree.clamp()
			return
		}
	}
}

func (e *explorer) current() *xnode {
	if i := e.tree.current(); i >= 0 && i < len(e.rows) {
		return e.rows[i]
	}
	return nil
}

// label is a row's text; folders count what they hold.
func (e *explorer) label(n *xnode) string {
	switch n.kind {
	case nkProjects:
		s := fmt.Sprintf("Projects (%s)", strings.ToLower(n.status))
		if n.loaded {
			s += fmt.Sprintf(" · %s", thousands(len(n.children)))
		}
		return s
	case nkUsers:
		if !n.loaded {
			return "Users (active and inactive)"
		}
		inactive := 0
		for _, c := range n.children {
			if c.item.Inactive {
				inactive++
			}
		}
		return fmt.Sprintf("Users · %s (%s inactive)", thousands(len(n.children)), thousands(inactive))
	case nkTemplates, nkVendors, nkGroups, nkSKUs, nkProject, nkGroup:
		if n.loaded {
			return fmt.Sprintf("%s · %s", n.label, thousands(len(n.children)))
		}
	}
	return n.label
}

func (e *explorer) renderRow(i, w int) string {
	n := e.rows[i]
	ind := strings.Repeat("  ", n.depth)
	mark := "  "
	if n.expandable() {
		mark = "▸ "
		if n.open {
			mark = "▾ "
		}
	}
	if n.kind == nkInfo {
		st := stDim
		if strings.HasPrefix(n.label, "✗") {
			st = stErr
		}
		return ind + mark + st.Render(n.label)
	}
	lbl := e.label(n)
	switch {
	case n.kind == nkSection || n.kind == nkCompany:
		lbl = stBold.Render(lbl)
	case n.item.Inactive:
		lbl = stDim.Render(lbl)
	}
	s := ind + mark + lbl
	if n.item.Note != "" {
		s += "  " + stDim.Render(n.item.Note)
	}
	return s
}

// onMsg handles the explorer's own messages.
func (e *explorer) onMsg(m *model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case exLoadedMsg:
		return e.onLoaded(m, msg)
	case exConsoleMsg:
		e.busy = ""
		if msg.err != nil {
			return m.status.set(levelError, msg.err.Error())
		}
		e.resp = msg.resp
		e.focusJSON, e.dOff, e.dFor = true, 0, nil
		return m.status.set(levelInfo, fmt.Sprintf("GET %s %s: %d %s", msg.resp.API, msg.resp.Path,
			msg.resp.Status, http.StatusText(msg.resp.Status)))
	case exPickMsg:
		return e.onPickLoaded(m, msg)
	case exWriteMsg:
		return e.onWrite(m, msg)
	}
	return nil
}

// canGoBack reports whether esc leaves the explorer for the review.
func (e *explorer) canGoBack(m *model) bool { return m.rv != nil }

func (e *explorer) typing() bool {
	return e.mode == modeFilter || e.mode == modeConsole || e.mode == modeForm
}

func (e *explorer) onKey(m *model, k tea.KeyPressMsg) tea.Cmd {
	keys := &e.keys
	keys.set(e.mode, e.writable, e.canGoBack(m))
	switch e.mode {
	case modeFilter:
		switch {
		case key.Matches(k, keys.Back):
			e.filter.value, e.mode = "", modeBrowse
			e.tree.setFilter("")
		case k.String() == "enter":
			e.mode = modeBrowse
		case k.String() == "up":
			e.tree.move(-1)
		case k.String() == "down":
			e.tree.move(1)
		default:
			if e.filter.update(k) {
				e.tree.setFilter(e.filter.value)
			}
		}
		e.filter.active = e.mode == modeFilter
		return nil
	case modeConsole:
		return e.consoleKey(m, k)
	case modeForm:
		return e.formKey(m, k)
	case modePick:
		return e.pickKey(m, k)
	case modeConfirm:
		switch {
		case key.Matches(k, keys.Back):
			e.mode = modeBrowse
			return m.status.set(levelInfo, "cancelled: nothing was written")
		case key.Matches(k, keys.Confirm):
			e.mode = modeBrowse
			run, ctx := e.confirm.run, e.ctx
			e.busy = e.confirm.title
			return func() tea.Msg { return run(ctx) }
		}
		return nil
	}

	before := e.current()
	defer func() {
		// Moving in the tree shows the new row's JSON instead of the last
		// console answer.
		if e.current() != before {
			e.resp = nil
			e.dOff = 0
		}
	}()
	scroll := func(d int) {
		e.dOff = min(max(e.dOff+d, 0), max(len(e.detailLines())-(e.paneH-2), 0))
	}
	page := max(1, e.paneH-3)
	switch {
	case key.Matches(k, keys.Quit):
		// Opened from the review, the explorer is a sub-screen: q goes
		// back to the review (its state kept for the next e), as in
		// lazygit. Only at the top (`procsync sandbox`) does q quit.
		if e.canGoBack(m) {
			m.screen = screenReview
			return nil
		}
		return m.requestQuit()
	case key.Matches(k, keys.Back):
		switch {
		case e.focusJSON:
			e.focusJSON = false
		case e.tree.filter != "":
			e.filter.value = ""
			e.tree.setFilter("")
		case e.resp != nil:
			e.resp = nil
		case e.canGoBack(m):
			m.screen = screenReview
		}
	case key.Matches(k, keys.NextPane):
		e.focusJSON = !e.focusJSON
	case key.Matches(k, keys.Up):
		if e.focusJSON {
			scroll(-1)
		} else {
			e.tree.move(-1)
		}
	case key.Matches(k, keys.Down):
		if e.focusJSON {
			scroll(1)
		} else {
			e.tree.move(1)
		}
	case key.Matches(k, keys.PageUp):
		if e.focusJSON {
			scroll(-page)
		} else {
			e.tree.move(-page)
		}
	case key.Matches(k, keys.PageDown):
		if e.focusJSON {
			scroll(page)
		} else {
			e.tree.move(page)
		}
	case key.Matches(k, keys.Top):
		if e.focusJSON {
			e.dOff = 0
		} else {
			e.tree.top()
		}
	case key.Matches(k, keys.Bottom):
		if e.focusJSON {
			scroll(len(e.detailLines()))
		} else {
			e.tree.bottom()
		}
	case key.Matches(k, keys.Open):
		return e.open()
	case key.Matches(k, keys.Close):
		if n := e.current(); n != nil {
			if n.open && n.expandable() {
				n.open = false
				e.rebuild()
			} else if n.parent != nil {
				e.selectNode(n.parent)
			}
		}
	case key.Matches(k, keys.Filter):
		e.mode, e.focusJSON = modeFilter, false
		e.filter.value, e.filter.active = e.tree.filter, true
	case key.Matches(k, keys.Status):
		n := e.current().ancestor(nkProjects)
		if n == nil {
			return m.status.set(levelWarn, "v cycles a Projects folder: select one first")
		}
		for i, s := range projectStatuses {
			if s == n.status {
				n.status = projectStatuses[(i+1)%len(projectStatuses)]
				break
			}
		}
		n.open, n.children, n.loaded = true, nil, false
		e.selectNode(n)
		return e.load(n)
	case key.Matches(k, keys.Reload):
		n := e.current()
		for n != nil && !n.expandable() {
			n = n.parent
		}
		if n == nil || (n.kind == nkSection && n.label == sectionGraph) || n.kind == nkCompany {
			return nil
		}
		n.open = true
		return e.load(n)
	case key.Matches(k, keys.Console):
		e.mode, e.focusJSON = modeConsole, false
		e.console.value, e.console.active = "", true
		e.histPos = len(e.history)
	case key.Matches(k, keys.Create):
		return e.startCreate(m)
	case key.Matches(k, keys.Activate):
		return e.startActivate(m)
	case key.Matches(k, keys.AddToProject):
		return e.startAddToProject(m)
	}
	return nil
}

// open expands or collapses a folder (reading it the first time); on a
// leaf it moves the focus to the JSON.
func (e *explorer) open() tea.Cmd {
	n := e.current()
	if n == nil || n.kind == nkInfo {
		return nil
	}
	if !n.expandable() {
		e.focusJSON = true
		return nil
	}
	n.open = !n.open
	if n.open && !n.loaded && !n.loading {
		return e.load(n)
	}
	e.rebuild()
	return nil
}

// parseConsole reads "graph /v1.0/me", "procore /rest/v1.0/me", or a bare
// path whose version prefix says which API it is for.
func parseConsole(line string) (api, path string, err error) {
	f := strings.Fields(line)
	usage := fmt.Errorf("console: type `graph /v1.0/…` or `procore /rest/v1.0/…`")
	switch len(f) {
	case 1:
		path = f[0]
		switch {
		case strings.HasPrefix(path, "/rest/"):
			api = APIProcore
		case strings.HasPrefix(path, "/v1.0/"), strings.HasPrefix(path, "/beta/"):
			api = APIGraph
		default:
			return "", "", usage
		}
	case 2:
		switch strings.ToLower(f[0]) {
		case "graph", "g":
			api = APIGraph
		case "procore", "p":
			api = APIProcore
		default:
			return "", "", usage
		}
		path = f[1]
	default:
		return "", "", usage
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return api, path, nil
}

func (e *explorer) consoleKey(m *model, k tea.KeyPressMsg) tea.Cmd {
	keys := &e.keys
	switch {
	case key.Matches(k, keys.Back):
		e.mode, e.console.active = modeBrowse, false
		return nil
	case key.Matches(k, keys.HistPrev):
		if e.histPos > 0 {
			e.histPos--
			e.console.value = e.history[e.histPos]
		}
		return nil
	case key.Matches(k, keys.HistNext):
		if e.histPos < len(e.history)-1 {
			e.histPos++
			e.console.value = e.history[e.histPos]
		} else {
			e.histPos, e.console.value = len(e.history), ""
		}
		return nil
	case key.Matches(k, keys.Run):
		line := strings.TrimSpace(e.console.value)
		if line == "" {
			return nil
		}
		api, path, err := parseConsole(line)
		if err != nil {
			return m.status.set(levelWarn, err.Error())
		}
		if n := len(e.history); n == 0 || e.history[n-1] != line {
			e.history = append(e.history, line)
		}
		e.histPos = len(e.history)
		e.mode, e.console.active = modeBrowse, false
		e.busy = "GET " + api + " " + path
		b, ctx := e.b, e.ctx
		return func() tea.Msg {
			r, err := b.Get(ctx, api, path)
			return exConsoleMsg{resp: r, err: err}
		}
	}
	e.console.update(k)
	return nil
}

// companyOf is the company a write acts in: the selected row's, else the
// configured one.
func (e *explorer) companyOf(n *xnode) *xnode {
	if n != nil && n.company != nil {
		return n.company
	}
	if len(e.roots[0].children) == 0 {
		return nil
	}
	for _, c := range e.roots[0].children {
		if c.item.ID == e.openCompany {
			return c
		}
	}
	return e.roots[0].children[0]
}

func companyName(c *xnode) string {
	return fmt.Sprintf("%s #%d", c.item.Label, c.item.ID)
}

func (e *explorer) startCreate(m *model) tea.Cmd {
	if !e.writable {
		return nil
	}
	c := e.companyOf(e.current())
	if c == nil {
		return m.status.set(levelWarn, "no company read yet")
	}
	e.form = userForm{company: c}
	for i, p := range []string{"email       ", "first name  ", "last name   "} {
		e.form.fields[i].prompt = p
	}
	e.form.fields[0].active = true
	e.mode = modeForm
	return nil
}

func (e *explorer) formKey(m *model, k tea.KeyPressMsg) tea.Cmd {
	f := &e.form
	keys := &e.keys
	move := func(d int) {
		f.fields[f.idx].active = false
		f.idx = (f.idx + d + len(f.fields)) % len(f.fields)
		f.fields[f.idx].active = true
	}
	switch {
	case key.Matches(k, keys.Back):
		e.mode = modeBrowse
		return nil
	case key.Matches(k, keys.PrevField):
		move(-1)
		return nil
	case key.Matches(k, keys.NextField):
		move(1)
		return nil
	case key.Matches(k, keys.Confirm):
		if f.idx < len(f.fields)-1 {
			move(1)
			return nil
		}
		u := NewUser{Email: strings.TrimSpace(f.fields[0].value), FirstName: strings.TrimSpace(f.fields[1].value),
			LastName: strings.TrimSpace(f.fields[2].value)}
		if at := strings.Index(u.Email, "@"); at <= 0 || at == len(u.Email)-1 || strings.ContainsAny(u.Email, " \t") {
			return m.status.set(levelWarn, "create test user: the email address is not valid")
		}
		if u.FirstName == "" || u.LastName == "" {
			return m.status.set(levelWarn, "create test user: first and last name are required")
		}
		c := f.company
		b, cid := e.b, c.item.ID
		e.confirm = confirmX{
			title: "Create test user?",
			lines: []string{
				"Create this Procore user:",
				"",
				"  email        " + u.Email,
				"  name         " + u.FirstName + " " + u.LastName,
				"  company      " + companyName(c),
				"  environment  " + strings.ToUpper(e.env),
			},
			run: func(ctx context.Context) tea.Msg {
				it, err := b.CreateUser(ctx, cid, u)
				if err == nil && it.Email == "" {
					it.Email = u.Email
				}
				return exWriteMsg{what: "create", item: it, company: c, err: err}
			},
		}
		e.mode = modeConfirm
		return nil
	}
	f.fields[f.idx].update(k)
	return nil
}

func (e *explorer) startActivate(m *model) tea.Cmd {
	if !e.writable {
		return nil
	}
	n := e.current()
	if n == nil || n.kind != nkUser {
		return m.status.set(levelWarn, "d acts on a company user: open a company's Users and select one")
	}
	activate := n.item.Inactive
	verb, effect := "Deactivate", "They can no longer sign in to this company; their history stays."
	if activate {
		verb, effect = "Reactivate", "They can sign in to this company again."
	}
	c, b, id, cid := n.company, e.b, n.item.ID, n.company.item.ID
	e.confirm = confirmX{
		title: verb + " user?",
		lines: []string{
			verb + " this Procore user:",
			"",
			fmt.Sprintf("  user         %s #%d", n.item.Email, n.item.ID),
			"  company      " + companyName(c),
			"  environment  " + strings.ToUpper(e.env),
			"",
			effect,
		},
		run: func(ctx context.Context) tea.Msg {
			it, err := b.SetUserActive(ctx, cid, id, activate)
			return exWriteMsg{what: strings.ToLower(verb), item: it, node: n, company: c, err: err}
		},
	}
	e.mode = modeConfirm
	return nil
}

func (e *explorer) startAddToProject(m *model) tea.Cmd {
	if !e.writable {
		return nil
	}
	n := e.current()
	if n == nil || n.kind != nkUser {
		return m.status.set(levelWarn, "p acts on a company user: open a company's Users and select one")
	}
	e.pick = pickState{title: "Add " + n.item.Email + " to which project?", step: 1, user: n, loading: true}
	e.mode = modePick
	b, ctx, cid := e.b, e.ctx, n.company.item.ID
	return func() tea.Msg {
		items, err := b.Projects(ctx, cid, "Active")
		return exPickMsg{step: 1, items: items, err: err}
	}
}

func (e *explorer) onPickLoaded(m *model, msg exPickMsg) tea.Cmd {
	if e.mode != modePick || msg.step != e.pick.step {
		return nil
	}
	e.pick.loading = false
	if msg.err != nil {
		e.mode = modeBrowse
		return m.status.set(levelError, msg.err.Error())
	}
	items := msg.items
	if msg.step == 2 {
		items = append([]ExplorerItem{{Label: "(the project's default template)"}}, items...)
	}
	e.pick.items = items
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = strings.ToLower(it.Label + " " + it.Note)
	}
	e.pick.list = newList(keys)
	e.pick.list.setHeight(max(1, e.paneH-5))
	return nil
}

func (e *explorer) pickKey(m *model, k tea.KeyPressMsg) tea.Cmd {
	keys := &e.keys
	p := &e.pick
	switch {
	case key.Matches(k, keys.Back):
		e.mode = modeBrowse
	case key.Matches(k, keys.Up):
		p.list.move(-1)
	case key.Matches(k, keys.Down):
		p.list.move(1)
	case key.Matches(k, keys.Confirm):
		i := p.list.current()
		if p.loading || i < 0 {
			return nil
		}
		chosen := p.items[i]
		if p.step == 1 {
			p.project, p.step, p.loading, p.items = chosen, 2, true, nil
			p.title = fmt.Sprintf("Permission template for %s in %s?", p.user.item.Email, chosen.Label)
			b, ctx, cid := e.b, e.ctx, p.user.company.item.ID
			return func() tea.Msg {
				items, err := b.PermissionTemplates(ctx, cid)
				return exPickMsg{step: 2, items: items, err: err}
			}
		}
		u, proj, c, b := p.user, p.project, p.user.company, e.b
		uid, cid, uitem := u.item.ID, c.item.ID, u.item
		tmpl := chosen.Label
		if chosen.ID != 0 {
			tmpl = fmt.Sprintf("%s #%d", chosen.Label, chosen.ID)
		}
		e.confirm = confirmX{
			title: "Add user to project?",
			lines: []string{
				"Add this Procore user to a project:",
				"",
				fmt.Sprintf("  user         %s #%d", u.item.Email, u.item.ID),
				fmt.Sprintf("  project      %s #%d", proj.Label, proj.ID),
				"  template     " + tmpl,
				"  company      " + companyName(c),
				"  environment  " + strings.ToUpper(e.env),
			},
			run: func(ctx context.Context) tea.Msg {
				err := b.AddToProject(ctx, cid, proj.ID, uid, chosen.ID)
				return exWriteMsg{what: "add", item: uitem, node: u, company: c, project: proj.ID, err: err}
			},
		}
		e.mode = modeConfirm
	}
	return nil
}

func (e *explorer) onWrite(m *model, msg exWriteMsg) tea.Cmd {
	e.busy = ""
	if msg.err != nil {
		return m.status.set(levelError, msg.err.Error())
	}
	var cmds []tea.Cmd
	switch msg.what {
	case "create":
		// Read the company's users again and land on the new one, so the
		// admin sees Procore's own record of it.
		e.resp, e.focusJSON, e.dOff = nil, false, 0
		for _, c := range msg.company.children {
			if c.kind == nkUsers {
				msg.company.open, c.open = true, true
				e.selectAfter = msg.item.ID
				e.rebuild()
				e.selectNode(c)
				cmds = append(cmds, e.load(c))
			}
		}
		cmds = append(cmds, m.status.set(levelInfo, fmt.Sprintf("created test user %s (#%d) in %s",
			msg.item.Email, msg.item.ID, companyName(msg.company))))
	case "deactivate", "reactivate":
		if msg.item.ID != 0 {
			msg.node.item = msg.item
			msg.node.label = msg.item.Label
		} else {
			msg.node.item.Inactive = msg.what == "deactivate"
		}
		e.dFor = nil
		e.rebuild()
		cmds = append(cmds, m.status.set(levelInfo, fmt.Sprintf("%sd %s (#%d)", msg.what, msg.node.item.Email, msg.node.item.ID)))
	case "add":
		// A project's user list already read is now out of date.
		var walk func(ns []*xnode)
		walk = func(ns []*xnode) {
			for _, n := range ns {
				if n.kind == nkProject && n.item.ID == msg.project && n.company == msg.company {
					if n.open {
						cmds = append(cmds, e.load(n))
					} else {
						n.loaded, n.children = false, nil
					}
				}
				walk(n.children)
			}
		}
		walk(e.roots)
		cmds = append(cmds, m.status.set(levelInfo, fmt.Sprintf("added %s (#%d) to project #%d",
			msg.item.Email, msg.item.ID, msg.project)))
	}
	return tea.Batch(cmds...)
}

func (e *explorer) layout(w, h int) {
	e.w, e.h = w, h
	e.treeW = max(30, w*2/5)
	e.paneH = max(4, h-2)
	e.tree.setHeight(e.paneH - 2)
	e.pick.list.setHeight(max(1, e.paneH-5))
}

var (
	jsonKey = regexp.MustCompile(`^(\s*)("(?:[^"\\]|\\.)*")(:)`)
	stKey   = lipgloss.NewStyle().Foreground(colCyan)
	stStr   = lipgloss.NewStyle().Foreground(colGreen)
)

// prettyJSON indents body when it is JSON (and colours the keys and string
// values); anything else is shown as text.
func prettyJSON(body []byte) []string {
	var buf bytes.Buffer
	if len(bytes.TrimSpace(body)) == 0 {
		return []string{stDim.Render("(empty body)")}
	}
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		return strings.Split(strings.TrimRight(ansi.Strip(string(body)), "\n"), "\n")
	}
	lines := strings.Split(buf.String(), "\n")
	for i, l := range lines {
		if mm := jsonKey.FindStringSubmatchIndex(l); mm != nil {
			rest := l[mm[1]:]
			v := strings.TrimSpace(rest)
			if strings.HasPrefix(v, `"`) {
				rest = " " + stStr.Render(v)
			}
			lines[i] = l[:mm[4]] + stKey.Render(l[mm[4]:mm[5]]) + ":" + rest
		}
	}
	return lines
}

// describe is the detail pane of a row that is not an API object.
func (e *explorer) describe(n *xnode) []string {
	switch n.kind {
	case nkSection:
		if n.label == sectionProcore {
			return []string{"The Procore companies the signed-in user can see.", "", "enter opens a company: its projects, users (active and",
				"inactive), permission templates and vendors."}
		}
		return []string{"Microsoft Graph, read-only: the license groups the configured",
			"rules select (prefix, SKU or id, shown as \"matched by\"), their",
			"members, and the tenant's subscribed SKUs with units used."}
	case nkProjects:
		return []string{"Projects with status " + n.status + ".", "", "v cycles active → inactive → all; enter on a project lists its users."}
	case nkUsers:
		return []string{"Company directory users, active first, then inactive."}
	case nkInfo:
		return []string{n.label}
	}
	return []string{"enter opens " + e.label(n) + "."}
}

// detailLines is the right pane's content: the console's last answer, or
// the selected object's JSON.
func (e *explorer) detailLines() []string {
	if e.resp != nil {
		r := e.resp
		st := stOK
		if r.Status >= 400 {
			st = stErr
		}
		out := []string{
			stBold.Render("GET " + r.API + " " + r.Path),
			stDim.Render("status   ") + st.Render(fmt.Sprintf("%d %s", r.Status, http.StatusText(r.Status))),
		}
		if r.RequestID != "" {
			out = append(out, stDim.Render("request  ")+r.RequestID)
		}
		if r.RateLimit != "" {
			out = append(out, stDim.Render("budget   ")+r.RateLimit)
		}
		out = append(out, "")
		return append(out, prettyJSON(r.Body)...)
	}
	n := e.current()
	if n == nil {
		return []string{stDim.Render("nothing selected")}
	}
	if n == e.dFor {
		return e.dLines
	}
	e.dFor = n
	if len(n.item.JSON) > 0 {
		e.dLines = prettyJSON(n.item.JSON)
	} else {
		e.dLines = e.describe(n)
	}
	return e.dLines
}

func (e *explorer) detailTitle() string {
	if e.resp != nil {
		return "Response · GET " + e.resp.API + " " + e.resp.Path
	}
	if n := e.current(); n != nil && len(n.item.JSON) > 0 {
		return "JSON · " + n.item.Label
	}
	return "Detail"
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

func (e *explorer) treeTitle() string {
	t := "Tree"
	if e.mode == modeFilter {
		t += "  " + e.filter.view()
	} else if e.tree.filter != "" {
		t += "  /" + e.tree.filter
	}
	if e.tree.filter != "" || e.mode == modeFilter {
		t += fmt.Sprintf("  (%s of %s)", thousands(e.tree.len()), thousands(e.tree.n))
	}
	return t
}

func (e *explorer) modalLines(w int) (string, []string) {
	switch e.mode {
	case modeForm:
		lines := []string{"A test user in " + companyName(e.form.company) + ":", ""}
		for _, f := range e.form.fields {
			lines = append(lines, "  "+f.view())
		}
		return "Create test user", append(lines, "", stDim.Render("tab next field · enter on the last field reviews · esc cancels"))
	case modePick:
		lines := []string{e.pick.title, ""}
		if e.pick.loading {
			return "Add to project", append(lines, stDim.Render("reading…"))
		}
		return "Add to project", append(lines, e.pick.list.view(w, true, func(i, w int) string {
			it := e.pick.items[i]
			return "  " + it.Label + "  " + stDim.Render(it.Note)
		})...)
	case modeConfirm:
		return e.confirm.title, append(append([]string{}, e.confirm.lines...), "",
			stWarn.Render("enter confirms · esc cancels (nothing is written)"))
	}
	return "", nil
}

func (e *explorer) view(m *model, h int) string {
	if e.w != m.w || e.h != h {
		e.layout(m.w, h)
	}
	rw := m.w - e.treeW
	treeFocus := !e.focusJSON && e.mode != modeForm && e.mode != modePick && e.mode != modeConfirm
	left := box(e.treeTitle(), e.tree.view(e.treeW-2, treeFocus, e.renderRow), e.treeW, e.paneH, treeFocus)
	var right string
	if title, lines := e.modalLines(rw - 2); title != "" {
		right = box(title, lines, rw, e.paneH, true)
	} else {
		dl := e.detailLines()
		off := min(e.dOff, max(len(dl)-1, 0))
		end := min(len(dl), off+e.paneH-2)
		title := e.detailTitle()
		if len(dl) > e.paneH-2 {
			title += fmt.Sprintf("  (%d–%d of %d)", off+1, end, len(dl))
		}
		right = box(title, dl[off:end], rw, e.paneH, e.focusJSON)
	}
	ll, rl := strings.Split(left, "\n"), strings.Split(right, "\n")
	var b strings.Builder
	b.WriteString(e.banner(m.w))
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
		b.WriteString(e.console.view() + stDim.Render("   graph /v1.0/…  or  procore /rest/v1.0/…  ·  ↑/↓ history"))
	case e.busy != "":
		b.WriteString(stInfo.Render(e.busy + " …"))
	default:
		b.WriteString(stDim.Render(": GET console — graph /v1.0/organization  ·  procore /rest/v1.0/me"))
	}
	return b.String()
}

// summary is the header's second line on the explorer.
func (e *explorer) summary() string {
	mode := stOK.Render("writes allowed (sandbox)")
	if !e.writable {
		mode = stErr.Render("read-only")
	}
	return stBold.Render("explorer") + stDim.Render(" │ ") + mode
}
