package ui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"procsync/sync"
)

// signinState is the sign-in screen: which provider is selected, and what
// the running sign-in asked the user to see or do.
type signinState struct {
	sel     int
	running string
	events  []SignInEvent
	paste   lineInput
	submit  func(string)
	lastErr string
}

var providers = []string{ProviderGraph, ProviderProcore}

func providerTitle(p string) string {
	if p == ProviderGraph {
		return "Microsoft Graph"
	}
	return "Procore"
}

func (s *signinState) onKey(m *model, k tea.KeyPressMsg) tea.Cmd {
	if s.submit != nil {
		// The paste-code prompt owns the keyboard until enter or esc.
		switch {
		case key.Matches(k, m.keys.Back):
			s.submit, s.paste.active = nil, false
			m.cancelAll()
			m.op, s.running = nil, ""
			return m.status.set(levelWarn, "sign-in cancelled")
		case k.String() == "enter":
			code := strings.TrimSpace(s.paste.value)
			if code == "" {
				return m.status.set(levelWarn, "paste the code shown after you approved access, then press enter")
			}
			s.submit(code)
			s.submit, s.paste = nil, lineInput{}
			return nil
		}
		s.paste.update(k)
		return nil
	}
	switch {
	case key.Matches(k, m.keys.Up):
		s.sel = max(0, s.sel-1)
	case key.Matches(k, m.keys.Down):
		s.sel = min(len(providers)-1, s.sel+1)
	case key.Matches(k, m.keys.Back):
		if s.running != "" {
			m.cancelAll()
			m.op, s.running = nil, ""
			return m.status.set(levelWarn, "sign-in cancelled")
		}
	case key.Matches(k, m.keys.SignIn):
		if s.running != "" {
			return nil
		}
		if m.graph && m.proc {
			return m.startSnapshot()
		}
		p := s.target(m)
		if env := m.b.SignInNeeds(p); env != "" {
			// Starting would only fail after the browser round trip, and
			// no retry can help: the variable is read at start-up. The
			// screen already says so; the status line repeats it.
			return m.status.set(levelError, providerTitle(p)+" sign-in needs "+env+": "+restartHint(env))
		}
		s.running, s.events, s.lastErr = p, nil, ""
		cmd := m.start(screenSignIn, func(ctx context.Context, pu *pump) tea.Msg {
			err := m.b.SignIn(ctx, p, func(ev SignInEvent) { pu.push(ev) })
			return signInDone{provider: p, err: err}
		})
		if !m.opts.StaticSpinner {
			cmd = tea.Batch(cmd, m.spin.Tick)
		}
		return cmd
	case key.Matches(k, m.keys.Quit):
		return m.quitSafely()
	}
	return nil
}

// target is the provider enter signs in to: the selected one, or the other
// when the selected one is already signed in.
func (s *signinState) target(m *model) string {
	p := providers[s.sel]
	if (p == ProviderGraph && m.graph) || (p == ProviderProcore && m.proc) {
		return providers[1-s.sel]
	}
	return p
}

func (s *signinState) onPump(m *model, msg pumpMsg) tea.Cmd {
	for _, it := range msg.items {
		ev := it.(SignInEvent)
		if ev.Kind == SignInPasteCode && ev.Submit != nil {
			s.submit = ev.Submit
			s.paste = lineInput{prompt: "code: ", active: true}
		}
		s.events = append(s.events, ev)
	}
	d, ok := msg.done.(signInDone)
	if !ok {
		return nil
	}
	s.running, s.submit = "", nil
	m.graph, m.proc = m.b.SignedIn()
	if d.err != nil {
		s.lastErr = fmt.Sprintf("%s sign-in failed: %v", providerTitle(d.provider), d.err)
		if env := m.b.SignInNeeds(d.provider); env != "" {
			return m.status.set(levelError, s.lastErr+" — "+restartHint(env))
		}
		return m.status.set(levelError, s.lastErr+" — press enter to retry, or run `procsync login "+
			d.provider+" --device-code` in another terminal")
	}
	s.events = nil
	if m.graph && m.proc {
		return tea.Batch(m.status.set(levelInfo, "signed in to both; reading directories"), m.startSnapshot())
	}
	if d.provider == ProviderGraph {
		s.sel = 1
	} else {
		s.sel = 0
	}
	return m.status.set(levelInfo, providerTitle(d.provider)+" signed in")
}

