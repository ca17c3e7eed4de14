package ui

import (
	"fmt"
	"strings"

	"procsync/sync/roster"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// loadingScreen shows the snapshot's progress: it totals the progress
// events the root passes down while both directories are read.
type loadingScreen struct {
	ctx  Context
	keys *KeyMap
	// frame is the spinner's current frame; the root owns the spinner (the
	// sign-in shows it too) and passes each frame down.
	frame string

	groups    int
	groupRead map[string]int
	groupDone map[string]bool
	procRead  int
	procTotal int
}

// Messages between the root and the loading screen.
type (
	// spinFrameMsg is the spinner's new frame, from the root.
	spinFrameMsg string
	// cancelReadMsg asks the root to cancel the read (esc).
	cancelReadMsg struct{}
)

func newLoading(ctx Context, keys *KeyMap, frame string) *loadingScreen {
	return &loadingScreen{ctx: ctx, keys: keys, frame: frame, groupRead: map[string]int{}, groupDone: map[string]bool{}}
}

// Init implements Component.
func (l *loadingScreen) Init() tea.Cmd { return nil }

// SetSize implements Component.
func (l *loadingScreen) SetSize(w, h int) { l.ctx.Width, l.ctx.Height = w, h }

// ShortHelp implements help.KeyMap.
func (l *loadingScreen) ShortHelp() []key.Binding { return l.keys.ShortHelp() }

// FullHelp implements help.KeyMap.
func (l *loadingScreen) FullHelp() [][]key.Binding { return l.keys.FullHelp() }

// Update implements Component: it folds progress events into the totals;
// esc asks the root to cancel the read, q to quit.
func (l *loadingScreen) Update(msg tea.Msg) (Component, tea.Cmd) {
	switch msg := msg.(type) {
	case roster.SnapshotProgress:
		l.add(msg)
	case spinFrameMsg:
		l.frame = string(msg)
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, l.keys.Back):
			return l, l.ctx.Out.send(cancelReadMsg{})
		case key.Matches(msg, l.keys.Quit):
			return l, l.ctx.Out.send(quitRequestMsg{})
		}
	}
	return l, nil
}

// add folds one progress event into the totals. Read counts are running
// totals per group, so the latest value replaces the previous one.
func (l *loadingScreen) add(ev roster.SnapshotProgress) {
	switch ev.Kind {
	case roster.ProgressGroups:
		l.groups = ev.Groups
	case roster.ProgressMembers:
		l.groupRead[ev.Group] = ev.Read
		if ev.Total >= 0 && ev.Read >= ev.Total {
			l.groupDone[ev.Group] = true
		}
	case roster.ProgressProcore:
		l.procRead, l.procTotal = ev.Read, ev.Total
	}
}

// View implements Component.
func (l *loadingScreen) View() string {
	members := 0
	for _, n := range l.groupRead {
		members += n
	}
	users := Thousands(l.procRead)
	if l.procTotal > 0 {
		users += " / " + Thousands(l.procTotal)
	}
	rows := [][2]string{
		{"license groups found", fmt.Sprintf("%s (%s read)", Thousands(l.groups), Thousands(len(l.groupDone)))},
		{"members read", Thousands(members)},
		{"Procore users read", users},
	}
	b := []string{"", " " + l.frame + " " + stTitle.Render("Reading both directories…"), ""}
	for _, r := range rows {
		b = append(b, "   "+fit(r[0], 24)+stBold.Render(r[1]))
	}
	b = append(b, "", stDim.Render(" A partial read never produces a plan. esc cancels."))
	return strings.Join(b, "\n")
}
