package sync

import "context"

// Journal is where Apply writes each approved action's intent before its
// request is sent and its outcome after. It is defined here, in sync's own
// terms, because the journal (sync/store) imports sync; store.Journal
// implements it over the SQLite journal.
type Journal interface {
	// RecordIntents records intents for the current run in one transaction
	// and returns their ids in the same order.
	RecordIntents(ctx context.Context, intents []Intent) ([]int64, error)
	// MarkPending turns planned intents into pending ones just before their
	// request is sent: once it returns, a crash leaves them for Reconcile.
	MarkPending(ctx context.Context, ids []int64) error
	// RecordOutcomes records the outcomes of a batch in one transaction.
	RecordOutcomes(ctx context.Context, outcomes []Outcome) error
}

// KindProjectAdd is the journal-only kind of one project membership: a user
// created by Apply being added to one configured project. It is never in a
// plan (and not in Kinds); Apply journals one per new user and project, with
// the create's intents, so that a membership whose add failed or was
// interrupted stays open in the journal until a later run adds it.
const KindProjectAdd Kind = "project_add"

// ReconcileJournal is the part of the journal Reconcile needs: the intents
// an interrupted run left pending, the project memberships not added yet,
// and ways to resolve them.
type ReconcileJournal interface {
	// Unfinished returns every pending intent from any run, oldest first.
	Unfinished(ctx context.Context) ([]Intent, error)
	// ResolvePending records the outcome of a pending intent found by
	// reconciling it. It fails if the intent is no longer pending.
	ResolvePending(ctx context.Context, o Outcome) error
	// OpenProjectAdds returns the KindProjectAdd intents of any run that
	// are planned, pending or failed, oldest first.
	OpenProjectAdds(ctx context.Context) ([]Intent, error)
	// MarkPending turns planned intents into pending ones.
	MarkPending(ctx context.Context, ids []int64) error
	// RecordOutcomes records outcomes in one transaction; an outcome may
	// replace a failed one but never a done one.
	RecordOutcomes(ctx context.Context, outcomes []Outcome) error
}

// Intent is one action as the journal records it.
type Intent struct {
	// ID is the journal's id; set by RecordIntents and by Unfinished.
	ID int64
	// RunID is the run the intent belongs to (set by Unfinished).
	RunID     int64
	Kind      Kind
	Address   string
	EntraID   string
	FirstName string
	LastName  string
	Reason    string
	// ProcoreID is known at intent time for reactivate, update and offboard;
	// for a create and a project_add it is filled in by the outcome.
	ProcoreID int64
	// ProjectID is the project of a KindProjectAdd intent; 0 otherwise.
	ProjectID int64
	// Status is StatusPlanned (approved and about to be sent, or listed
	// only), StatusSkipped, or empty for pending.
	Status Status
}

// Outcome is what happened to one journaled intent.
type Outcome struct {
	ID        int64
	Status    Status
	ProcoreID int64
	// Error is operator-facing text; never a token or secret.
	Error     string
	RequestID string
}

// IntentOf converts a plan action into a journal intent with status.
func IntentOf(a *Action, status Status) Intent {
	in := Intent{Kind: a.Kind, Address: a.Address, FirstName: a.FirstName, LastName: a.LastName, Reason: a.Reason, Status: status}
	if a.Member != nil {
		in.EntraID = a.Member.ID
	}
	if u := a.User; u != nil {
		in.ProcoreID = u.ID
		// Offboard actions carry no names of their own; the journal should
		// still say who was deactivated.
		if in.FirstName == "" && in.LastName == "" {
			in.FirstName, in.LastName = u.FirstName, u.LastName
		}
	}
	return in
}
