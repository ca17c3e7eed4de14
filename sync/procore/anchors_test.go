package procore

import (
	"os"
	"strings"
	"testing"
)

// TestSetupAnchorsExist: every docs/setup.md section a 403 points at
// exists, so the hint never leads to a dead link.
func TestSetupAnchorsExist(t *testing.T) {
	doc, err := os.ReadFile("../../docs/setup.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{SetupAppAccess, SetupDirectoryRead, SetupDirectoryAdmin, SetupProjectDirectory} {
		_, anchor, _ := strings.Cut(ref, "#")
		if !strings.Contains(string(doc), `id="`+anchor+`"`) {
			t.Errorf("docs/setup.md has no anchor %q", anchor)
		}
	}
}
