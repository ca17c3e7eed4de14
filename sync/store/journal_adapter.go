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
func (j *Journal) RecordIntents(ctx context.Context, intents []roster.Record) ([]int64, error) {
	return j.s.RecordIntents(ctx, j.runID, intents)
}

// MarkPending implements provision.Journal.
func (j *Journal) MarkPending(ctx context.Context, ids []int64) error {
	return j.s.MarkPending(ctx, ids)
}

// RecordOutcomes implements provision.Journal.
func (j *Journal) RecordOutcomes(ctx context.Context, outcomes []roster.Record) error {
	return j.s.RecordOutcomes(ctx, outcomes)
}

// Unfinished implements provision.ReconcileJournal.
func (j *Journal) Unfinished(ctx context.Context) ([]roster.Record, error) {
	ps, err := j.s.Unfinished(ctx)
	return records(ps), err
}

// OpenProjectAdds implements provision.ReconcileJournal.
func (j *Journal) OpenProjectAdds(ctx context.Context) ([]roster.Record, error) {
	ps, err := j.s.OpenProjectAdds(ctx)
	return records(ps), err
}

// records drops the run details that only history shows.
func records(ps []PendingAction) []roster.Record {
	if ps == nil {
		return nil
	}
	out := make([]roster.Record, len(ps))
	for i, p := range ps {
		out[i] = p.Record
	}
	return out
}

// ResolvePending implements provision.ReconcileJournal.
func (j *Journal) ResolvePending(ctx context.Context, o roster.Record) error {
	return j.s.ResolvePending(ctx, j.runID, o)
}
