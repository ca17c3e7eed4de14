package report

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// csvHeader is the CSV's column row. The section column says which report
// table a row belongs to, so a spreadsheet filter reproduces the report.
var csvHeader = []string{"section", "kind", "status", "email", "first_name", "last_name", "entra_id", "procore_id", "reason", "error"}

// zipPart is how much CSV appendCSV writes before it hands it to the
// zipper.
const zipPart = 256 << 10

// appendCSV appends every row of the report's tables as CSV, in the bytes
// encoding/csv writes (see appendCSVField), and hands what it wrote to z,
// if not nil, as it goes and closes it. Cells that a spreadsheet would run
// as a formula are defused (see SafeCell).
func appendCSV(b []byte, ts []table, z *zipper) []byte {
	// zipped is how much of b went to z. A part handed over stays as it
	// is: if b grows, it moves, and only the new array is written.
	zipped := len(b)
	for i, h := range csvHeader {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, h)
	}
	b = append(b, '\n')
	for i := range ts {
		t := &ts[i]
		// The table's title is the same on each of its rows.
		title := appendCSVField(nil, SafeCell(t.title))
		for j := range t.len() {
			r := t.row(j)
			b = append(b, title...)
			for _, f := range [...]string{string(r.Kind), string(r.Status), r.Email, r.FirstName, r.LastName, r.EntraID} {
				b = append(b, ',')
				b = appendCSVField(b, SafeCell(f))
			}
			b = append(b, ',')
			switch {
			case r.ProcoreID > 0:
				// Digits: neither a formula nor quoted.
				b = strconv.AppendInt(b, r.ProcoreID, 10)
			case r.ProcoreID < 0:
				b = appendCSVField(b, SafeCell(strconv.FormatInt(r.ProcoreID, 10)))
			}
			for _, f := range [...]string{r.Reason, r.Error} {
				b = append(b, ',')
				b = appendCSVField(b, SafeCell(f))
			}
			b = append(b, '\n')
			if z != nil && len(b)-zipped >= zipPart {
				z.add(b[zipped:])
				zipped = len(b)
			}
		}
	}
	if z != nil {
		z.add(b[zipped:])
		z.close()
	}
	return b
}

// csvSize is about the size of the CSV of ts, a little more unless many
// cells need quotes or defusing: enough to write it into one allocation.
func csvSize(ts []table) int {
	n := 100
	for i := range ts {
		t := &ts[i]
		for j := range t.len() {
			r := t.row(j)
			n += len(t.title) + len(r.Kind) + len(r.Status) + len(r.Email) + len(r.FirstName) + len(r.LastName) +
				len(r.EntraID) + len(r.Reason) + len(r.Error) + 30
		}
	}
	return n
}

// appendCSVField appends one field as encoding/csv's Writer writes it
// with its defaults (a comma, "\n" line ends): quoted when it holds a
// comma, a quote, a line break, is exactly \. or starts with a space, its
// quotes doubled. The writer cost an allocation a record and a copy of
// every field; TestRendererUnchanged compares the bytes with it.
func appendCSVField(b []byte, f string) []byte {
	if !csvNeedsQuotes(f) {
		return append(b, f...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(f, '"')
		if i < 0 {
			break
		}
		b = append(b, f[:i+1]...)
		b = append(b, '"')
		f = f[i+1:]
	}
	b = append(b, f...)
	return append(b, '"')
}

// csvSpecial marks the bytes that make encoding/csv quote a field.
var csvSpecial = [256]bool{'\n': true, '\r': true, '"': true, ',': true}

// csvNeedsQuotes is encoding/csv's fieldNeedsQuotes for a comma.
func csvNeedsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` {
		return true
	}
	for i := 0; i < len(f); i++ {
		if csvSpecial[f[i]] {
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(f)
	return unicode.IsSpace(r)
}

// SafeCell defuses CSV formula injection: Excel and LibreOffice evaluate a
// cell that starts with = + - @, and skip leading whitespace and control
// characters before deciding, so " =1+1", "\t=cmd", "\r@x" and "\x00+1"
// run too; a display name like "=HYPERLINK(...)" would run in the admin's
// spreadsheet. A leading apostrophe makes the cell text, as OWASP
// recommends. A cell that starts with a tab or carriage return is defused
// whatever follows, as OWASP lists those two as triggers themselves.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	// Most cells start with a printable ASCII character that is not a
	// trigger: nothing to skip before it, nothing to defuse.
	if c := s[0]; c > ' ' && c < 0x7f && c != '=' && c != '+' && c != '-' && c != '@' {
		return s
	}
	if s[0] == '\t' || s[0] == '\r' {
		return "'" + s
	}
	rest := strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	if rest != "" && strings.ContainsRune("=+-@", rune(rest[0])) {
		return "'" + s
	}
	return s
}
