package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"procsync/sync/roster"
)

// ErrAlreadyIgnored is returned by AddIgnore when the person is on the
// ignore list already.
var ErrAlreadyIgnored = errors.New("already ignored")

// IgnoreEntry is one row of the ignore list: a person procsync leaves
// alone, who decided it and why, and, once un-ignored, who undid it when.
type IgnoreEntry struct {
	ID int64
	roster.Ignore
	// At is when the person was ignored.
	At time.Time
	// RemovedAt is zero while the entry is in force.
	RemovedAt time.Time
	RemovedBy string
}

// Active reports whether the entry is in force.
func (e *IgnoreEntry) Active() bool { return e.RemovedAt.IsZero() }

// AddIgnore puts a person on the ignore list. The address is normalised;
// an address or an Entra id is required, and so is a reason (the list is
// read by other admins, who must know why). A person already on the list
// (same address or Entra id) gives ErrAlreadyIgnored with that entry.
func (s *Store) AddIgnore(ctx context.Context, g roster.Ignore, at time.Time) (IgnoreEntry, error) {
	if g.Address = strings.TrimSpace(g.Address); g.Address != "" {
		a, ok := roster.NormalizeAddress(g.Address)
		if !ok {
			return IgnoreEntry{}, fmt.Errorf("journal: ignore: %q is not an email address", g.Address)
		}
		g.Address = a
	}
	g.EntraID = strings.TrimSpace(g.EntraID)
	g.Reason = strings.TrimSpace(g.Reason)
	switch {
	case g.Address == "" && g.EntraID == "":
		return IgnoreEntry{}, errors.New("journal: ignore: an address or an Entra id is required")
	case g.Reason == "":
		return IgnoreEntry{}, errors.New("journal: ignore: a reason is required")
	}
	if at.IsZero() {
		at = time.Now()
	}
	e := IgnoreEntry{Ignore: g, At: at}
	err := s.inTx(ctx, "journal: ignore "+cmp.Or(g.Address, g.EntraID), func(tx *sql.Tx) error {
		cur, err := activeIgnores(ctx, tx, g.Address, g.EntraID)
		if err != nil {
			return err
		}
		if len(cur) > 0 {
			e = cur[0]
			return ErrAlreadyIgnored
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO ignores (address, entra_id, reason, added_by, added_at) VALUES (?, ?, ?, ?, ?)`,
			g.Address, g.EntraID, g.Reason, g.By, formatTime(at))
		if err != nil {
			return err
		}
		e.ID, err = res.LastInsertId()
		return err
	})
	return e, err
}

// RemoveIgnore takes a person off the ignore list (every entry in force
// under the address or the Entra id), keeping the rows with who removed
// them and when. It returns the entries removed, or ErrNotFound.
func (s *Store) RemoveIgnore(ctx context.Context, address, entraID, by string, at time.Time) ([]IgnoreEntry, error) {
	if a, ok := roster.NormalizeAddress(address); ok {
		address = a
	} else {
		address = strings.ToLower(strings.TrimSpace(address))
	}
	entraID = strings.TrimSpace(entraID)
	if address == "" && entraID == "" {
		return nil, errors.New("journal: unignore: an address or an Entra id is required")
	}
	if at.IsZero() {
		at = time.Now()
	}
	var out []IgnoreEntry
	err := s.inTx(ctx, "journal: unignore "+cmp.Or(address, entraID), func(tx *sql.Tx) error {
		cur, err := activeIgnores(ctx, tx, address, entraID)
		if err != nil {
			return err
		}
		if len(cur) == 0 {
			return fmt.Errorf("not on the ignore list: %w", ErrNotFound)
		}
		for _, e := range cur {
			if _, err := tx.ExecContext(ctx, `UPDATE ignores SET removed_at = ?, removed_by = ? WHERE id = ? AND removed_at IS NULL`,
				formatTime(at), by, e.ID); err != nil {
				return err
			}
			e.RemovedAt, e.RemovedBy = at, by
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Ignores returns the ignore list, oldest first: the entries in force, or
// with all every entry ever made (the history).
func (s *Store) Ignores(ctx context.Context, all bool) ([]IgnoreEntry, error) {
	q := `SELECT ` + ignoreColumns + ` FROM ignores`
	if !all {
		q += ` WHERE removed_at IS NULL`
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("journal: read the ignore list: %w", err)
	}
	out, err := scanIgnores(rows)
	if err != nil {
		return nil, fmt.Errorf("journal: read the ignore list: %w", err)
	}
	return out, nil
}

// IgnoreList returns the entries in force in roster's terms, for the
// snapshot that Diff plans from.
func (s *Store) IgnoreList(ctx context.Context) ([]roster.Ignore, error) {
	es, err := s.Ignores(ctx, false)
	if err != nil {
		return nil, err
	}
	out := make([]roster.Ignore, len(es))
	for i, e := range es {
		out[i] = e.Ignore
	}
	return out, nil
}

const ignoreColumns = `id, address, entra_id, reason, added_by, added_at, COALESCE(removed_at, ''), removed_by`

func activeIgnores(ctx context.Context, tx *sql.Tx, address, entraID string) ([]IgnoreEntry, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+ignoreColumns+` FROM ignores
		WHERE removed_at IS NULL AND ((? != '' AND address = ?) OR (? != '' AND entra_id = ?)) ORDER BY id`,
		address, address, entraID, entraID)
	if err != nil {
		return nil, err
	}
	return scanIgnores(rows)
}

func scanIgnores(rows *sql.Rows) ([]IgnoreEntry, error) {
	defer rows.Close()
	var out []IgnoreEntry
	for rows.Next() {
		var e IgnoreEntry
		var at, removed string
		if err := rows.Scan(&e.ID, &e.Address, &e.EntraID, &e.Reason, &e.By, &at, &removed, &e.RemovedBy); err != nil {
			return nil, err
		}
		var err error
		if e.At, err = parseTime(at); err != nil {
			return nil, err
		}
		if e.RemovedAt, err = parseTime(removed); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
