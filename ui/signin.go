package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// signinScreen is the sign-in screen: which provider is selected, and what
// the running sign-in asked the user to see or do. The root runs the
// sign-in (it needs the backend) and passes its events down.
type signinScreen struct {
	ctx  Context
	keys *KeyMap
	// graph and proc say who is signed in; needs names the environment
	// variable each provider's sign-in lacks ("" when none).
	graph, proc bool
	needs       map[string]string
	// frame is the spinner's current frame, from the root.
	frame string

	sel     int
	running string
	events  []SignInEvent
	paste   lineInput
	submit  func(string)
	lastErr string
}

// Messages from the sign-in screen to the root.
type (
	// signInRequestMsg asks the root to sign in to provider.
	signInRequestMsg struct{ provider string }
	// cancelSignInMsg asks the root to stop the running sign-in.
	cancelSignInMsg struct{}
	// readRequestMsg asks the root to read both directories: both
	// providers are signed in.
	readRequestMsg struct{}
	// signInResultMsg is the end of a sign-in, from the root, with who is
	// signed in now.
	signInResultMsg struct {
		provider    string
		err         error
		graph, proc bool
	}
)

var providers = []string{ProviderGraph, ProviderProcore}

func providerTitle(p string) string {
	if p == ProviderGraph {
		return "Microsoft Graph"
	}
	return "Procore"
}

func newSignin(ctx Context, keys *KeyMap, graph, proc bool, needs map[string]string) *signinScreen {
	return &signinScreen{ctx: ctx, keys: keys, graph: graph, proc: proc, needs: needs}
}

// Init implements Component.
func (s *signinScreen) Init() tea.Cmd { return nil }

// SetSize implements Component.
func (s *signinScreen) SetSize(w, h int) { s.ctx.Width, s.ctx.Height = w, h }

// ShortHelp implements help.KeyMap.
func (s *signinScreen) ShortHelp() []key.Binding { return s.keys.ShortHelp() }

// FullHelp implements help.KeyMap.
func (s *signinScreen) FullHelp() [][]key.Binding { return s.keys.FullHelp() }

// typing reports whether the paste-code field has the keyboard.
func (s *signinScreen) typing() bool { return s.submit != nil }

// Update implements Component.
func (s *signinScreen) Update(msg tea.Msg) (Component, tea.Cmd) {
	switch msg := msg.(type) {
	case SignInEvent:
		if msg.Kind == SignInPasteCode && msg.Submit != nil {
			s.submit = msg.Submit
			s.paste = lineInput{prompt: "code: ", active: true}
		}
		s.events = append(s.events, msg)
	case signInResultMsg:
		s.onResult(msg)
	case spinFrameMsg:
		s.frame = string(msg)
	case tea.KeyPressMsg:
		return s, s.onKey(msg)
	}
	return s, nil
}

func (s *signinScreen) onKey(k tea.KeyPressMsg) tea.Cmd {
	if s.submit != nil {
		// The paste-code prompt owns the keyboard until enter or esc.
		switch {
		case key.Matches(k, s.keys.Back):
			s.submit, s.paste.active, s.running = nil, false, ""
			return s.ctx.Out.send(cancelSignInMsg{})
		case key.Matches(k, s.keys.SignIn):
			code := strings.TrimSpace(s.paste.value)
			if code == "" {
				return s.ctx.Out.status(levelWarn, "paste the code shown after you approved access, then press enter")
			}
			s.submit(code)
			s.submit, s.paste = nil, lineInput{}
			return nil
		}
		s.paste.update(k)
		return nil
	}
	switch {
	case key.Matches(k, s.keys.Up):
		s.sel = max(0, s.sel-1)
	case key.Matches(k, s.keys.Down):
		s.sel = min(len(providers)-1, s.sel+1)
	case key.Matches(k, s.keys.Back):
		if s.running != "" {
			s.running = ""
			return s.ctx.Out.send(cancelSignInMsg{})
		}
	case key.Matches(k, s.keys.SignIn):
		return s.signIn()
	case key.Matches(k, s.keys.Quit):
		return s.ctx.Out.send(quitRequestMsg{})
	}
	return nil
}

// signIn starts the sign-in enter asks for, or the read once both are
// signed in.
func (s *signinScreen) signIn() tea.Cmd {
	if s.running != "" {
		return nil
	}
	if s.graph && s.proc {
		return s.ctx.Out.send(readRequestMsg{})
	}
	p := s.target()
	if env := s.needs[p]; env != "" {
		// Starting would only fail after the browser round trip, and
		// no retry can help: the variable is read at start-up. The
		// screen already says so; the status line repeats it.
		return s.ctx.Out.status(levelError, providerTitle(p)+" sign-in needs "+env+": "+restartHint(env))
	}
	s.running, s.events, s.lastErr = p, nil, ""
	return s.ctx.Out.send(signInRequestMsg{provider: p})
}

// onResult takes in the end of a sign-in; the root says it in the status
// line.
func (s *signinScreen) onResult(r signInResultMsg) {
	s.running, s.submit = "", nil
	s.graph, s.proc = r.graph, r.proc
	if r.err != nil {
		s.lastErr = fmt.Sprintf("%s sign-in failed: %v", providerTitle(r.provider), r.err)
		return
	}
	s.events = nil
	if r.provider == ProviderGraph {
		s.sel = 1
	} else {
		s.sel = 0
	}
}

// target is the provider enter signs in to: the selected one, or the other
// when the selected one is already signed in.
func (s *signinScreen) target() string {
	p := providers[s.sel]
	if (p == ProviderGraph && s.graph) || (p == ProviderProcore && s.proc) {
		return providers[1-s.sel]
	}
	return p
}

// View implements Component.
func (s *signinScreen) View() string {
	hdr := s.ctx.Header
	var b []string
	b = append(b, "", stTitle.Render("Sign in"), "")
	b = append(b, "procsync needs both accounts: Microsoft Graph to read the license groups and send the report,",
		"Procore to read and write the company directory.", "")
	for i, p := range providers {
		ok := (p == ProviderGraph && s.graph) || (p == ProviderProcore && s.proc)
		where := hdr.Tenant
		if p == ProviderProcore {
			where = hdr.Company
		}
		state := stErr.Render("○ signed out")
		if ok {
			state = stOK.Render("● signed in")
		}
		if s.running == p {
			state = stWarn.Render(s.frame + " signing in…")
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
		signedIn := (p == ProviderGraph && s.graph) || (p == ProviderProcore && s.proc)
		if env := s.needs[p]; env != "" && !signedIn {
			b = append(b, stWarn.Render(secretMissing(p, env)+": "+restartHint(env)+"."), "")
		}
	}
	if s.running == "" {
		if s.graph && s.proc {
			b = append(b, "Press enter to read the directories.")
		} else if s.needs[s.target()] == "" {
			b = append(b, "Press enter to sign in to "+providerTitle(s.target())+
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
		if env := s.needs[s.target()]; env != "" {
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
		for _, w := range strings.Split(ansi.Wrap(l, max(10, s.ctx.Width-2), " "), "\n") {
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
