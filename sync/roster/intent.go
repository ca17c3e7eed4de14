package roster

// KindLink is the journal-only kind of a link: an admin told procsync which
// Procore user a member is, and procsync wrote the member's Entra object id
// as that user's origin_id (provision.Link). It is never in a plan (and not
// in Kinds): it is not a change Diff proposes but the resolution of a
// conflict, and from then on Diff matches the member by origin_id first. A
// kind of its own, rather than an update with a reason, keeps history and
// Reconcile from mistaking it for a name update.
const KindLink Kind = "link"

// Record is one person's action as everything after the plan sees it: the
// intent Apply journals before sending a request, the outcome it records
// after, and the row the journal hands back to reconcile and history. It is
// the one type for an action's life so that the journal, the report and the
// faces never convert between copies that drift apart.
//
// An intent fills the who and what (Kind to ProjectID) and Status; an
// outcome fills ID, Status, ProcoreID, Error and RequestID. While a plan is
// applied, Index ties the record to its action.
type Record struct {
	// ID is the journal's id; set by RecordIntents and by Unfinished.
	ID int64
	// Index is the action's index in the applied plan's Actions, in
	// Apply's results and progress; it is not journaled.
	Index int
	// RunID is the run the record belongs to (set when read back).
	RunID     int64
	Kind      Kind
	Address   string
	EntraID   string
	FirstName string
	LastName  string
	Reason    string
	// ProcoreID is known at intent time for reactivate, update and offboard;
	// for a create and a project_add it is filled in by the outcome (an
	// outcome's non-zero ProcoreID replaces the intent's).
	ProcoreID int64
	// ProjectID is the project of a KindProjectAdd record; 0 otherwise.
	ProjectID int64
	// Status of an intent is StatusPlanned (approved and about to be sent,
	// or listed only), StatusSkipped, or empty for pending; of an outcome
	// StatusDone, StatusFailed or StatusSkipped.
	Status Status
	// Error is operator-facing text; never a token or secret (the journal
	// is read by `history`).
	Error string
	// RequestID is the service's request id, for support cases.
	RequestID string
}

// RecordOf converts a plan action into a journal intent with status.
func RecordOf(a *Action, status Status) Record {
	in := Record{Kind: a.Kind, Address: a.Address, FirstName: a.FirstName, LastName: a.LastName, Reason: a.Reason, Status: status}
	if a.Member != nil {
		in.EntraID = a.Member.ID
	}
	if a.Project != nil {
		in.ProjectID = a.Project.ProjectID
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

// Settle records outcome o on the intent r: its status, error and request
// id, and its Procore id when o knows one (a create learns it only then).
// The journal applies the same rule in SQL.
func (r *Record) Settle(o Record) {
	r.Status, r.Error, r.RequestID = o.Status, o.Error, o.RequestID
	if o.ProcoreID != 0 {
		r.ProcoreID = o.ProcoreID
	}
}
