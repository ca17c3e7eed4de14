package provision

import (
	"context"
	"fmt"

	"procsync/sync/procore"
	"procsync/sync/roster"
)

// InterruptedText is the outcome error of an intent an interrupted run left
// pending whose effect is not in Procore.
const InterruptedText = "interrupted; not applied — will be planned again"

// ReconcileResult says what Reconcile found.
type ReconcileResult struct {
	// Resolved are the pending intents Reconcile settled, each with its
	// outcome.
	Resolved []roster.Record
	// Memberships are the project memberships of earlier runs that
	// Reconcile settled: added now or found already there (done), still
	// failing (failed; the next run tries again), or no longer wanted
	// (skipped).
	Memberships []roster.Record
}

// MembershipsNotAdded returns the memberships that are still failing.
func (r *ReconcileResult) MembershipsNotAdded() []roster.Record {
	var out []roster.Record
	for _, m := range r.Memberships {
		if m.Status == roster.StatusFailed {
			out = append(out, m)
		}
	}
	return out
}

// ReconcileOptions configure Reconcile.
type ReconcileOptions struct {
	// ProjectIDs are the projects new users are added to now; an open
	// membership of a project no longer listed is skipped, not added.
	ProjectIDs           []int64
	PermissionTemplateID int64
	// Projects are the [[projects]] rules: an open membership of a
	// project one of them names is added with that rule's template.
	Projects []roster.ProjectRule
}

// Created returns the Procore ids of creates that turned out to be done:
// their project memberships may not have been added yet.
func (r *ReconcileResult) Created() []int64 {
	var ids []int64
	for _, x := range r.Resolved {
		if x.Kind == roster.KindCreate && x.Status == roster.StatusDone && x.ProcoreID != 0 {
			ids = append(ids, x.ProcoreID)
		}
	}
	return ids
}

// Reconcile resolves the intents that an interrupted run (a crash, a
// SIGKILL, a reboot) left pending: it re-reads the Procore directory and
// records each as done, with its Procore id, when its effect is there
// (matched by origin_id, address or id), and as failed (InterruptedText)
// otherwise, so that the next plan sees the truth. It never writes a user
// to Procore, so it can never create a person twice.
//
// Then it settles the project memberships earlier runs owe (journaled as
// KindProjectAdd and planned, pending or failed): those already in the
// project are done, the others are added in bulk now. A membership that
// fails again is journaled failed and tried by the next run; it is not an
// error of Reconcile, which must not stop the run. Call it before planning.
func Reconcile(ctx context.Context, j ReconcileJournal, pc *procore.Client, opts ReconcileOptions) (*ReconcileResult, error) {
	res := &ReconcileResult{}
	all, err := j.Unfinished(ctx)
	if err != nil {
		return res, fmt.Errorf("reconcile: %w", err)
	}
	// Pending memberships are settled with the other open ones below.
	var pending []roster.Record
	for _, in := range all {
		if in.Kind != roster.KindProjectAdd {
			pending = append(pending, in)
		}
	}
	open, err := j.OpenProjectAdds(ctx)
	if err != nil {
		return res, fmt.Errorf("reconcile: %w", err)
	}
	if len(pending) == 0 && len(open) == 0 {
		return res, nil
	}
	// The directory is needed for the users, and for memberships whose
	// user id the interrupted run never learned.
	var dir *directory
	needDir := len(pending) > 0
	for _, in := range open {
		needDir = needDir || in.ProcoreID == 0
	}
	if needDir {
		users, err := pc.Users(ctx, nil)
		if err != nil {
			return res, fmt.Errorf("reconcile %d interrupted actions and %d project memberships: read the Procore directory: %w", len(pending), len(open), err)
		}
		dir = newDirectory(users)
	}
	for _, in := range pending {
		o := roster.Record{ID: in.ID, Status: roster.StatusFailed, Error: InterruptedText}
		if id, ok := dir.effect(in); ok {
			o = roster.Record{ID: in.ID, Status: roster.StatusDone, ProcoreID: id}
		}
		if err := j.ResolvePending(ctx, o); err != nil {
			return res, fmt.Errorf("reconcile %s %s: %w", in.Kind, in.Address, err)
		}
		in.Settle(o)
		res.Resolved = append(res.Resolved, in)
	}
	if err := reconcileMemberships(ctx, j, pc, dir, open, opts, res); err != nil {
		return res, err
	}
	return res, nil
}

// reconcileMemberships retries the open memberships and journals their
// outcomes in one transaction.
func reconcileMemberships(ctx context.Context, j ReconcileJournal, pc *procore.Client, dir *directory, open []roster.Record, opts ReconcileOptions, res *ReconcileResult) error {
	if len(open) == 0 {
		return nil
	}
	ms := make([]*membership, len(open))
	var send []*membership
	var ids []int64
	for i, in := range open {
		m := &membership{Record: in}
		m.Status, m.Error, m.RequestID = "", "", ""
		ms[i] = m
		if m.ProcoreID == 0 && dir != nil {
			m.ProcoreID, _ = dir.effect(roster.Record{Kind: roster.KindCreate, Address: in.Address, EntraID: in.EntraID})
		}
		var wanted bool
		m.TemplateID, wanted = opts.template(m.ProjectID)
		switch {
		case !wanted:
			m.Status, m.Error = roster.StatusSkipped, fmt.Sprintf("not added: project %d is no longer in procore.project_ids or a [[projects]] rule", m.ProjectID)
		case m.ProcoreID == 0:
			m.Status, m.Error = roster.StatusSkipped, "not added: the user was not created"
		default:
			send = append(send, m)
			ids = append(ids, m.ID)
		}
	}
	// Pending while the request is out, like any write; failed ones stay
	// failed, which the next run retries just the same.
	if err := j.MarkPending(ctx, ids); err != nil {
		return fmt.Errorf("reconcile: journal %d project memberships as pending: %w", len(ids), err)
	}
	addMemberships(ctx, pc, send, true, 1)
	if err := j.RecordOutcomes(ctx, membershipOutcomes(ms)); err != nil {
		return fmt.Errorf("reconcile: journal %d project membership outcomes: %w", len(ms), err)
	}
	for _, m := range ms {
		res.Memberships = append(res.Memberships, m.Record)
	}
	return nil
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
func (d *directory) effect(in roster.Record) (int64, bool) {
	switch in.Kind {
	case roster.KindCreate:
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
	case roster.KindReactivate:
		if u := d.byID[in.ProcoreID]; u != nil && u.IsActive {
			return u.ID, true
		}
	case roster.KindOffboard:
		if u := d.byID[in.ProcoreID]; u != nil && !u.IsActive {
			return u.ID, true
		}
	case roster.KindUpdate:
		if u := d.byID[in.ProcoreID]; u != nil && u.FirstName == in.FirstName && u.LastName == in.LastName {
			return u.ID, true
		}
	case roster.KindLink:
		if u := d.byID[in.ProcoreID]; u != nil && in.EntraID != "" && string(u.OriginID) == in.EntraID {
			return u.ID, true
		}
	}
	return 0, false
}
