package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migration is one step of the journal's schema. Steps are applied in order,
// each in its own transaction, and never edited once released: a change to the
// schema is a new step appended to migrations.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations is the journal's schema history. The index+1 of each step is its
// version, which the init test checks so that a step cannot be inserted out of
// order by accident.
var migrations = []migration{
	{version: 1, name: "runs, actions and reports", sql: `
CREATE TABLE runs (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	started_at  TEXT    NOT NULL,
	ended_at    TEXT,
	mode        TEXT    NOT NULL CHECK (mode IN ('tui', 'auto')),
	approved_by TEXT    NOT NULL DEFAULT '',
	environment TEXT    NOT NULL DEFAULT '',
	company_id  INTEGER NOT NULL DEFAULT 0,
	fingerprint TEXT    NOT NULL DEFAULT '',
	counts      TEXT    NOT NULL DEFAULT '{}',
	dry_run     INTEGER NOT NULL DEFAULT 0,
	outcome     TEXT    NOT NULL DEFAULT 'running'
	            CHECK (outcome IN ('running', 'done', 'failed', 'refused', 'interrupted')),
	error       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX runs_outcome ON runs (outcome);

CREATE TABLE actions (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	kind            TEXT    NOT NULL,
	address         TEXT    NOT NULL,
	entra_id        TEXT    NOT NULL DEFAULT '',
	first_name      TEXT    NOT NULL DEFAULT '',
	last_name       TEXT    NOT NULL DEFAULT '',
	reason          TEXT    NOT NULL DEFAULT '',
	intent_at       TEXT    NOT NULL,
	status          TEXT    NOT NULL
	                CHECK (status IN ('planned', 'pending', 'done', 'failed', 'skipped')),
	procore_id      INTEGER NOT NULL DEFAULT 0,
	error           TEXT    NOT NULL DEFAULT '',
	request_id      TEXT    NOT NULL DEFAULT '',
	done_at         TEXT,
	-- resolved_by_run is set when a later run reconciled this action's
	-- outcome after the run that wrote the intent was interrupted.
	resolved_by_run INTEGER REFERENCES runs (id)
);
CREATE INDEX actions_run ON actions (run_id);
CREATE INDEX actions_pending ON actions (status) WHERE status = 'pending';
CREATE INDEX actions_address ON actions (address);

CREATE TABLE reports (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	path       TEXT    NOT NULL DEFAULT '',
	csv_path   TEXT    NOT NULL DEFAULT '',
	recipients TEXT    NOT NULL DEFAULT '[]',
	sent       INTEGER NOT NULL DEFAULT 0,
	sent_at    TEXT,
	error      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX reports_run ON reports (run_id);
`},
	{version: 2, name: "project memberships", sql: `
-- project_id is the Procore project of a project_add action (a new user's
-- membership of a configured project); 0 for every other kind.
ALTER TABLE actions ADD COLUMN project_id INTEGER NOT NULL DEFAULT 0;
-- Every run looks for the memberships still to add (planned, pending or
-- failed); the partial index keeps that cheap however long the history.
CREATE INDEX actions_project_open ON actions (id)
	WHERE kind = 'project_add' AND status IN ('planned', 'pending', 'failed');
`},
	{version: 3, name: "runs by start time", sql: `
-- History reads runs by when they started (the TUI's chart of the last 30
-- days, history --since); stored times are fixed-width UTC text, so the
-- index serves those ranges.
CREATE INDEX runs_started ON runs (started_at);
`},
	{version: 4, name: "ignore list", sql: `
-- One row per decision to leave a person alone. Un-ignoring sets removed_at
-- and removed_by instead of deleting, so the list keeps its history.
-- address is normalised (lower-case); entra_id may be empty when the person
-- was ignored by address only, and address when by id only.
CREATE TABLE ignores (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	address    TEXT NOT NULL DEFAULT '',
	entra_id   TEXT NOT NULL DEFAULT '',
	reason     TEXT NOT NULL CHECK (reason != ''),
	added_by   TEXT NOT NULL DEFAULT '',
	added_at   TEXT NOT NULL,
	removed_at TEXT,
	removed_by TEXT NOT NULL DEFAULT '',
	CHECK (address != '' OR entra_id != '')
);
CREATE INDEX ignores_active ON ignores (address) WHERE removed_at IS NULL;
`},
	{version: 5, name: "no index of actions by address", sql: `
-- No query looks actions up by address, and keeping this index was nearly
-- half of what journaling an intent costs once the journal holds tens of
-- thousands of rows (a random insert into a large B-tree for every row).
DROP INDEX IF EXISTS actions_address;
`},
}

// migrate brings the schema up to the newest version. The version check and
// each step run inside one immediate transaction, so two processes opening a
// fresh journal at once apply every step exactly once: the second waits on the
// write lock and then sees the version the first one wrote.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	for _, m := range migrations {
		if err := applyMigration(ctx, db, m); err != nil {
			return err
		}
	}
	// A journal written by a newer procsync may hold columns or meanings this
	// binary does not know; writing to it could corrupt the history.
	var newest int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&newest); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if known := len(migrations); newest > known {
		return fmt.Errorf("%w: the journal has schema version %d, this procsync knows up to %d; upgrade procsync", ErrSchemaTooNew, newest, known)
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, m migration) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %d (%s): begin: %w", m.version, m.name, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_version WHERE version = ?`, m.version).Scan(&n); err != nil {
		return fmt.Errorf("migration %d (%s): read version: %w", m.version, m.name, err)
	}
	if n > 0 {
		return tx.Rollback()
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, formatTime(time.Now())); err != nil {
		return fmt.Errorf("migration %d (%s): record version: %w", m.version, m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %d (%s): commit: %w", m.version, m.name, err)
	}
	return nil
}
