package engine

import "procsync/sync/roster"

// listedRecord is the journal record of a listed row that is not applied.
// A project_add row is journaled skipped rather than planned: Reconcile
// adds every planned project membership it finds open (those a create
// carries are planned until the user exists), and nobody approved this
// one. The next plan proposes it again while the person is still off the
// project.
func listedRecord(a *roster.Action, status roster.Status) roster.Record {
	if a.Kind == roster.KindProjectAdd && status == roster.StatusPlanned {
		status = roster.StatusSkipped
	}
	return roster.RecordOf(a, status)
}
