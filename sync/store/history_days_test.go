package store

import (
	"context"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the DST test needs America/New_York on any machine

	"procsync/sync/roster"
)

// addRun journals a finished run that started at started, with one action
// per record (an empty Status means done).
func addRun(t *testing.T, s *Store, started time.Time, mode Mode, recs ...roster.Record) int64 {
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

// TestRunHistories lists the runs since a time, newest first, each with its
// actions and its summary.
func TestRunHistories(t *testing.T) {
	s := open(t, t.TempDir())
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	addRun(t, s, base, ModeAuto, rec(roster.KindCreate, "old@x", ""))
	id2 := addRun(t, s, base.Add(24*time.Hour), ModeTUI, rec(roster.KindCreate, "a@x", ""), rec(roster.KindUpdate, "b@x", roster.StatusFailed))
	id3 := addRun(t, s, base.Add(48*time.Hour), ModeAuto)

	got, err := s.RunHistories(context.Background(), base.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != id3 || got[1].ID != id2 {
		t.Fatalf("runs since = %+v, want runs %d and %d", got, id3, id2)
	}
	if len(got[0].Actions) != 0 {
		t.Errorf("run %d has actions %+v", id3, got[0].Actions)
	}
	r := got[1]
	if r.Mode != "tui" || r.Outcome != "done" || !r.Started.Equal(base.Add(24*time.Hour)) || r.Created != 1 || r.Failed != 1 || r.Updated != 0 {
		t.Errorf("run %d summary = %+v", id2, r.RunSummary)
	}
	if len(r.Actions) != 2 || r.Actions[0].Address != "a@x" || r.Actions[1].Status != roster.StatusFailed || r.Actions[1].Error != "boom" {
		t.Errorf("run %d actions = %+v", id2, r.Actions)
	}

	if got, err := s.RunHistories(context.Background(), time.Time{}, 1); err != nil || len(got) != 1 || got[0].ID != id3 {
		t.Errorf("RunHistories(limit 1) = %+v, %v", got, err)
	}
	runs, err := s.RunsSince(context.Background(), base.Add(time.Hour), 0)
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
