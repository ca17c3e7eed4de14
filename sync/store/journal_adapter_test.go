package store_test

import (
	"context"
	"errors"
	"testing"

	"procsync/sync/provision"
	"procsync/sync/roster"
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
	ids, err := j.RecordIntents(ctx, []roster.Record{
		{Kind: roster.KindCreate, Address: "ana@contoso.com", EntraID: "e1", Status: roster.StatusPlanned},
		{Kind: roster.KindCreate, Address: "bo@contoso.com", EntraID: "e2", Status: roster.StatusPlanned},
		{Kind: roster.KindReactivate, Address: "cy@contoso.com", ProcoreID: 7, Status: roster.StatusPlanned},
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
	if err := j.RecordOutcomes(ctx, []roster.Record{{ID: ids[0], Status: roster.StatusDone, ProcoreID: 41, RequestID: "r1"}}); err != nil {
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
	if err := j2.ResolvePending(ctx, roster.Record{ID: ids[1], Status: roster.StatusFailed, Error: provision.InterruptedText}); err != nil {
		t.Fatal(err)
	}
	// A second resolution of the same intent is refused.
	if err := j2.ResolvePending(ctx, roster.Record{ID: ids[1], Status: roster.StatusDone}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second resolve: %v, want ErrNotFound", err)
	}
	// A done action stays done.
	if err := j.RecordOutcomes(ctx, []roster.Record{{ID: ids[0], Status: roster.StatusFailed}}); !errors.Is(err, store.ErrFinal) {
		t.Errorf("overwriting done: %v, want ErrFinal", err)
	}
	d, err := st.Run(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]roster.Status{"ana@contoso.com": roster.StatusDone, "bo@contoso.com": roster.StatusFailed, "cy@contoso.com": roster.StatusPlanned}
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
