package roster

import "time"

// Member is one Entra ID user who is a member of at least one license group,
// in procsync's own terms (converted from Graph's types).
type Member struct {
	// ID is the Entra object id. It becomes the Procore origin_id, so that a
	// retried create updates instead of duplicating.
	ID                string
	GivenName         string
	Surname           string
	DisplayName       string
	UserPrincipalName string
	// Mail may be empty: Graph returns null for users without a mailbox.
	Mail string
	// ProxyAddresses are raw values as Graph returns them ("SMTP:a@x", "smtp:b@x").
	ProxyAddresses []string
	AccountEnabled bool
	// UserType is "Member" or "Guest".
	UserType string
	// Groups are the display names of the license groups the member came
	// from, sorted; a member in three groups is still one Member.
	Groups []string
	// Attributes are the mapped Entra properties that are set, by property
	// name ("jobTitle"; businessPhones holds its first entry). Only the
	// properties of the [map] table are read.
	Attributes map[string]string

	// prepared is set by PrepareAddresses.
	prepared *preparedAddress
}

// Vendor is the Procore vendor (company) a user belongs to, if any.
type Vendor struct {
	ID   int64
	Name string
}

// ProcoreUser is one user of the Procore company directory, active or inactive.
type ProcoreUser struct {
	ID         int64
	FirstName  string
	LastName   string
	Email      string
	IsActive   bool
	IsEmployee bool
	JobTitle   string
	EmployeeID string
	// OriginID is set by procsync to the Entra object id on creation.
	OriginID  string
	Vendor    *Vendor
	CreatedAt time.Time
	UpdatedAt time.Time
	// Attributes are the mappable fields (ProcoreFields) that are set, by
	// field name ("job_title").
	Attributes map[string]string
}

// Group is a license group that the snapshot resolved.
type Group struct {
	ID          string
	DisplayName string
	// MatchedBy says which configured rule selected the group, for example
	// `name prefix "License – Microsoft"` or `sku SPE_E3`.
	MatchedBy string
	// MemberCount is the number of user members read.
	MemberCount int
}

// Snapshot is a complete read of both sides at one moment. It is never
// partial: Snapshot returns an error rather than a truncated read.
type Snapshot struct {
	Groups []Group
	// Members holds each person once, however many groups they are in.
	Members []Member
	// Users holds the whole Procore company directory, active and inactive.
	Users   []ProcoreUser
	TakenAt time.Time
	// Ignored are the people an admin told procsync to leave alone (the
	// journal's ignore list, loaded by the engine with the snapshot): Diff
	// classifies a member who is on it as excluded, with who and why.
	Ignored []Ignore
	// Projects are the users of every project a [[projects]] rule names,
	// read with the rest, so that the plan adds nobody twice.
	Projects []ProjectDirectory
}

// Kind is what a plan does with one person.
type Kind string

// The action kinds, in the order a plan lists them.
const (
	KindCreate     Kind = "create"
	KindReactivate Kind = "reactivate"
	KindUpdate     Kind = "update"
	KindOffboard   Kind = "offboard"
	KindConflict   Kind = "conflict"
	KindExcluded   Kind = "excluded"
	KindInSync     Kind = "in_sync"
)

// Kinds lists every kind in plan order.
var Kinds = []Kind{KindCreate, KindReactivate, KindUpdate, KindOffboard, KindProjectAdd, KindConflict, KindExcluded, KindInSync}

// Status is the outcome of one action.
type Status string

// Action statuses, as the journal, the report and `--auto --json` name them.
const (
	StatusPlanned Status = "planned"
	StatusDone    Status = "done"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
)

// Action is one person's line in a plan.
type Action struct {
	Kind Kind
	// Address is the normalised (trimmed, lower-case) address the action is
	// about: the one it matched on, or the one it would create.
	Address string
	// Member is nil for offboard actions and for Procore duplicates.
	Member *Member
	// User is the matched Procore user; nil for creates.
	User *ProcoreUser
	// FirstName and LastName are what a create or update would write.
	FirstName string
	LastName  string
	// Reason says why, in words an admin understands.
	Reason string
	// Approved is the per-action approval state set by the TUI or by --auto.
	Approved bool
	// Candidates are, for a conflict, the Procore users it is about (sorted
	// by id): the ones the operator may pick from to link this member to.
	// Nil for every other kind.
	Candidates []*ProcoreUser
	// Attributes are the mapped fields a create or update writes: for a
	// create every mapped value that is set, for an update the ones that
	// differ (old → new). Nil without a [map] table.
	Attributes []AttributeChange
	// Project is, for a project_add row, the project and template the
	// person is added to; nil for every other kind.
	Project *ProjectAdd
}

// Counts holds the number of actions of each kind.
type Counts map[Kind]int

// Plan is the outcome of Diff: one action per person, sorted by kind then address.
type Plan struct {
	Actions []Action
	Counts  Counts
	// Fingerprint is a hash of the inputs that mattered, quoted by the
	// journal and the report.
	Fingerprint string
	// Rules are the rules Diff planned under; approval consults them (an
	// offboard action is approvable only when they deactivate).
	Rules Rules
}
