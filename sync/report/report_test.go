package report

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"procsync/sync/roster"
)

func sampleRun() Run {
	return Run{
		ID:          12,
		Started:     time.Date(2026, 11, 27, 23, 57, 1, 0, time.UTC),
		Finished:    time.Date(2026, 11, 27, 23, 58, 30, 0, time.UTC),
		Mode:        "auto",
		ApprovedBy:  "app 3f2a…",
		Environment: "production",
		CompanyName: "Contoso Construction",
		CompanyID:   1234,
		Fingerprint: "9c1e5a77d2",
		Plan:        roster.Counts{roster.KindCreate: 3, roster.KindReactivate: 1, roster.KindInSync: 120, roster.KindExcluded: 4},
		Rows: []Row{
			{Kind: roster.KindCreate, Email: "ana.diaz@contoso.com", FirstName: "Ana", LastName: "Diaz", EntraID: "e-1", ProcoreID: 5512, Status: roster.StatusDone},
			{Kind: roster.KindCreate, Email: "sean.obrien@contoso.com", FirstName: "<script>alert(1)</script>", LastName: "O'Brien", EntraID: "e-2", ProcoreID: 5513, Status: roster.StatusDone},
			{Kind: roster.KindReactivate, Email: "li.wei@contoso.com", FirstName: "Li", LastName: "Wei", ProcoreID: 4410, Status: roster.StatusDone},
			{Kind: roster.KindCreate, Email: "=cmd|' /C calc'!A0@contoso.com", FirstName: "+Eve", LastName: "-Mallory", Status: roster.StatusFailed,
				Error: "procore: create user: 422 email_address is invalid (request 7f3c1b)"},
			{Kind: roster.KindExcluded, Email: "guest@fabrikam.com", Status: roster.StatusPlanned, Reason: "guest account"},
			{Kind: roster.KindConflict, Email: "shared@contoso.com", Status: roster.StatusPlanned, Reason: "two members resolve to this address"},
		},
	}
}

func TestHTMLEscapesDirectoryText(t *testing.T) {
	h, err := htmlOf(sampleRun())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "<script>") {
		t.Error("HTML contains a raw <script> tag from a display name")
	}
	if !strings.Contains(h, "&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien") {
		t.Errorf("escaped name not found in HTML:\n%s", h)
	}
	if strings.Contains(h, "ZgotmplZ") {
		t.Error("html/template rejected a style or URL value (ZgotmplZ)")
	}
}

func TestHTMLInlineStyles(t *testing.T) {
	h, err := htmlOf(sampleRun())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "<style") || strings.Contains(h, "class=") {
		t.Error("report relies on a <style> block or classes; mail clients drop them")
	}
	// Every figure from DESIGN.md's "Report" section, on the element it
	// belongs to.
	tests := []struct {
		element string
		re      string
		want    []string
	}{
		{"data table", `<table style="([^"]*)">`, []string{"width:100%", "text-align:left", "border-collapse:collapse", "border:1px solid #1C6EA4", "background-color:#EEEEEE"}},
		{"header row", `<tr style="([^"]*)">`, []string{"background-color:#1C6EA4", "border-bottom:2px solid #444444"}},
		{"first header cell", `<tr style="[^"]*">\s*<th style="([^"]*)">`, []string{"font-size:15px", "font-weight:bold", "color:#FFFFFF", "border:1px solid #AAAAAA", "padding:3px 2px", "border-left:none"}},
		{"second header cell", `</th><th style="([^"]*)">`, []string{"border-left:2px solid #D0E4F5", "font-size:15px", "color:#FFFFFF"}},
		{"body cell", `<td style="([^"]*)">[^<]*@contoso`, []string{"border:1px solid #AAAAAA", "padding:3px 2px", "font-size:13px"}},
	}
	for _, tt := range tests {
		t.Run(tt.element, func(t *testing.T) {
			m := regexp.MustCompile(tt.re).FindStringSubmatch(h)
			if m == nil {
				t.Fatalf("no %s matching %s", tt.element, tt.re)
			}
			for _, w := range tt.want {
				if !strings.Contains(m[1], w) {
					t.Errorf("%s style %q lacks %q", tt.element, m[1], w)
				}
			}
		})
	}
	if n := strings.Count(h, "border-left:2px solid #D0E4F5"); n == 0 {
		t.Error("no header cell has the #D0E4F5 left border")
	}
}

