package store

// The read side of the journal: runs, their actions and reports, for
// `procsync history` and the reconciler.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"procsync/sync/roster"
)

// Runs returns the newest runs first, at most limit (all when limit <= 0).
func (s *Store) Runs(ctx context.Context, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+runColumns+` FROM runs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("journal: list runs: %w", err)
	}
	runs, err := scanRuns(rows)
	if err != nil {
		return nil, fmt.Errorf("journal: list runs: %w", err)
	}
	if err := s.fillApplied(ctx, runs); err != nil {
		return nil, fmt.Errorf("journal: list runs: %w", err)
	}
	return runs, nil
}

// Run returns one run with its actions (in the order they were recorded)
// and its reports, or ErrNotFound.
func (s *Store) Run(ctx context.Context, id int64) (*RunDetail, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("journal: read run %d: %w", id, err)
	}
	runs, err := scanRuns(rows)
	if err != nil {
		return nil, fmt.Errorf("journal: read run %d: %w", id, err)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("journal: run %d: %w", id, ErrNotFound)
	}
	if err := s.fillApplied(ctx, runs); err != nil {
		return nil, fmt.Errorf("journal: read run %d: %w", id, err)
	}
	d := &RunDetail{Run: runs[0]}
	if d.Actions, err = s.actions(ctx, id); err != nil {
		return nil, fmt.Errorf("journal: read run %d: %w", id, err)
	}
	if d.Reports, err = s.reports(ctx, id); err != nil {
		return nil, fmt.Errorf("journal: read run %d: %w", id, err)
	}
	return d, nil
}

// RecordReport records a report saved (and possibly sent) for a run.
func (s *Store) RecordReport(ctx context.Context, r Report) error {
	recipients, err := json.Marshal(nonNil(r.Recipients))
	if err != nil {
		return fmt.Errorf("journal: record report for run %d: %w", r.RunID, err)
	}
	var sentAt any
	if r.Sent {
		if r.SentAt.IsZero() {
			r.SentAt = time.Now()
		}
		sentAt = formatTime(r.SentAt)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO reports (run_id, path, csv_path, recipients, sent, sent_at, error)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, r.RunID, r.Path, r.CSVPath, string(recipients), r.Sent, sentAt, r.Error); err != nil {
		return fmt.Errorf("journal: record report for run %d: %w", r.RunID, err)
	}
	return nil
}

func (s *Store) actions(ctx context.Context, runID int64) ([]Action, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+actionColumns("a")+` FROM actions a WHERE a.run_id = ? ORDER BY a.id`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *Store) reports(ctx context.Context, runID int64) ([]Report, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, path, csv_path, recipients, sent, COALESCE(sent_at, ''), error
		FROM reports WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Report
	for rows.Next() {
		var r Report
		var recipients, sentAt string
		if err := rows.Scan(&r.RunID, &r.Path, &r.CSVPath, &recipients, &r.Sent, &sentAt, &r.Error); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(recipients), &r.Recipients); err != nil {
			return nil, fmt.Errorf("report recipients: %w", err)
		}
		if r.SentAt, err = parseTime(sentAt); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// fillApplied adds per-status action counts to runs with one grouped query.
func (s *Store) fillApplied(ctx context.Context, runs []Run) error {
	if len(runs) == 0 {
		return nil
	}
	byID := make(map[int64]*Run, len(runs))
	lo, hi := runs[0].ID, runs[0].ID
	for i := range runs {
		r := &runs[i]
		r.Applied = map[roster.Status]int{}
		r.Memberships = map[roster.Status]int{}
		byID[r.ID] = r
		lo, hi = min(lo, r.ID), max(hi, r.ID)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, status, kind = ?, COUNT(*) FROM actions
		WHERE run_id BETWEEN ? AND ? GROUP BY run_id, status, kind = ?`, string(roster.KindProjectAdd), lo, hi, string(roster.KindProjectAdd))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var status string
		var membership bool
		var n int
		if err := rows.Scan(&id, &status, &membership, &n); err != nil {
			return err
		}
		if r := byID[id]; r != nil {
			if membership {
				r.Memberships[roster.Status(status)] += n
			} else {
				r.Applied[roster.Status(status)] += n
			}
		}
	}
	return rows.Err()
}

const runColumns = `id, started_at, COALESCE(ended_at, ''), mode, approved_by, environment, company_id,
	fingerprint, counts, dry_run, outcome, error`

func scanRuns(rows *sql.Rows) ([]Run, error) {
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var started, ended, mode, counts, outcome string
		if err := rows.Scan(&r.ID, &started, &ended, &mode, &r.ApprovedBy, &r.Environment, &r.CompanyID,
			&r.Fingerprint, &counts, &r.DryRun, &outcome, &r.Error); err != nil {
			return nil, err
		}
		var err error
		if r.Started, err = parseTime(started); err != nil {
			return nil, err
		}
		if r.Ended, err = parseTime(ended); err != nil {
			return nil, err
		}
		r.Mode, r.Outcome = Mode(mode), RunOutcome(outcome)
		if err := json.Unmarshal([]byte(counts), &r.Counts); err != nil {
			return nil, fmt.Errorf("run %d counts: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func actionColumns(t string) string {
	cols := []string{"id", "run_id", "kind", "address", "entra_id", "first_name", "last_name", "reason",
		"intent_at", "status", "procore_id", "error", "request_id", "COALESCE(%s.done_at, '')", "COALESCE(%s.resolved_by_run, 0)",
		"project_id"}
	for i, c := range cols {
		if strings.Contains(c, "%s") {
			cols[i] = fmt.Sprintf(c, t)
		} else {
			cols[i] = t + "." + c
		}
	}
	return strings.Join(cols, ", ")
}

// scanAction reads one row selected with actionColumns, followed by extra
// columns into extra.
func scanAction(rows *sql.Rows, extra ...any) (Action, error) {
	var a Action
	var kind, status, intentAt, doneAt string
	dest := append([]any{&a.ID, &a.RunID, &kind, &a.Address, &a.EntraID, &a.FirstName, &a.LastName, &a.Reason,
		&intentAt, &status, &a.ProcoreID, &a.Error, &a.RequestID, &doneAt, &a.ResolvedByRun, &a.ProjectID}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return a, err
	}
	a.Kind, a.Status = roster.Kind(kind), roster.Status(status)
	var err error
	if a.IntentAt, err = parseTime(intentAt); err != nil {
		return a, fmt.Errorf("action %d: %w", a.ID, err)
	}
	if a.DoneAt, err = parseTime(doneAt); err != nil {
		return a, fmt.Errorf("action %d: %w", a.ID, err)
	}
	return a, nil
}
