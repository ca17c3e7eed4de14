package store_test

import (
	"context"
	"errors"
	"testing"

	"procsync/sync"
	"procsync/sync/store"
)

func TestJournalAdapter(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	run, err := st.BeginRun(ctx, store.RunInfo{Mode: store.ModeAuto})
	if err != nil {
		t.Fatal(err)
	}
	j := st.Journal(run)
	ids, err := j.RecordIntents(ctx, []sync.Intent{
		{Kind: sync.KindCreate, Address: "ana@contoso.com", EntraID: "e1", Status: sync.StatusPlanned},
		{Kind: sync.KindCreate, Address: "bo@contoso.com", EntraID: "e2", Status: sync.StatusPlanned},
		{Kind: sync.KindReactivate, Address: "cy@contoso.com", ProcoreID: 7, Status: sync.StatusPlanned},
	})
	if err != nil || len(ids) != 3 {
		t.Fatalf("ids %v, %v", ids, err)
	}
	// Planned intents are not unfinished: they were never sent.
	if left, err := j.Unfinished(ctx); err != nil || len(left) != 0 {
		t.Fatalf("unfinished before sending: %v, %v", left, err)
	}
	if err := j.MarkPending(ctx, ids[:2]); err != nil {
		t.Fatal(err)
	}
	if err := j.RecordOutcomes(ctx, []sync.Outcome{{ID: ids[0], Status: sync.StatusDone, ProcoreID: 41, RequestID: "r1"}}); err != nil {
		t.Fatal(err)
	}
	left, err := j.Unfinished(ctx)
	if err != nil || len(left) != 1 || left[0].ID != ids[1] || left[0].EntraID != "e2" || left[0].RunID != run {
		t.Fatalf("unfinished %+v, %v", left, err)
	}
	j2 := st.Journal(run + 1)
	if _, err := st.BeginRun(ctx, store.RunInfo{Mode: store.ModeAuto}); err != nil {
		t.Fatal(err)
	}
	if err := j2.ResolvePending(ctx, sync.Outcome{ID: ids[1], Status: sync.StatusFailed, Error: sync.InterruptedText}); err != nil {
		t.Fatal(err)
	}
	// A second resolution of the same intent is refused.
	if err := j2.ResolvePending(ctx, sync.Outcome{ID: ids[1], Status: sync.StatusDone}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second resolve: %v, want ErrNotFound", err)
	}
	// A done action stays done.
	if err := j.RecordOutcomes(ctx, []sync.Outcome{{ID: ids[0], Status: sync.StatusFailed}}); !errors.Is(err, store.ErrFinal) {
		t.Errorf("overwriting done: %v, want ErrFinal", err)
	}
	d, err := st.Run(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]sync.Status{"ana@contoso.com": sync.StatusDone, "bo@contoso.com": sync.StatusFailed, "cy@contoso.com": sync.StatusPlanned}
	for _, a := range d.Actions {
		if a.Status != want[a.Address] {
			t.Errorf("%s: %s, want %s", a.Address, a.Status, want[a.Address])
		}
		if a.Address == "ana@contoso.com" && (a.ProcoreID != 41 || a.RequestID != "r1") {
			t.Errorf("ana: %+v", a)
		}
		if a.Address == "bo@contoso.com" && a.ResolvedByRun != run+1 {
			t.Errorf("bo resolved by run %d, want %d", a.ResolvedByRun, run+1)
		}
	}
}
