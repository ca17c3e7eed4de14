package store

import (
	"context"
	"strings"
	"testing"
)

// Intents get their ids without reading them back: one statement's rows are
// numbered consecutively. The ids must be the rows' own, checked here
// against the rows; and were the numbering ever different (here a trigger
// takes an id in the middle of a statement), the insert must fail rather
// than hand out another person's id.
func TestInsertIntentsIDs(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run, err := s.BeginRun(ctx, RunInfo{Mode: ModeAuto})
	if err != nil {
		t.Fatal(err)
	}
	in := benchIntents(2*bulkRows + 7)
	ids, err := s.RecordIntents(ctx, run, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		var addr string
		if err := s.db.QueryRowContext(ctx, `SELECT address FROM actions WHERE id = ?`, id).Scan(&addr); err != nil || addr != in[i].Address {
			t.Fatalf("id %d (intent %d) is %q (%v), want %q", id, i, addr, err, in[i].Address)
		}
	}

	if _, err := s.db.ExecContext(ctx, `CREATE TRIGGER steal AFTER INSERT ON actions WHEN NEW.address = 'user00001@contoso.com'
		BEGIN INSERT INTO actions (run_id, kind, address, intent_at, status) VALUES (NEW.run_id, 'create', 'thief@contoso.com', NEW.intent_at, 'planned'); END`); err != nil {
		t.Fatal(err)
	}
	_, err = s.RecordIntents(ctx, run, benchIntents(3))
	if err == nil || !strings.Contains(err.Error(), "did not number") {
		t.Fatalf("ids not consecutive: err = %v, want the numbering refused", err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM actions WHERE address = 'thief@contoso.com' OR address = 'user00002@contoso.com' AND id > ?`, ids[len(ids)-1]).Scan(&n); err != nil || n != 0 {
		t.Errorf("the refused batch left %d rows (%v); its transaction must roll back", n, err)
	}
}
