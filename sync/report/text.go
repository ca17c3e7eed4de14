package report

import (
	"strconv"
	"strings"
	"unicode"

	"charm.land/lipgloss/v2"
)

// Text renders the run's plain-text report: the mail's text alternative and
// what `--auto` prints for a person. Tables are aligned and never truncated.
func Text(run Run) string { return renderText(run, 0) }

// Preview renders the text report to fit width terminal cells, for the TUI's
// report screen: columns shrink (widest first) and cut long values with "…".
// A width of zero or less means no limit.
func Preview(run Run, width int) string { return renderText(run, width) }

func renderText(run Run, width int) string {
	var b strings.Builder
	line := func(s string) {
		s = clean(s)
		if width > 0 {
			s = truncate(s, width)
		}
		b.WriteString(s)
		b.WriteByte('\n')
	}
	line(Summary(run))
	b.WriteByte('\n')
	facts := Facts(run)
	keyw := 0
	for _, f := range facts {
		keyw = max(keyw, cellWidth(f[0]))
	}
	for _, f := range facts {
		line(f[0] + ":" + strings.Repeat(" ", keyw-cellWidth(f[0])+1) + f[1])
	}
	views := viewSections(run, 0)
	for _, s := range views {
		b.WriteByte('\n')
		line(s.Title + " (" + strconv.Itoa(len(s.Rows)) + ")")
		if s.Note != "" {
			for _, l := range wrap(clean(s.Note), width) {
				line(l)
			}
		}
		head := make([]string, len(s.Columns))
		for i, c := range s.Columns {
			head[i] = string(c)
		}
		writeTable(&b, head, s.Rows, width)
	}
	if len(views) == 0 {
		b.WriteByte('\n')
		line("Every license-group member already has a Procore user; nothing needed doing.")
	}
	return b.String()
}

// writeTable writes an aligned table with a dashed rule under the header.
func writeTable(b *strings.Builder, head []string, rows [][]string, width int) {
	const gap = 2
	cells := make([][]string, 0, len(rows)+1)
	cells = append(cells, head)
	for _, r := range rows {
		c := make([]string, len(r))
		for i, v := range r {
			c[i] = clean(v)
		}
		cells = append(cells, c)
	}
	widths := make([]int, len(head))
	for _, r := range cells {
		for i, v := range r {
			widths[i] = max(widths[i], cellWidth(v))
		}
	}
	if width > 0 {
		fit(widths, width-gap*(len(widths)-1))
	}
	writeRow := func(r []string) {
		var l strings.Builder
		for i, v := range r {
			v = truncate(v, widths[i])
			l.WriteString(v)
			if i < len(r)-1 {
				l.WriteString(strings.Repeat(" ", widths[i]-cellWidth(v)+gap))
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	writeRow(cells[0])
	rule := make([]string, len(widths))
	for i, w := range widths {
		rule[i] = strings.Repeat("-", w)
	}
	writeRow(rule)
	for _, r := range cells[1:] {
		writeRow(r)
	}
}

// fit shrinks column widths until they sum to at most total, always taking
// from the widest column so that short columns (ids, kinds) stay readable.
func fit(widths []int, total int) {
	const minw = 3
	for {
		sum, widest := 0, 0
		for i, w := range widths {
			sum += w
			if w > widths[widest] {
				widest = i
			}
		}
		if sum <= total || widths[widest] <= minw {
			return
		}
		widths[widest]--
	}
}

func cellWidth(s string) int { return lipgloss.Width(s) }

// truncate cuts s to at most w cells, ending in "…" when it cut.
func truncate(s string, w int) string {
	if cellWidth(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		rw := cellWidth(string(r))
		if used+rw > w-1 {
			break
		}
		b.WriteRune(r)
		used += rw
	}
	return b.String() + "…"
}

// clean makes directory text safe for a terminal or a text mail: control
// characters (escape sequences above all) and bidirectional overrides could
// otherwise repaint the operator's screen or disguise an address.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r):
			return '\uFFFD'
		}
		return r
	}, s)
}

// wrap breaks text into lines of at most width cells at spaces (no limit
// when width <= 0).
func wrap(s string, width int) []string {
	if width <= 0 {
		return []string{s}
	}
	var lines []string
	cur := ""
	for _, w := range strings.Fields(s) {
		switch {
		case cur == "":
			cur = w
		case cellWidth(cur)+1+cellWidth(w) <= width:
			cur += " " + w
		default:
			lines = append(lines, cur)
			cur = w
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}
