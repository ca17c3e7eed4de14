package report

// The report's tables as plain values, for the tests: production renders
// from tables (rows by index) and appendCell, and these say the same in
// the simplest terms.

// Section is one table of the report.
type Section struct {
	Title string
	// Note explains the section in a sentence, if needed.
	Note    string
	Columns []Column
	Rows    []Row
}

// Sections splits a run into the report's tables, in reading order, leaving
// out empty ones: what changed first, then what failed, then what was held
// back or only planned.
func Sections(run Run) []Section {
	ts := tables(run)
	if len(ts) == 0 {
		return nil
	}
	out := make([]Section, len(ts))
	for i, t := range ts {
		rows := t.src
		if t.idx != nil {
			rows = make([]Row, len(t.idx))
			for j, k := range t.idx {
				rows[j] = t.src[k]
			}
		}
		out[i] = Section{Title: t.title, Note: t.note, Columns: t.cols, Rows: rows}
	}
	return out
}

// HTML is the complete HTML report. Each call renders the rows after the
// mail's again (Save does not call it).
func (r *Rendered) HTML() (string, error) {
	return r.pageString(false)
}
