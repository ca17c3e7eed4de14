package ui

import "charm.land/bubbles/v2/key"

// ExplorerKeyMap is the explorer's key bindings. Like KeyMap it implements
// help.KeyMap, and the write bindings are disabled (so absent from the
// footer and `?`) whenever the explorer is read-only.
type ExplorerKeyMap struct {
	Quit, ForceQuit, Help key.Binding
	NavKeys
	Open, Close, Back, NextPane, Filter key.Binding
	Status, Reload, Console             key.Binding
	Create, Activate, AddToProject      key.Binding
	Run, Confirm, HistPrev, HistNext    key.Binding
	NextField, PrevField                key.Binding
	FilterKeys
}

// DefaultExplorerKeyMap returns the explorer's bindings.
func DefaultExplorerKeyMap() ExplorerKeyMap {
	b := key.NewBinding
	k, h := key.WithKeys, key.WithHelp
	return ExplorerKeyMap{
		Quit:         b(k("q"), h("q", "quit")),
		ForceQuit:    b(k("ctrl+c"), h("ctrl+c", "quit safely")),
		Help:         b(k("?"), h("?", "help")),
		NavKeys:      DefaultNavKeys(),
		Open:         b(k("enter", "l", "right"), h("enter", "open")),
		Close:        b(k("h", "left"), h("←/h", "close")),
		Back:         b(k("esc"), h("esc", "back")),
		NextPane:     b(k("tab"), h("tab", "tree/json")),
		Filter:       b(k("/"), h("/", "filter")),
		Status:       b(k("v"), h("v", "projects: active/inactive/all")),
		Reload:       b(k("r"), h("r", "reload")),
		Console:      b(k(":"), h(":", "GET console")),
		Create:       b(k("c"), h("c", "create test user")),
		Activate:     b(k("d"), h("d", "deactivate/reactivate")),
		AddToProject: b(k("p"), h("p", "add to project")),
		Run:          b(k("enter"), h("enter", "send GET")),
		Confirm:      b(k("enter"), h("enter", "confirm")),
		HistPrev:     b(k("up"), h("↑", "older")),
		HistNext:     b(k("down"), h("↓", "newer")),
		NextField:    b(k("tab", "down"), h("tab", "next field")),
		PrevField:    b(k("shift+tab", "up"), h("shift+tab", "previous field")),
		FilterKeys:   DefaultFilterKeys(),
	}
}

func (k *ExplorerKeyMap) all() []*key.Binding {
	return []*key.Binding{&k.Quit, &k.ForceQuit, &k.Help, &k.Up, &k.Down, &k.Top, &k.Bottom,
		&k.PageUp, &k.PageDown, &k.Open, &k.Close, &k.Back, &k.NextPane, &k.Filter, &k.Status,
		&k.Reload, &k.Console, &k.Create, &k.Activate, &k.AddToProject, &k.Run, &k.Confirm,
		&k.HistPrev, &k.HistNext, &k.NextField, &k.PrevField, &k.FilterDone, &k.FilterUp, &k.FilterDown}
}

// explorerMode is what has the keyboard in the explorer.
type explorerMode int

const (
	modeBrowse explorerMode = iota
	modeFilter
	modeConsole
	modeForm
	modePick
	modeConfirm
)

// set enables exactly the bindings that act in mode; writable false keeps
// the write keys off in every mode.
func (k *ExplorerKeyMap) set(mode explorerMode, writable, canGoBack bool) {
	for _, b := range k.all() {
		b.SetEnabled(false)
	}
	on := func(bs ...*key.Binding) {
		for _, b := range bs {
			b.SetEnabled(true)
		}
	}
	on(&k.ForceQuit, &k.Back)
	switch mode {
	case modeBrowse:
		k.Back.SetHelp("esc", "clear filter")
		k.Quit.SetHelp("q", "quit")
		if canGoBack {
			k.Back.SetHelp("esc", "back to review")
			k.Quit.SetHelp("q", "back to review")
		}
		on(&k.Quit, &k.Help, &k.Up, &k.Down, &k.Top, &k.Bottom, &k.PageUp, &k.PageDown,
			&k.Open, &k.Close, &k.NextPane, &k.Filter, &k.Status, &k.Reload, &k.Console)
		if writable {
			on(&k.Create, &k.Activate, &k.AddToProject)
		}
	case modeFilter:
		k.Back.SetHelp("esc", "clear filter")
		on(&k.FilterDone, &k.FilterUp, &k.FilterDown)
	case modeConsole:
		k.Back.SetHelp("esc", "close console")
		on(&k.Run, &k.HistPrev, &k.HistNext)
	case modeForm:
		k.Back.SetHelp("esc", "cancel")
		on(&k.NextField, &k.PrevField, &k.Confirm)
	case modePick:
		k.Back.SetHelp("esc", "cancel")
		on(&k.Up, &k.Down, &k.Confirm)
	case modeConfirm:
		k.Back.SetHelp("esc", "cancel")
		on(&k.Confirm)
	}
}

// ShortHelp returns the footer's bindings.
func (k ExplorerKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Help, k.Quit, k.Open, k.Console, k.Create, k.Activate, k.AddToProject,
		k.Run, k.Confirm, k.FilterDone, k.NextField, k.Filter, k.Status, k.NextPane, k.Back, k.HistPrev, k.Reload}
}

// FullHelp returns every binding grouped for the `?` overlay.
func (k ExplorerKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown},
		{k.Open, k.Close, k.NextPane, k.Filter, k.FilterDone, k.FilterUp, k.FilterDown, k.Status, k.Reload, k.Back},
		{k.Console, k.Run, k.HistPrev, k.HistNext},
		{k.Create, k.Activate, k.AddToProject, k.NextField, k.PrevField, k.Confirm},
		{k.Help, k.Quit, k.ForceQuit},
	}
}
