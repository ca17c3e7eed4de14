package ui

import (
	"fmt"
	"maps"
	"strings"

	"procsync/sync/roster"
)

// approveVisible approves every visible (filtered) create, reactivation
// and project addition of the plan pane and says how many changed, so that
// one key approving 8,166 rows never goes unnoticed.
func (r *review) approveVisible() string {
	pl := &r.panes[panePlan]
	by := roster.Counts{}
	n := 0
	for v := 0; v < pl.len(); v++ {
		a := &r.plan.Actions[pl.row(v)]
		if (a.Kind == roster.KindCreate || a.Kind == roster.KindReactivate || a.Kind == roster.KindProjectAdd) && !a.Approved && r.plan.CanApprove(a) {
			a.Approved = true
			by[a.Kind]++
			n++
		}
	}
	r.approved += n
	if n == 0 {
		return "nothing more to approve: every visible create, reactivation and project addition is approved already"
	}
	var parts []string
	if c := by[roster.KindCreate]; c > 0 {
		parts = append(parts, countNoun(c, "create", "creates"))
	}
	if c := by[roster.KindReactivate]; c > 0 {
		parts = append(parts, countNoun(c, "reactivation", "reactivations"))
	}
	if c := by[roster.KindProjectAdd]; c > 0 {
		parts = append(parts, countNoun(c, "project addition", "project additions"))
	}
	msg := "approved " + parts[len(parts)-1]
	if len(parts) > 1 {
		msg = "approved " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	if pl.filter != "" {
		msg += " (the rows the filter shows)"
	}
	return msg
}

// clearVisible clears the approvals of the visible (filtered) plan rows:
// the same rows `a` approves, so that the two keys undo each other.
func (r *review) clearVisible() string {
	pl := &r.panes[panePlan]
	n := 0
	for v := 0; v < pl.len(); v++ {
		if a := &r.plan.Actions[pl.row(v)]; a.Approved {
			a.Approved = false
			n++
		}
	}
	r.approved -= n
	msg := "cleared " + Thousands(n)
	if n == 0 {
		msg = "nothing to clear: no visible row is approved"
	}
	if pl.filter != "" && r.approved > 0 {
		msg += fmt.Sprintf("; %s hidden by the filter %s still approved", Thousands(r.approved), isAre(r.approved))
	}
	return msg
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// applyOutcome is what the last apply did to this review's plan.
type applyOutcome struct {
	// status is each applied row's outcome, by plan index; rows a cancel
	// left out are skipped.
	status                   map[int]roster.Status
	done, failed, skipped    int
	created, reactivated     int
	deactivated, nameUpdates int
}

// applied folds an apply's outcome into the review, so that the header,
// the pane titles and the plan rows stop describing Procore as it was
// before: done creates, reactivations and updates count as in sync, and
// the Procore counts include the users just created. The rows themselves
// stay as read; the plan is marked out of date until `r` reads again.
func (r *review) applied(a *applyScreen) {
	o := applyOutcome{status: make(map[int]roster.Status, len(a.rows))}
	// The Counts map is shared with the plan the backend applied and
	// reports on: change a copy.
	counts := maps.Clone(r.plan.Counts)
	if counts == nil {
		counts = roster.Counts{}
	}
	for i, pi := range a.rows {
		st := a.status[i]
		if st == roster.StatusPlanned {
			st = roster.StatusSkipped
		}
		o.status[pi] = st
		act := &r.plan.Actions[pi]
		switch st {
		case roster.StatusDone:
			o.done++
			counts[act.Kind]--
			switch act.Kind {
			case roster.KindCreate:
				o.created++
				counts[roster.KindInSync]++
			case roster.KindReactivate:
				o.reactivated++
				counts[roster.KindInSync]++
			case roster.KindUpdate:
				o.nameUpdates++
				counts[roster.KindInSync]++
			case roster.KindOffboard:
				o.deactivated++
			}
		case roster.StatusFailed:
			o.failed++
		default:
			o.skipped++
		}
	}
	r.plan.Counts = counts
	r.outcome = &o
	r.clearApprovals()
	r.stale = true
}

// procoreCounts are the Procore directory's totals as the header and pane
// 2 show them: as read, plus what the last apply changed.
func (r *review) procoreCounts() (total, active, inactive int) {
	total, active, inactive = len(r.snap.Users), r.active, r.inactive
	if o := r.outcome; o != nil {
		total += o.created
		active += o.created + o.reactivated - o.deactivated
		inactive += o.deactivated - o.reactivated
	}
	return total, active, inactive
}

// outcomeSummary is the header's account of the last apply, in the words
// the status line and the report use.
func (r *review) outcomeSummary() string {
	o := r.outcome
	if o == nil {
		return ""
	}
	// Worded like the plan counts beside it ("6 create"), and short, so
	// that the line still fits 120 columns.
	s := fmt.Sprintf("%s done %s failed", Thousands(o.done), Thousands(o.failed))
	if o.skipped > 0 {
		s += " " + Thousands(o.skipped) + " not applied"
	}
	return s
}
