// Package store is procsync's run journal: an embedded SQLite database
// (journal.db in the state directory) that records every run, every action's
// intent before its request is sent and its outcome after, and every report.
// A run interrupted at any point, even by SIGKILL, leaves intents without
// outcomes that the next run finds with Unfinished and reconciles with
// ResolvePending, so that nobody is created twice.
//
// The database uses the pure-Go driver modernc.org/sqlite (no cgo), WAL mode
// and synchronous=FULL, so a committed intent survives a crash or power loss.
// Callers hold the state directory's Lock while they write.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"procsync/sync/roster"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// FileName is the journal's file name inside the state directory.
const FileName = "journal.db"

// busyTimeout is how long a statement waits for another connection's write
// lock. Writers are short transactions, so a few seconds is plenty; it only
// matters when `procsync history` reads while a run writes.
const busyTimeout = 5 * time.Second

// ErrNotFound is returned when a run or action id is not in the journal.
var ErrNotFound = errors.New("not found in the journal")

// ErrSchemaTooNew is returned by Open when the journal was written by a newer
// procsync whose schema this binary does not know.
var ErrSchemaTooNew = errors.New("journal schema is newer than this procsync")

// ErrFinal is returned when an outcome would overwrite an action that is
// already done: a done action did happen, and the journal must keep saying so.
var ErrFinal = errors.New("action already has a final outcome")

// Mode is how a run was started.
type Mode string

// The run modes.
const (
	ModeTUI  Mode = "tui"
	ModeAuto Mode = "auto"
)

// RunOutcome is how a run ended.
type RunOutcome string

// The run outcomes. A run is "running" from BeginRun until FinishRun; one
// still "running" when the next run takes the lock was interrupted.
const (
	RunRunning     RunOutcome = "running"
	RunDone        RunOutcome = "done"
	RunFailed      RunOutcome = "failed"
	RunRefused     RunOutcome = "refused"
	RunInterrupted RunOutcome = "interrupted"
)

// StatusPending is the journal-only action status between an intent and its
// outcome: the request may or may not have reached Procore. The other
// statuses are roster's (planned, done, failed, skipped).
const StatusPending roster.Status = "pending"

// RunInfo describes a run as it starts.
type RunInfo struct {
	// Started defaults to now.
	Started time.Time
	Mode    Mode
	// ApprovedBy is the signed-in Graph user, or the app id for app-only runs.
	ApprovedBy  string
	Environment string
	CompanyID   int64
	Fingerprint string
	Counts      roster.Counts
	DryRun      bool
}

// Action is one journal row: the record (whose Status is the action's
// current status: planned, pending, done, failed or skipped; and whose
// ProcoreID is the latest known Procore user id) and when it happened.
type Action struct {
	roster.Record
	IntentAt time.Time
	// DoneAt is zero until there is an outcome.
	DoneAt time.Time
	// ResolvedByRun is the run that reconciled this action after its own run
	// was interrupted; zero otherwise.
	ResolvedByRun int64
}

// PendingAction is an intent without an outcome, from any run, with enough
// of its run to explain it to an operator.
type PendingAction struct {
	Action
	RunStarted     time.Time
	RunFingerprint string
}

// Run is one journal run.
type Run struct {
	ID int64
	RunInfo
	// Ended is zero while the run is running.
	Ended   time.Time
	Outcome RunOutcome
	Error   string
	// Applied counts the run's actions by status (planned, pending, done,
	// failed, skipped), for history listings.
	Applied map[roster.Status]int
	// Memberships counts the run's project memberships (project_add rows)
	// by status, kept apart from Applied so that it counts people.
	Memberships map[roster.Status]int
}

// RunDetail is a run with its actions and reports.
type RunDetail struct {
	Run
	Actions []Action
	Reports []Report
}

// Report records a rendered (and possibly sent) report.
type Report struct {
	RunID      int64
	Path       string
	CSVPath    string
	Recipients []string
	Sent       bool
	// SentAt defaults to now when Sent is set.
	SentAt time.Time
	// Error is why sending failed, if it did.
	Error string
}

// Store is an open journal. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
}

