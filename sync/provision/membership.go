package provision

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"procsync/sync/procore"
	"procsync/sync/roster"
)

// membership is one project membership of a user procsync created (the
// user added to one configured project) while it is added: a
// KindProjectAdd record whose ID is its journal intent's and whose
// ProcoreID is the user's. Its Status is done (added, or already a member),
// failed (a later run retries it) or skipped (the user was not created, or
// the project is no longer configured).
type membership struct {
	roster.Record
	// TemplateID is the permission template the add sends (0: the
	// project's default). It is not journaled: Reconcile takes it from
	// the configuration of the run that retries the add.
	TemplateID int64
	// recorded is set once Apply has journaled the outcome.
	recorded bool
	// row is the approved project_add row of the plan this membership
	// carries out, if any; its outcome is the membership's.
	row *applyItem
	// after is the reactivation of the (inactive) user this direct
	// membership waits for: it is sent only if that was done.
	after *applyItem
}

// newMembership is the membership of the user a create makes in project,
// with permission template template.
func newMembership(a *roster.Action, project, template int64) *membership {
	m := &membership{TemplateID: template, Record: roster.Record{
		Kind: roster.KindProjectAdd, Address: a.Address, FirstName: a.FirstName, LastName: a.LastName,
		Reason: membershipReason(project), ProjectID: project,
	}}
	if a.Member != nil {
		m.EntraID = a.Member.ID
	}
	return m
}

func membershipReason(project int64) string {
	return fmt.Sprintf("new user: add to project %d", project)
}

func (m *membership) fail(msg, requestID string) {
	m.Status, m.RequestID = roster.StatusFailed, requestID
	m.Error = fmt.Sprintf("procore: add %s (user %d) to project %d: %s", m.Address, m.ProcoreID, m.ProjectID, msg)
}

// membershipOutcomes returns the journal outcomes of memberships that
// have a journal id and a status.
func membershipOutcomes(ms []*membership) []roster.Record {
	var out []roster.Record
	for _, m := range ms {
		if m.ID != 0 && m.Status != "" {
			out = append(out, m.Record)
		}
	}
	return out
}

type membershipKey struct{ user, project int64 }

