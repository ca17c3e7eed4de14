package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"procsync/sync/roster"
)

// A sync batch journals a thousand rows at a time, several times per batch
// (intents, pending, outcomes). One statement per row costs the pure-Go
// SQLite driver tens of microseconds each, which added up to more than the
// batch's own request; so rows are written bulkRows to a statement.
const bulkRows = 100

// forChunks calls fn with each run of at most bulkRows of n rows and the
// statement for its size (prepared once per size, so at most twice).
func forChunks(ctx context.Context, tx *sql.Tx, n int, query func(rows int) string, fn func(stmt *sql.Stmt, lo, hi int) error) error {
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, s := range stmts {
			s.Close()
		}
	}()
	for lo := 0; lo < n; lo += bulkRows {
		hi := min(lo+bulkRows, n)
		stmt, ok := stmts[hi-lo]
		if !ok {
			var err error
			if stmt, err = tx.PrepareContext(ctx, query(hi-lo)); err != nil {
				return err
			}
			stmts[hi-lo] = stmt
		}
		if err := fn(stmt, lo, hi); err != nil {
			return err
		}
	}
	return nil
}

// tuples is rows comma-separated groups of cols placeholders.
func tuples(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}

// insertIntents inserts the intents (already checked) and returns their
// ids in the same order.
func insertIntents(ctx context.Context, tx *sql.Tx, runID int64, intents []roster.Record, now string) ([]int64, error) {
	ids := make([]int64, 0, len(intents))
	err := forChunks(ctx, tx, len(intents), func(rows int) string {
		return `INSERT INTO actions
			(run_id, kind, address, entra_id, first_name, last_name, reason, procore_id, project_id, intent_at, status)
			VALUES ` + tuples(rows, 11)
	}, func(stmt *sql.Stmt, lo, hi int) error {
		args := make([]any, 0, (hi-lo)*11)
		for _, in := range intents[lo:hi] {
			status := in.Status
			if status == "" {
				status = StatusPending
			}
			args = append(args, runID, string(in.Kind), in.Address, in.EntraID, in.FirstName, in.LastName, in.Reason, in.ProcoreID, in.ProjectID, now, string(status))
		}
		res, err := stmt.ExecContext(ctx, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		last, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if n != int64(hi-lo) {
			return fmt.Errorf("inserted %d rows for %d intents", n, hi-lo)
		}
		// One statement's rows get consecutive ids in VALUES order: the
		// transaction holds the only write lock, and AUTOINCREMENT gives
		// each row one more than the largest id so far. (Reading the ids
		// back with RETURNING cost half the insert.) The first row is
		// checked all the same: an id given to the wrong person would
		// record outcomes against them.
		first := last - n + 1
		if err := checkIntentAt(ctx, tx, first, runID, intents[lo]); err != nil {
			return err
		}
		for id := first; id <= last; id++ {
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// checkIntentAt checks that action id is intent in run runID.
func checkIntentAt(ctx context.Context, tx *sql.Tx, id, runID int64, in roster.Record) error {
	var run, project int64
	var kind, addr string
	err := tx.QueryRowContext(ctx, `SELECT run_id, kind, address, project_id FROM actions WHERE id = ?`, id).Scan(&run, &kind, &addr, &project)
	if err != nil || run != runID || kind != string(in.Kind) || addr != in.Address || project != in.ProjectID {
		return fmt.Errorf("the journal did not number the intents as expected (action %d is not %s %s): %v", id, in.Kind, in.Address, err)
	}
	return nil
}

// markPending turns the planned actions among ids into pending ones.
func markPending(ctx context.Context, tx *sql.Tx, ids []int64, now string) error {
	return forChunks(ctx, tx, len(ids), func(rows int) string {
		return `UPDATE actions SET status = 'pending', intent_at = ?
			WHERE status = 'planned' AND id IN (` + strings.TrimSuffix(strings.Repeat("?,", rows), ",") + `)`
	}, func(stmt *sql.Stmt, lo, hi int) error {
		args := make([]any, 0, hi-lo+1)
		args = append(args, now)
		for _, id := range ids[lo:hi] {
			args = append(args, id)
		}
		_, err := stmt.ExecContext(ctx, args...)
		return err
	})
}

// recordOutcomes records outcomes in tx: each action must exist and not be
// done (ErrNotFound, ErrFinal), and they are updated bulkRows a statement.
func recordOutcomes(ctx context.Context, tx *sql.Tx, outcomes []roster.Record, resolvedBy int64) error {
	// The last outcome of an id wins, as it did one statement per row;
	// UPDATE … FROM would pick any of several.
	last := make(map[int64]int, len(outcomes))
	for i, o := range outcomes {
		switch o.Status {
		case roster.StatusDone, roster.StatusFailed, roster.StatusSkipped:
		default:
			return fmt.Errorf("action %d: outcome status %q is not done, failed or skipped", o.ID, o.Status)
		}
		last[o.ID] = i
	}
	outs := make([]roster.Record, 0, len(last))
	ids := make([]int64, 0, len(last))
	for i, o := range outcomes {
		if last[o.ID] == i {
			outs = append(outs, o)
			ids = append(ids, o.ID)
		}
	}
	var resolved any
	if resolvedBy != 0 {
		resolved = resolvedBy
	}
	now := formatTime(time.Now())
	// One statement both checks and writes: a done action is left as it
	// is (and does not come back from RETURNING), and an id that comes
	// back short is looked up only then, to say why. The transaction is
	// rolled back on that error, so nothing of the batch is kept.
	updated := 0
	err := forChunks(ctx, tx, len(outs), func(rows int) string {
		return `WITH o (id, status, procore_id, error, request_id) AS (VALUES ` + tuples(rows, 5) + `)
			UPDATE actions AS a
			SET status = o.status,
			    procore_id = CASE WHEN o.procore_id <> 0 THEN o.procore_id ELSE a.procore_id END,
			    error = o.error, request_id = o.request_id, done_at = ?,
			    resolved_by_run = COALESCE(?, a.resolved_by_run)
			FROM o WHERE a.id = o.id AND a.status <> 'done'`
	}, func(stmt *sql.Stmt, lo, hi int) error {
		args := make([]any, 0, (hi-lo)*5+2)
		for _, o := range outs[lo:hi] {
			args = append(args, o.ID, string(o.Status), o.ProcoreID, o.Error, o.RequestID)
		}
		args = append(args, now, resolved)
		res, err := stmt.ExecContext(ctx, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		updated += int(n)
		return err
	})
	if err != nil {
		return err
	}
	if updated != len(outs) {
		if err := checkNotFinal(ctx, tx, ids); err != nil {
			return err
		}
		return fmt.Errorf("recorded %d of %d outcomes", updated, len(outs))
	}
	return nil
}

// checkNotFinal fails with ErrNotFound for an id with no action and with
// ErrFinal for one already done: a done action is never overwritten.
func checkNotFinal(ctx context.Context, tx *sql.Tx, ids []int64) error {
	status := make(map[int64]string, len(ids))
	err := forChunks(ctx, tx, len(ids), func(rows int) string {
		return `SELECT id, status FROM actions WHERE id IN (` + strings.TrimSuffix(strings.Repeat("?,", rows), ",") + `)`
	}, func(stmt *sql.Stmt, lo, hi int) error {
		args := make([]any, hi-lo)
		for i, id := range ids[lo:hi] {
			args[i] = id
		}
		rows, err := stmt.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var s string
			if err := rows.Scan(&id, &s); err != nil {
				return err
			}
			status[id] = s
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		s, ok := status[id]
		switch {
		case !ok:
			return fmt.Errorf("action %d: %w", id, ErrNotFound)
		case roster.Status(s) == roster.StatusDone:
			return fmt.Errorf("action %d is %s: %w", id, s, ErrFinal)
		}
	}
	return nil
}
