package ui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// helpScreen is the `?` overlay: every binding of the screen behind it,
// grouped. It only renders: the root closes it on the next key (q still
// quits), before that key could reach the screen behind.
type helpScreen struct {
	keys help.KeyMap
	help help.Model
	w, h int
}

func newHelpScreen(keys help.KeyMap, w, h int) *helpScreen {
	return &helpScreen{keys: keys, help: help.New(), w: w, h: h}
}

// Init implements Component.
func (s *helpScreen) Init() tea.Cmd { return nil }

// Update implements Component; the overlay has no state to change.
func (s *helpScreen) Update(tea.Msg) (Component, tea.Cmd) { return s, nil }

// SetSize implements Component.
func (s *helpScreen) SetSize(w, h int) { s.w, s.h = w, h }

// ShortHelp implements help.KeyMap with the bindings of the screen behind.
func (s *helpScreen) ShortHelp() []key.Binding { return s.keys.ShortHelp() }

// FullHelp implements help.KeyMap.
func (s *helpScreen) FullHelp() [][]key.Binding { return s.keys.FullHelp() }

// View implements Component.
func (s *helpScreen) View() string { return box("Keys", s.lines(s.w-2), s.w, s.h, true) }

// lines lays the key map's groups out in as many columns as fit in width,
// stacking the rest below, so that a narrow terminal (down to 80 columns)
// still shows every binding instead of cutting columns off.
func (s *helpScreen) lines(width int) []string {
	groups := s.keys.FullHelp()
	h := s.help
	h.SetWidth(0) // measure unclipped; the layout below does the fitting
	for perRow := len(groups); perRow >= 1; perRow-- {
		var lines []string
		fits := true
		for i := 0; i < len(groups); i += perRow {
			row := h.FullHelpView(groups[i:min(i+perRow, len(groups))])
			for _, l := range strings.Split(row, "\n") {
				if lipgloss.Width(l) > width {
					fits = false
				}
				lines = append(lines, l)
			}
			if i+perRow < len(groups) {
				lines = append(lines, "")
			}
		}
		if fits || perRow == 1 {
			return lines
		}
	}
	return nil
}
