package sync

import (
	"slices"
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
