package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestQuitPromptAlone: only y, ctrl+c and n answer the quit prompt; enter
// and other keys leave it unanswered.
func TestQuitPromptAlone(t *testing.T) {
	keys := DefaultKeyMap()
	keys.asking()
	for _, tt := range []struct {
		keys []string
		want quitAnswer
	}{
		{[]string{"y"}, answerYes},
		{[]string{"ctrl+c"}, answerYes},
		{[]string{"n"}, answerNo},
		{[]string{"esc"}, answerNo},
		{[]string{"enter", "q", "x"}, answerNone},
	} {
		p := newQuitPrompt("Quit and discard 2 approved actions? y/n", &keys, 60)
		for _, k := range tt.keys {
			p.Update(press(k))
		}
		if p.answer != tt.want {
			t.Errorf("after %v the answer is %v, want %v", tt.keys, p.answer, tt.want)
		}
		if v := ansi.Strip(p.View()); !strings.HasPrefix(v, "? Quit and discard 2 approved actions? y/n") || len([]rune(v)) != 60 {
			t.Errorf("prompt view %q", v)
		}
	}
}

// TestHelpScreenAlone: the overlay lists every enabled binding of the key
// map it was opened over, and none that is disabled.
func TestHelpScreenAlone(t *testing.T) {
	keys := DefaultExplorerKeyMap()
	keys.set(modeBrowse, false, true)
	v := ansi.Strip(newHelpScreen(&keys, 120, 30).View())
	for _, want := range []string{"Keys", "GET console", "back to review", "tree/json"} {
		if !strings.Contains(v, want) {
			t.Errorf("help lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "create test user") {
		t.Errorf("read-only help offers a write:\n%s", v)
	}
}
