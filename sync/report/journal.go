package report

import (
	"fmt"

	"procsync/sync"
	"procsync/sync/store"
)

// FromJournal builds a report Run from a run read back from the journal, for
// `procsync history` and for re-sending a report. The journal does not keep
// the company's name or a brake's limits; set CompanyName and Held on the
// result when they are known. Pending actions (an interrupted run) are shown
// as failed with an explanation, since nobody knows yet whether they
// happened.
func FromJournal(d *store.RunDetail) Run {
	run := Run{
		ID:          d.ID,
		Started:     d.Started,
		Finished:    d.Ended,
		Mode:        string(d.Mode),
		ApprovedBy:  d.ApprovedBy,
		Environment: d.Environment,
		CompanyID:   d.CompanyID,
		Fingerprint: d.Fingerprint,
		DryRun:      d.DryRun,
		Plan:        d.Counts,
		Error:       d.Error,
		Rows:        make([]Row, 0, len(d.Actions)),
	}
	for _, a := range d.Actions {
		r := Row{
			Kind: a.Kind, Email: a.Address, FirstName: a.FirstName, LastName: a.LastName, EntraID: a.EntraID,
			ProcoreID: a.ProcoreID, Status: a.Status, Reason: a.Reason, Error: a.Error, ProjectID: a.ProjectID,
		}
		if a.Status == store.StatusPending {
			r.Status = sync.StatusFailed
			if r.Error == "" {
				r.Error = "interrupted: the request may or may not have reached Procore; the next run reconciles it"
				if a.Kind == sync.KindProjectAdd {
					r.Error = fmt.Sprintf("interrupted while adding to project %d; the next run adds the membership", a.ProjectID)
				}
			}
		}
		if a.Kind == sync.KindProjectAdd && a.Status == sync.StatusPlanned && !d.DryRun {
			// A membership journaled with its create but never sent: the
			// run stopped first. It is owed, not merely planned.
			r.Status = sync.StatusFailed
			if r.Error == "" {
				r.Error = fmt.Sprintf("not sent to project %d: the run stopped first; the next run adds the membership", a.ProjectID)
			}
		}
		run.Rows = append(run.Rows, r)
	}
	return run
}
