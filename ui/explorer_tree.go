package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
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

func (e *explorer) onLoaded(msg exLoadedMsg) tea.Cmd {
	n := msg.n
	if msg.gen != n.gen {
		return nil
	}
	n.loading = false
	if msg.err != nil {
		n.err = msg.err.Error()
		e.rebuild()
		return e.out.status(levelError, msg.err.Error())
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
		e.detail.resp, e.detail.top = nil, true
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
			s += fmt.Sprintf(" · %s", Thousands(len(n.children)))
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
		return fmt.Sprintf("Users · %s (%s inactive)", Thousands(len(n.children)), Thousands(inactive))
	case nkTemplates, nkVendors, nkGroups, nkSKUs, nkProject, nkGroup:
		if n.loaded {
			return fmt.Sprintf("%s · %s", n.label, Thousands(len(n.children)))
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

// open expands or collapses a folder (reading it the first time); on a
// leaf it moves the focus to the JSON.
func (e *explorer) open() tea.Cmd {
	n := e.current()
	if n == nil || n.kind == nkInfo {
		return nil
	}
	if !n.expandable() {
		e.detail.focus = true
		return nil
	}
	n.open = !n.open
	if n.open && !n.loaded && !n.loading {
		return e.load(n)
	}
	e.rebuild()
	return nil
}

func (e *explorer) treeTitle() string {
	t := "Tree"
	if e.mode == modeFilter {
		t += "  " + e.filter.view()
	} else if e.tree.filter != "" {
		t += "  /" + e.tree.filter
	}
	if e.tree.filter != "" || e.mode == modeFilter {
		t += fmt.Sprintf("  (%s of %s)", Thousands(e.tree.len()), Thousands(e.tree.n))
	}
	return t
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
