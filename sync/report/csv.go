package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// csvHeader is the CSV's column row. The section column says which report
// table a row belongs to, so a spreadsheet filter reproduces the report.
var csvHeader = []string{"section", "kind", "status", "email", "first_name", "last_name", "entra_id", "procore_id", "reason", "error"}

// writeCSV writes every row of the report's tables as CSV. Cells that a
// spreadsheet would run as a formula are defused (see SafeCell).
func writeCSV(w io.Writer, secs []Section) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("report: write CSV: %w", err)
	}
	for _, s := range secs {
		for _, r := range s.Rows {
			id := ""
			if r.ProcoreID != 0 {
				id = strconv.FormatInt(r.ProcoreID, 10)
			}
			rec := []string{s.Title, string(r.Kind), string(r.Status), r.Email, r.FirstName, r.LastName, r.EntraID, id, r.Reason, r.Error}
			for i := range rec {
				rec[i] = SafeCell(rec[i])
			}
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("report: write CSV: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: write CSV: %w", err)
	}
	return nil
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
	if s[0] == '\t' || s[0] == '\r' {
		return "'" + s
	}
	rest := strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	if rest != "" && strings.ContainsRune("=+-@", rune(rest[0])) {
		return "'" + s
	}
	return s
}
