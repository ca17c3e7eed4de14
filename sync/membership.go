package sync

import (
	"context"
	"fmt"

	"procsync/sync/procore"
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
	Status    Status
	Error     string
	RequestID string
	// recorded is set once Apply has journaled the outcome.
	recorded bool
}

// Intent returns the journal intent of the membership with status.
func (m *MembershipResult) Intent(status Status) Intent {
	return Intent{
		Kind: KindProjectAdd, Address: m.Address, EntraID: m.EntraID, FirstName: m.FirstName, LastName: m.LastName,
		Reason: fmt.Sprintf("new user: add to project %d", m.ProjectID), ProcoreID: m.UserID, ProjectID: m.ProjectID, Status: status,
	}
}

func (m *MembershipResult) outcome() Outcome {
	return Outcome{ID: m.JournalID, Status: m.Status, ProcoreID: m.UserID, Error: m.Error, RequestID: m.RequestID}
}

func (m *MembershipResult) fail(msg, requestID string) {
	m.Status, m.RequestID = StatusFailed, requestID
	m.Error = fmt.Sprintf("procore: add %s (user %d) to project %d: %s", m.Address, m.UserID, m.ProjectID, msg)
}

// membershipOutcomes returns the journal outcomes of memberships that
// have a journal id and a status.
func membershipOutcomes(ms []*MembershipResult) []Outcome {
	var out []Outcome
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
				m.Status, m.Error, m.RequestID = StatusDone, "", ""
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
			m.Status, m.Error, m.RequestID = StatusDone, "", ""
			continue
		}
		rest = append(rest, m)
	}
	return rest
}
