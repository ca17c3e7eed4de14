package ui

import (
	"context"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"procsync/sync/roster"
)

// startSnapshot reads both directories behind the loading screen (or, for
// procsync sandbox, opens the explorer instead).
func (m *model) startSnapshot() tea.Cmd {
	if m.opts.Sandbox && m.opts.Explorer != nil {
		return m.openExplorer()
	}
	m.screen = screenLoading
	m.ld = newLoading(m.context(), &m.keys, m.spinFrame())
	cmds := []tea.Cmd{m.start(screenLoading, func(ctx context.Context, p *pump) tea.Msg {
		s, err := m.b.Snapshot(ctx, func(sp roster.SnapshotProgress) { p.push(sp) })
		if err != nil {
			return snapshotDone{err: err}
		}
		// Plan is pure but linear in the tenant's size: keep it off Update.
		plan := m.b.Plan(s)
		return snapshotDone{snap: s, plan: plan, rv: newReview(s, plan)}
	})}
	if !m.opts.StaticSpinner {
		cmds = append(cmds, m.spin.Tick)
	}
	return tea.Batch(cmds...)
}

// onSnapshotPump passes the snapshot's progress to the loading screen and,
// once the read is done, shows the review (or says why there is none).
func (m *model) onSnapshotPump(msg pumpMsg) tea.Cmd {
	for _, it := range msg.items {
		m.ld.Update(it.(roster.SnapshotProgress))
	}
	d, ok := msg.done.(snapshotDone)
	if !ok {
		return nil
	}
	if d.err != nil {
		if m.rv != nil {
			m.screen = screenReview
			return m.status.set(levelError, fmt.Sprintf("refresh failed, the plan shown is from the previous read: %v", d.err))
		}
		m.screen = screenSignIn
		return m.status.set(levelError, fmt.Sprintf("reading the directories failed: %v — press enter to retry", d.err))
	}
	prev := m.rv
	// The backend learns names (the company's) once it is connected, so
	// the header is read again with each fresh snapshot.
	m.hdr = m.b.Header()
	m.rv = d.rv
	m.rv.keepFocus(prev)
	m.rv.bind(m.context(), &m.keys)
	m.rv.resolver = m.resolver() != nil
	m.screen = screenReview
	return m.status.set(levelInfo, fmt.Sprintf("read %s members and %s Procore users; %s to create",
		Thousands(len(d.snap.Members)), Thousands(len(d.snap.Users)), Thousands(d.plan.Counts[roster.KindCreate])))
}

// cancelRead stops the read the loading screen's esc asked to cancel.
func (m *model) cancelRead() tea.Cmd {
	if m.screen != screenLoading {
		return nil
	}
	m.cancelAll()
	m.op = nil
	if m.rv != nil {
		m.screen = screenReview
		return m.status.set(levelWarn, "refresh cancelled: the plan shown is from the previous read")
	}
	m.screen = screenSignIn
	return m.status.set(levelWarn, "reading cancelled: press enter to read again")
}
