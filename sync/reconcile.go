package sync

import (
	"context"
	"fmt"

	"procsync/sync/procore"
)

// InterruptedText is the outcome error of an intent an interrupted run left
// pending whose effect is not in Procore.
const InterruptedText = "interrupted; not applied — will be planned again"

// Reconciled is one pending intent that Reconcile resolved.
type Reconciled struct {
	Intent
	Status    Status
	ProcoreID int64
}

// ReconcileResult says what Reconcile found.
type ReconcileResult struct {
	Resolved []Reconciled
}

// Created returns the Procore ids of creates that turned out to be done:
// their project memberships may not have been added yet.
func (r *ReconcileResult) Created() []int64 {
	var ids []int64
	for _, x := range r.Resolved {
		if x.Kind == KindCreate && x.Status == StatusDone && x.ProcoreID != 0 {
			ids = append(ids, x.ProcoreID)
		}
	}
	return ids
}

// Reconcile resolves the intents that an interrupted run (a crash, a
// SIGKILL, a reboot) left pending: it re-reads the Procore directory and
// records each as done, with its Procore id, when its effect is there
// (matched by origin_id, address or id), and as failed (InterruptedText)
// otherwise, so that the next plan sees the truth. It never writes to
// Procore, so it can never create a person twice. Call it before planning.
func Reconcile(ctx context.Context, j ReconcileJournal, pc *procore.Client) (*ReconcileResult, error) {
	res := &ReconcileResult{}
	pending, err := j.Unfinished(ctx)
	if err != nil {
		return res, fmt.Errorf("reconcile: %w", err)
	}
	if len(pending) == 0 {
		return res, nil
	}
	users, err := pc.Users(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("reconcile %d interrupted actions: read the Procore directory: %w", len(pending), err)
	}
	dir := newDirectory(users)
	for _, in := range pending {
		o := Outcome{ID: in.ID, Status: StatusFailed, Error: InterruptedText}
		if id, ok := dir.effect(in); ok {
			o = Outcome{ID: in.ID, Status: StatusDone, ProcoreID: id}
		}
		if err := j.ResolvePending(ctx, o); err != nil {
			return res, fmt.Errorf("reconcile %s %s: %w", in.Kind, in.Address, err)
		}
		res.Resolved = append(res.Resolved, Reconciled{Intent: in, Status: o.Status, ProcoreID: o.ProcoreID})
	}
	return res, nil
}

// directory indexes a Procore directory read for finding an action's effect.
type directory struct {
	byID     map[int64]*procore.User
	byOrigin map[string]*procore.User
	byEmail  map[string]*procore.User
}

func newDirectory(users []procore.User) *directory {
	d := &directory{byID: map[int64]*procore.User{}, byOrigin: map[string]*procore.User{}, byEmail: map[string]*procore.User{}}
	for i := range users {
		u := &users[i]
		d.byID[u.ID] = u
		if u.OriginID != "" {
			d.byOrigin[string(u.OriginID)] = u
		}
		d.byEmail[normAddr(u.EmailAddress)] = u
	}
	return d
}

// effect reports whether the intent's change is in the directory, and the
// Procore id of the user it concerns.
func (d *directory) effect(in Intent) (int64, bool) {
	switch in.Kind {
	case KindCreate:
		// origin_id is what procsync writes on every create; an address
		// match without it means somebody else created the person, and
		// the next plan will see them in sync, not create them.
		if in.EntraID != "" {
			if u := d.byOrigin[in.EntraID]; u != nil {
				return u.ID, true
			}
		}
		if u := d.byEmail[normAddr(in.Address)]; u != nil && string(u.OriginID) == in.EntraID {
			return u.ID, true
		}
	case KindReactivate:
		if u := d.byID[in.ProcoreID]; u != nil && u.IsActive {
			return u.ID, true
		}
	case KindOffboard:
		if u := d.byID[in.ProcoreID]; u != nil && !u.IsActive {
			return u.ID, true
		}
	case KindUpdate:
		if u := d.byID[in.ProcoreID]; u != nil && u.FirstName == in.FirstName && u.LastName == in.LastName {
			return u.ID, true
		}
	}
	return 0, false
}
