package store

import (
	"context"

	"procsync/sync/provision"
	"procsync/sync/roster"
)

// Journal is the store seen through provision.Journal and provision.ReconcileJournal:
// the interfaces provision.Apply and provision.Reconcile write to, in roster's own
// types (provision cannot import store, which imports provision).
type Journal struct {
	s     *Store
	runID int64
}

var (
	_ provision.Journal          = (*Journal)(nil)
	_ provision.ReconcileJournal = (*Journal)(nil)
)

// Journal returns the journal of run runID. Intents are recorded under that
// run, and pending actions of earlier runs that Reconcile resolves are
// marked as resolved by it (runID 0: by no run in particular).
func (s *Store) Journal(runID int64) *Journal { return &Journal{s: s, runID: runID} }

// RecordIntents implements provision.Journal.
func (j *Journal) RecordIntents(ctx context.Context, intents []roster.Intent) ([]int64, error) {
	in := make([]Intent, len(intents))
	for i, x := range intents {
		in[i] = Intent{
			Kind: x.Kind, Address: x.Address, EntraID: x.EntraID, FirstName: x.FirstName, LastName: x.LastName,
			Reason: x.Reason, ProcoreID: x.ProcoreID, ProjectID: x.ProjectID, Status: x.Status,
		}
	}
	return j.s.RecordIntents(ctx, j.runID, in)
}

// MarkPending implements provision.Journal.
func (j *Journal) MarkPending(ctx context.Context, ids []int64) error {
	return j.s.MarkPending(ctx, ids)
}

// RecordOutcomes implements provision.Journal.
func (j *Journal) RecordOutcomes(ctx context.Context, outcomes []roster.Outcome) error {
	out := make([]ActionOutcome, len(outcomes))
	for i, o := range outcomes {
		out[i] = ActionOutcome{ActionID: o.ID, Outcome: outcomeOf(o)}
	}
	return j.s.RecordOutcomes(ctx, out)
}

// Unfinished implements provision.ReconcileJournal.
func (j *Journal) Unfinished(ctx context.Context) ([]roster.Intent, error) {
	ps, err := j.s.Unfinished(ctx)
	if err != nil {
		return nil, err
	}
	return syncIntents(ps), nil
}

// OpenProjectAdds implements provision.ReconcileJournal.
func (j *Journal) OpenProjectAdds(ctx context.Context) ([]roster.Intent, error) {
	ps, err := j.s.OpenProjectAdds(ctx)
	if err != nil {
		return nil, err
	}
	return syncIntents(ps), nil
}

func syncIntents(ps []PendingAction) []roster.Intent {
	out := make([]roster.Intent, len(ps))
	for i, p := range ps {
		out[i] = roster.Intent{
			ID: p.ID, RunID: p.RunID, Kind: p.Kind, Address: p.Address, EntraID: p.EntraID,
			FirstName: p.FirstName, LastName: p.LastName, Reason: p.Reason, ProcoreID: p.ProcoreID,
			ProjectID: p.ProjectID, Status: p.Status,
		}
	}
	return out
}

// ResolvePending implements provision.ReconcileJournal.
func (j *Journal) ResolvePending(ctx context.Context, o roster.Outcome) error {
	return j.s.ResolvePending(ctx, j.runID, o.ID, outcomeOf(o))
}

func outcomeOf(o roster.Outcome) Outcome {
	return Outcome{Status: o.Status, ProcoreID: o.ProcoreID, Error: o.Error, RequestID: o.RequestID}
}
