package report

import (
	"bytes"
	"fmt"

	"procsync/sync/roster"
)

// Rendered is a run's report with each part rendered once: the tables'
// cells (shared by the saved HTML and the mailed one) and the CSV (saved
// and attached). A big run's report is tens of thousands of rows; the mail
// should not wait for them to be rendered twice.
//
// The mail needs only the first MailRows rows of each table rendered, so
// it can go out while the complete HTML is rendered and saved.
type Rendered struct {
	Run Run
	// CSV is every row, as saved and as attached.
	CSV      []byte
	sections []Section
}

// Render groups the run's rows into tables and renders the CSV.
func Render(run Run) (*Rendered, error) {
	secs := Sections(run)
	var b bytes.Buffer
	if err := writeCSV(&b, secs); err != nil {
		return nil, err
	}
	return &Rendered{Run: run, CSV: b.Bytes(), sections: secs}, nil
}

// HTML is the complete HTML report.
func (r *Rendered) HTML() (string, error) {
	var b bytes.Buffer
	if err := writeHTML(&b, r.Run, views(r.sections, 0), false); err != nil {
		return "", err
	}
	return b.String(), nil
}

// MailHTML is the mail's body: the complete report's summary and facts,
// and the first MailRows rows of each table with a line saying how many
// more there are and that the attached CSV lists them.
func (r *Rendered) MailHTML() (string, error) {
	var b bytes.Buffer
	if err := writeHTML(&b, r.Run, views(r.sections, MailRows), true); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Attachment is the mail's attachment, the CSV (see attachment).
func (r *Rendered) Attachment(inlineLimit int) (Attachment, error) {
	return attachment(r.Run, r.CSV, inlineLimit)
}

// Save writes the HTML and the CSV into dir (normally Dir(stateDir)),
// creating it 0700; the files are 0600, since they list people. Names
// carry the run's start time in UTC and its id, for example
// 20261127T235701Z-run12.html, and never overwrite an existing report.
func (r *Rendered) Save(dir string) (htmlPath, csvPath string, err error) {
	html, err := r.HTML()
	if err != nil {
		return "", "", err
	}
	return save(dir, r.Run, []byte(html), r.CSV)
}

// views renders the sections' cells; limit > 0 keeps the first limit rows
// of each (only those are rendered) and says how many more there are.
func views(secs []Section, limit int) []tableView {
	out := make([]tableView, len(secs))
	for i, s := range secs {
		rows := s.Rows
		v := tableView{Title: s.Title, Note: s.Note, Columns: s.Columns, Total: len(rows)}
		if limit > 0 && len(rows) > limit {
			rows = rows[:limit]
			v.More = moreText(limit, v.Total)
		}
		v.Rows = make([][]string, len(rows))
		for j, r := range rows {
			cells := make([]string, len(s.Columns))
			for k, c := range s.Columns {
				cells[k] = r.Cell(c)
			}
			v.Rows[j] = cells
		}
		out[i] = v
	}
	return out
}

// moreText says that a table shows limit of its total rows.
func moreText(limit, total int) string {
	return fmt.Sprintf("Showing the first %s of %s. %s more are not shown here; the attached CSV lists every row.",
		thousands(limit), thousands(total), thousands(total-limit))
}

// RowOf is the report's row of a journal record (an action of the plan,
// or one project membership).
func RowOf(r roster.Record) Row {
	return Row{
		Kind: r.Kind, Email: r.Address, FirstName: r.FirstName, LastName: r.LastName, EntraID: r.EntraID,
		ProcoreID: r.ProcoreID, Status: r.Status, Reason: r.Reason, Error: r.Error, ProjectID: r.ProjectID,
	}
}
