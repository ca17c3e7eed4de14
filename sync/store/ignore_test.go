package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"procsync/sync/roster"
)

// TestIgnoreList checks the ignore list: an entry needs a reason, a person
// is ignored once, un-ignoring keeps the row with who and when, and the
// list survives reopening the journal.
func TestIgnoreList(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	ctx := context.Background()
	s := open(t, dir)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

	if _, err := s.AddIgnore(ctx, roster.Ignore{Address: "ana@contoso.com", By: "x"}, t0); err == nil {
		t.Error("an ignore without a reason was accepted")
	}
	e, err := s.AddIgnore(ctx, roster.Ignore{Address: " Ana@Contoso.com ", EntraID: "id-a", By: "admin@contoso.com", Reason: "auditor"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if e.Address != "ana@contoso.com" || e.ID == 0 {
		t.Errorf("entry %+v: want the normalised address and an id", e)
	}
	if _, err := s.AddIgnore(ctx, roster.Ignore{EntraID: "id-a", By: "ops", Reason: "again"}, t0); !errors.Is(err, ErrAlreadyIgnored) {
		t.Errorf("second ignore of the same person: %v, want ErrAlreadyIgnored", err)
	}
	if _, err := s.AddIgnore(ctx, roster.Ignore{Address: "bo@contoso.com", By: "ops", Reason: "shared mailbox"}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)

	list, err := s.IgnoreList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0] != (roster.Ignore{Address: "ana@contoso.com", EntraID: "id-a", By: "admin@contoso.com", Reason: "auditor"}) {
		t.Fatalf("list %+v", list)
	}
	removed, err := s.RemoveIgnore(ctx, "ANA@contoso.com", "", "ops", t0.Add(2*time.Hour))
	if err != nil || len(removed) != 1 || removed[0].RemovedBy != "ops" {
		t.Fatalf("unignore: %+v, %v", removed, err)
	}
	if _, err := s.RemoveIgnore(ctx, "ana@contoso.com", "", "ops", time.Time{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("second unignore: %v, want ErrNotFound", err)
	}
	if list, _ := s.IgnoreList(ctx); len(list) != 1 || list[0].Address != "bo@contoso.com" {
		t.Errorf("list after unignore: %+v", list)
	}
	all, err := s.Ignores(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Active() || !all[0].RemovedAt.Equal(t0.Add(2*time.Hour)) || all[0].RemovedBy != "ops" || !all[1].Active() {
		t.Errorf("history %+v: want the un-ignored row kept with who and when", all)
	}
	// Ignoring again after un-ignoring is a new entry.
	if _, err := s.AddIgnore(ctx, roster.Ignore{Address: "ana@contoso.com", By: "x", Reason: "back"}, time.Time{}); err != nil {
		t.Errorf("ignore after unignore: %v", err)
	}
}