func (s *signinState) view(m *model, h int) string {
	var b []string
	b = append(b, "", stTitle.Render("Sign in"), "")
	b = append(b, "procsync needs both accounts: Microsoft Graph to read the license groups and send the report,",
		"Procore to read and write the company directory.", "")
	for i, p := range providers {
		ok := (p == ProviderGraph && m.graph) || (p == ProviderProcore && m.proc)
		where := m.hdr.Tenant
		if p == ProviderProcore {
			where = m.hdr.Company
		}
		state := stErr.Render("○ signed out")
		if ok {
			state = stOK.Render("● signed in")
		}
		if s.running == p {
			state = stWarn.Render(m.spinFrame() + " signing in…")
		}
		cur := "  "
		if i == s.sel {
			cur = "▸ "
		}
		b = append(b, cur+fit(providerTitle(p), 18)+fit(where, 36)+state)
	}
	b = append(b, "")
	// Say what a sign-in needs before the admin starts it: the secret is
	// read when procsync starts, so the fix is a restart, not a retry.
	for _, p := range providers {
		signedIn := (p == ProviderGraph && m.graph) || (p == ProviderProcore && m.proc)
		if env := m.b.SignInNeeds(p); env != "" && !signedIn {
			b = append(b, stWarn.Render(secretMissing(p, env)+": "+restartHint(env)+"."), "")
		}
	}
	if s.running == "" {
		if m.graph && m.proc {
			b = append(b, "Press enter to read the directories.")
		} else if m.b.SignInNeeds(s.target(m)) == "" {
			b = append(b, "Press enter to sign in to "+providerTitle(s.target(m))+
				". Your browser opens; if it does not, the address to open appears here.")
		}
	}
	for _, ev := range s.events {
		switch ev.Kind {
		case SignInOpenURL:
			b = append(b, "Open this address in a browser (it was opened for you if possible):", "  "+stInfo.Render(ev.URL))
		case SignInDeviceCode:
			b = append(b, "On any device, go to "+stInfo.Render(ev.URL)+" and enter the code "+stBold.Render(ev.UserCode))
		case SignInPasteCode:
			msg := ev.Message
			if msg == "" {
				msg = "After approving access, paste the code the page shows:"
			}
			b = append(b, msg)
		case SignInWaiting:
			b = append(b, stDim.Render(ev.Message))
		case SignInDone:
			b = append(b, stOK.Render("✓ "+ev.Message))
		}
	}
	if s.submit != nil {
		b = append(b, "  "+s.paste.view())
	}
	if s.running != "" {
		b = append(b, "", stDim.Render("esc cancels this sign-in"))
	}
	if s.lastErr != "" && s.running == "" {
		if env := m.b.SignInNeeds(s.target(m)); env != "" {
			b = append(b, "", stErr.Render(s.lastErr), "To fix it: "+restartHint(env)+".")
		} else {
			b = append(b, "", stErr.Render(s.lastErr), "Press enter to retry. Behind a proxy or on a remote machine, "+
				"`procsync login <provider> --device-code` signs in without a local browser.")
		}
	}
	// Wrap rather than cut: a sign-in URL or device code must be whole to
	// be copied, even at 80 columns.
	var out []string
	for _, l := range b {
		for _, w := range strings.Split(ansi.Wrap(l, max(10, m.w-2), " "), "\n") {
			out = append(out, " "+w)
		}
	}
	return strings.Join(out, "\n")
}

// secretMissing says that provider's sign-in needs env, which is not set.
func secretMissing(provider, env string) string {
	return fmt.Sprintf("%s's sign-in needs the app's client secret in %s, which is not set", providerTitle(provider), env)
}

// restartHint is the only fix for a missing variable: procsync reads the
// environment when it starts.
func restartHint(env string) string {
	return "quit (q), export " + env + ", restart procsync"
}

func (m *model) spinFrame() string {
	if m.opts.StaticSpinner {
		return m.spin.Spinner.Frames[0]
	}
	return m.spin.View()
}

// loadingState totals the snapshot's progress events.
type loadingState struct {
	groups    int
	groupRead map[string]int
	groupDone map[string]bool
	procRead  int
	procTotal int
}

// add folds one progress event into the totals. Read counts are running
// totals per group, so the latest value replaces the previous one.
func (l *loadingState) add(ev sync.SnapshotProgress) {
	switch ev.Kind {
	case sync.ProgressGroups:
		l.groups = ev.Groups
	case sync.ProgressMembers:
		if l.groupRead == nil {
			l.groupRead = map[string]int{}
		}
		if l.groupDone == nil {
			l.groupDone = map[string]bool{}
		}
		l.groupRead[ev.Group] = ev.Read
		if ev.Total >= 0 && ev.Read >= ev.Total {
			l.groupDone[ev.Group] = true
		}
	case sync.ProgressProcore:
		l.procRead, l.procTotal = ev.Read, ev.Total
	}
}

func (l *loadingState) onPump(m *model, msg pumpMsg) tea.Cmd {
	for _, it := range msg.items {
		l.add(it.(sync.SnapshotProgress))
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
	m.rv.layout(m.w, m.bodyHeight())
	m.screen = screenReview
	return m.status.set(levelInfo, fmt.Sprintf("read %s members and %s Procore users; %s to create",
		thousands(len(d.snap.Members)), thousands(len(d.snap.Users)), thousands(d.plan.Counts[sync.KindCreate])))
}

func (l *loadingState) view(m *model, h int) string {
	members := 0
	for _, n := range l.groupRead {
		members += n
	}
	users := thousands(l.procRead)
	if l.procTotal > 0 {
		users += " / " + thousands(l.procTotal)
	}
	rows := [][2]string{
		{"license groups found", fmt.Sprintf("%s (%s read)", thousands(l.groups), thousands(len(l.groupDone)))},
		{"members read", thousands(members)},
		{"Procore users read", users},
	}
	b := []string{"", " " + m.spinFrame() + " " + stTitle.Render("Reading both directories…"), ""}
	for _, r := range rows {
		b = append(b, "   "+fit(r[0], 24)+stBold.Render(r[1]))
	}
	b = append(b, "", stDim.Render(" A partial read never produces a plan. esc cancels."))
	return strings.Join(b, "\n")
}