// addMemberships adds users to projects in bulk requests (each with its
// membership's template), up to inFlight at once, and sets each membership's Status from Procore's answer:
// "success" is done, "failure" is failed with the reason the client gives
// (a later run retries it). Only a membership the answer does not mention
// is settled by reading the project's directory. With checkFirst the
// projects' directories are read first and members are done without a
// request (a retry whose earlier attempt landed). Failures are per
// membership; nothing here stops the caller.
func addMemberships(ctx context.Context, pc *procore.Client, ms []*membership, checkFirst bool, inFlight int) {
	if len(ms) == 0 {
		return
	}
	todo := ms
	if checkFirst {
		todo = markMembers(ctx, pc, ms)
	}
	byKey := make(map[membershipKey]*membership, len(todo))
	for _, m := range todo {
		byKey[membershipKey{m.ProcoreID, m.ProjectID}] = m
	}
	var (
		g      errgroup.Group
		mu     sync.Mutex
		unsure []*membership
	)
	g.SetLimit(max(inFlight, 1))
	for start := 0; start < len(todo); start += maxBulkAdd {
		part := todo[start:min(start+maxBulkAdd, len(todo))]
		g.Go(func() error {
			// Each membership is in one part only, so parts set their
			// own without a lock; only unsure is shared.
			if u := addPart(ctx, pc, part, byKey); len(u) > 0 {
				mu.Lock()
				unsure = append(unsure, u...)
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	if len(unsure) > 0 {
		markMembers(ctx, pc, unsure)
	}
}

// addPart sends one bulk add and settles its memberships from the answer.
// It returns those the answer did not mention.
func addPart(ctx context.Context, pc *procore.Client, part []*membership, byKey map[membershipKey]*membership) []*membership {
	as := make([]procore.ProjectAssignment, len(part))
	for i, m := range part {
		as[i] = procore.ProjectAssignment{UserID: m.ProcoreID, ProjectID: m.ProjectID, PermissionTemplateID: m.TemplateID}
	}
	res, err := pc.BulkAddToProjects(ctx, as)
	if err != nil {
		for _, m := range part {
			m.fail(err.Error(), requestIDOf(err))
		}
		return nil
	}
	reqID := ""
	if len(res.RequestIDs) > 0 {
		reqID = res.RequestIDs[0]
	}
	for _, a := range res.Added {
		if m := byKey[membershipKey{a.UserID, a.ProjectID}]; m != nil {
			m.Status, m.Error, m.RequestID = roster.StatusDone, "", ""
		}
	}
	for _, f := range res.Failed {
		if m := byKey[membershipKey{f.UserID, f.ProjectID}]; m != nil {
			m.fail(f.Reason, reqID)
		}
	}
	var unsure []*membership
	for _, a := range res.Unanswered {
		if m := byKey[membershipKey{a.UserID, a.ProjectID}]; m != nil {
			m.fail("Procore answered the bulk add without an entry for this membership", reqID)
			unsure = append(unsure, m)
		}
	}
	return unsure
}

// markMembers reads the directory of each project in ms once and marks
// done the memberships that already exist. It returns the others. A
// project whose directory cannot be read leaves its memberships as they
// are: sending the add again is harmless.
func markMembers(ctx context.Context, pc *procore.Client, ms []*membership) []*membership {
	members := map[int64]map[int64]bool{}
	var rest []*membership
	for _, m := range ms {
		set, seen := members[m.ProjectID]
		if !seen {
			users, err := pc.ProjectUsers(ctx, m.ProjectID)
			if err == nil {
				set = make(map[int64]bool, len(users))
				for _, u := range users {
					set[u.ID] = true
				}
			}
			members[m.ProjectID] = set
		}
		if set[m.ProcoreID] {
			m.Status, m.Error, m.RequestID = roster.StatusDone, "", ""
			continue
		}
		rest = append(rest, m)
	}
	return rest
}

// addNewUsersToProjects adds the users created by this apply to the
// configured projects, and the existing users of the plan's project_add
// rows to theirs, in bulk, journaling each membership's outcome. A
// membership that fails stays open in the journal for the next run; the
// returned error is only the journal's.
func (ap *applier) addNewUsersToProjects(items []*applyItem) error {
	direct, err := ap.journalDirect()
	if err != nil {
		return err
	}
	var send []*membership
	for _, it := range items {
		for _, m := range it.adds {
			if it.res.Status == roster.StatusDone && it.res.ProcoreID != 0 {
				m.ProcoreID = it.res.ProcoreID
				send = append(send, m)
			}
		}
	}
	if len(send)+len(direct) == 0 {
		return ap.recordMemberships(items)
	}
	if ap.opts.Journal != nil && len(send) > 0 {
		ids := make([]int64, len(send))
		for i, m := range send {
			ids[i] = m.ID
		}
		if err := ap.opts.Journal.MarkPending(ap.journalCtx(), ids); err != nil {
			return fmt.Errorf("apply: journal %d project memberships as pending: %w", len(ids), err)
		}
	}
	send = append(send, direct...)
	addMemberships(ap.ctx, ap.pc, send, false, ap.opts.InFlight)
	return ap.recordMemberships(items)
}

// settleMemberships gives every membership still without an outcome one:
// failed (why) when its user was created, so that the next run adds it,
// and skipped when the user was not.
func (ap *applier) settleMemberships(items []*applyItem, why string) {
	for _, it := range items {
		for _, m := range it.adds {
			if m.Status != "" {
				continue
			}
			if it.res.Status == roster.StatusDone && it.res.ProcoreID != 0 {
				m.ProcoreID = it.res.ProcoreID
				m.Status, m.Error = roster.StatusFailed, why
			} else {
				m.Status, m.Error = roster.StatusSkipped, "not added: the user was not created"
			}
		}
	}
	ap.settleDirect()
	if err := ap.recordMemberships(items); err != nil {
		ap.res.ProjectErrors = append(ap.res.ProjectErrors, err.Error())
	}
}

// recordMemberships journals the memberships that have an outcome not yet
// journaled (those of creates and the direct ones of existing users), and
// notes the failures on the result and on their create.
func (ap *applier) recordMemberships(items []*applyItem) error {
	var out []*membership
	for _, m := range ap.direct {
		if m.Status == "" || m.recorded {
			continue
		}
		out = append(out, m)
		if m.Status == roster.StatusFailed {
			ap.res.ProjectErrors = append(ap.res.ProjectErrors, m.Error)
		}
	}
	for _, it := range items {
		var failed []string
		for _, m := range it.adds {
			if m.Status == "" || m.recorded {
				continue
			}
			out = append(out, m)
			if m.Status == roster.StatusFailed {
				failed = append(failed, fmt.Sprint(m.ProjectID))
				ap.res.ProjectErrors = append(ap.res.ProjectErrors, m.Error)
			}
		}
		if len(failed) > 0 {
			it.res.Error = fmt.Sprintf("created, but not added to project %s (the next run retries)", strings.Join(failed, ", "))
		}
	}
	var err error
	if ap.opts.Journal != nil {
		if outs := membershipOutcomes(out); len(outs) > 0 {
			if err = ap.opts.Journal.RecordOutcomes(ap.journalCtx(), outs); err != nil {
				err = fmt.Errorf("apply: journal %d project membership outcomes: %w", len(outs), err)
			}
		}
	}
	// Marked as journaled (or never to be, on a journal error), so that
	// settleMemberships does not record or count them twice.
	for _, m := range out {
		m.recorded = true
	}
	return err
}

// maxBulkAdd bounds one bulk-add request.
const maxBulkAdd = 1000
