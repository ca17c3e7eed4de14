package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// footerMaxLines is how many lines the footer may take. Two hold every
// binding of the review at 120 columns (and at 80 most of them); `?` lists
// them all whatever the width.
const footerMaxLines = 2

// footerLines renders the enabled short-help bindings, wrapped onto at
// most footerMaxLines lines instead of cut at the right edge; only when
// even those are full does the last line end in "…".
func (m *model) footerLines() []string {
	st := m.help.Styles
	sep := st.ShortSeparator.Render(m.help.ShortSeparator)
	sepW := ansi.StringWidth(sep)
	var items []string
	for _, b := range m.helpKeys().ShortHelp() {
		if !b.Enabled() {
			continue
		}
		items = append(items, footerItem(m, b))
	}
	var lines []string
	var cur strings.Builder
	curW := 0
	for i, it := range items {
		w := ansi.StringWidth(it)
		if curW > 0 && curW+sepW+w > m.w {
			if len(lines) == footerMaxLines-1 {
				// No room for another line: mark what is left out.
				if i < len(items) {
					cur.WriteString(st.Ellipsis.Render(" …"))
				}
				break
			}
			lines = append(lines, cur.String())
			cur.Reset()
			curW = 0
		}
		if curW > 0 {
			cur.WriteString(sep)
			curW += sepW
		}
		cur.WriteString(it)
		curW += w
	}
	if cur.Len() > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

func footerItem(m *model, b key.Binding) string {
	h := b.Help()
	return m.help.Styles.ShortKey.Render(h.Key) + " " + m.help.Styles.ShortDesc.Render(h.Desc)
}

// fullHelpLines lays the key map's groups out in as many columns as fit in
// width, stacking the rest below, so that a narrow terminal (down to 80
// columns) still shows every binding instead of cutting columns off.
func (m *model) fullHelpLines(width int) []string {
	groups := m.helpKeys().FullHelp()
	h := m.help
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