// Open opens (creating if needed) the journal in stateDir and brings its
// schema up to date. The state directory is created 0700 and the database
// file 0600: the journal names every person procsync touched. The directory
// is checked first (see PrepareStateDir), and a journal file that is a
// symlink is refused with a *StateDirError.
func Open(stateDir string) (*Store, error) {
	if err := PrepareStateDir(stateDir); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	path := filepath.Join(stateDir, FileName)
	// SQLite opens its files by name and follows links: none of the three
	// may be one (the main file is also opened below without following).
	if err := refuseSymlinks(stateDir, FileName+"-wal", FileName+"-shm"); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	// SQLite gives the -wal and -shm files the main file's permissions, so
	// creating it 0600 first keeps all three private.
	f, err := openPrivate(stateDir, FileName)
	if err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}

	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	// FULL syncs the WAL on every commit: an intent that Apply has written
	// must still be there after a power loss, or a resumed run could create
	// the same person again.
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	// Immediate transactions take the write lock at BEGIN, so two writers
	// wait on busy_timeout instead of failing on a read-to-write upgrade.
	q.Set("_txlock", "immediate")
	// A file: URI with an escaped path: the driver splits the DSN at the
	// first '?', and SQLite percent-decodes URI paths, so a state directory
	// named with '?', '#', '%' or spaces still opens the right file.
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() + "?" + q.Encode()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for attempt := 1; ; attempt++ {
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("journal: open %s: %w", path, err)
		}
		err = migrate(ctx, db)
		if err == nil {
			return &Store{db: db, path: path}, nil
		}
		_ = db.Close()
		// Two processes creating a fresh journal at once can get
		// SQLITE_BUSY without the busy handler being consulted (switching
		// to WAL, WAL recovery): the open is simply tried again.
		if !isBusy(err) || ctx.Err() != nil {
			return nil, fmt.Errorf("journal %s: %w", path, err)
		}
		time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
	}
}

// isBusy reports whether err is SQLite's "database is locked".
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// Path is the journal file's path.
func (s *Store) Path() string { return s.path }

// Close closes the journal. Every committed write is already durable; Close
// only checkpoints the WAL and releases the file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("journal: close %s: %w", s.path, err)
	}
	return nil
}

// BeginRun records the start of a run and returns its id.
func (s *Store) BeginRun(ctx context.Context, info RunInfo) (int64, error) {
	if info.Mode != ModeTUI && info.Mode != ModeAuto {
		return 0, fmt.Errorf("journal: begin run: mode %q is not tui or auto", info.Mode)
	}
	if info.Started.IsZero() {
		info.Started = time.Now()
	}
	counts, err := json.Marshal(countsOrEmpty(info.Counts))
	if err != nil {
		return 0, fmt.Errorf("journal: begin run: encode counts: %w", err)
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO runs
		(started_at, mode, approved_by, environment, company_id, fingerprint, counts, dry_run, outcome)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running')`,
		formatTime(info.Started), string(info.Mode), info.ApprovedBy, info.Environment, info.CompanyID,
		info.Fingerprint, string(counts), info.DryRun)
	if err != nil {
		return 0, fmt.Errorf("journal: begin run: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("journal: begin run: %w", err)
	}
	return id, nil
}

// FinishRun records how a run ended. runErr, if any, is stored as the run's
// error text.
func (s *Store) FinishRun(ctx context.Context, runID int64, outcome RunOutcome, runErr error) error {
	switch outcome {
	case RunDone, RunFailed, RunRefused, RunInterrupted:
	default:
		return fmt.Errorf("journal: finish run %d: outcome %q is not done, failed, refused or interrupted", runID, outcome)
	}
	msg := ""
	if runErr != nil {
		msg = runErr.Error()
	}
	res, err := s.db.ExecContext(ctx, `UPDATE runs SET ended_at = ?, outcome = ?, error = ? WHERE id = ?`,
		formatTime(time.Now()), string(outcome), msg, runID)
	if err != nil {
		return fmt.Errorf("journal: finish run %d: %w", runID, err)
	}
	return mustAffect(res, "journal: finish run %d", runID)
}

// MarkInterrupted marks every run still "running", other than except, as
// interrupted, and returns their ids. Call it after taking the state lock:
// with the lock held no other process can be running, so such a run died.
func (s *Store) MarkInterrupted(ctx context.Context, except int64) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `UPDATE runs SET outcome = 'interrupted', ended_at = ?,
		error = CASE WHEN error = '' THEN 'the process stopped before the run finished' ELSE error END
		WHERE outcome = 'running' AND id <> ? RETURNING id`, formatTime(time.Now()), except)
	if err != nil {
		return nil, fmt.Errorf("journal: mark interrupted runs: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("journal: mark interrupted runs: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: mark interrupted runs: %w", err)
	}
	return ids, nil
}

