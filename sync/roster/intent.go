package roster

// KindProjectAdd is the journal-only kind of one project membership: a user
// created by Apply being added to one configured project. It is never in a
// plan (and not in Kinds); Apply journals one per new user and project, with
// the create's intents, so that a membership whose add failed or was
// interrupted stays open in the journal until a later run adds it.
const KindProjectAdd Kind = "project_add"

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
