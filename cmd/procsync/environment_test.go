package main

import (
	"testing"

	"procsync/cmd/procsync/config"
)

// TestEnvironmentFollowsIsProduction checks the name the header, the
// explorer, the journal and the report get: a sandbox label over a live
// Procore host reads "production" (Parse refuses such a file, but the
// decision must not rest on the loader alone).
func TestEnvironmentFollowsIsProduction(t *testing.T) {
	tests := []struct {
		name string
		p    config.Procore
		want string
	}{
		{"sandbox preset", config.Procore{Environment: "sandbox"}, "sandbox"},
		{"monthly on loopback", config.Procore{Environment: "monthly", APIURLOverride: "http://127.0.0.1:9", LoginURLOverride: "http://127.0.0.1:9"}, "monthly"},
		{"sandbox label, production api", config.Procore{Environment: "sandbox", APIURLOverride: "https://api.procore.com"}, "production"},
		{"monthly label, unknown login host", config.Procore{Environment: "monthly", LoginURLOverride: "https://login.example.com"}, "production"},
		{"federal", config.Procore{Environment: "federal"}, "federal"},
		{"production on loopback", config.Procore{Environment: "production", APIURLOverride: "http://127.0.0.1:9"}, "production"},
	}
	for _, tt := range tests {
		cfg := config.Default()
		cfg.Procore = tt.p
		s := newSession(cfg, t.TempDir(), nil, nil)
		if got := s.environment(); got != tt.want {
			t.Errorf("%s: environment() = %q, want %q", tt.name, got, tt.want)
		}
	}
}
