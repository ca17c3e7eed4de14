package report

import (
	"strings"
	"testing"
	"time"

	"procsync/sync/roster"
)

// TestHTMLRecentRuns renders the one line about the last runs under the
// summary, in both the saved and the mailed HTML, escaped like every other
// value from the journal; a report without earlier runs has no such line.
func TestHTMLRecentRuns(t *testing.T) {
	run := sampleRun()
	at := time.Date(2026, 11, 27, 22, 57, 0, 0, time.UTC)
	for i := range 9 {
		run.Recent = append(run.Recent, roster.RunSummary{ID: int64(11 - i), Started: at.Add(-time.Duration(i) * time.Hour), Mode: "auto", Outcome: "done"})
	}
	run.Recent[0] = roster.RunSummary{ID: 11, Started: at, Mode: "auto", Created: 3, Reactivated: 1, Failed: 2, Outcome: "failed"}
	run.Recent[1] = roster.RunSummary{ID: 10, Started: at.Add(-time.Hour), Mode: "<b>tui</b>", DryRun: true, Updated: 4, Outcome: "done"}

	want := "Last 7 runs (UTC): 27 Nov 22:57 auto: 3 created, 1 reactivated, 2 failed (failed); " +
		"27 Nov 21:57 &lt;b&gt;tui&lt;/b&gt; dry run: 4 updated (done); 27 Nov 20:57 auto: no changes (done);"
	for name, render := range map[string]func(Run) (string, error){"HTML": htmlOf, "MailHTML": mailHTMLOf} {
		h, err := render(run)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(h, want) {
			t.Errorf("%s lacks the last runs line %q:\n%s", name, want, h)
		}
		if strings.Contains(h, "<b>tui") {
			t.Errorf("%s holds a raw tag from the journal", name)
		}
		if strings.Contains(h, "27 Nov 15:57") {
			t.Errorf("%s lists an 8th run", name)
		}
		summary, recent := strings.Index(h, shortSummary(run)), strings.Index(h, "Last 7 runs")
		facts := strings.Index(h, "Environment")
		if summary < 0 || !(summary < recent && recent < facts) {
			t.Errorf("%s: the last runs line is not between the summary (%d) and the facts (%d): %d", name, summary, facts, recent)
		}
	}

	run.Recent = run.Recent[:1]
	if got := RecentLine(run); !strings.HasPrefix(got, "Last 1 run (UTC): ") {
		t.Errorf("RecentLine with one run = %q", got)
	}
	run.Recent = nil
	h, err := htmlOf(run)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "Last ") {
		t.Errorf("a report without earlier runs mentions them:\n%s", h)
	}
}

// TestRecentLineCountsEveryChange: a run that only deactivated users or
// added them to projects is not "no changes".
func TestRecentLineCountsEveryChange(t *testing.T) {
	run := Run{Recent: []roster.RunSummary{{Started: time.Date(2026, 11, 27, 23, 57, 0, 0, time.UTC), Mode: "auto",
		Deactivated: 5, AddedToProjects: 2, Outcome: "done"}}}
	want := "Last 1 run (UTC): 27 Nov 23:57 auto: 5 deactivated, 2 added to projects (done)."
	if got := RecentLine(run); got != want {
		t.Errorf("RecentLine = %q, want %q", got, want)
	}
}
