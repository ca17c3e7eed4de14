package provision

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"procsync/sync/procore"
	"procsync/sync/roster"
)

// LinkRequest says which Procore user a member is.
type LinkRequest struct {
	// Member is the Entra ID member; its ID becomes the user's origin_id.
	Member *roster.Member
	// Address is the member's normalised address, for the journal.
	Address string
	// User is the Procore user the operator picked, as the snapshot read it.
	User *roster.ProcoreUser
	// By is who decided (the signed-in admin, or the OS user for the CLI);
	// it goes into the journaled reason.
	By string
}

// ErrLinkedElsewhere is returned by Link when the Procore user already
// carries the origin_id of somebody else: relinking would take that person's
// user away from them.
var ErrLinkedElsewhere = errors.New("the Procore user is already linked to another Entra ID object")

// Link resolves a conflict once: it writes the member's Entra object id as
// the chosen Procore user's origin_id, so that every later plan matches the
// member to that user first (roster.Diff). Like Apply, it journals the
// intent (roster.KindLink) before the request, marks it pending while the
// request is out and records the outcome after; the outcome is done only
// when Procore's answer shows the origin_id written. When the answer is
// lost, the user is read back to decide; if that fails too, the intent
// stays pending and the next run's Reconcile settles it.
//
// A user already linked to this member is left alone (the record comes
// back skipped, nothing is sent); one linked to someone else is refused
// with ErrLinkedElsewhere.
func Link(ctx context.Context, pc *procore.Client, j Journal, req LinkRequest) (roster.Record, error) {
	m, u := req.Member, req.User
	switch {
	case pc == nil:
		return roster.Record{}, errors.New("link: no Procore client")
	case j == nil:
		return roster.Record{}, errors.New("link: no journal (a link is always journaled)")
	case m == nil || m.ID == "":
		return roster.Record{}, errors.New("link: the member has no Entra object id")
	case u == nil || u.ID == 0:
		return roster.Record{}, errors.New("link: no Procore user")
	}
	rec := roster.Record{
		Kind: roster.KindLink, Address: req.Address, EntraID: m.ID, FirstName: m.GivenName, LastName: m.Surname,
		ProcoreID: u.ID, Reason: fmt.Sprintf("linked by %s: Procore user %d (%s) is this member", orBy(req.By), u.ID, u.Email),
	}
	switch u.OriginID {
	case m.ID:
		rec.Status, rec.Error = roster.StatusSkipped, "already linked"
		return rec, nil
	case "":
	default:
		return rec, fmt.Errorf("link %s to Procore user %d: %w (origin_id %s); unlink it in Procore first if it really is this person",
			req.Address, u.ID, ErrLinkedElsewhere, u.OriginID)
	}
	jctx := context.WithoutCancel(ctx)
	ids, err := j.RecordIntents(jctx, []roster.Record{rec})
	if err != nil {
		return rec, fmt.Errorf("link %s: journal the intent: %w", req.Address, err)
	}
	rec.ID = ids[0]
	if err := j.MarkPending(jctx, ids); err != nil {
		return rec, fmt.Errorf("link %s: journal the intent as pending: %w", req.Address, err)
	}
	got, err := pc.SetOriginID(ctx, u.ID, m.ID)
	out := roster.Record{ID: rec.ID, Status: roster.StatusDone, ProcoreID: u.ID}
	switch {
	case err == nil && string(got.OriginID) != m.ID:
		out.Status, out.Error = roster.StatusFailed, fmt.Sprintf("procore answered the link with origin_id %q, not %q", got.OriginID, m.ID)
	case err != nil && refused(err):
		out.Status, out.Error, out.RequestID = roster.StatusFailed, err.Error(), requestIDOf(err)
	case err != nil:
		// The answer was lost: the user itself says whether it landed.
		back, rerr := pc.GetUser(jctx, u.ID)
		if rerr != nil {
			return rec, fmt.Errorf("link %s: %w; reading the user back also failed (%v), so the next run reconciles it", req.Address, err, rerr)
		}
		if string(back.OriginID) != m.ID {
			out.Status, out.Error, out.RequestID = roster.StatusFailed, err.Error(), requestIDOf(err)
		}
	}
	if jerr := j.RecordOutcomes(jctx, []roster.Record{out}); jerr != nil {
		return rec, fmt.Errorf("link %s: journal the outcome: %w", req.Address, jerr)
	}
	rec.Settle(out)
	if out.Status != roster.StatusDone {
		return rec, fmt.Errorf("link %s to Procore user %d: %s", req.Address, u.ID, out.Error)
	}
	return rec, nil
}

// refused reports whether Procore answered err with a refusal (4xx), which
// means nothing was written.
func refused(err error) bool {
	s := statusOf(err)
	return s >= 400 && s < 500 && s != http.StatusRequestTimeout && s != http.StatusTooManyRequests
}

func orBy(by string) string {
	if by == "" {
		return "an admin"
	}
	return by
}
