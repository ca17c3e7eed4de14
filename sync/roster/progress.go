package roster

// ProgressKind says what a SnapshotProgress event is about.
type ProgressKind string

// The progress event kinds.
const (
	// ProgressGroups: the license groups are resolved; Groups says how many.
	ProgressGroups ProgressKind = "groups"
	// ProgressMembers: a page of one group's members was read.
	ProgressMembers ProgressKind = "members"
	// ProgressProcore: a page of the Procore directory was read.
	ProgressProcore ProgressKind = "procore"
)

// SnapshotProgress is one progress event of a snapshot (provision.TakeSnapshot).
// It lives in the domain so that the UI can show progress without
// importing the package that talks to the APIs.
type SnapshotProgress struct {
	Kind ProgressKind
	// Groups is the number of groups resolved (ProgressGroups).
	Groups int
	// Group is the display name of the group being read (ProgressMembers).
	Group string
	// Read is the number of members of Group, or of Procore users, read so
	// far; Total the number expected, -1 while unknown.
	Read, Total int
}

// ApplyProgress is one approved action's outcome as Apply reports it while
// it runs (the TUI's apply screen, the --auto progress line).
type ApplyProgress struct {
	// Record is the outcome; its Index is the action's in the plan.
	Record
	// Done of Total approved actions have an outcome.
	Done, Total int
	// RateLimitRemaining and RateLimitLimit are Procore's request budget as
	// last announced by its headers; 0/0 means unknown.
	RateLimitRemaining, RateLimitLimit int
}
