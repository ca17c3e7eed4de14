package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
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
			VALUES ` + tuples(rows, 11) + ` RETURNING id`
	}, func(stmt *sql.Stmt, lo, hi int) error {
		args := make([]any, 0, (hi-lo)*11)
		for _, in := range intents[lo:hi] {
			status := in.Status
			if status == "" {
				status = StatusPending
			}
			args = append(args, runID, string(in.Kind), in.Address, in.EntraID, in.FirstName, in.LastName, in.Reason, in.ProcoreID, in.ProjectID, now, string(status))
		}
		rows, err := stmt.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		part := ids[len(ids):]
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			part = append(part, id)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(part) != hi-lo {
			return fmt.Errorf("inserted %d rows for %d intents", len(part), hi-lo)
		}
		// Rows are inserted in VALUES order, each with a larger id than
		// the one before: sorted, the ids are in the intents' order,
		// whatever order RETURNING lists them in.
		slices.Sort(part)
		ids = ids[:len(ids)+len(part)]
		return nil
	})
	return ids, err
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
			FROM o WHERE a.id = o.id AND a.status <> 'done'
			RETURNING id`
	}, func(stmt *sql.Stmt, lo, hi int) error {
		args := make([]any, 0, (hi-lo)*5+2)
		for _, o := range outs[lo:hi] {
			args = append(args, o.ID, string(o.Status), o.ProcoreID, o.Error, o.RequestID)
		}
		args = append(args, now, resolved)
		rows, err := stmt.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			updated++
		}
		return rows.Err()
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
