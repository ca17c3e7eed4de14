package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
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
