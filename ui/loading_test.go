package ui

import (
	"strings"
	"testing"

	"procsync/sync/roster"

	"github.com/charmbracelet/x/ansi"
)

// TestLoadingScreenAlone: the loading screen totals running counts per
// group (the latest replaces the previous), shows the root's spinner frame,
// and answers esc and q with messages for the root.
func TestLoadingScreenAlone(t *testing.T) {
	keys := DefaultKeyMap()
	keys.setScreen(screenLoading, false)
	out := &outbox{}
	var c Component = newLoading(Context{Width: 120, Height: 34, Out: out}, &keys, "⣾")
	for _, ev := range []roster.SnapshotProgress{
		{Kind: roster.ProgressGroups, Groups: 2},
		{Kind: roster.ProgressMembers, Group: "E3", Read: 999, Total: 1500},
		{Kind: roster.ProgressMembers, Group: "E3", Read: 1500, Total: 1500},
		{Kind: roster.ProgressMembers, Group: "F1", Read: 20, Total: -1},
		{Kind: roster.ProgressProcore, Read: 1000, Total: 2500},
	} {
		c, _ = c.Update(ev)
	}
	c, _ = c.Update(spinFrameMsg("⣽"))
	v := ansi.Strip(c.View())
	for _, want := range []string{"⣽ Reading both directories…", "license groups found    2 (1 read)", "members read            1,520", "Procore users read      1,000 / 2,500"} {
		if !strings.Contains(v, want) {
			t.Errorf("loading screen lacks %q:\n%s", want, v)
		}
	}
	if _, sent := keyIn(t, c, out, press("esc")); len(sent) != 1 || sent[0] != (cancelReadMsg{}) {
		t.Errorf("esc told the root %v, want a cancel", sent)
	}
	if _, sent := keyIn(t, c, out, press("q")); len(sent) != 1 || sent[0] != (quitRequestMsg{}) {
		t.Errorf("q told the root %v, want a quit request", sent)
	}
}
