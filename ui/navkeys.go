package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// NavKeys is the navigation group every list shares (after gh-dash's
// keys package): the review's panes, the apply's rows, the report, and
// the explorer's tree and picks. KeyMap and ExplorerKeyMap embed it, so
// each binding is written once and a list moves the same way everywhere.
type NavKeys struct {
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
}

// DefaultNavKeys returns the navigation bindings.
func DefaultNavKeys() NavKeys {
	b := key.NewBinding
	k, h := key.WithKeys, key.WithHelp
	return NavKeys{
		Up:       b(k("k", "up"), h("↑/k", "up")),
		Down:     b(k("j", "down"), h("↓/j", "down")),
		Top:      b(k("g", "home"), h("g", "top")),
		Bottom:   b(k("G", "end"), h("G", "bottom")),
		PageUp:   b(k("pgup"), h("pgup", "page up")),
		PageDown: b(k("pgdown"), h("pgdn", "page down")),
	}
}

// FilterKeys act while a filter is typed: letters are filter text then,
// so only enter (keep the filter) and the arrows move. The review and the
// explorer share them.
type FilterKeys struct {
	FilterDone, FilterUp, FilterDown key.Binding
}

// DefaultFilterKeys returns the filter's bindings.
func DefaultFilterKeys() FilterKeys {
	b := key.NewBinding
	k, h := key.WithKeys, key.WithHelp
	return FilterKeys{
		FilterDone: b(k("enter"), h("enter", "keep filter")),
		FilterUp:   b(k("up"), h("↑", "up")),
		FilterDown: b(k("down"), h("↓", "down")),
	}
}

// filtering handles a key for list l while its filter in is typed: esc
// clears the filter, enter keeps it, the arrows move, the rest is text.
// It reports whether the filter is still being typed.
func (l *list) filtering(k tea.KeyPressMsg, fk *FilterKeys, back key.Binding, in *lineInput) bool {
	switch {
	case key.Matches(k, back):
		in.value = ""
		l.setFilter("")
		return false
	case key.Matches(k, fk.FilterDone):
		return false
	case key.Matches(k, fk.FilterUp):
		l.move(-1)
	case key.Matches(k, fk.FilterDown):
		l.move(1)
	default:
		if in.update(k) {
			l.setFilter(in.value)
		}
	}
	return true
}

// navigate moves l for a navigation key and reports whether k was one
// (disabled bindings never match). A page is the list's height.
func (l *list) navigate(k tea.KeyPressMsg, nav *NavKeys) bool {
	switch {
	case key.Matches(k, nav.Up):
		l.move(-1)
	case key.Matches(k, nav.Down):
		l.move(1)
	case key.Matches(k, nav.PageUp):
		l.move(-l.height)
	case key.Matches(k, nav.PageDown):
		l.move(l.height)
	case key.Matches(k, nav.Top):
		l.top()
	case key.Matches(k, nav.Bottom):
		l.bottom()
	default:
		return false
	}
	return true
}
