package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the DST test needs America/New_York on any machine

	"procsync/sync/roster"
)

// addRun journals a finished run that started at started, with one action
// per record (an empty Status means done).
func addRun(t testing.TB, s *Store, started time.Time, mode Mode, recs ...roster.Record) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := s.BeginRun(ctx, RunInfo{Started: started, Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) > 0 {
		intents := make([]roster.Record, len(recs))
		for i, r := range recs {
			intents[i] = roster.Record{Kind: r.Kind, Address: r.Address, ProjectID: r.ProjectID}
			if r.Status == roster.StatusPlanned || r.Status == roster.StatusSkipped {
				intents[i].Status = r.Status
			}
		}
		ids, err := s.RecordIntents(ctx, id, intents)
		if err != nil {
			t.Fatal(err)
		}
		var outcomes []roster.Record
		for i, r := range recs {
			switch r.Status {
			case "", roster.StatusDone:
				outcomes = append(outcomes, roster.Record{ID: ids[i], Status: roster.StatusDone})
			case roster.StatusFailed:
				outcomes = append(outcomes, roster.Record{ID: ids[i], Status: roster.StatusFailed, Error: "boom"})
			}
		}
		if err := s.RecordOutcomes(ctx, outcomes); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.FinishRun(ctx, id, RunDone, nil); err != nil {
		t.Fatal(err)
	}
	return id
}

func rec(kind roster.Kind, addr string, status roster.Status) roster.Record {
	return roster.Record{Kind: kind, Address: addr, Status: status}
}

// TestDailyCounts groups runs by the local date of their start, in the zone
// it is given, across the end of daylight saving time (1 November 2026 in
// New York is 25 hours long), and counts done creates, reactivations and
// updates and failures of any kind; planned actions and old runs do not
// count.
func TestDailyCounts(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, t.TempDir())
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, ny) }
	// 23:30 on 31 October in New York is 03:30 on 1 November in UTC.
	addRun(t, s, at(2026, 10, 31, 23, 30), ModeAuto,
		rec(roster.KindCreate, "a@x", ""), rec(roster.KindCreate, "b@x", ""), rec(roster.KindCreate, "c@x", roster.StatusFailed))
	addRun(t, s, at(2026, 11, 1, 0, 30), ModeTUI,
		rec(roster.KindReactivate, "d@x", ""), rec(roster.KindUpdate, "e@x", ""), rec(roster.KindUpdate, "f@x", roster.StatusPlanned),
		roster.Record{Kind: roster.KindProjectAdd, Address: "a@x", ProjectID: 7, Status: roster.StatusFailed})
	// 23:30 EST on 1 November is 04:30 UTC on the 2nd: still the 1st.
	addRun(t, s, at(2026, 11, 1, 23, 30), ModeAuto, rec(roster.KindCreate, "g@x", ""), rec(roster.KindOffboard, "h@x", ""))
	addRun(t, s, at(2026, 9, 1, 12, 0), ModeAuto, rec(roster.KindCreate, "old@x", ""))
	addRun(t, s, at(2026, 11, 3, 8, 0), ModeAuto, rec(roster.KindCreate, "i@x", roster.StatusSkipped))

	now := at(2026, 11, 3, 12, 0)
	got, err := s.DailyCounts(context.Background(), 5, now, ny)
	if err != nil {
		t.Fatal(err)
	}
	want := []roster.DayCounts{
		{Day: at(2026, 10, 30, 0, 0)},
		{Day: at(2026, 10, 31, 0, 0), Created: 2, Failed: 1},
		{Day: at(2026, 11, 1, 0, 0), Created: 1, Reactivated: 1, Updated: 1, Failed: 1},
		{Day: at(2026, 11, 2, 0, 0)},
		{Day: at(2026, 11, 3, 0, 0)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d days, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !got[i].Day.Equal(want[i].Day) || got[i].Day.Location() != ny || got[i].Created != want[i].Created ||
			got[i].Reactivated != want[i].Reactivated || got[i].Updated != want[i].Updated || got[i].Failed != want[i].Failed {
			t.Errorf("day %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	// The same journal in UTC: the first run falls on 1 November, the
	// third on the 2nd.
	got, err = s.DailyCounts(context.Background(), 5, now, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if g := got[2]; g.Day.Format("2006-01-02") != "2026-11-01" || g.Created != 2 || g.Reactivated != 1 || g.Failed != 2 {
		t.Errorf("1 November in UTC = %+v, want 2 created, 1 reactivated, 2 failed", g)
	}
	if g := got[3]; g.Created != 1 || g.Total() != 1 {
		t.Errorf("2 November in UTC = %+v, want 1 created", g)
	}

	for _, days := range []int{0, -1, MaxHistoryDays + 1} {
		if _, err := s.DailyCounts(context.Background(), days, now, ny); err == nil || !strings.Contains(err.Error(), "not between 1 and") {
			t.Errorf("DailyCounts(%d days) = %v, want a range error", days, err)
		}
	}
}

// TestDailyCountsUsesIndexes checks the chart's query plan: runs are found
// through their start-time index and actions through their run index, so
// that the query reads only the chart's days however long the history.
func TestDailyCountsUsesIndexes(t *testing.T) {
	s := open(t, t.TempDir())
	query, args, _ := dailyCountsQuery(30, time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC), time.UTC)
	rows, err := s.db.Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	text := strings.Join(plan, "\n")
	for _, want := range []string{"INDEX runs_started", "INDEX actions_run"} {
		if !strings.Contains(text, want) {
			t.Errorf("the daily counts query does not use %s:\n%s", want, text)
		}
	}
	for _, scan := range []string{"SCAN r", "SCAN a"} {
		for _, l := range plan {
			if strings.TrimSpace(l) == scan || strings.HasPrefix(strings.TrimSpace(l), scan+" ") && !strings.Contains(l, "INDEX") {
				t.Errorf("the daily counts query scans a whole table (%s):\n%s", l, text)
			}
		}
	}
}

// TestRunSummaries lists the runs since a time, newest first, each with
// its summary; Run reads a run's actions.
func TestRunSummaries(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	addRun(t, s, base, ModeAuto, rec(roster.KindCreate, "old@x", ""))
	id2 := addRun(t, s, base.Add(24*time.Hour), ModeTUI, rec(roster.KindCreate, "a@x", ""), rec(roster.KindUpdate, "b@x", roster.StatusFailed))
	id3 := addRun(t, s, base.Add(48*time.Hour), ModeAuto)

	got, err := s.RunSummaries(ctx, base.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != id3 || got[1].ID != id2 {
		t.Fatalf("runs since = %+v, want runs %d and %d", got, id3, id2)
	}
	if got[0].Actions != 0 {
		t.Errorf("run %d counts %d actions", id3, got[0].Actions)
	}
	r := got[1]
	if r.Mode != "tui" || r.Outcome != "done" || !r.Started.Equal(base.Add(24*time.Hour)) || r.Created != 1 || r.Failed != 1 || r.Updated != 0 ||
		r.Actions != 2 {
		t.Errorf("run %d summary = %+v", id2, r)
	}
	d, err := s.Run(ctx, id2)
	if err != nil {
		t.Fatal(err)
	}
	if a := d.Actions; len(a) != 2 || a[0].Address != "a@x" || a[1].Status != roster.StatusFailed || a[1].Error != "boom" {
		t.Errorf("run %d actions = %+v", id2, a)
	}

	if got, err := s.RunSummaries(ctx, time.Time{}, 1); err != nil || len(got) != 1 || got[0].ID != id3 {
		t.Errorf("RunSummaries(limit 1) = %+v, %v", got, err)
	}
	if got, err := s.RunSummaries(ctx, base.Add(72*time.Hour), 0); err != nil || got != nil {
		t.Errorf("RunSummaries(no runs) = %+v, %v", got, err)
	}
	runs, err := s.RunsSince(ctx, base.Add(time.Hour), 0)
	if err != nil || len(runs) != 2 || runs[1].ID != id2 || runs[1].Applied[roster.StatusDone] != 1 {
		t.Errorf("RunsSince = %+v, %v", runs, err)
	}
}

// TestRecentRuns returns the report's last runs before the current one,
// newest first, with their counts.
func TestRecentRuns(t *testing.T) {
	s := open(t, t.TempDir())
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	var ids []int64
	for i := range 9 {
		recs := []roster.Record{rec(roster.KindCreate, "a@x", "")}
		if i%2 == 1 {
			recs = append(recs, rec(roster.KindReactivate, "b@x", ""), rec(roster.KindCreate, "c@x", roster.StatusFailed),
				rec(roster.KindUpdate, "d@x", roster.StatusPlanned))
		}
		ids = append(ids, addRun(t, s, base.Add(time.Duration(i)*time.Hour), ModeAuto, recs...))
	}
	got, err := s.RecentRuns(context.Background(), 7, ids[8])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 7 || got[0].ID != ids[7] || got[6].ID != ids[1] {
		t.Fatalf("RecentRuns(7, before %d) = %+v, want runs %d down to %d", ids[8], got, ids[7], ids[1])
	}
	if g := got[0]; g.Created != 1 || g.Reactivated != 1 || g.Failed != 1 || g.Updated != 0 || g.Mode != "auto" || g.Outcome != "done" {
		t.Errorf("run %d summary = %+v", g.ID, g)
	}
	if g := got[1]; g.Created != 1 || g.Reactivated != 0 || g.Failed != 0 {
		t.Errorf("run %d summary = %+v", g.ID, g)
	}
	if all, err := s.RecentRuns(context.Background(), 7, 0); err != nil || len(all) != 7 || all[0].ID != ids[8] {
		t.Errorf("RecentRuns(7, 0) = %+v, %v", all, err)
	}
}

// TestSummariesCountAsBefore journals runs with actions of every kind in
// every status (and a run with none, and one whose start is before an
// older run's) and checks the one grouped count against the code it
// replaced: RunSummaries against a tally of every action read one by one
// (the old RunHistories), RecentRuns against its old done/failed query,
// and Runs' and Run's Applied and Memberships against the old fillApplied.
func TestSummariesCountAsBefore(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	kinds := append(slices.Clone(roster.Kinds), roster.KindLink)
	statuses := []roster.Status{roster.StatusDone, roster.StatusFailed, roster.StatusSkipped, roster.StatusPlanned, StatusPending}
	var ids []int64
	for r := range 9 {
		var recs []roster.Record
		for ki, k := range kinds {
			for si, st := range statuses {
				for i := range (r*7 + ki*3 + si) % 4 {
					recs = append(recs, roster.Record{Kind: k, Address: fmt.Sprintf("%s.%s.%d@x", k, st, i), Status: st, ProjectID: int64(ki)})
				}
			}
		}
		started := base.Add(time.Duration(r) * time.Hour)
		switch r {
		case 4:
			recs = nil
		case 7:
			started = base.Add(-time.Hour) // a clock set back: in the id range, before since
		}
		ids = append(ids, addRun(t, s, started, Mode([]string{"auto", "tui"}[r%2]), recs...))
	}

	since := base.Add(30 * time.Minute)
	got, err := s.RunSummaries(ctx, since, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := oldRunHistories(t, s, since)
	if len(got) != 7 || len(got) != len(want) {
		t.Fatalf("RunSummaries = %d runs, the old tally %d, want 7", len(got), len(want))
	}
	counted := 0
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("run %d: RunSummaries = %+v, the old tally %+v", want[i].ID, got[i], want[i])
		}
		counted += got[i].Created + got[i].Reactivated + got[i].Updated + got[i].Deactivated + got[i].AddedToProjects + got[i].Failed
	}
	if counted == 0 {
		t.Fatal("the journal counts nothing: the test proves nothing")
	}

	for _, before := range []int64{0, ids[8], ids[5]} {
		got, err := s.RecentRuns(ctx, 7, before)
		if err != nil {
			t.Fatal(err)
		}
		want := oldRecentRuns(t, s, 7, before)
		if len(got) != len(want) || len(got) == 0 {
			t.Fatalf("RecentRuns(7, %d) = %d runs, before %d", before, len(got), len(want))
		}
		for i := range want {
			// Actions is new: the old query counted done and failed only.
			want[i].Actions = got[i].Actions
			if got[i] != want[i] {
				t.Errorf("RecentRuns(7, %d) run %d = %+v, before %+v", before, want[i].ID, got[i], want[i])
			}
		}
	}

	runs, err := s.Runs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	old, err := s.listRuns(ctx, time.Time{}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	oldFillApplied(t, s, old)
	if len(runs) != len(ids) || len(old) != len(runs) {
		t.Fatalf("Runs = %d runs, listRuns %d, want %d", len(runs), len(old), len(ids))
	}
	for i := range runs {
		if !maps.Equal(runs[i].Applied, old[i].Applied) || !maps.Equal(runs[i].Memberships, old[i].Memberships) {
			t.Errorf("run %d: Runs counts %v and %v, the old fillApplied %v and %v", runs[i].ID,
				runs[i].Applied, runs[i].Memberships, old[i].Applied, old[i].Memberships)
		}
		d, err := s.Run(ctx, runs[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(d.Applied, old[i].Applied) || !maps.Equal(d.Memberships, old[i].Memberships) {
			t.Errorf("Run(%d) counts %v and %v, the old fillApplied %v and %v", d.ID, d.Applied, d.Memberships, old[i].Applied, old[i].Memberships)
		}
	}
}

// oldRunHistories is what RunHistories counted before RunSummaries
// replaced it: every action of the runs since, read and tallied one by one.
func oldRunHistories(t *testing.T, s *Store, since time.Time) []roster.RunSummary {
	t.Helper()
	runs, err := s.listRuns(context.Background(), since, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	out, byID, lo, hi := emptySummaries(runs)
	rows, err := s.db.Query(`SELECT `+actionColumns("a")+` FROM actions a WHERE a.run_id BETWEEN ? AND ? ORDER BY a.id`, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			t.Fatal(err)
		}
		if h := byID[a.RunID]; h != nil {
			tallySummary(h, a.Kind, a.Status, 1)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// emptySummaries are the oracles' summaries of runs before any action is
// counted, each run's by its id, and the range of the runs' ids.
func emptySummaries(runs []Run) (out []roster.RunSummary, byID map[int64]*roster.RunSummary, lo, hi int64) {
	out = make([]roster.RunSummary, len(runs))
	byID = make(map[int64]*roster.RunSummary, len(runs))
	lo, hi = runs[0].ID, runs[0].ID
	for i, r := range runs {
		out[i] = summaryOf(r)
		byID[r.ID] = &out[i]
		lo, hi = min(lo, r.ID), max(hi, r.ID)
	}
	return out, byID, lo, hi
}

// oldRecentRuns is RecentRuns as it was: its own query, done and failed
// actions only.
func oldRecentRuns(t *testing.T, s *Store, n int, before int64) []roster.RunSummary {
	t.Helper()
	runs, err := s.listRuns(context.Background(), time.Time{}, before, n)
	if err != nil {
		t.Fatal(err)
	}
	out, byID, lo, hi := emptySummaries(runs)
	rows, err := s.db.Query(`SELECT run_id, kind, status, COUNT(*) FROM actions
		WHERE run_id BETWEEN ? AND ? AND status IN ('done', 'failed') GROUP BY run_id, kind, status`, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var kind, status string
		var count int
		if err := rows.Scan(&id, &kind, &status, &count); err != nil {
			t.Fatal(err)
		}
		if sum := byID[id]; sum != nil {
			tallySummary(sum, roster.Kind(kind), roster.Status(status), count)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// oldFillApplied is fillApplied as it was: per status, project additions
// apart, with its own query.
func oldFillApplied(t *testing.T, s *Store, runs []Run) {
	t.Helper()
	byID := make(map[int64]*Run, len(runs))
	lo, hi := runs[0].ID, runs[0].ID
	for i := range runs {
		r := &runs[i]
		r.Applied = map[roster.Status]int{}
		r.Memberships = map[roster.Status]int{}
		byID[r.ID] = r
		lo, hi = min(lo, r.ID), max(hi, r.ID)
	}
	rows, err := s.db.Query(`SELECT run_id, status, kind = ?, COUNT(*) FROM actions
		WHERE run_id BETWEEN ? AND ? GROUP BY run_id, status, kind = ?`, string(roster.KindProjectAdd), lo, hi, string(roster.KindProjectAdd))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var status string
		var membership bool
		var n int
		if err := rows.Scan(&id, &status, &membership, &n); err != nil {
			t.Fatal(err)
		}
		if r := byID[id]; r != nil {
			if membership {
				r.Memberships[roster.Status(status)] += n
			} else {
				r.Applied[roster.Status(status)] += n
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// historyBenchJournal journals what a month of hourly runs leaves: a first
// run that created 20,000 people and 200 later runs of 50 actions each.
func historyBenchJournal(b *testing.B) *Store {
	b.Helper()
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	start := time.Now().Add(-10 * 24 * time.Hour)
	for r := range 201 {
		n := 50
		if r == 0 {
			n = 20000
		}
		id, err := s.BeginRun(ctx, RunInfo{Started: start.Add(time.Duration(r) * time.Hour), Mode: ModeAuto})
		if err != nil {
			b.Fatal(err)
		}
		recs := make([]roster.Record, n)
		for i := range recs {
			recs[i] = roster.Record{Kind: roster.KindCreate, Address: fmt.Sprintf("p%d.%d@contoso.com", r, i)}
		}
		ids, err := s.RecordIntents(ctx, id, recs)
		if err != nil {
			b.Fatal(err)
		}
		outcomes := make([]roster.Record, n)
		for i := range outcomes {
			outcomes[i] = roster.Record{ID: ids[i], Status: roster.StatusDone, ProcoreID: int64(i + 1)}
		}
		if err := s.RecordOutcomes(ctx, outcomes); err != nil {
			b.Fatal(err)
		}
		if err := s.FinishRun(ctx, id, RunDone, nil); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkHistoryScreen reads what the TUI's History screen reads on h:
// the chart's 30 days and the summaries of their runs.
func BenchmarkHistoryScreen(b *testing.B) {
	s := historyBenchJournal(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		days, err := s.DailyCounts(ctx, 30, time.Now(), time.Local)
		if err != nil {
			b.Fatal(err)
		}
		runs, err := s.RunSummaries(ctx, days[0].Day, 0)
		if err != nil || len(runs) != 201 {
			b.Fatal(len(runs), err)
		}
	}
}
