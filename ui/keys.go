package ui

import "charm.land/bubbles/v2/key"

// KeyMap is the single source of the TUI's key bindings. It implements
// help.KeyMap, so the footer and the `?` overlay are rendered from the very
// bindings Update matches on and cannot disagree with them. Bindings that do
// not apply to the current screen are disabled, which hides them from help.
type KeyMap struct {
	Quit, ForceQuit, Help                   key.Binding
	NextPane, PrevPane, Pane1, Pane2, Pane3 key.Binding
	NavKeys
	FilterKeys
	Filter, Back, Toggle, All, None   key.Binding
	Detail, Refresh, Apply            key.Binding
	SignIn, Confirm, Send, Open, Done key.Binding
	// Explore opens the sandbox explorer; enabled only when the program
	// has an explorer backend.
	Explore key.Binding
	// History opens the History screen: the journal's runs.
	History key.Binding
	// QuitYes and QuitNo answer the quit prompt, shown when quitting would
	// discard approvals or an unsent report.
	QuitYes, QuitNo key.Binding
	ResolveKeys
}

// DefaultKeyMap returns the key bindings documented in DESIGN.md.
func DefaultKeyMap() KeyMap {
	b := key.NewBinding
	k, h := key.WithKeys, key.WithHelp
	return KeyMap{
		Quit:       b(k("q"), h("q", "quit")),
		ForceQuit:  b(k("ctrl+c"), h("ctrl+c", "quit safely")),
		Help:       b(k("?"), h("?", "help")),
		NextPane:   b(k("tab"), h("tab", "next pane")),
		PrevPane:   b(k("shift+tab"), h("shift+tab", "previous pane")),
		Pane1:      b(k("1"), h("1", "members")),
		Pane2:      b(k("2"), h("2", "procore")),
		Pane3:      b(k("3"), h("3", "plan")),
		NavKeys:    DefaultNavKeys(),
		FilterKeys: DefaultFilterKeys(),
		Filter:     b(k("/"), h("/", "filter")),
		Back:       b(k("esc"), h("esc", "clear/back")),
		Toggle:     b(k("space"), h("space", "approve/clear")),
		All:        b(k("a"), h("a", "approve visible")),
		None:       b(k("n"), h("n", "clear visible")),
		Detail:     b(k("enter"), h("enter", "details")),
		Refresh:    b(k("r"), h("r", "refresh")),
		Apply:      b(k("x"), h("x", "apply")),
		SignIn:     b(k("enter"), h("enter", "sign in")),
		Confirm:    b(k("enter"), h("enter", "confirm")),
		Send:       b(k("s"), h("s", "send report")),
		Open:       b(k("o"), h("o", "open html")),
		Done:       b(k("enter", "r"), h("enter", "back to review")),
		Explore:    b(k("e"), h("e", "explorer")),
		History:    b(k("h"), h("h", "history")),
		QuitYes:    b(k("y"), h("y", "quit")),
		QuitNo:     b(k("n", "esc"), h("n", "stay")),

		ResolveKeys: DefaultResolveKeys(),
	}
}

// all lists every binding, for enabling and disabling per screen.
func (k *KeyMap) all() []*key.Binding {
	return []*key.Binding{
		&k.Quit, &k.ForceQuit, &k.Help, &k.NextPane, &k.PrevPane, &k.Pane1, &k.Pane2, &k.Pane3,
		&k.Up, &k.Down, &k.Top, &k.Bottom, &k.PageUp, &k.PageDown, &k.Filter, &k.Back,
		&k.Toggle, &k.All, &k.None, &k.Detail, &k.Refresh, &k.Apply, &k.SignIn, &k.Confirm,
		&k.Send, &k.Open, &k.Done, &k.Explore, &k.History, &k.QuitYes, &k.QuitNo,
		&k.FilterDone, &k.FilterUp, &k.FilterDown,
		&k.Link, &k.Ignore, &k.IgnoreList, &k.Unignore, &k.Choose, &k.Pick, &k.Keep,
	}
}

// setScreen enables exactly the bindings that act on screen s. While a
// text field has the keyboard (typing), letters and `?` are text, so only
// the keys that still act are shown.
func (k *KeyMap) setScreen(s screenID, typing bool) {
	for _, b := range k.all() {
		b.SetEnabled(false)
	}
	on := func(bs ...*key.Binding) {
		for _, b := range bs {
			b.SetEnabled(true)
		}
	}
	on(&k.ForceQuit)
	if !typing {
		on(&k.Help)
	}
	// esc means something different on each screen; say which.
	back := map[screenID]string{screenSignIn: "cancel sign-in", screenLoading: "cancel read",
		screenReview: "clear/close", screenConfirm: "back", screenApply: "cancel safely"}
	k.Back.SetHelp("esc", back[s])
	if typing && s == screenReview {
		k.Back.SetHelp("esc", "clear filter")
	}
	switch s {
	case screenSignIn:
		on(&k.Quit, &k.SignIn, &k.Up, &k.Down, &k.Back)
	case screenLoading:
		on(&k.Quit, &k.Back)
	case screenReview:
		if typing {
			on(&k.Back, &k.FilterDone, &k.FilterUp, &k.FilterDown)
			return
		}
		on(&k.Quit, &k.NextPane, &k.PrevPane, &k.Pane1, &k.Pane2, &k.Pane3, &k.Up, &k.Down,
			&k.Top, &k.Bottom, &k.PageUp, &k.PageDown, &k.Filter, &k.Back, &k.Toggle, &k.All,
			&k.None, &k.Detail, &k.Refresh, &k.Apply, &k.Explore, &k.History)
	case screenConfirm:
		on(&k.Confirm, &k.Back)
	case screenApply:
		on(&k.Back, &k.Up, &k.Down, &k.Top, &k.Bottom, &k.PageUp, &k.PageDown)
	case screenReport:
		on(&k.Quit, &k.Send, &k.Open, &k.Done, &k.Up, &k.Down, &k.PageUp, &k.PageDown)
	}
}

// asking leaves only the quit prompt's answers (and ctrl+c) enabled.
func (k *KeyMap) asking() {
	for _, b := range k.all() {
		b.SetEnabled(false)
	}
	k.QuitYes.SetEnabled(true)
	k.QuitNo.SetEnabled(true)
	k.ForceQuit.SetEnabled(true)
}

// ShortHelp returns the footer's bindings: the enabled ones, most used
// first. The footer wraps them onto a second line rather than cut any off.
func (k KeyMap) ShortHelp() []key.Binding {
	// Help and quit come first so that a narrow footer never hides them.
	return []key.Binding{
		k.QuitYes, k.QuitNo, k.Help, k.Quit, k.Choose, k.Pick, k.Keep, k.SignIn, k.Confirm, k.Toggle, k.All, k.None, k.Apply,
		k.Explore, k.History, k.Filter, k.Detail, k.Link, k.Ignore, k.IgnoreList, k.Unignore, k.NextPane, k.Send, k.Open, k.Done, k.Back, k.Refresh,
	}
}

// FullHelp returns every binding grouped in columns for the `?` overlay.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.NextPane, k.PrevPane, k.Pane1, k.Pane2, k.Pane3},
		{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown},
		{k.Filter, k.Back, k.Toggle, k.All, k.None, k.Detail},
		{k.SignIn, k.Confirm, k.Refresh, k.Apply, k.Send, k.Open, k.Done, k.Explore, k.History},
		{k.Link, k.Ignore, k.IgnoreList, k.Unignore, k.Choose, k.Pick, k.Keep},
		{k.Help, k.Quit, k.ForceQuit, k.QuitYes, k.QuitNo},
	}
}
