package ui

import tea "charm.land/bubbletea/v2"

// onRequest carries out what a screen asked of the root through its
// outbox. Each request is checked against the screen shown, so that a
// request a screen left behind as it was replaced does nothing. ok is false
// for a message that is not a request.
func (m *model) onRequest(msg tea.Msg) (cmd tea.Cmd, ok bool) {
	switch msg := msg.(type) {
	case statusMsg:
		return m.status.set(msg.level, msg.text), true
	case leaveMsg:
		if m.screen == msg.from && m.rv != nil {
			m.screen = screenReview
		}
		return nil, true
	case sendReportMsg:
		return m.sendReport(msg.res), true
	case openReportMsg:
		return m.openReport(msg.res), true
	case reportDoneMsg:
		return m.reportDone(), true
	case cancelApplyMsg:
		return m.cancelApply("stopping after the request in flight…"), true
	case signInRequestMsg:
		return m.startSignIn(msg.provider), true
	case cancelSignInMsg:
		return m.cancelSignIn(), true
	case readRequestMsg:
		if m.screen == screenSignIn {
			return m.startSnapshot(), true
		}
		return nil, true
	case refreshRequestMsg:
		if m.screen == screenReview {
			return m.startSnapshot(), true
		}
		return nil, true
	case confirmRequestMsg:
		if m.screen == screenReview {
			m.cf = newConfirm(m.context(), &m.keys, &m.rv.plan)
			m.screen = screenConfirm
		}
		return nil, true
	case cancelReadMsg:
		return m.cancelRead(), true
	case applyRequestMsg:
		if m.screen == screenConfirm {
			return m.startApply(), true
		}
		return nil, true
	case quitRequestMsg:
		return m.requestQuit(), true
	default:
		return m.onResolveRequest(msg)
	}
}
