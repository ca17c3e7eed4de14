package report

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"testing"

	"procsync/sync/roster"
)

// hostile is text a directory or a server could send: a tag, quotes and an
// ampersand.
const hostile = `<script>alert("x")</script> & 'y'`

// escaped is hostile as html/template writes it in text.
const escaped = `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;y&#39;`

// between returns the part of s from the first from to the next to.
func between(t *testing.T, s, from, to string) string {
	t.Helper()
	i := strings.Index(s, from)
	if i < 0 {
		t.Fatalf("%q not found in:\n%s", from, s)
	}
	j := strings.Index(s[i:], to)
	if j < 0 {
		t.Fatalf("%q not found after %q", to, from)
	}
	return s[i : i+j+len(to)]
}

// TestHTMLEscapesHeaderFields covers issue 15: the title, the facts and
// the run-error paragraph carry directory- and server-controlled text, and
// each is escaped; rendering any one of them raw fails its own subtest.
func TestHTMLEscapesHeaderFields(t *testing.T) {
	check := func(t *testing.T, region string) {
		t.Helper()
		if strings.Contains(region, "<script>") || strings.Contains(region, `"x"`) {
			t.Errorf("raw hostile text in:\n%s", region)
		}
		if !strings.Contains(region, escaped) {
			t.Errorf("escaped text %q not in:\n%s", escaped, region)
		}
	}
	for _, render := range []struct {
		name string
		f    func(Run) (string, error)
	}{{"HTML", htmlOf}, {"MailHTML", mailHTMLOf}} {
		t.Run(render.name, func(t *testing.T) {
			t.Run("title", func(t *testing.T) {
				run := sampleRun()
				run.Environment = hostile
				h, err := render.f(run)
				if err != nil {
					t.Fatal(err)
				}
				check(t, between(t, h, "<title>", "</title>"))
			})
			facts := map[string]func(*Run){
				"environment": func(r *Run) { r.Environment = hostile },
				"company":     func(r *Run) { r.CompanyName = hostile },
				"approved by": func(r *Run) { r.ApprovedBy = hostile },
				"fingerprint": func(r *Run) { r.Fingerprint = hostile },
				"mode":        func(r *Run) { r.Mode = hostile },
			}
			for name, set := range facts {
				t.Run("facts/"+name, func(t *testing.T) {
					run := sampleRun()
					set(&run)
					h, err := render.f(run)
					if err != nil {
						t.Fatal(err)
					}
					check(t, between(t, h, `<table role="presentation"`, "</table>"))
				})
			}
			t.Run("run error", func(t *testing.T) {
				run := sampleRun()
				run.Error = "procore: list users: 500 " + hostile
				h, err := render.f(run)
				if err != nil {
					t.Fatal(err)
				}
				check(t, between(t, h, "The run stopped with an error:", "</p>"))
			})
			t.Run("table cells", func(t *testing.T) {
				run := sampleRun()
				run.Rows = append(run.Rows, Row{Kind: roster.KindUpdate, Email: "u@contoso.com", Status: roster.StatusFailed, Error: hostile, Reason: hostile})
				h, err := render.f(run)
				if err != nil {
					t.Fatal(err)
				}
				check(t, between(t, h, "Failed (", "</table>"))
			})
		})
	}
}

// createdRun is a run that created n users and failed 3.
func createdRun(n int) Run {
	run := sampleRun()
	run.Rows = nil
	for i := range n {
		run.Rows = append(run.Rows, Row{Kind: roster.KindCreate, Email: fmt.Sprintf("user%05d@contoso.com", i), FirstName: "User", LastName: fmt.Sprint(i),
			EntraID: fmt.Sprintf("e-%05d", i), ProcoreID: int64(1800000 + i), Status: roster.StatusDone})
	}
	for i := range 3 {
		run.Rows = append(run.Rows, Row{Kind: roster.KindCreate, Email: fmt.Sprintf("bad%d@contoso.com", i), Status: roster.StatusFailed, Error: "422"})
	}
	return run
}

