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
