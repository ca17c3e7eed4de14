package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// quitPrompt is the quit question shown in the status line when quitting
// would throw work away: y (or ctrl+c) quits, n (or esc) stays; other keys,
// enter included, are ignored, so that a stray key neither discards work
// nor acts on the screen behind the prompt. The root reads the answer right
// after passing a key down, so the very next key already meets the screen.
type quitPrompt struct {
	question string
	keys     *KeyMap
	width    int
	answer   quitAnswer
}

// quitAnswer is the prompt's answer so far.
type quitAnswer int

const (
	answerNone quitAnswer = iota
	answerYes
	answerNo
)

func newQuitPrompt(question string, keys *KeyMap, width int) *quitPrompt {
	return &quitPrompt{question: question, keys: keys, width: width}
}

// Init implements Component.
func (p *quitPrompt) Init() tea.Cmd { return nil }

// SetSize implements Component; the prompt is one line of the status area.
func (p *quitPrompt) SetSize(w, _ int) { p.width = w }

// ShortHelp implements help.KeyMap: the root enables only the answers.
func (p *quitPrompt) ShortHelp() []key.Binding { return p.keys.ShortHelp() }

// FullHelp implements help.KeyMap.
func (p *quitPrompt) FullHelp() [][]key.Binding { return p.keys.FullHelp() }

// Update implements Component: it records the answer a key gives.
func (p *quitPrompt) Update(msg tea.Msg) (Component, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, p.keys.QuitYes), key.Matches(k, p.keys.ForceQuit):
			p.answer = answerYes
		case key.Matches(k, p.keys.QuitNo):
			p.answer = answerNo
		}
	}
	return p, nil
}

// View implements Component.
func (p *quitPrompt) View() string { return stWarn.Render(fit("? "+p.question, p.width)) }
