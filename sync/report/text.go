package report

import (
	"strconv"
	"strings"
	"unicode"

	"charm.land/lipgloss/v2"
)

// Text renders the run's plain-text report, with Summary's line first.
// Tables are aligned and never truncated. No face sends or prints it today
// (the mail is HTML; --auto prints its own summary line).
func Text(run Run) string {
	var b strings.Builder
	line := func(s string) {
		b.WriteString(clean(s))
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
	secs := Sections(run)
	for _, s := range secs {
		b.WriteByte('\n')
		line(s.Title + " (" + strconv.Itoa(len(s.Rows)) + ")")
		if s.Note != "" {
			line(s.Note)
		}
		head := make([]string, len(s.Columns))
		for i, c := range s.Columns {
			head[i] = string(c)
		}
		rows := make([][]string, len(s.Rows))
		for i, r := range s.Rows {
			rows[i] = make([]string, len(s.Columns))
			for j, c := range s.Columns {
				rows[i][j] = r.Cell(c)
			}
		}
		writeTable(&b, head, rows)
	}
	if len(secs) == 0 {
		b.WriteByte('\n')
		line("Every license-group member already has a Procore user; nothing needed doing.")
	}
	return b.String()
}

// writeTable writes an aligned table with a dashed rule under the header.
func writeTable(b *strings.Builder, head []string, rows [][]string) {
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
	writeRow := func(r []string) {
		var l strings.Builder
		for i, v := range r {
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

func cellWidth(s string) int { return lipgloss.Width(s) }

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
