package ui

import "charm.land/bubbles/v2/key"

// ResolveKeys are the review's bindings that settle a person once: link a
// conflict to the Procore user picked in its details, ignore a person, and
// the ignore list with un-ignore. They are part of KeyMap, so the footer
// and `?` show them from the same bindings Update matches.
type ResolveKeys struct {
	Link, Ignore, IgnoreList, Unignore key.Binding
	// Choose, Pick and Keep act while the link picker or the reason line
	// has the keyboard: choose a user, link to it, ignore with the reason.
	Choose, Pick, Keep key.Binding
}

// DefaultResolveKeys returns the resolve bindings.
func DefaultResolveKeys() ResolveKeys {
	b := key.NewBinding
	k, h := key.WithKeys, key.WithHelp
	return ResolveKeys{
		Link:       b(k("l"), h("l", "link conflict")),
		Ignore:     b(k("i"), h("i", "ignore person")),
		IgnoreList: b(k("I"), h("I", "ignored list")),
		Unignore:   b(k("u"), h("u", "un-ignore")),
		Choose:     b(k("up", "down"), h("↑/↓", "choose user")),
		Pick:       b(k("enter"), h("enter", "link to this user")),
		Keep:       b(k("enter"), h("enter", "ignore with this reason")),
	}
}

func (k *ResolveKeys) all() []*key.Binding {
	return []*key.Binding{&k.Link, &k.Ignore, &k.IgnoreList, &k.Unignore, &k.Choose, &k.Pick, &k.Keep}
}

// setResolving enables the resolve bindings that act in the review's
// current state: while a picker, a reason or the ignore list is open only
// its own keys (and the navigation, esc and enter the root enables) act.
func (k *KeyMap) setResolving(r *review, resolver bool) {
	for _, b := range k.ResolveKeys.all() {
		b.SetEnabled(false)
	}
	if r == nil || !resolver {
		return
	}
	switch {
	case r.reason != nil:
		// The reason is typed: the root enabled only esc of the review's
		// keys, and enter here keeps the reason instead of a filter.
		k.FilterDone.SetEnabled(false)
		k.Keep.SetEnabled(true)
		k.Back.SetHelp("esc", "cancel")
	case r.pick != nil:
		// The picker counts as typing (the production confirmation is
		// typed into it), so arrows choose and enter links.
		k.FilterDone.SetEnabled(false)
		k.FilterUp.SetEnabled(false)
		k.FilterDown.SetEnabled(false)
		k.Choose.SetEnabled(true)
		k.Pick.SetEnabled(true)
		k.Back.SetHelp("esc", "cancel")
	case r.ignored != nil:
		k.Unignore.SetEnabled(true)
		for _, b := range []*key.Binding{&k.Toggle, &k.All, &k.None, &k.Detail, &k.Apply, &k.Filter, &k.NextPane, &k.PrevPane, &k.Pane1, &k.Pane2, &k.Pane3, &k.Explore} {
			b.SetEnabled(false)
		}
		k.Back.SetHelp("esc", "close")
	default:
		if !r.filter.active {
			k.Ignore.SetEnabled(true)
			k.IgnoreList.SetEnabled(true)
			k.Link.SetEnabled(r.currentConflict() != nil)
		}
	}
}
