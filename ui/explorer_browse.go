package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// browseKey handles a key while the tree or the detail pane has the focus
// and no field, pick or confirmation is open.
func (e *explorer) browseKey(k tea.KeyPressMsg) tea.Cmd {
	keys := &e.keys
	if e.navigate(k) {
		return nil
	}
	switch {
	case key.Matches(k, keys.Quit):
		// Opened from the review, the explorer is a sub-screen: q goes
		// back to the review (its state kept for the next e), as in
		// lazygit. Only at the top (`procsync sandbox`) does q quit.
		if e.back {
			return e.out.send(leaveMsg{from: screenExplorer})
		}
		return e.out.send(quitRequestMsg{})
	case key.Matches(k, keys.Back):
		return e.backOut()
	case key.Matches(k, keys.NextPane):
		e.detail.focus = !e.detail.focus
	case key.Matches(k, keys.Open):
		return e.open()
	case key.Matches(k, keys.Close):
		e.closeRow()
	case key.Matches(k, keys.Filter):
		e.mode, e.detail.focus = modeFilter, false
		e.filter.value, e.filter.active = e.tree.filter, true
	case key.Matches(k, keys.Status):
		return e.cycleProjects()
	case key.Matches(k, keys.Reload):
		return e.reload()
	case key.Matches(k, keys.Console):
		e.openConsole()
	case key.Matches(k, keys.Create):
		return e.startCreate()
	case key.Matches(k, keys.Activate):
		return e.startActivate()
	case key.Matches(k, keys.AddToProject):
		return e.startAddToProject()
	}
	return nil
}

// navigate moves the focused pane: the tree's cursor, or the detail
// pane's scroll position. It reports whether k was a navigation key.
func (e *explorer) navigate(k tea.KeyPressMsg) bool {
	keys := &e.keys
	if !e.detail.focus {
		return e.tree.navigate(k, &keys.NavKeys)
	}
	page := max(1, e.paneH-3)
	var d int
	switch {
	case key.Matches(k, keys.Up):
		d = -1
	case key.Matches(k, keys.Down):
		d = 1
	case key.Matches(k, keys.PageUp):
		d = -page
	case key.Matches(k, keys.PageDown):
		d = page
	case key.Matches(k, keys.Top):
		e.detail.vp.GotoTop()
		return true
	case key.Matches(k, keys.Bottom):
		e.scrollDetail(len(e.detailLines()))
		return true
	default:
		return false
	}
	e.scrollDetail(d)
	return true
}

// backOut is esc: it undoes the innermost thing shown (the JSON focus, a
// filter, a console answer), then leaves for the review.
func (e *explorer) backOut() tea.Cmd {
	switch {
	case e.detail.focus:
		e.detail.focus = false
	case e.tree.filter != "":
		e.filter.value = ""
		e.tree.setFilter("")
	case e.detail.resp != nil:
		e.detail.resp = nil
	case e.back:
		return e.out.send(leaveMsg{from: screenExplorer})
	}
	return nil
}

// closeRow collapses the selected folder, or selects its parent.
func (e *explorer) closeRow() {
	n := e.current()
	if n == nil {
		return
	}
	if n.open && n.expandable() {
		n.open = false
		e.rebuild()
	} else if n.parent != nil {
		e.selectNode(n.parent)
	}
}

// cycleProjects moves the selected Projects folder to the next status and
// reads it again.
func (e *explorer) cycleProjects() tea.Cmd {
	n := e.current().ancestor(nkProjects)
	if n == nil {
		return e.out.status(levelWarn, "v cycles a Projects folder: select one first")
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
}

// reload reads the selected row's folder again.
func (e *explorer) reload() tea.Cmd {
	n := e.current()
	for n != nil && !n.expandable() {
		n = n.parent
	}
	if n == nil || (n.kind == nkSection && n.label == sectionGraph) || n.kind == nkCompany {
		return nil
	}
	n.open = true
	return e.load(n)
}
