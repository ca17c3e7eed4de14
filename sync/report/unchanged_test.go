package report

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"procsync/sync/graph"
	"procsync/sync/roster"
)

// hostileCells are cell texts that test the escaping and the CSV guard:
// markup, every character html/template replaces in text (" & ' + < > NUL),
// invalid UTF-8, formulas behind whitespace and control characters,
// bidirectional marks, the non-characters html/template leaves alone in
// text, and Unicode spaces that TrimSpace removes around a name.
var hostileCells = []string{
	"", " ", "\u00a0", "\u0085", "\t", hostile, `<script>alert('x')</script>`, `"quoted"`, "'single'", "a&b", "a+b@contoso.com",
	"x\x00y", "\x00", "\xff\xfe", "ok\xc3", "\xe2\x80", "=HYPERLINK(\"http://evil\")", " =1+1", "\t=cmd", "\r@x", "\n-2+3", "\x00+1",
	"@SUM(A1)", "-5", "+Eve", "\u202eevil\u202c", "\u200fRTL\u200e", "שלום", "Ærøskøbing", "\ufdd0\uffff\ufffe", "line\nbreak", "cr\rlf\r\n",
	`\.`, "a,b", "<!-- x -->", "</td></tr></table>", "&amp;", "&#34;", "{{.Title}}", " Ana ", "\u3000Wide\u3000",
}

// runCase is a named run for the comparison.
type runCase struct {
	name string
	run  Run
}

// comparisonRuns are the runs TestRendererUnchanged renders both ways.
func comparisonRuns() []runCase {
	var cases []runCase
	add := func(name string, run Run) { cases = append(cases, runCase{name, run}) }
	add("sample", sampleRun())
	empty := sampleRun()
	empty.Rows = nil
	add("empty", empty)
	add("cut table", createdRun(MailRows+300))
	add("exactly MailRows", createdRun(MailRows-3))
	add("bench mix", benchRun(2500))

	// Every hostile cell in every field of every kind and status.
	h := sampleRun()
	h.Rows = nil
	kinds := []roster.Kind{roster.KindCreate, roster.KindReactivate, roster.KindUpdate, roster.KindOffboard, roster.KindProjectAdd,
		roster.KindConflict, roster.KindExcluded, roster.KindInSync, roster.Kind("<weird&kind>")}
	statuses := []roster.Status{roster.StatusDone, roster.StatusFailed, roster.StatusSkipped, roster.StatusPlanned}
	n := 0
	for _, k := range kinds {
		for _, s := range statuses {
			for i, c := range hostileCells {
				d := hostileCells[(i+n)%len(hostileCells)]
				h.Rows = append(h.Rows, Row{Kind: k, Status: s, Email: c, FirstName: d, LastName: c, EntraID: d, Reason: c, Error: d,
					ProcoreID: int64((i - 3) * 100003), ProjectID: int64(i % 3)})
				n++
			}
		}
	}
	long := strings.Repeat(hostile+" Łukasz ", 20000)
	h.Rows = append(h.Rows, Row{Kind: roster.KindCreate, Status: roster.StatusFailed, Email: long, FirstName: long, Error: long})
	add("hostile cells", h)

	held := h
	held.Held = &Brake{Creates: 5000, MaxCreates: 100, Deactivations: 3, MaxDeactivations: 10, Rows: h.Rows[:len(h.Rows)/2]}
	held.Rows = h.Rows[len(h.Rows)/2:]
	held.Environment, held.CompanyName, held.Error = hostile, "\x00"+hostile, "procore: 500 "+hostile
	add("held back", held)

	dry := createdRun(900)
	for i := range dry.Rows {
		dry.Rows[i].Status = roster.StatusPlanned
	}
	dry.DryRun, dry.Cancelled = true, true
	dry.Recent = []roster.RunSummary{{ID: 3, Started: time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC), Mode: "<b>", Created: 2, Outcome: "done"}}
	add("dry run cancelled", dry)

	big := createdRun(1)
	for i := range 3000 {
		big.Rows = append(big.Rows, Row{Kind: roster.KindCreate, Status: roster.StatusFailed, Email: fmt.Sprintf("u%d@contoso.com", i),
			Error: hostileCells[i%len(hostileCells)]})
	}
	add("cut hostile table", big)
	return cases
}

