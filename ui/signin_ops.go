package ui

import (
	"context"

	tea "charm.land/bubbletea/v2"
)

// The root's side of the sign-in screen: it runs the backend's SignIn and
// says in the status line how it ended.

// startSignIn signs in to provider behind the sign-in screen.
func (m *model) startSignIn(provider string) tea.Cmd {
	if m.screen != screenSignIn {
		return nil
	}
	cmd := m.start(screenSignIn, func(ctx context.Context, pu *pump) tea.Msg {
		err := m.b.SignIn(ctx, provider, func(ev SignInEvent) { pu.push(ev) })
		return signInDone{provider: provider, err: err}
	})
	if !m.opts.StaticSpinner {
		cmd = tea.Batch(cmd, m.spin.Tick)
	}
	return cmd
}

// onSignInPump passes the sign-in's events to the screen and, once it
// ends, reads the directories if both providers are signed in.
func (m *model) onSignInPump(msg pumpMsg) tea.Cmd {
	for _, it := range msg.items {
		m.si.Update(it.(SignInEvent))
	}
	d, ok := msg.done.(signInDone)
	if !ok {
		return nil
	}
	m.graph, m.proc = m.b.SignedIn()
	m.si.Update(signInResultMsg{provider: d.provider, err: d.err, graph: m.graph, proc: m.proc})
	if d.err != nil {
		if env := m.b.SignInNeeds(d.provider); env != "" {
			return m.status.set(levelError, m.si.lastErr+" — "+restartHint(env))
		}
		return m.status.set(levelError, m.si.lastErr+" — press enter to retry, or run `procsync login "+
			d.provider+" --device-code` in another terminal")
	}
	if m.graph && m.proc {
		return tea.Batch(m.status.set(levelInfo, "signed in to both; reading directories"), m.startSnapshot())
	}
	return m.status.set(levelInfo, providerTitle(d.provider)+" signed in")
}

// cancelSignIn stops the running sign-in (esc on the sign-in screen).
func (m *model) cancelSignIn() tea.Cmd {
	if m.screen != screenSignIn {
		return nil
	}
	m.cancelAll()
	m.op = nil
	return m.status.set(levelWarn, "sign-in cancelled")
}

// signInNeeds asks the backend, once, which variable each provider's
// sign-in lacks.
func signInNeeds(b Backend) map[string]string {
	needs := map[string]string{}
	for _, p := range providers {
		needs[p] = b.SignInNeeds(p)
	}
	return needs
}

func (m *model) spinFrame() string {
	if m.opts.StaticSpinner {
		return m.spin.Spinner.Frames[0]
	}
	return m.spin.View()
}
