package roster

import (
	"strings"
	"testing"
)

func TestRulesValidate(t *testing.T) {
	tests := []struct {
		name string
		r    Rules
		err  string
	}{
		{"zero value", Rules{}, ""},
		{"full", Rules{EmailAttribute: EmailAttributeUPN, Offboard: OffboardDeactivate, AllowedDomains: []string{"@contoso.com"}, Exclude: []string{"svc-*"}}, ""},
		{"email attribute", Rules{EmailAttribute: "upn"}, `match.email_attribute "upn"`},
		{"offboard", Rules{Offboard: "delete"}, `procore.offboard "delete"`},
		{"domain", Rules{AllowedDomains: []string{"contoso"}}, `groups.allowed_domains "contoso"`},
		{"blank domain", Rules{AllowedDomains: []string{" "}}, `groups.allowed_domains " "`},
		{"pattern", Rules{Exclude: []string{"[a-"}}, `groups.exclude pattern "[a-"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Validate()
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tt.err)
			}
		})
	}
}
