package ui

import (
	"context"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"procsync/sync/roster"
)

// The root's side of the apply: it runs the backend's Apply, passes the
// progress down to the apply screen, and turns the result into the report.

// startApply applies the review's approved rows behind the apply screen.
func (m *model) startApply() tea.Cmd {
	r := m.rv
	// The backend gets its own copy: the UI must never mutate a plan that
	// another goroutine is applying.
	p := r.plan
	p.Actions = append([]roster.Action(nil), r.plan.Actions...)
	m.ap = newApplyScreen(m.context(), &m.keys, &p)
	m.screen = screenApply
	m.layout()
	return m.start(screenApply, func(ctx context.Context, pu *pump) tea.Msg {
		res, err := m.b.Apply(ctx, &p, func(ev roster.ApplyProgress) { pu.push(ev) })
		return applyDone{res: res, err: err}
	})
}

// onApplyPump passes progress to the apply screen and, once the apply
// returns, shows the report.
func (m *model) onApplyPump(msg pumpMsg) tea.Cmd {
	evs := make([]roster.ApplyProgress, len(msg.items))
	for i, it := range msg.items {
		evs[i] = it.(roster.ApplyProgress)
	}
	m.ap.Update(evs)
	d, ok := msg.done.(applyDone)
	if !ok {
		return nil
	}
	a := m.ap
	res := d.res
	if res == nil {
		// Apply failed before returning a result: report what the events said.
		res = a.partialResult()
	}
	if len(res.Recipients) == 0 {
		res.Recipients = m.hdr.Recipients
	}
	// A stop the admin asked for is a cancel, whatever error the backend
	// wrapped it in.
	res.Cancelled = res.Cancelled || a.cancelling
	m.rv.applied(a)
	m.rp = newReport(m.context(), &m.keys, res, len(a.rows))
	m.screen = screenReport
	m.layout()
	o := m.rv.outcome
	counts := fmt.Sprintf("%s done, %s failed, %s not applied", Thousands(o.done), Thousands(o.failed), Thousands(o.skipped))
	switch {
	case d.err != nil && !a.cancelling:
		return m.status.set(levelError, fmt.Sprintf("apply stopped: %v (%s)", d.err, counts))
	case res.Cancelled && m.armed:
		return m.status.set(levelWarn, "apply cancelled: "+counts+"; ctrl+c again quits (the report is saved, not sent)")
	case res.Cancelled:
		return m.status.set(levelWarn, "apply cancelled after the request in flight: "+counts)
	}
	return m.status.set(levelInfo, fmt.Sprintf("apply finished: %s done, %s failed", Thousands(o.done), Thousands(o.failed)))
}

// cancelApply stops the apply after the request in flight (esc, or a
// first ctrl+c); the backend returns the partial result and the report
// follows.
func (m *model) cancelApply(status string) tea.Cmd {
	if m.screen != screenApply || m.ap.cancelling || m.op == nil {
		return nil
	}
	m.ap.cancelling = true
	m.cancelAll()
	return m.status.set(levelWarn, status)
}
