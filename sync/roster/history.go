package roster

import "time"

// The journal's history as the faces show it: the TUI's History screen and
// the report's "Last 7 runs" line. The journal (sync/store) fills these; the
// UI and the report only read them, so neither needs the journal's types.

// DayCounts is one day of the history chart: what the runs that started that
// day did. Only done actions count as created, reactivated or updated;
// Failed counts failed actions of any kind.
type DayCounts struct {
	// Day is midnight of the day in the time zone the counts were grouped
	// in (the machine's own for the TUI).
	Day         time.Time
	Created     int
	Reactivated int
	Updated     int
	Failed      int
}

// Total is the number of actions the day counts.
func (d DayCounts) Total() int { return d.Created + d.Reactivated + d.Updated + d.Failed }

// RunSummary is one run in a few numbers: when, how, what it changed and
// how it ended.
type RunSummary struct {
	ID      int64
	Started time.Time
	// Mode is "tui" or "auto".
	Mode   string
	DryRun bool
	// Created, Reactivated, Updated, Deactivated (offboard) and
	// AddedToProjects (project_add) count done actions of each kind;
	// Failed counts failed actions of any kind.
	Created         int
	Reactivated     int
	Updated         int
	Deactivated     int
	AddedToProjects int
	Failed          int
	// Actions counts the run's journaled actions of every kind and status.
	Actions int
	// Outcome is how the run ended: running, done, failed, refused or
	// interrupted.
	Outcome string
}

// History is what the TUI's History screen lists: the per-day counts of the
// last days, oldest first and one entry per day (zeros included), and the
// summaries of that period's runs, newest first. A run's actions are read
// apart, when the admin opens it: a month of runs can hold millions.
type History struct {
	Days []DayCounts
	Runs []RunSummary
}
