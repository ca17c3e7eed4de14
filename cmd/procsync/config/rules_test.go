package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"procsync/sync/roster"
)

// TestRulesValidateRunsInTheLoader: values the engine's Rules.Validate
// refuses are config errors at their key and line, not run-time failures.
func TestRulesValidateRunsInTheLoader(t *testing.T) {
	tests := []struct {
		name, groups string
		line         int
		key, want    string
	}{
		{"domain label starts with a hyphen", `allowed_domains = ["contoso.com", "-contoso.com"]`, 9, "groups.allowed_domains",
			`entry 2 ("-contoso.com") is not a domain`},
		{"domain label longer than 63", `allowed_domains = ["` + strings.Repeat("a", 64) + `.com"]`, 9, "groups.allowed_domains",
			`entry 1 ("aaaa`},
		{"domain with an empty label", "\nallowed_domains = [\"contoso..com\"]", 10, "groups.allowed_domains", "is not a domain"},
		{"bad pattern", `exclude = ["ok@contoso.com", "svc-[@contoso.com"]`, 9, "groups.exclude", `entry 2 ("svc-[@contoso.com") is not a valid pattern`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := minimal + "[groups]\n" + tt.groups + "\n"
			_, err := Parse([]byte(src), "conf.toml")
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("Parse = %v, want one config error\n%s", err, src)
			}
			if e := errs[0]; e.Line != tt.line || e.Key != tt.key || !strings.Contains(e.Msg, tt.want) {
				t.Errorf("got %v\nwant line %d key %s msg containing %q", e, tt.line, tt.key, tt.want)
			}
		})
	}
}

// TestRulesMapsEveryRuleKey holds Config.Rules to the keys it maps, and
// what the loader accepts to what Rules.Validate accepts.
func TestRulesMapsEveryRuleKey(t *testing.T) {
	src := minimal + `offboard = "deactivate"
reactivate = false
update_names = true
[groups]
include_guests = true
include_disabled = true
allowed_domains = ["contoso.com"]
exclude = ["svc-*@contoso.com"]
[match]
email_attribute = "userPrincipalName"
`
	cfg, err := Parse([]byte(src), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := roster.Rules{IncludeGuests: true, IncludeDisabled: true, AllowedDomains: []string{"contoso.com"},
		Exclude: []string{"svc-*@contoso.com"}, EmailAttribute: roster.EmailAttributeUPN, Reactivate: false,
		UpdateNames: true, Offboard: roster.OffboardDeactivate}
	got := cfg.Rules()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Rules() = %+v\nwant %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("the loader accepted rules Validate refuses: %v", err)
	}
}