func TestSectionsAndSummary(t *testing.T) {
	run := sampleRun()
	var titles []string
	for _, s := range Sections(run) {
		titles = append(titles, s.Title+":"+string(rune('0'+len(s.Rows))))
	}
	if got, want := strings.Join(titles, " "), "Created:2 Reactivated:1 Failed:1 Conflicts:1"; got != want {
		t.Errorf("sections = %s, want %s (excluded rows are not listed)", got, want)
	}
	tests := []struct {
		name string
		run  Run
		want string
	}{
		{"applied", run, "2 created, 1 reactivated, 1 failed."},
		{"nothing", Run{}, "No changes."},
		{"dry run", Run{DryRun: true, Rows: []Row{{Kind: roster.KindCreate, Status: roster.StatusPlanned}, {Kind: roster.KindCreate, Status: roster.StatusPlanned}, {Kind: roster.KindReactivate, Status: roster.StatusPlanned}}},
			"Dry run: 2 creates, 1 reactivation planned; nothing was applied."},
		{"dry run, project additions only", Run{DryRun: true, Rows: []Row{{Kind: roster.KindProjectAdd, Status: roster.StatusPlanned, ProjectID: 5}, {Kind: roster.KindProjectAdd, Status: roster.StatusPlanned, ProjectID: 6}}},
			"Dry run: 2 project additions planned; nothing was applied."},
		{"brake", Run{Held: &Brake{Creates: 60, MaxCreates: 50, Deactivations: 2, MaxDeactivations: 5}},
			"Nothing applied: the plan creates 60 users, more than auto.max_creates = 50."},
		{"run error", Run{Error: "snapshot: graph: 503"}, "No changes. The run stopped with an error: snapshot: graph: 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Summary(tt.run); got != tt.want {
				t.Errorf("Summary = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBrakeSection(t *testing.T) {
	held := []Row{{Kind: roster.KindCreate, Email: "new1@contoso.com", Status: roster.StatusPlanned, Reason: "new member"}}
	run := Run{Held: &Brake{Creates: 60, MaxCreates: 50, Rows: held}}
	secs := Sections(run)
	if len(secs) != 1 || secs[0].Title != "Held back by the brake" {
		t.Fatalf("sections = %+v", secs)
	}
	for _, w := range []string{"more than auto.max_creates = 50", "raise auto.max_creates to at least 60", "approve the plan in the TUI"} {
		if !strings.Contains(secs[0].Note, w) {
			t.Errorf("brake note %q lacks %q", secs[0].Note, w)
		}
	}
	html, err := htmlOf(run)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, "new1@contoso.com") || !strings.Contains(html, "auto.max_creates") {
		t.Errorf("the report does not show the held-back row and the limit:\n%s", html)
	}
}

func TestShouldSend(t *testing.T) {
	done := []Row{{Kind: roster.KindCreate, Status: roster.StatusDone}}
	fail := []Row{{Kind: roster.KindCreate, Status: roster.StatusFailed}}
	planned := []Row{{Kind: roster.KindCreate, Status: roster.StatusPlanned}}
	tests := []struct {
		mode string
		run  Run
		want bool
	}{
		{"changes", Run{Rows: done}, true},
		{"changes", Run{}, false},
		{"changes", Run{Rows: planned}, false},
		{"changes", Run{Rows: fail}, true},
		{"changes", Run{Held: &Brake{Creates: 9, MaxCreates: 1}}, true},
		{"changes", Run{Error: "boom"}, true},
		{"changes", Run{DryRun: true, Rows: planned}, false},
		{"", Run{Rows: done}, true},
		{"", Run{}, false},
		{"always", Run{}, true},
		{"always", Run{DryRun: true}, true},
		{"never", Run{Rows: done}, false},
		{"never", Run{Rows: fail}, false},
	}
	for _, tt := range tests {
		if got := ShouldSend(tt.mode, tt.run); got != tt.want {
			t.Errorf("ShouldSend(%q, %+v) = %v, want %v", tt.mode, tt.run, got, tt.want)
		}
	}
}

func TestSubject(t *testing.T) {
	tests := []struct {
		base string
		run  Run
		want string
	}{
		{"", sampleRun(), "procsync: Procore users provisioned — 2 created, 1 reactivated, 1 failed"},
		{"Procore users", Run{}, "Procore users — No changes"},
		{"Procore\r\nBcc: x@evil.example", Run{Environment: "sandbox"}, "[sandbox] Procore Bcc: x@evil.example — No changes"},
		{"P", Run{DryRun: true}, "[dry run] P — Dry run: nothing to do"},
		{"P", Run{Error: "x"}, "P — No changes (run error)"},
		{"P", Run{Environment: "federal"}, "P — No changes"},
	}
	for _, tt := range tests {
		if got := Subject(tt.base, tt.run); got != tt.want {
			t.Errorf("Subject(%q) = %q, want %q", tt.base, got, tt.want)
		}
	}
}

func TestCSVGuardsFormulas(t *testing.T) {
	b, err := csvOf(sampleRun())
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	if len(recs) != 1+5 {
		t.Fatalf("CSV has %d records, want header + 5", len(recs))
	}
	for _, rec := range recs {
		for _, c := range rec {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("cell %q would run as a formula", c)
			}
		}
	}
	failed := recs[4]
	if failed[0] != "Failed" || failed[3] != "'=cmd|' /C calc'!A0@contoso.com" || failed[4] != "'+Eve" || failed[5] != "'-Mallory" {
		t.Errorf("failed row = %q", failed)
	}
	if recs[2][4] != "<script>alert(1)</script>" {
		t.Errorf("harmless text was changed: %q", recs[2][4])
	}
	tests := map[string]string{"": "", "ana": "ana", "=1+1": "'=1+1", "@SUM(A1)": "'@SUM(A1)", "\t=1": "'\t=1", "a=b": "a=b"}
	for in, want := range tests {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSave(t *testing.T) {
	dir := Dir(t.TempDir())
	run := sampleRun()
	h1, c1, err := saveRun(dir, run)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(h1) != "20261127T235701Z-run12.html" || filepath.Base(c1) != "20261127T235701Z-run12.csv" {
		t.Errorf("names = %s, %s", h1, c1)
	}
	h2, _, err := saveRun(dir, run)
	if err != nil {
		t.Fatal(err)
	}
	if h2 == h1 || filepath.Base(h2) != "20261127T235701Z-run12-2.html" {
		t.Errorf("second save = %s, want a new -2 name", h2)
	}
	for _, p := range []string{dir, h1, c1} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm()&^want != 0 {
			t.Errorf("%s mode %v, want at most %v", p, fi.Mode().Perm(), want)
		}
	}
	b, _ := os.ReadFile(h1)
	if !strings.Contains(string(b), "ana.diaz@contoso.com") {
		t.Error("saved HTML lacks the report")
	}
}

func bigRun(n int) Run {
	run := sampleRun()
	run.Rows = make([]Row, n)
	for i := range run.Rows {
		run.Rows[i] = Row{Kind: roster.KindCreate, Email: "user" + strings.Repeat("x", i%7) + "@contoso.com", FirstName: "First", LastName: "Last",
			ProcoreID: int64(10000 + i), Status: roster.StatusDone}
	}
	return run
}

// BenchmarkHTML1200 renders the report of the largest apply, 1,200
// creates.
func BenchmarkHTML1200(b *testing.B) {
	run := bigRun(1200)
	for b.Loop() {
		if _, err := htmlOf(run); err != nil {
			b.Fatal(err)
		}
	}
}
