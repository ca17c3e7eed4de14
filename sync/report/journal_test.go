package report

import (
	"context"
	"strings"
	"testing"

	"procsync/sync"
	"procsync/sync/store"
)

func TestFromJournal(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run, err := s.BeginRun(ctx, store.RunInfo{Mode: store.ModeAuto, Environment: "sandbox", CompanyID: 7, Fingerprint: "fp",
		Counts: sync.Counts{sync.KindCreate: 2}})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := s.RecordIntents(ctx, run, []store.Intent{
		{Kind: sync.KindCreate, Address: "a@contoso.com", FirstName: "A", LastName: "One"},
		{Kind: sync.KindCreate, Address: "b@contoso.com", FirstName: "B", LastName: "Two"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOutcome(ctx, ids[0], store.Outcome{Status: sync.StatusDone, ProcoreID: 11}); err != nil {
		t.Fatal(err)
	}
	d, err := s.Run(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	r := FromJournal(d)
	if r.ID != run || r.Mode != "auto" || r.CompanyID != 7 || r.Plan[sync.KindCreate] != 2 {
		t.Errorf("run = %+v", r)
	}
	if got := Summary(r); got != "1 created, 1 failed." {
		t.Errorf("Summary = %q; the pending action must count as failed", got)
	}
	if !strings.Contains(r.Rows[1].Error, "interrupted") {
		t.Errorf("pending row error = %q", r.Rows[1].Error)
	}
}

// TestFromJournalMemberships: project memberships read back from the
// journal land in the right section, and an owed one counts as failed.
func TestFromJournalMemberships(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run, err := s.BeginRun(ctx, store.RunInfo{Mode: store.ModeAuto})
	if err != nil {
		t.Fatal(err)
	}
	pa := func(addr string, pid int64, status sync.Status) store.Intent {
		return store.Intent{Kind: sync.KindProjectAdd, Address: addr, ProcoreID: 11, ProjectID: pid, Status: status}
	}
	ids, err := s.RecordIntents(ctx, run, []store.Intent{
		pa("done@contoso.com", 501, sync.StatusPlanned),
		pa("failed@contoso.com", 502, sync.StatusPlanned),
		pa("owed@contoso.com", 503, sync.StatusPlanned),
		pa("sending@contoso.com", 504, ""),
		pa("skipped@contoso.com", 505, sync.StatusSkipped),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOutcome(ctx, ids[0], store.Outcome{Status: sync.StatusDone}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOutcome(ctx, ids[1], store.Outcome{Status: sync.StatusFailed, Error: "procore: add failed@contoso.com (user 11) to project 502: 503"}); err != nil {
		t.Fatal(err)
	}
	d, err := s.Run(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	r := FromJournal(d)
	if got := Summary(r); got != "1 project membership added, 3 failed." {
		t.Errorf("Summary = %q", got)
	}
	sections := map[string][]string{}
	for _, sec := range Sections(r) {
		for _, row := range sec.Rows {
			sections[sec.Title] = append(sections[sec.Title], row.Email+" "+row.Cell(ColProject)+" "+row.Error)
		}
	}
	tests := []struct {
		section, email, has string
	}{
		{"Added to projects", "done@contoso.com", "501"},
		{"Failed", "failed@contoso.com", "to project 502"},
		{"Failed", "owed@contoso.com", "project 503"},
		{"Failed", "sending@contoso.com", "project 504"},
	}
	for _, tt := range tests {
		found := false
		for _, line := range sections[tt.section] {
			found = found || (strings.HasPrefix(line, tt.email) && strings.Contains(line, tt.has))
		}
		if !found {
			t.Errorf("section %q has no %s with %q: %q", tt.section, tt.email, tt.has, sections[tt.section])
		}
	}
	for title, lines := range sections {
		for _, line := range lines {
			if strings.HasPrefix(line, "skipped@") {
				t.Errorf("section %q lists the skipped membership", title)
			}
		}
	}
}
