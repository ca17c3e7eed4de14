package report

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The tables' rows are written by hand rather than by html/template: at
// 50,000 rows a template ranging over every cell (reflection for each
// value, an escaped string for each cell) was most of the report's time.
// The bytes are those the template wrote, which TestRendererUnchanged
// checks against a copy of it.

// cellOpen opens a body cell. The style is a constant without a character
// html/template would escape in an attribute, so it is written as is.
const cellOpen = `<td style="` + styleCell + `">`

// htmlEscapes[c] is what html/template writes for the ASCII byte c in
// element text (its htmlReplacementTable), or "" if c stays. It is not
// html.EscapeString, which leaves '+' and NUL as they are, nor
// template.HTMLEscape, which leaves '+'. Bytes from 0x80 up, invalid UTF-8
// included, are written as they are, as html/template writes them in text.
var htmlEscapes = [utf8.RuneSelf]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// htmlSpecial marks the bytes that htmlEscapes replaces.
var htmlSpecial = func() (m [256]bool) {
	for c, e := range htmlEscapes {
		m[c] = e != ""
	}
	return m
}()

// appendHTMLText appends s escaped as html/template escapes text in
// element content.
func appendHTMLText(b []byte, s string) []byte {
	done := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !htmlSpecial[c] {
			continue
		}
		b = append(b, s[done:i]...)
		b = append(b, htmlEscapes[c]...)
		done = i + 1
	}
	return append(b, s[done:]...)
}

// appendName appends the Name cell, strings.TrimSpace(first+" "+last)
// escaped, without building the joined string.
func appendName(b []byte, first, last string) []byte {
	first = strings.TrimLeftFunc(first, unicode.IsSpace)
	if first == "" {
		return appendHTMLText(b, strings.TrimSpace(last))
	}
	last = strings.TrimRightFunc(last, unicode.IsSpace)
	if last == "" {
		return appendHTMLText(b, strings.TrimRightFunc(first, unicode.IsSpace))
	}
	b = appendHTMLText(b, first)
	b = append(b, ' ')
	return appendHTMLText(b, last)
}

// appendID appends a Procore or project id; 0 is an empty cell.
func appendID(b []byte, id int64) []byte {
	if id == 0 {
		return b
	}
	return strconv.AppendInt(b, id, 10)
}

// appendCell appends r's cell for column c, escaped: Row.Cell's text.
func appendCell(b []byte, r *Row, c Column) []byte {
	switch c {
	case ColName:
		return appendName(b, r.FirstName, r.LastName)
	case ColEmail:
		return appendHTMLText(b, r.Email)
	case ColKind:
		return appendHTMLText(b, string(r.Kind))
	case ColProcoreID:
		return appendID(b, r.ProcoreID)
	case ColEntraID:
		return appendHTMLText(b, r.EntraID)
	case ColReason:
		return appendHTMLText(b, r.Reason)
	case ColError:
		return appendHTMLText(b, r.Error)
	case ColProject:
		return appendID(b, r.ProjectID)
	}
	return b
}

// appendRow appends the HTML of one row of a table with columns cols, on
// its own line.
func appendRow(b []byte, r *Row, cols []Column) []byte {
	b = append(b, "\n<tr>"...)
	for _, c := range cols {
		b = append(b, cellOpen...)
		b = appendCell(b, r, c)
		b = append(b, "</td>"...)
	}
	return append(b, "</tr>"...)
}

// appendRows appends the HTML of t's rows from to to.
func appendRows(b []byte, t *table, from, to int) []byte {
	for j := from; j < to; j++ {
		b = appendRow(b, t.row(j), t.cols)
	}
	return b
}