// newRender renders run as the engine does: the complete HTML (from HTML
// and from the file Save writes), the mailed HTML and the CSV.
func newRender(t tb, dir string, run Run) (full, saved, mail string, csvData []byte) {
	t.Helper()
	r, err := Render(run)
	if err != nil {
		t.Fatal(err)
	}
	// The mail first and the files beside it, as the engine has it.
	done := make(chan struct{})
	go func() {
		defer close(done)
		var merr error
		if mail, merr = r.MailHTML(); merr != nil {
			t.Errorf("MailHTML: %v", merr)
		}
	}()
	hp, _, serr := r.Save(dir)
	<-done
	if serr != nil {
		t.Fatal(serr)
	}
	b, err := os.ReadFile(hp)
	if err != nil {
		t.Fatal(err)
	}
	full, err = r.HTML()
	if err != nil {
		t.Fatal(err)
	}
	return full, string(b), mail, r.CSV
}

// TestRendererUnchanged renders runs with the report's renderer and with
// the template-based one it replaced (oldrender_test.go) and wants the
// same bytes: the complete HTML, the saved file, the mailed HTML and the
// CSV.
func TestRendererUnchanged(t *testing.T) {
	for _, c := range comparisonRuns() {
		t.Run(c.name, func(t *testing.T) {
			compareRenders(t, t.TempDir(), c.run)
		})
	}
}

// tb is what the comparison needs of a *testing.T or a *rapid.T.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
	Fatal(args ...any)
}

// compareRenders renders run both ways, saving into dir.
func compareRenders(t tb, dir string, run Run) {
	t.Helper()
	wantFull, wantMail, wantCSV, err := oldRender(run)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Sections(run), oldSections(run); !reflect.DeepEqual(got, want) {
		t.Errorf("Sections differ:\n got %v\nwant %v", got, want)
	}
	full, saved, mail, csvData := newRender(t, dir, run)
	same := func(what, got, want string) {
		t.Helper()
		if got == want {
			return
		}
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		from := max(0, i-80)
		t.Errorf("%s differs at byte %d (len %d, want %d):\n got …%q\nwant …%q", what, i, len(got), len(want),
			got[from:min(len(got), i+80)], want[from:min(len(want), i+80)])
	}
	same("HTML", full, wantFull)
	same("saved HTML", saved, wantFull)
	same("mail HTML", mail, wantMail)
	same("CSV", string(csvData), string(wantCSV))
}

// TestRendererUnchangedRandom compares the two renderers on random runs
// whose cells are drawn from hostile pieces and random bytes.
func TestRendererUnchangedRandom(t *testing.T) {
	kinds := []roster.Kind{roster.KindCreate, roster.KindReactivate, roster.KindUpdate, roster.KindOffboard, roster.KindProjectAdd,
		roster.KindConflict, roster.KindExcluded}
	statuses := []roster.Status{roster.StatusDone, roster.StatusFailed, roster.StatusSkipped, roster.StatusPlanned}
	cell := rapid.OneOf(rapid.SampledFrom(hostileCells), rapid.String(), rapid.StringMatching(`[ \t\x00-\x1f"'&+<>=@a-zé\x{202e}]{0,12}`),
		rapid.Custom(func(t *rapid.T) string { return string(rapid.SliceOfN(rapid.Byte(), 0, 12).Draw(t, "bytes")) }))
	tmp := t.TempDir()
	rapid.Check(t, func(rt *rapid.T) {
		run := sampleRun()
		run.Rows = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Row {
			return Row{
				Kind: rapid.SampledFrom(kinds).Draw(t, "kind"), Status: rapid.SampledFrom(statuses).Draw(t, "status"),
				Email: cell.Draw(t, "email"), FirstName: cell.Draw(t, "first"), LastName: cell.Draw(t, "last"), EntraID: cell.Draw(t, "entra"),
				Reason: cell.Draw(t, "reason"), Error: cell.Draw(t, "error"),
				ProcoreID: rapid.Int64Range(-2, 1<<40).Draw(t, "id"), ProjectID: rapid.Int64Range(0, 3).Draw(t, "project"),
			}
		}), 0, MailRows+40).Draw(rt, "rows")
		if rapid.Bool().Draw(rt, "cancelled") {
			run.Cancelled = true
		}
		dir, err := os.MkdirTemp(tmp, "")
		if err != nil {
			rt.Fatal(err)
		}
		compareRenders(rt, dir, run)
	})
}

