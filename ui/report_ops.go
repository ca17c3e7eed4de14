package ui

import (
	"context"

	tea "charm.land/bubbletea/v2"
)

// The root's side of the report screen: the backend calls it asks for.

// sendReport mails res in the background; the report screen hears the
// result (sendDone) through the pump.
func (m *model) sendReport(res *ApplyResult) tea.Cmd {
	if m.screen != screenReport || m.op != nil {
		return nil
	}
	cmd := m.start(screenReport, func(ctx context.Context, _ *pump) tea.Msg {
		return sendDone{err: m.b.SendReport(ctx, res)}
	})
	return tea.Batch(cmd, m.status.set(levelInfo, "sending the report…"))
}

// openReport opens res's HTML report in the browser.
func (m *model) openReport(res *ApplyResult) tea.Cmd {
	b := m.b
	return func() tea.Msg { return openDoneMsg{screen: screenReport, path: res.HTMLPath, err: b.OpenReport(res)} }
}

// reportDone leaves the report for a fresh read: the plan shown before the
// apply no longer matches either directory.
func (m *model) reportDone() tea.Cmd {
	if m.screen != screenReport {
		return nil
	}
	m.rv.clearApprovals()
	m.rv.stale = true
	m.rp, m.ap = nil, nil
	return m.startSnapshot()
}
