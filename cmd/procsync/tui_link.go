package main

import (
	"context"
	"errors"
	"time"

	"procsync/sync/roster"
	"procsync/sync/store"
	"procsync/ui"
)

// The TUI's Resolver: the same link path as `procsync link` (findLinkTarget's
// checks against a fresh read, then session.linkInRun), and the journal's
// ignore list, with the signed-in admin as who. Journal writes hold the
// state lock, like Apply.

var _ ui.Resolver = (*tuiBackend)(nil)

// Link implements ui.Resolver. The directory is read again first, so that
// the choice is checked against Procore as it is now, not as the plan on the
// screen saw it.
func (b *tuiBackend) Link(ctx context.Context, m *roster.Member, address string, u *roster.ProcoreUser) error {
	if err := b.connect(ctx); err != nil {
		return err
	}
	snap, err := b.s.engine.Snapshot(ctx, nil)
	if err != nil {
		return err
	}
	t, err := findLinkTarget(snap, b.s.engine.Plan(snap), address, u.ID)
	if err != nil {
		return err
	}
	if t.member.ID != m.ID {
		return errors.New("the member under this address changed since the plan was read: press r and pick again")
	}
	return b.withLock(func() error {
		_, err := b.s.linkInRun(ctx, store.ModeTUI, b.actor(), t)
		return err
	})
}

// Ignore implements ui.Resolver.
func (b *tuiBackend) Ignore(ctx context.Context, m *roster.Member, address, reason string) error {
	if err := b.connect(ctx); err != nil {
		return err
	}
	g := roster.Ignore{Address: address, By: b.actor(), Reason: reason}
	if m != nil {
		g.EntraID = m.ID
	}
	return b.withLock(func() error {
		_, err := b.s.journal.AddIgnore(ctx, g, time.Now())
		return err
	})
}

// Ignored implements ui.Resolver.
func (b *tuiBackend) Ignored(ctx context.Context) ([]ui.IgnoredPerson, error) {
	if err := b.connect(ctx); err != nil {
		return nil, err
	}
	es, err := b.s.journal.Ignores(ctx, false)
	if err != nil {
		return nil, err
	}
	out := make([]ui.IgnoredPerson, len(es))
	for i, e := range es {
		out[i] = ui.IgnoredPerson{Address: e.Address, EntraID: e.EntraID, By: e.By, Reason: e.Reason, At: e.At}
	}
	return out, nil
}

// Unignore implements ui.Resolver.
func (b *tuiBackend) Unignore(ctx context.Context, p ui.IgnoredPerson) error {
	if err := b.connect(ctx); err != nil {
		return err
	}
	return b.withLock(func() error {
		_, err := b.s.journal.RemoveIgnore(ctx, p.Address, p.EntraID, b.actor(), time.Now())
		return err
	})
}

// actor is who the TUI's journal entries name: the signed-in Graph user
// (or the app, for app-only access).
func (b *tuiBackend) actor() string {
	if b.s.approvedBy != "" {
		return b.s.approvedBy
	}
	return cliActor()
}
