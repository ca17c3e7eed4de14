package provision

import (
	"context"
	"fmt"
	"strings"

	"procsync/sync/procore"
	"procsync/sync/roster"
)

// MembershipResult is the outcome of one project membership of a user
// procsync created: the user added to one configured project.
type MembershipResult struct {
	// JournalID is the KindProjectAdd intent's id; 0 without a journal.
	JournalID int64
	UserID    int64
	ProjectID int64
	Address   string
	FirstName string
	LastName  string
	EntraID   string
	// Status is done (added, or already a member), failed (a later run
	// retries it) or skipped (the user was not created, or the project is
	// no longer configured).
	Status    roster.Status
	Error     string
	RequestID string
	// recorded is set once Apply has journaled the outcome.
	recorded bool
}

// Intent returns the journal intent of the membership with status.
func (m *MembershipResult) Intent(status roster.Status) roster.Record {
	return roster.Record{
		Kind: roster.KindProjectAdd, Address: m.Address, EntraID: m.EntraID, FirstName: m.FirstName, LastName: m.LastName,
		Reason: fmt.Sprintf("new user: add to project %d", m.ProjectID), ProcoreID: m.UserID, ProjectID: m.ProjectID, Status: status,
	}
}

func (m *MembershipResult) outcome() roster.Record {
	return roster.Record{ID: m.JournalID, Status: m.Status, ProcoreID: m.UserID, Error: m.Error, RequestID: m.RequestID}
}

func (m *MembershipResult) fail(msg, requestID string) {
	m.Status, m.RequestID = roster.StatusFailed, requestID
	m.Error = fmt.Sprintf("procore: add %s (user %d) to project %d: %s", m.Address, m.UserID, m.ProjectID, msg)
}

// membershipOutcomes returns the journal outcomes of memberships that
// have a journal id and a status.
func membershipOutcomes(ms []*MembershipResult) []roster.Record {
	var out []roster.Record
	for _, m := range ms {
		if m.JournalID != 0 && m.Status != "" {
			out = append(out, m.outcome())
		}
	}
	return out
}

type membershipKey struct{ user, project int64 }

// addMemberships adds users to projects in bulk requests and sets each
// membership's Status from Procore's answer: "success" is done, "failure"
// is failed with the reason the client gives (a later run retries it).
// Only a membership the answer does not mention is settled by reading the
// project's directory. With checkFirst the projects' directories are read
// first and members are done without a request (a retry whose earlier
// attempt landed). Failures are per membership; nothing here stops the
// caller.
func addMemberships(ctx context.Context, pc *procore.Client, ms []*MembershipResult, templateID int64, checkFirst bool) {
	if len(ms) == 0 {
		return
	}
	todo := ms
	if checkFirst {
		todo = markMembers(ctx, pc, ms)
	}
	byKey := make(map[membershipKey]*MembershipResult, len(todo))
	for _, m := range todo {
		byKey[membershipKey{m.UserID, m.ProjectID}] = m
	}
	var unsure []*MembershipResult
	for start := 0; start < len(todo); start += maxBulkAdd {
		part := todo[start:min(start+maxBulkAdd, len(todo))]
		as := make([]procore.ProjectAssignment, len(part))
		for i, m := range part {
			as[i] = procore.ProjectAssignment{UserID: m.UserID, ProjectID: m.ProjectID, PermissionTemplateID: templateID}
		}
		res, err := pc.BulkAddToProjects(ctx, as)
		if err != nil {
			for _, m := range part {
				m.fail(err.Error(), requestIDOf(err))
			}
			continue
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
		for _, a := range res.Unanswered {
			if m := byKey[membershipKey{a.UserID, a.ProjectID}]; m != nil {
				m.fail("Procore answered the bulk add without an entry for this membership", reqID)
				unsure = append(unsure, m)
			}
		}
	}
	if len(unsure) > 0 {
		markMembers(ctx, pc, unsure)
	}
}

// markMembers reads the directory of each project in ms once and marks
// done the memberships that already exist. It returns the others. A
// project whose directory cannot be read leaves its memberships as they
// are: sending the add again is harmless.
func markMembers(ctx context.Context, pc *procore.Client, ms []*MembershipResult) []*MembershipResult {
	members := map[int64]map[int64]bool{}
	var rest []*MembershipResult
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
		if set[m.UserID] {
			m.Status, m.Error, m.RequestID = roster.StatusDone, "", ""
			continue
		}
		rest = append(rest, m)
	}
	return rest
}

// addNewUsersToProjects adds the users created by this apply to the
// configured projects in bulk, journaling each membership's outcome. A
// membership that fails stays open in the journal for the next run; the
// returned error is only the journal's.
func (ap *applier) addNewUsersToProjects(items []*applyItem) error {
	var send []*MembershipResult
	for _, it := range items {
		for _, m := range it.adds {
			if it.res.Status == roster.StatusDone && it.res.ProcoreID != 0 {
				m.UserID = it.res.ProcoreID
				send = append(send, m)
			}
		}
	}
	if len(send) == 0 {
		return nil
	}
	if ap.opts.Journal != nil {
		ids := make([]int64, len(send))
		for i, m := range send {
			ids[i] = m.JournalID
		}
		if err := ap.opts.Journal.MarkPending(ap.journalCtx(), ids); err != nil {
			return fmt.Errorf("apply: journal %d project memberships as pending: %w", len(ids), err)
		}
	}
	addMemberships(ap.ctx, ap.pc, send, ap.opts.PermissionTemplateID, false)
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
				m.UserID = it.res.ProcoreID
				m.Status, m.Error = roster.StatusFailed, why
			} else {
				m.Status, m.Error = roster.StatusSkipped, "not added: the user was not created"
			}
		}
	}
	if err := ap.recordMemberships(items); err != nil {
		ap.res.ProjectErrors = append(ap.res.ProjectErrors, err.Error())
	}
}

// recordMemberships journals the memberships that have an outcome not yet
// journaled, and notes the failures on the result and on their create.
func (ap *applier) recordMemberships(items []*applyItem) error {
	var out []*MembershipResult
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
