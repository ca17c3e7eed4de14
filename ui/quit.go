package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// Quitting. q quits at once unless that would throw work away (approved
// rows not yet applied, a report not yet sent): then it asks first, and one
// key answers, as lazygit does. ctrl+c during an apply stops it like esc
// (after the request in flight, landing on the report); a second ctrl+c
// quits. Elsewhere ctrl+c follows the same rule as q, and ctrl+c on the
// prompt means yes, so that ctrl+c twice always gets out.

// unsavedWork returns the quit prompt's question (with its "y/n"), or ""
// when quitting loses nothing.
func (m *model) unsavedWork() string {
	if m.screen == screenReport && m.rp != nil && !m.rp.res.Sent && len(m.rp.res.Recipients) > 0 {
		// y/n comes before the path, which a narrow terminal may cut.
		q := "Quit without sending the report? y/n"
		if m.rp.res.HTMLPath != "" {
			q += " (it is saved at " + m.rp.res.HTMLPath + ")"
		}
		return q
	}
	if m.rv != nil && !m.rv.stale && m.rv.approved > 0 {
		return fmt.Sprintf("Quit and discard %s? y/n", countNoun(m.rv.approved, "approved action", "approved actions"))
	}
	return ""
}

// requestQuit quits, or asks first when quitting would lose work.
func (m *model) requestQuit() tea.Cmd {
	if q := m.unsavedWork(); q != "" {
		m.qp = newQuitPrompt(q, &m.keys, m.w)
		m.hl = nil
		return nil
	}
	return m.quitSafely()
}

// onCtrlC handles ctrl+c outside the quit prompt.
func (m *model) onCtrlC() tea.Cmd {
	switch {
	case m.screen == screenApply && m.op != nil && !m.ap.cancelling:
		m.armed = true
		return m.cancelApply("stopping after the request in flight… (ctrl+c again quits)")
	case m.screen == screenApply && m.op != nil:
		// Already stopping: quit as soon as the request in flight is done,
		// so that the journal records its outcome.
		m.quitAfterOp = true
		return m.status.set(levelWarn, "quitting once the request in flight is done…")
	case m.armed:
		return m.quitSafely()
	}
	return m.requestQuit()
}

// onQuitPrompt passes k to the quit prompt and acts on its answer.
func (m *model) onQuitPrompt(k tea.KeyPressMsg) tea.Cmd {
	m.qp.Update(k)
	switch m.qp.answer {
	case answerYes:
		m.qp = nil
		return m.quitSafely()
	case answerNo:
		m.qp = nil
		return m.status.set(levelInfo, "not quitting; nothing was discarded")
	}
	return nil
}

// countNoun formats n with the singular or plural noun: "1 approved
// action", "8,166 approved actions".
func countNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Thousands(n) + " " + many
}