// TestSaveWritesWhatHTMLReturns checks the saved file once more for a run
// saved twice into one directory: the second gets the -2 name and the
// same bytes.
func TestSaveWritesWhatHTMLReturns(t *testing.T) {
	run := createdRun(MailRows + 5)
	r, err := Render(run)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	want, err := r.HTML()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{FileBase(run), FileBase(run) + "-2"} {
		hp, cp, err := r.Save(dir)
		if err != nil {
			t.Fatal(err)
		}
		if hp != filepath.Join(dir, name+".html") {
			t.Errorf("saved as %s, want %s.html", hp, name)
		}
		h, _ := os.ReadFile(hp)
		c, _ := os.ReadFile(cp)
		if string(h) != want || !bytes.Equal(c, r.CSV) {
			t.Errorf("%s: saved files differ from HTML and CSV", name)
		}
	}
}

// TestZipAhead: a CSV from zipAhead up is zipped while Render writes it,
// into the bytes the whole CSV zipped at once gives, and that is the
// attachment; with a limit above the CSV's size the attachment is the
// plain CSV all the same.
func TestZipAhead(t *testing.T) {
	if zipAhead != graph.MaxInlineAttachment {
		t.Fatalf("zipAhead = %d, want graph.MaxInlineAttachment = %d", zipAhead, graph.MaxInlineAttachment)
	}
	run := createdRun(3000)
	for i := range run.Rows {
		run.Rows[i].Reason = strings.Repeat("é"+hostile, 30)
		if i%7 == 0 {
			run.Rows[i].Status, run.Rows[i].Error = roster.StatusFailed, strings.Repeat("x\"y,\n", 40)
		}
	}
	r, err := Render(run)
	if err != nil {
		t.Fatal(err)
	}
	if r.zip == nil || len(r.CSV) < zipAhead {
		t.Fatalf("a CSV of %d bytes was not zipped ahead", len(r.CSV))
	}
	_, _, wantCSV, err := oldRender(run)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.CSV, wantCSV) {
		t.Fatal("the CSV differs from encoding/csv's")
	}
	name := "procsync-" + FileBase(run)
	want, err := zipFile(name+".csv", r.CSV, run.Started)
	if err != nil {
		t.Fatal(err)
	}
	a, err := r.Attachment(graph.MaxInlineAttachment)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != name+".zip" || a.ContentType != "application/zip" || !bytes.Equal(a.Data, want) {
		t.Errorf("attachment %s %s, %d bytes; want the CSV zipped at once, %d bytes", a.Name, a.ContentType, len(a.Data), len(want))
	}
	plain, err := r.Attachment(len(r.CSV) + 1)
	if err != nil {
		t.Fatal(err)
	}
	if plain.Name != name+".csv" || !bytes.Equal(plain.Data, r.CSV) {
		t.Errorf("attachment under the limit is %s", plain.Name)
	}
}

// TestHTMLTextEscaping compares appendHTMLText with html/template's text
// escaping for every byte alone, between letters, and the hostile cells;
// and appendName with Row.Cell's name for every pair of hostile cells.
func TestHTMLTextEscaping(t *testing.T) {
	tmpl := template.Must(template.New("").Parse(`{{.}}`))
	want := func(s string) string {
		var b strings.Builder
		if err := tmpl.Execute(&b, s); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	cases := append([]string{}, hostileCells...)
	for c := range 256 {
		cases = append(cases, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"b")
	}
	for _, s := range cases {
		if got, want := string(appendHTMLText(nil, s)), want(s); got != want {
			t.Errorf("appendHTMLText(%q) = %q, html/template writes %q", s, got, want)
		}
	}
	for _, first := range hostileCells {
		for _, last := range hostileCells {
			r := Row{FirstName: first, LastName: last}
			if got, want := string(appendName(nil, first, last)), want(oldCell(r, ColName)); got != want {
				t.Errorf("appendName(%q, %q) = %q, want %q", first, last, got, want)
			}
		}
	}
}
