package ui

import (
	"context"
	"time"

	"procsync/sync/roster"
)

// Resolver is what the review needs to settle a person once: link a
// conflict's member to the Procore user the operator picked, and keep the
// ignore list. It is apart from Backend so that a backend without a journal
// (a test fake, a read-only explorer) need not implement it; the review
// offers l, i and I only when the backend does. Every method is called from
// a tea.Cmd, never from Update.
type Resolver interface {
	// Link writes member's Entra object id as user's origin_id
	// (provision.Link), journaled, after checking that the user is not
	// linked to somebody else.
	Link(ctx context.Context, member *roster.Member, address string, user *roster.ProcoreUser) error
	// Ignore puts the person on the ignore list with the signed-in admin
	// as who and reason as why.
	Ignore(ctx context.Context, member *roster.Member, address, reason string) error
	// Ignored returns the ignore list in force, oldest first.
	Ignored(ctx context.Context) ([]IgnoredPerson, error)
	// Unignore takes the person off the list; the journal keeps the entry.
	Unignore(ctx context.Context, p IgnoredPerson) error
}

// IgnoredPerson is one entry of the ignore list as the review shows it.
type IgnoredPerson struct {
	Address string
	EntraID string
	By      string
	Reason  string
	At      time.Time
}
