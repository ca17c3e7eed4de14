package report

import (
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"procsync/sync/roster"
)

// benchInlineLimit is graph.MaxInlineAttachment, the limit the engine
// passes to Attachment: above it the CSV is zipped.
const benchInlineLimit = zipAhead

// benchNames are directory names as a big tenant has them: accents, an
// apostrophe, and the odd display name with markup in it.
var benchNames = [][2]string{
	{"Ana", "Díaz"}, {"Seán", "O'Brien"}, {"Zoë", "Ångström"}, {"Li", "Wei"}, {"José", "Muñoz-García"},
	{"Bob", `<b>"Bobby"</b> & Co`}, {"Chloé", "Lefèvre"}, {"Jürgen", "Weiß"}, {"Ngọc", "Trần"}, {"Sam", "Smith"},
}

// benchRun is a run of n report rows in the mix of a big first run: most
// creates done, some failed with a server error, some rows only planned
// (not approved), a few project additions and conflicts.
func benchRun(n int) Run {
	run := sampleRun()
	run.Rows = make([]Row, n)
	for i := range run.Rows {
		nm := benchNames[i%len(benchNames)]
		email := fmt.Sprintf("%s.%s%d@contoso.com", nm[0], nm[1], i)
		r := Row{Kind: roster.KindCreate, Email: email, FirstName: nm[0], LastName: nm[1], EntraID: fmt.Sprintf("3f2a%08x-9c1e-4b7d-a2f0-%012d", i, i)}
		switch p := i % 100; {
		case p < 80:
			r.Status, r.ProcoreID = roster.StatusDone, int64(1800000+i)
		case p < 85:
			r.Status = roster.StatusFailed
			r.Error = fmt.Sprintf("procore: create user %s: 422 email_address has already been taken (request 7f3c%04x…)", email, i)
		case p < 93:
			r.Kind, r.Status, r.ProcoreID, r.Reason = roster.KindOffboard, roster.StatusPlanned, int64(900000+i), "no longer in a license group"
		case p < 97:
			r.Kind, r.Status, r.ProcoreID, r.Reason = roster.KindUpdate, roster.StatusPlanned, int64(900000+i), `last name "`+nm[1]+`" → "`+nm[0]+`"`
		case p < 99:
			r.Kind, r.Status, r.ProcoreID, r.ProjectID = roster.KindProjectAdd, roster.StatusDone, int64(1800000+i), int64(5000+i%3)
		default:
			r.Kind, r.Status, r.Reason = roster.KindConflict, roster.StatusPlanned, "two members resolve to this address"
		}
		run.Rows[i] = r
	}
	return run
}

// BenchmarkReport times the report path as the engine runs it after the
// last write (issue 18): Render, the mail's parts (MailHTML and the
// attachment, zipped at 50,000 rows), and Save, here one after another.
// It also reports each part, and mail-ms, Render plus the mail's parts:
// how long the mail waits for the report.
func BenchmarkReport(b *testing.B) {
	for _, n := range []int{2000, 50000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			run := benchRun(n)
			tmp := b.TempDir()
			var render, mail, save time.Duration
			i := 0
			for b.Loop() {
				t0 := time.Now()
				rend, err := Render(run)
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := rend.MailHTML(); err != nil {
					b.Fatal(err)
				}
				if _, err := rend.Attachment(benchInlineLimit); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				i++
				if _, _, err := rend.Save(filepath.Join(tmp, strconv.Itoa(i))); err != nil {
					b.Fatal(err)
				}
				render += t1.Sub(t0)
				mail += t2.Sub(t1)
				save += time.Since(t2)
			}
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(i) }
			b.ReportMetric(ms(render), "render-ms")
			b.ReportMetric(ms(mail), "mailparts-ms")
			b.ReportMetric(ms(render+mail), "mail-ms")
			b.ReportMetric(ms(save), "save-ms")
		})
	}
}

// BenchmarkReportConcurrent is BenchmarkReport in the engine's order: after
// Render, the mail's parts on one goroutine while Save runs on another.
// ns/op is the end of both; mail-ms is when the mail's parts are ready.
func BenchmarkReportConcurrent(b *testing.B) {
	for _, n := range []int{2000, 50000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			run := benchRun(n)
			tmp := b.TempDir()
			var mail, save time.Duration
			i := 0
			for b.Loop() {
				t0 := time.Now()
				rend, err := Render(run)
				if err != nil {
					b.Fatal(err)
				}
				var wg sync.WaitGroup
				wg.Go(func() {
					if _, err := rend.MailHTML(); err != nil {
						b.Error(err)
					}
					if _, err := rend.Attachment(benchInlineLimit); err != nil {
						b.Error(err)
					}
					mail += time.Since(t0)
				})
				i++
				if _, _, err := rend.Save(filepath.Join(tmp, strconv.Itoa(i))); err != nil {
					b.Fatal(err)
				}
				save += time.Since(t0)
				wg.Wait()
			}
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(i) }
			b.ReportMetric(ms(mail), "mail-ms")
			b.ReportMetric(ms(save), "saved-ms")
		})
	}
}
