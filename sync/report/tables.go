package report

import (
	"math/bits"
	"strings"

	"procsync/sync/roster"
)

// Column identifies a column of a report table.
type Column string

// The report columns.
const (
	ColName      Column = "Name"
	ColEmail     Column = "Email"
	ColKind      Column = "Action"
	ColProcoreID Column = "Procore ID"
	ColEntraID   Column = "Entra ID"
	ColReason    Column = "Reason"
	ColError     Column = "Error"
	ColProject   Column = "Project"
)

// table is one table of the report; its rows are indexes into the run's
// rows: a big run's 50,000 rows are not copied into its tables (a copy
// took as long as writing the CSV).
type table struct {
	title, note string
	cols        []Column
	// src holds the table's rows; idx, if not nil, picks the table's rows
	// from src, in order.
	src []Row
	idx []int32
}

// len is the table's number of rows.
func (t *table) len() int {
	if t.idx != nil {
		return len(t.idx)
	}
	return len(t.src)
}

// row is the table's j-th row.
func (t *table) row(j int) *Row {
	if t.idx != nil {
		return &t.src[t.idx[j]]
	}
	return &t.src[j]
}

// The tables a run's rows are listed in, after the brake's, in reading
// order.
const (
	tableCreated = iota
	tableReactivated
	tableUpdated
	tableDeactivated
	tableAdded
	tableFailed
	tableSkipped
	tablePlanned
	tableConflicts
	numTables
)

// tables splits a run into the report's tables, in reading order, leaving
// out empty ones: what changed first, then what failed, then what was held
// back or only planned.
func tables(run Run) []table {
	done := []Column{ColName, ColEmail, ColProcoreID}
	specs := [numTables]table{
		tableCreated:     {title: "Created", cols: done},
		tableReactivated: {title: "Reactivated", cols: done},
		tableUpdated:     {title: "Updated", cols: append(done[:len(done):len(done)], ColReason)},
		tableDeactivated: {title: "Deactivated", cols: done},
		tableAdded:       {title: "Added to projects", cols: append(done[:len(done):len(done)], ColProject)},
		tableFailed: {title: "Failed", note: "These were not applied. The next run tries them again.",
			cols: []Column{ColKind, ColName, ColEmail, ColError}},
		tableSkipped: {title: "Skipped", cols: []Column{ColKind, ColName, ColEmail, ColReason}},
		tablePlanned: {title: "Planned, not applied", note: plannedNote(run), cols: []Column{ColKind, ColName, ColEmail, ColReason}},
		tableConflicts: {title: "Conflicts", note: "Ambiguous matches that procsync will not resolve on its own; fix them in Entra ID or Procore.",
			cols: []Column{ColName, ColEmail, ColReason}},
	}
	var out []table
	if run.Held != nil && len(run.Held.Rows) > 0 {
		// The brake's table leads: when a run is refused it is the news.
		out = append(out, table{
			title: "Held back by the brake",
			note:  strings.Join(append(run.Held.Reasons(), run.Held.HowToAllow()), " "),
			cols:  []Column{ColKind, ColName, ColEmail, ColReason},
			src:   run.Held.Rows,
		})
	}
	// Count first, so that the tables' indexes share one allocation.
	var counts [numTables]int
	total := 0
	for i := range run.Rows {
		for m := tablesOf(&run.Rows[i]); m != 0; m &= m - 1 {
			counts[bits.TrailingZeros16(m)]++
			total++
		}
	}
	all := make([]int32, 0, total)
	for k, n := range counts {
		specs[k].idx = all[len(all) : len(all) : len(all)+n]
		all = all[:len(all)+n]
	}
	for i := range run.Rows {
		for m := tablesOf(&run.Rows[i]); m != 0; m &= m - 1 {
			k := bits.TrailingZeros16(m)
			specs[k].idx = append(specs[k].idx, int32(i))
		}
	}
	for _, t := range specs {
		if len(t.idx) > 0 {
			t.src = run.Rows
			out = append(out, t)
		}
	}
	return out
}

// tablesOf says which of the tables list r, bit k for table k. A row can
// be in two: a failed conflict is in Failed and in Conflicts.
func tablesOf(r *Row) uint16 {
	var m uint16
	if r.Status == roster.StatusDone {
		switch r.Kind {
		case roster.KindCreate:
			m |= 1 << tableCreated
		case roster.KindReactivate:
			m |= 1 << tableReactivated
		case roster.KindUpdate:
			m |= 1 << tableUpdated
		case roster.KindOffboard:
			m |= 1 << tableDeactivated
		case roster.KindProjectAdd:
			m |= 1 << tableAdded
		}
	}
	switch {
	case r.Status == roster.StatusFailed:
		m |= 1 << tableFailed
	case r.Status == roster.StatusSkipped && r.Kind.Actionable():
		m |= 1 << tableSkipped
	case r.Status == roster.StatusPlanned && r.Kind.Actionable():
		m |= 1 << tablePlanned
	}
	if r.Kind == roster.KindConflict {
		m |= 1 << tableConflicts
	}
	return m
}

func plannedNote(run Run) string {
	if run.DryRun {
		return "This was a dry run: nothing was written to Procore."
	}
	return "Not approved in this run."
}