// RecordIntents writes a batch of intents for a run in one transaction and
// returns their action ids in the same order. Apply calls it before sending
// the batch's request: once it returns, a crash leaves the intents pending.
// An intent's Status is StatusPending (the default: a request is about to be
// sent), roster.StatusPlanned (listed but not applied: a dry run or not
// approved), or roster.StatusSkipped; its ID, Error and RequestID are ignored.
func (s *Store) RecordIntents(ctx context.Context, runID int64, intents []roster.Record) (ids []int64, err error) {
	if len(intents) == 0 {
		return nil, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("journal: record %d intents for run %d: %w", len(intents), runID, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	for i, in := range intents {
		status := in.Status
		if status == "" {
			status = StatusPending
		}
		switch status {
		case StatusPending, roster.StatusPlanned, roster.StatusSkipped:
		default:
			return nil, fmt.Errorf("journal: record intent %s %s: status %q is not pending, planned or skipped", in.Kind, in.Address, status)
		}
		if in.Kind == "" || in.Address == "" {
			return nil, fmt.Errorf("journal: record intent %d of %d for run %d: kind and address are required", i+1, len(intents), runID)
		}
	}
	if ids, err = insertIntents(ctx, tx, runID, intents, formatTime(time.Now())); err != nil {
		return nil, fmt.Errorf("journal: record %d intents for run %d: %w", len(intents), runID, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("journal: record %d intents for run %d: commit: %w", len(intents), runID, err)
	}
	return ids, nil
}

// MarkPending turns planned actions into pending ones, stamping a new intent
// time, for an apply that journals the whole plan first and then sends it
// batch by batch. Actions that are not planned are left alone.
func (s *Store) MarkPending(ctx context.Context, actionIDs []int64) error {
	return s.inTx(ctx, fmt.Sprintf("journal: mark %d actions pending", len(actionIDs)), func(tx *sql.Tx) error {
		return markPending(ctx, tx, actionIDs, formatTime(time.Now()))
	})
}

// RecordOutcome records what happened to action o.ID: its Status (done,
// failed or skipped), Error, RequestID, and ProcoreID, which when not zero
// replaces the intent's (roster.Record.Settle is the same rule).
func (s *Store) RecordOutcome(ctx context.Context, o roster.Record) error {
	return s.RecordOutcomes(ctx, []roster.Record{o})
}

// RecordOutcomes records the outcomes of a batch in one transaction: a sync
// batch's results land together or not at all. An outcome may replace a
// failed one (a later retry succeeded) but never a done one (ErrFinal).
func (s *Store) RecordOutcomes(ctx context.Context, outcomes []roster.Record) error {
	if len(outcomes) == 0 {
		return nil
	}
	return s.inTx(ctx, fmt.Sprintf("journal: record %d outcomes", len(outcomes)), func(tx *sql.Tx) error {
		return recordOutcomes(ctx, tx, outcomes, 0)
	})
}

// ResolvePending records the outcome of an action left pending by an
// interrupted run, as found by reconciling it against Procore in run
// resolvedBy. It fails with ErrNotFound if the action is no longer pending,
// so that two reconcilers cannot both claim it.
func (s *Store) ResolvePending(ctx context.Context, resolvedBy int64, o roster.Record) error {
	actionID := o.ID
	return s.inTx(ctx, fmt.Sprintf("journal: resolve pending action %d", actionID), func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM actions WHERE id = ?`, actionID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && roster.Status(status) != StatusPending) {
			return fmt.Errorf("action %d is not pending: %w", actionID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		return recordOutcomes(ctx, tx, []roster.Record{o}, resolvedBy)
	})
}

// Unfinished returns every pending action (an intent without an outcome)
// from any run, oldest first. A non-empty result means an earlier run was
// interrupted between sending a request and recording its result; the caller
// reconciles each against Procore before planning anew.
func (s *Store) Unfinished(ctx context.Context) ([]PendingAction, error) {
	return s.pendingActions(ctx, "unfinished actions", `a.status = 'pending'`)
}

// OpenProjectAdds returns every project membership (kind project_add) that
// is not added yet, from any run, oldest first: planned (its run ended
// before sending it), pending (interrupted while sending) or failed. The
// caller retries them; an add whose membership already exists is done.
func (s *Store) OpenProjectAdds(ctx context.Context) ([]PendingAction, error) {
	return s.pendingActions(ctx, "open project memberships",
		`a.kind = ? AND a.status IN ('planned', 'pending', 'failed')`, string(roster.KindProjectAdd))
}

// pendingActions reads the actions matching where (over actions a), with
// their run's start and fingerprint, oldest first.
func (s *Store) pendingActions(ctx context.Context, what, where string, args ...any) ([]PendingAction, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+actionColumns("a")+`, r.started_at, r.fingerprint
		FROM actions a JOIN runs r ON r.id = a.run_id
		WHERE `+where+` ORDER BY a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: read %s: %w", what, err)
	}
	defer rows.Close()
	var out []PendingAction
	for rows.Next() {
		var p PendingAction
		var started string
		var err error
		if p.Action, err = scanAction(rows, &started, &p.RunFingerprint); err != nil {
			return nil, fmt.Errorf("journal: read %s: %w", what, err)
		}
		if p.RunStarted, err = parseTime(started); err != nil {
			return nil, fmt.Errorf("journal: read %s: %w", what, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: read %s: %w", what, err)
	}
	return out, nil
}

func (s *Store) inTx(ctx context.Context, op string, fn func(*sql.Tx) error) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", op, err)
	}
	return nil
}

func mustAffect(res sql.Result, format string, args ...any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf(format+": %w", append(args, err)...)
	}
	if n == 0 {
		return fmt.Errorf(format+": %w", append(args, ErrNotFound)...)
	}
	return nil
}

// timeLayout is fixed-width so that stored times also sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q in the journal: %w", s, err)
	}
	return t, nil
}

func countsOrEmpty(c roster.Counts) roster.Counts {
	if c == nil {
		return roster.Counts{}
	}
	return c
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
