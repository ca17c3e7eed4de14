package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestHelpShowsEveryBindingAt80Columns checks that `?` on a narrow terminal
// lists every enabled binding in full, rather than cutting columns off.
func TestHelpShowsEveryBindingAt80Columns(t *testing.T) {
	h := start(t, newFake(EnvSandbox), 80, 24)
	h.waitFor("approved 0")
	h.keys(press("?"))
	h.waitFor("Keys")
	h.inspect(func(m *model) {
		screen := ansi.Strip(m.View().Content)
		for _, group := range m.keys.FullHelp() {
			for _, b := range group {
				if !b.Enabled() {
					continue
				}
				hb := b.Help()
				if !strings.Contains(screen, hb.Key) || !strings.Contains(screen, hb.Desc) {
					t.Errorf("help at 80 columns lacks %q %q:\n%s", hb.Key, hb.Desc, screen)
				}
			}
		}
	})
}
