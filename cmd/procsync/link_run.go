package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"

	"procsync/internal/safetext"
	"procsync/sync/provision"
	"procsync/sync/roster"
	"procsync/sync/store"
)

// The one path of a link, shared by `procsync link` and the TUI: find the
// member and the chosen Procore user in a fresh snapshot, check the choice,
// and write it through provision.Link inside a journaled run of its own.

// linkTarget is a member and the Procore user it is to be linked to.
type linkTarget struct {
	member  *roster.Member
	address string
	user    *roster.ProcoreUser
}

// findLinkTarget finds the member with address addr (primary or alias) and
// Procore user id in the snapshot, and refuses a link Procore would refuse
// or that would take a user away from somebody: a user that is not in the
// company, one already linked to another Entra ID object, or a member whose
// Entra id another user holds as origin_id (origin_id is unique within a
// company).
func findLinkTarget(snap *roster.Snapshot, plan *roster.Plan, addr string, id int64) (*linkTarget, error) {
	var t linkTarget
	for i := range plan.Actions {
		a := &plan.Actions[i]
		if a.Member != nil && memberHasAddress(a.Member, a.Address, addr) {
			t.member, t.address = a.Member, a.Address
			break
		}
	}
	if t.member == nil {
		return nil, fmt.Errorf("no member of the license groups has the address %s: check the address (procsync reads the groups the config selects)", addr)
	}
	for i := range snap.Users {
		u := &snap.Users[i]
		if u.ID == id {
			t.user = u
		}
	}
	if t.user == nil {
		return nil, fmt.Errorf("user %d is not a user of this Procore company (neither active nor inactive in its directory)", id)
	}
	switch t.user.OriginID {
	case "", t.member.ID:
	default:
		return nil, fmt.Errorf("user %d (%s) is already linked to another Entra ID object (origin_id %s): %w",
			id, safetext.Line(t.user.Email), t.user.OriginID, provision.ErrLinkedElsewhere)
	}
	for i := range snap.Users {
		u := &snap.Users[i]
		if u.ID != id && u.OriginID == t.member.ID {
			return nil, fmt.Errorf("user %d (%s) in Procore already holds this member's Entra id as its origin_id, and Procore allows it on one user only: clear it there first",
				u.ID, safetext.Line(u.Email))
		}
	}
	return &t, nil
}

// memberHasAddress reports whether addr (normalised) is the member's planned
// address, mail, userPrincipalName or one of its proxy addresses.
func memberHasAddress(m *roster.Member, planned, addr string) bool {
	if planned == addr {
		return true
	}
	for _, s := range append([]string{m.Mail, m.UserPrincipalName}, m.ProxyAddresses...) {
		if p, rest, ok := strings.Cut(s, ":"); ok && strings.EqualFold(p, "smtp") {
			s = rest
		}
		if a, ok := roster.NormalizeAddress(s); ok && a == addr {
			return true
		}
	}
	return false
}

// linkInRun writes the link through provision.Link inside a journal run of
// its own (mode as given, approved by the session's signed-in identity), so
// that history lists it with who and when. The caller holds the state lock.
func (s *session) linkInRun(ctx context.Context, mode store.Mode, by string, t *linkTarget) (roster.Record, error) {
	runID, err := s.journal.BeginRun(ctx, store.RunInfo{Mode: mode, ApprovedBy: s.approvedBy, Environment: s.environment(), CompanyID: s.cfg.Procore.CompanyID})
	if err != nil {
		return roster.Record{}, err
	}
	rec, lerr := provision.Link(ctx, s.procore, s.journal.Journal(runID), provision.LinkRequest{Member: t.member, Address: t.address, User: t.user, By: by})
	outcome := store.RunDone
	if lerr != nil {
		outcome = store.RunFailed
	}
	if err := s.journal.FinishRun(context.WithoutCancel(ctx), runID, outcome, lerr); err != nil {
		return rec, errors.Join(lerr, err)
	}
	return rec, lerr
}

// cliActor names who runs a command from a shell: the OS user, for the
// journal's "who" of an ignore or a link made without the TUI.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username + " (cli)"
	}
	for _, k := range []string{"USER", "USERNAME"} {
		if v := os.Getenv(k); v != "" {
			return v + " (cli)"
		}
	}
	return "cli"
}
