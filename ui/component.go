package ui

import (
	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
)

// Component is one screen of the TUI, after soft-serve's
// pkg/ui/common/component.go. The root model owns the components, passes
// them the messages meant for them and their size, and renders their View
// into its frame. A component answers the root only with messages
// (statusMsg, leaveMsg, quitRequestMsg, … sent through Context.Out), never
// by reaching into it, so it can be built and driven alone in a test.
//
// The screens are file groups of package ui rather than packages of their
// own: they share the styles, the box and list widgets and the key maps,
// which would otherwise have to be exported from a common package first.
type Component interface {
	// KeyMap gives the footer and `?` the component's live bindings.
	help.KeyMap
	// Init returns the component's first command, if any.
	Init() tea.Cmd
	// Update handles a message and returns the component to keep.
	Update(msg tea.Msg) (Component, tea.Cmd)
	// View renders the component's body; it never changes state.
	View() string
	// SetSize gives the component the body's width and height.
	SetSize(width, height int)
}

// Context is what every component shares with the root: where the run
// writes (the header), the size of the body it may draw, and the outbox
// its messages to the root go through.
type Context struct {
	Header        HeaderInfo
	Width, Height int
	Out           *outbox
}

// Cross-screen messages: a component sends them through its outbox and
// only the root handles them.
type (
	// statusMsg asks the root to show text in the status line.
	statusMsg struct {
		level statusLevel
		text  string
	}
	// leaveMsg asks the root to leave screen from (the confirmation, or
	// the explorer opened from the review) for the review; it is dropped
	// when another screen is shown by then.
	leaveMsg struct{ from screenID }
	// quitRequestMsg asks the root to quit, after the quit prompt when
	// work would be lost.
	quitRequestMsg struct{}
)

// outbox carries a component's messages to the root. The root drains it
// right after every Update, so that a screen switch a key asked for takes
// effect before the next key, which may already be queued behind it (a
// tea.Cmd would run on its own goroutine and arrive later, in any order).
type outbox struct{ msgs []tea.Msg }

// send queues msg for the root; it returns no command, so that an Update
// can end with `return c.out.send(…)`.
func (o *outbox) send(msg tea.Msg) tea.Cmd {
	o.msgs = append(o.msgs, msg)
	return nil
}

// status queues a status line message for the root.
func (o *outbox) status(level statusLevel, text string) tea.Cmd {
	return o.send(statusMsg{level: level, text: text})
}

// drain returns the queued messages and empties the outbox.
func (o *outbox) drain() []tea.Msg {
	msgs := o.msgs
	o.msgs = nil
	return msgs
}

// Every screen is a Component.
var (
	_ Component = (*signinScreen)(nil)
	_ Component = (*loadingScreen)(nil)
	_ Component = (*review)(nil)
	_ Component = (*confirmScreen)(nil)
	_ Component = (*applyScreen)(nil)
	_ Component = (*reportScreen)(nil)
	_ Component = (*helpScreen)(nil)
	_ Component = (*explorer)(nil)
	_ Component = (*quitPrompt)(nil)
)
