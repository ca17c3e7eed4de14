package roster

import (
	"fmt"
	"strings"
	"testing"
)

// TestAppendQuotedName: the names note quotes a full name exactly as
// fmt.Sprintf("%q") of the trimmed, space-joined names did, whatever the
// names hold.
func TestAppendQuotedName(t *testing.T) {
	names := []string{"", " ", "Ana", " Ana María ", "O'Neill", `Say "hi"`, "tab\there", "Zoë", "\u00a0Nbsp\u00a0",
		"bad\xffutf8", "\xe2\x82", "\xac end", "new\nline", "\u2028sep", "日本", "a\\b", "\x00nul"}
	for _, first := range names {
		for _, last := range names {
			full := strings.TrimSpace(strings.TrimSpace(first) + " " + strings.TrimSpace(last))
			want := fmt.Sprintf("%q", full)
			if got := string(appendQuotedName([]byte("x"), first, last)); got != "x"+want {
				t.Errorf("appendQuotedName(%q, %q) = %s, want x%s", first, last, got, want)
			}
		}
	}
}