// TestMailHTMLCutsTables covers issue 13 item 1: the mailed HTML shows the
// first MailRows rows of each table and says how many more the attachment
// has; the saved HTML stays complete.
func TestMailHTMLCutsTables(t *testing.T) {
	run := createdRun(MailRows + 300)
	mail, err := mailHTMLOf(run)
	if err != nil {
		t.Fatal(err)
	}
	full, err := htmlOf(run)
	if err != nil {
		t.Fatal(err)
	}
	last := fmt.Sprintf("user%05d@contoso.com", MailRows-1)
	first := fmt.Sprintf("user%05d@contoso.com", MailRows)
	if !strings.Contains(mail, last) || strings.Contains(mail, first) {
		t.Errorf("mail HTML should list rows 0..%d and stop", MailRows-1)
	}
	for _, want := range []string{"Created (500)", "Showing the first 200 of 500. 300 more are not shown here; the attached CSV lists every row.", "Failed (3)", "bad2@contoso.com"} {
		if !strings.Contains(mail, want) {
			t.Errorf("mail HTML lacks %q", want)
		}
	}
	if strings.Contains(mail, "Failed (3)") && strings.Count(mail, "not shown here") != 1 {
		t.Errorf("a table under the limit says rows are missing")
	}
	if !strings.Contains(full, fmt.Sprintf("user%05d@contoso.com", MailRows+299)) || strings.Contains(full, "not shown here") {
		t.Error("the complete HTML lost rows")
	}
	// 50,000 rows mail in a few tens of kilobytes.
	huge, err := mailHTMLOf(createdRun(50000))
	if err != nil {
		t.Fatal(err)
	}
	if len(huge) > 200<<10 || !strings.Contains(huge, "49,800 more") {
		t.Errorf("mail HTML of 50,000 rows is %d bytes", len(huge))
	}
}

// TestMailAttachment: a small CSV goes plain; one at the inline limit goes
// zipped, and the zip holds the complete CSV.
func TestMailAttachment(t *testing.T) {
	run := createdRun(1000)
	want, err := csvOf(run)
	if err != nil {
		t.Fatal(err)
	}
	a, err := attachmentOf(run, len(want)+1)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "procsync-20261127T235701Z-run12.csv" || a.ContentType != "text/csv" || !bytes.Equal(a.Data, want) {
		t.Errorf("plain attachment = %s %s %d bytes", a.Name, a.ContentType, len(a.Data))
	}
	z, err := attachmentOf(run, len(want))
	if err != nil {
		t.Fatal(err)
	}
	if z.Name != "procsync-20261127T235701Z-run12.zip" || z.ContentType != "application/zip" || len(z.Data) >= len(want)/3 {
		t.Errorf("zipped attachment = %s %s %d bytes (CSV %d)", z.Name, z.ContentType, len(z.Data), len(want))
	}
	zr, err := zip.NewReader(bytes.NewReader(z.Data), int64(len(z.Data)))
	if err != nil || len(zr.File) != 1 || zr.File[0].Name != "procsync-20261127T235701Z-run12.csv" {
		t.Fatalf("zip: %v %v", err, zr)
	}
	f, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("zipped CSV differs (%v)", err)
	}
	recs, err := csv.NewReader(bytes.NewReader(got)).ReadAll()
	if err != nil || len(recs) != 1+1003 {
		t.Fatalf("zipped CSV has %d records (%v)", len(recs), err)
	}
}

// TestCSVGuardAfterWhitespace covers issue 14 item 12: a formula after
// leading whitespace or control characters is neutralised too.
func TestCSVGuardAfterWhitespace(t *testing.T) {
	tests := []struct{ in, want string }{
		{" =1+1", "' =1+1"},
		{"\t=cmd", "'\t=cmd"},
		{"\r@x", "'\r@x"},
		{"\x00+1", "'\x00+1"},
		{"\n-2+3", "'\n-2+3"},
		{"  \x01\x1f@SUM(A1)", "'  \x01\x1f@SUM(A1)"},
		{"\u00a0=HYPERLINK(\"x\")", "'\u00a0=HYPERLINK(\"x\")"},
		{"\t", "'\t"},
		{"   ", "   "},
		{" Ana", " Ana"},
		{"\x00abc", "\x00abc"},
		{"a =b", "a =b"},
		{"O'Brien", "O'Brien"},
	}
	for _, tc := range tests {
		if got := SafeCell(tc.in); got != tc.want {
			t.Errorf("SafeCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// And through the rendered CSV, as a spreadsheet reads it.
	run := sampleRun()
	run.Rows = []Row{{Kind: roster.KindCreate, Email: " =1+1@contoso.com", FirstName: "\x00+1", LastName: "\r@x", Status: roster.StatusDone}}
	b, err := csvOf(run)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range recs[1][3:6] {
		if !strings.HasPrefix(c, "'") {
			t.Errorf("cell %q is not defused", c)
		}
	}
}
