package provision

import (
	"context"

	"procsync/sync/roster"
)

// Journal is where Apply writes each approved action's intent before its
// request is sent and its outcome after. It is defined here, where it is
// used, in roster's terms, so that provision needs no storage: store.Journal
// implements it over the SQLite journal.
type Journal interface {
	// RecordIntents records intents for the current run in one transaction
	// and returns their ids in the same order.
	RecordIntents(ctx context.Context, intents []roster.Record) ([]int64, error)
	// MarkPending turns planned intents into pending ones just before their
	// request is sent: once it returns, a crash leaves them for Reconcile.
	MarkPending(ctx context.Context, ids []int64) error
	// RecordOutcomes records the outcomes of a batch in one transaction.
	RecordOutcomes(ctx context.Context, outcomes []roster.Record) error
}

// ReconcileJournal is the part of the journal Reconcile needs: the intents
// an interrupted run left pending, the project memberships not added yet,
// and ways to resolve them.
type ReconcileJournal interface {
	// Unfinished returns every pending intent from any run, oldest first.
	Unfinished(ctx context.Context) ([]roster.Record, error)
	// ResolvePending records the outcome of a pending intent found by
	// reconciling it. It fails if the intent is no longer pending.
	ResolvePending(ctx context.Context, o roster.Record) error
	// OpenProjectAdds returns the KindProjectAdd intents of any run that
	// are planned, pending or failed, oldest first.
	OpenProjectAdds(ctx context.Context) ([]roster.Record, error)
	// MarkPending turns planned intents into pending ones.
	MarkPending(ctx context.Context, ids []int64) error
	// RecordOutcomes records outcomes in one transaction; an outcome may
	// replace a failed one but never a done one.
	RecordOutcomes(ctx context.Context, outcomes []roster.Record) error
}
