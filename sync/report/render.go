package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"

	"procsync/sync/roster"
)

// Rendered is a run's report with each part rendered once: the CSV (saved
// and attached) and the first MailRows rows of each table (shared by the
// mailed HTML and the saved one). A big run's report is tens of thousands
// of rows; the mail should not wait for the rows it does not show. Those
// are rendered by Save (and HTML) straight into the file, so the complete
// HTML is never held in memory, and the mail can go out while it is
// written. Its methods may be called concurrently.
type Rendered struct {
	Run Run
	// CSV is every row, as saved and as attached.
	CSV    []byte
	tables []table
	// zip is the CSV being zipped for the mail, if it is big.
	zip *zipper

	// first holds each table's first MailRows rows as HTML, rendered on
	// first need.
	firstOnce sync.Once
	first     [][]byte
	// head is the top of the page (title, summary, facts), the same on
	// the complete page and the mail's; rendered on first need, since the
	// summary counts every row.
	headOnce sync.Once
	head     []byte
	headErr  error
}

// Render groups the run's rows into tables and renders the CSV. A CSV too
// big to be mailed as it is (see zipAhead) is zipped as it is written. The
// report keeps run's rows, which must not change afterwards.
func Render(run Run) (*Rendered, error) {
	r := &Rendered{Run: run, tables: tables(run)}
	n := csvSize(r.tables)
	// Without a start time, FileBase (the zipped file's name) is the time
	// of the call, so only Attachment knows it.
	if n >= zipAhead && !run.Started.IsZero() {
		r.zip = startZip("procsync-"+FileBase(run)+".csv", run.Started)
	}
	r.CSV = appendCSV(make([]byte, 0, n), r.tables, r.zip)
	return r, nil
}

// MailHTML is the mail's body: the complete report's summary and facts,
// and the first MailRows rows of each table with a line saying how many
// more there are and that the attached CSV lists them.
func (r *Rendered) MailHTML() (string, error) {
	return r.pageString(true)
}

// Save writes the HTML and the CSV into dir (normally Dir(stateDir)),
// creating it 0700; the files are 0600, since they list people. Names
// carry the run's start time in UTC and its id, for example
// 20261127T235701Z-run12.html, and never overwrite an existing report.
func (r *Rendered) Save(dir string) (htmlPath, csvPath string, err error) {
	p, err := r.layout(false)
	if err != nil {
		return "", "", err
	}
	return save(dir, r.Run, p.writeTo, r.CSV)
}

// pageString renders the complete page or the mail's as a string.
func (r *Rendered) pageString(mail bool) (string, error) {
	p, err := r.layout(mail)
	if err != nil {
		return "", err
	}
	var s strings.Builder
	if err := p.writeTo(&s); err != nil {
		return "", err
	}
	return s.String(), nil
}

// firstRows renders each table's first MailRows rows, once.
func (r *Rendered) firstRows() [][]byte {
	r.firstOnce.Do(func() {
		r.first = make([][]byte, len(r.tables))
		for i := range r.tables {
			t := &r.tables[i]
			r.first[i] = appendRows(nil, t, 0, min(t.len(), MailRows))
		}
	})
	return r.first
}

// page is the report's HTML page: its text around the tables, rendered by
// htmlTemplates, and where each table's rows go in it.
type page struct {
	r    *Rendered
	text []byte
	// at[i] is where table i's rows go in text.
	at []int
	// all is set for the complete page; the mail's shows each table's
	// first MailRows rows.
	all bool
}

// layout lays out the complete page or the mail's, with a line under each
// cut table saying how many more rows there are.
func (r *Rendered) layout(mail bool) (*page, error) {
	r.headOnce.Do(func() {
		var b bytes.Buffer
		r.headErr = execute(&b, "head", newHeadData(r.Run))
		r.head = b.Bytes()
	})
	if r.headErr != nil {
		return nil, r.headErr
	}
	var b bytes.Buffer
	b.Write(r.head)
	p := &page{r: r, at: make([]int, len(r.tables)), all: !mail}
	for i := range r.tables {
		t := &r.tables[i]
		d := tableData{Title: t.title, Note: t.note, Columns: t.cols, Total: t.len()}
		if mail && d.Total > MailRows {
			d.More = moreText(MailRows, d.Total)
		}
		if err := execute(&b, "tableStart", d); err != nil {
			return nil, err
		}
		p.at[i] = b.Len()
		if err := execute(&b, "tableEnd", d); err != nil {
			return nil, err
		}
	}
	if err := execute(&b, "foot", footData{Empty: len(r.tables) == 0, Mail: mail}); err != nil {
		return nil, err
	}
	p.text = b.Bytes()
	return p, nil
}

// writeTo writes the page to w: its text with each table's rows in their
// place. The rows after the first MailRows of each table are rendered here
// into w's buffer, a row at a time.
func (p *page) writeTo(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	first := p.r.firstRows()
	from := 0
	for i, to := range p.at {
		bw.Write(p.text[from:to])
		bw.Write(first[i])
		if t := &p.r.tables[i]; p.all {
			for j := MailRows; j < t.len(); j++ {
				bw.Write(appendRow(bw.AvailableBuffer(), t.row(j), t.cols))
			}
		}
		from = to
	}
	bw.Write(p.text[from:])
	// A bufio.Writer keeps its first error and Flush returns it.
	return bw.Flush()
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
