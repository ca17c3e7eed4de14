package roster

import (
	"slices"
	"strings"
	"testing"
)

// TestProxyAddressPrefixes: Entra marks the primary proxy address with an
// upper-case "SMTP:" and secondary ones with "smtp:"; both, in any case,
// are aliases that find an existing Procore user, and other prefixes are
// not. Each case's proxy address differs from mail and UPN, so that only
// the prefix check can make it match.
func TestProxyAddressPrefixes(t *testing.T) {
	for _, tc := range []struct {
		name, proxy string
		match       bool
	}{
		{"primary SMTP:", "SMTP:Ana.Primary@Contoso.com", true},
		{"secondary smtp:", "smtp:ana.primary@contoso.com", true},
		{"mixed case Smtp:", "Smtp:ana.primary@contoso.com", true},
		{"sip: is not mail", "sip:ana.primary@contoso.com", false},
		{"no prefix", "ana.primary@contoso.com", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := member("a", "Ana", "Díaz", "ana@contoso.com", "ana.upn@contoso.com")
			m.ProxyAddresses = []string{tc.proxy}
			ma := resolveAddress(&m, EmailAttributeMail)
			if got := slices.Contains(ma.aliases, "ana.primary@contoso.com"); got != tc.match {
				t.Errorf("aliases %q: holds ana.primary@contoso.com = %v, want %v", ma.aliases, got, tc.match)
			}
			p := Diff(&Snapshot{Members: []Member{m}, Users: []ProcoreUser{puser(4411, "Ana", "Díaz", "ana.primary@contoso.com", true)}}, Rules{})
			wantKind := KindCreate
			if tc.match {
				wantKind = KindInSync
			}
			a := findAction(p, want{member: m.ID})
			if a == nil || a.Kind != wantKind {
				t.Fatalf("want %s for ana via %q:\n%s", wantKind, tc.proxy, dumpPlan(p))
			}
			if tc.match && (a.User == nil || a.User.ID != 4411) {
				t.Errorf("matched %+v, want Procore user 4411", a.User)
			}
		})
	}
}

func TestNormalizeAddress(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"ana@contoso.com", "ana@contoso.com", true},
		{"  Ana.Diaz@Contoso.COM\t", "ana.diaz@contoso.com", true},
		{"o'neill+tag@sub.contoso.co.uk", "o'neill+tag@sub.contoso.co.uk", true},
		{"", "", false},
		{"   ", "", false},
		{"ana", "", false},
		{"@contoso.com", "", false},
		{"ana@", "", false},
		{"ana@contoso", "", false},
		{"a@b@contoso.com", "", false},
		{"ana diaz@contoso.com", "", false},
		{".ana@contoso.com", "", false},
		{"ana..d@contoso.com", "", false},
		{"ana@-contoso.com", "", false},
		{"ana@contoso..com", "", false},
		{"zoë@contoso.com", "", false},
		{"\u212Aim@contoso.com", "", false}, // Kelvin sign lower-cases to "k"
		{"ana@contoso.com.", "", false},
		{strings.Repeat("a", 65) + "@contoso.com", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeAddress(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeAddress(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
