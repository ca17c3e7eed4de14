package store

// The read side of the journal: runs, their actions and reports, for
// `procsync history` and the reconciler.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"procsync/sync/roster"
)

// Runs returns the newest runs first, at most limit (all when limit <= 0).
func (s *Store) Runs(ctx context.Context, limit int) ([]Run, error) {
	return s.RunsSince(ctx, time.Time{}, limit)
}

// RunsSince returns the runs that started at or after since, newest first,
// at most limit (all when limit <= 0). A zero since lists every run.
func (s *Store) RunsSince(ctx context.Context, since time.Time, limit int) ([]Run, error) {
	runs, err := s.listRuns(ctx, since, 0, limit)
	if err != nil {
		return nil, fmt.Errorf("journal: list runs: %w", err)
	}
	if err := s.fillApplied(ctx, runs); err != nil {
		return nil, fmt.Errorf("journal: list runs: %w", err)
	}
	return runs, nil
}

// listRuns reads the runs started at or after since (any when zero) with an
// id below before (any when <= 0), newest first, at most limit (all when
// limit <= 0). Stored times are fixed-width UTC text, so the comparison on
// started_at is a range scan of its index.
func (s *Store) listRuns(ctx context.Context, since time.Time, before int64, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = -1
	}
	where, args := []string{"1"}, []any{}
	if !since.IsZero() {
		where, args = append(where, "started_at >= ?"), append(args, formatTime(since))
	}
	if before > 0 {
		where, args = append(where, "id < ?"), append(args, before)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+runColumns+` FROM runs WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	return scanRuns(rows)
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

// RunActions returns the actions of run id as records, in the order they
// were journaled: what the History screen shows of a run it opens, without
// Run's counts and reports.
func (s *Store) RunActions(ctx context.Context, id int64) ([]roster.Record, error) {
	var one int
	switch err := s.db.QueryRowContext(ctx, `SELECT 1 FROM runs WHERE id = ?`, id).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("journal: run %d: %w", id, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("journal: read run %d: %w", id, err)
	}
	acts, err := s.actions(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("journal: read run %d: %w", id, err)
	}
	out := make([]roster.Record, len(acts))
	for i, a := range acts {
		out[i] = a.Record
	}
	return out, nil
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

// fillApplied adds per-status action counts to runs, project additions
// apart, from countActions' one grouped query.
func (s *Store) fillApplied(ctx context.Context, runs []Run) error {
	if len(runs) == 0 {
		return nil
	}
	byID := make(map[int64]*Run, len(runs))
	for i := range runs {
		r := &runs[i]
		r.Applied = map[roster.Status]int{}
		r.Memberships = map[roster.Status]int{}
		byID[r.ID] = r
	}
	return s.countActions(ctx, runs, func(id int64, kind roster.Kind, status roster.Status, n int) {
		if r := byID[id]; r != nil {
			if kind == roster.KindProjectAdd {
				r.Memberships[status] += n
			} else {
				r.Applied[status] += n
			}
		}
	})
}

// countActions calls add with the number of actions of each run, kind and
// status, for the runs listed: one grouped query over the actions of the
// runs' id range, through the actions' run index, so the rows are counted
// in SQLite and never read into Go. The range may hold runs that are not
// listed (a clock set back, or a limit); add ignores their ids.
func (s *Store) countActions(ctx context.Context, runs []Run, add func(id int64, kind roster.Kind, status roster.Status, n int)) error {
	if len(runs) == 0 {
		return nil
	}
	lo, hi := runs[0].ID, runs[0].ID
	for _, r := range runs {
		lo, hi = min(lo, r.ID), max(hi, r.ID)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, kind, status, COUNT(*) FROM actions
		WHERE run_id BETWEEN ? AND ? GROUP BY run_id, kind, status`, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var kind, status string
		var n int
		if err := rows.Scan(&id, &kind, &status, &n); err != nil {
			return err
		}
		add(id, roster.Kind(kind), roster.Status(status), n)
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

// MaxHistoryDays bounds DailyCounts: a year of days is already more bars
// than any screen holds.
const MaxHistoryDays = 366

// DailyCounts returns, for each of the last days days up to and including
// now's, what the runs that started that day did: done creates,
// reactivations and updates, and failed actions of any kind. A run belongs
// to the local date of its start in loc (time.Local when nil: the machine's
// zone, so the chart's days are the admin's days); days are cut at local
// midnight, so a day across a daylight-saving change is 23 or 25 hours
// long. The result is oldest first with one entry per day, zeros included.
//
// It is one grouped query: the days are a table of [lo, hi) bounds in UTC,
// joined to runs through the started_at index and to actions through
// their run_id index.
func (s *Store) DailyCounts(ctx context.Context, days int, now time.Time, loc *time.Location) ([]roster.DayCounts, error) {
	if days < 1 || days > MaxHistoryDays {
		return nil, fmt.Errorf("journal: daily counts: %d days is not between 1 and %d", days, MaxHistoryDays)
	}
	query, args, out := dailyCountsQuery(days, now, loc)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: daily counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var d roster.DayCounts
		if err := rows.Scan(&i, &d.Created, &d.Reactivated, &d.Updated, &d.Failed); err != nil {
			return nil, fmt.Errorf("journal: daily counts: %w", err)
		}
		if i >= 0 && i < len(out) {
			d.Day = out[i].Day
			out[i] = d
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: daily counts: %w", err)
	}
	return out, nil
}

// dailyCountsQuery builds DailyCounts' query and its arguments, and the
// empty days (their Day set) that its rows fill in.
func dailyCountsQuery(days int, now time.Time, loc *time.Location) (string, []any, []roster.DayCounts) {
	if loc == nil {
		loc = time.Local
	}
	y, m, d := now.In(loc).Date()
	out := make([]roster.DayCounts, days)
	values := make([]string, days)
	args := make([]any, 0, 3*days)
	for i := range out {
		// time.Date normalises the day number, and finds each local
		// midnight on its own, across month ends and DST changes alike.
		lo := time.Date(y, m, d-days+1+i, 0, 0, 0, 0, loc)
		hi := time.Date(y, m, d-days+2+i, 0, 0, 0, 0, loc)
		out[i].Day = lo
		values[i] = "(?, ?, ?)"
		args = append(args, i, formatTime(lo), formatTime(hi))
	}
	query := `WITH days (i, lo, hi) AS (VALUES ` + strings.Join(values, ", ") + `)
		SELECT d.i,
			COALESCE(SUM(a.status = 'done' AND a.kind = 'create'), 0),
			COALESCE(SUM(a.status = 'done' AND a.kind = 'reactivate'), 0),
			COALESCE(SUM(a.status = 'done' AND a.kind = 'update'), 0),
			COALESCE(SUM(a.status = 'failed'), 0)
		FROM days d
		JOIN runs r ON r.started_at >= d.lo AND r.started_at < d.hi
		JOIN actions a ON a.run_id = r.id
		WHERE a.status IN ('done', 'failed')
		GROUP BY d.i`
	return query, args, out
}

// RunSummaries returns the summaries of the runs started at or after
// since, newest first and at most limit (all when limit <= 0): the History
// screen's list. The counts come from countActions' one grouped query; a
// run's actions are read only when it is opened (Run).
func (s *Store) RunSummaries(ctx context.Context, since time.Time, limit int) ([]roster.RunSummary, error) {
	runs, err := s.listRuns(ctx, since, 0, limit)
	if err != nil {
		return nil, fmt.Errorf("journal: run summaries: %w", err)
	}
	out, err := s.summaries(ctx, runs)
	if err != nil {
		return nil, fmt.Errorf("journal: run summaries: %w", err)
	}
	return out, nil
}

// RecentRuns returns the summaries of the n newest runs before run before
// (every run when before <= 0), newest first: the report of run before
// shows them as its "Last 7 runs" line.
func (s *Store) RecentRuns(ctx context.Context, n int, before int64) ([]roster.RunSummary, error) {
	if n <= 0 {
		return nil, nil
	}
	runs, err := s.listRuns(ctx, time.Time{}, before, n)
	if err != nil {
		return nil, fmt.Errorf("journal: recent runs: %w", err)
	}
	out, err := s.summaries(ctx, runs)
	if err != nil {
		return nil, fmt.Errorf("journal: recent runs: %w", err)
	}
	return out, nil
}

// summaries is runs in a few numbers, in the same order, counted by
// tallySummary (nil for no runs).
func (s *Store) summaries(ctx context.Context, runs []Run) ([]roster.RunSummary, error) {
	if len(runs) == 0 {
		return nil, nil
	}
	out := make([]roster.RunSummary, len(runs))
	byID := make(map[int64]*roster.RunSummary, len(runs))
	for i, r := range runs {
		out[i] = summaryOf(r)
		byID[r.ID] = &out[i]
	}
	err := s.countActions(ctx, runs, func(id int64, kind roster.Kind, status roster.Status, n int) {
		if sum := byID[id]; sum != nil {
			tallySummary(sum, kind, status, n)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// summaryOf is a run's summary without its counts.
func summaryOf(r Run) roster.RunSummary {
	return roster.RunSummary{ID: r.ID, Started: r.Started, Mode: string(r.Mode), DryRun: r.DryRun, Outcome: string(r.Outcome)}
}

// tallySummary adds n actions of kind and status to s; it is the one rule
// for what a summary counts. DailyCounts' query counts the chart's four
// series by the same rule.
func tallySummary(s *roster.RunSummary, kind roster.Kind, status roster.Status, n int) {
	s.Actions += n
	switch {
	case status == roster.StatusFailed:
		s.Failed += n
	case status != roster.StatusDone:
	case kind == roster.KindCreate:
		s.Created += n
	case kind == roster.KindReactivate:
		s.Reactivated += n
	case kind == roster.KindUpdate:
		s.Updated += n
	case kind == roster.KindOffboard:
		s.Deactivated += n
	case kind == roster.KindProjectAdd:
		s.AddedToProjects += n
	}
}
