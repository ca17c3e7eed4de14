package report

import (
	"strings"
	"testing"

	"procsync/sync/roster"
)

// TestCancelledRunIsNotAnError covers issue 17 item 2: a run the operator
// stopped says so, counts what was not applied, and never shows
// "context canceled" as a run error.
func TestCancelledRunIsNotAnError(t *testing.T) {
	run := Run{Cancelled: true, Rows: []Row{
		{Kind: roster.KindCreate, Email: "ana@contoso.com", Status: roster.StatusDone},
		{Kind: roster.KindCreate, Email: "ben@contoso.com", Status: roster.StatusSkipped},
		{Kind: roster.KindCreate, Email: "cy@contoso.com", Status: roster.StatusSkipped},
	}}
	html, err := htmlOf(run)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"summary": Summary(run), "html": html, "subject": Subject("", run)} {
		if strings.Contains(out, "context canceled") || strings.Contains(out, "stopped with an error") || strings.Contains(out, "run error") {
			t.Errorf("%s reports the cancel as an error:\n%s", name, out)
		}
		if !strings.Contains(out, "cancelled") {
			t.Errorf("%s does not say the run was cancelled:\n%s", name, out)
		}
	}
	if want := "2 approved actions were not applied"; !strings.Contains(Summary(run), want) {
		t.Errorf("summary %q lacks %q", Summary(run), want)
	}
	if !ShouldSend("changes", run) {
		t.Error("a cancelled run's report is not sent under report.send = changes")
	}
}
