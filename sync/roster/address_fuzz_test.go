package roster

import (
	"strings"
	"testing"
)

// FuzzNormalizeAddress checks the properties matching relies on: a usable
// result is trimmed, lower-case ASCII with exactly one "@", normalising it
// again changes nothing, and its upper-case or padded form normalises to
// the same address. The same must hold for member address resolution,
// which must never pick a guest UPN.
func FuzzNormalizeAddress(f *testing.F) {
	for _, s := range []string{
		"ana@contoso.com", " Ana.Diaz@Contoso.COM\t", "o'neill+x@sub.contoso.co.uk", "", "@", "a@b",
		"a@b@c.com", "zoë@contoso.com", "\u212Aim@contoso.com", "ana..d@contoso.com", "x@-a.com",
		"gus_fabrikam.com#EXT#@contoso.onmicrosoft.com", "SMTP:ana@contoso.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := NormalizeAddress(s)
		if !ok {
			if a != "" {
				t.Fatalf("NormalizeAddress(%q) = %q with ok false", s, a)
			}
			return
		}
		if a != strings.TrimSpace(a) || a != strings.ToLower(a) || strings.Count(a, "@") != 1 {
			t.Fatalf("NormalizeAddress(%q) = %q: not trimmed, lower-case, one @", s, a)
		}
		for i := 0; i < len(a); i++ {
			if a[i] <= ' ' || a[i] >= 0x7f {
				t.Fatalf("NormalizeAddress(%q) = %q: byte %#x", s, a, a[i])
			}
		}
		for _, v := range []string{a, strings.ToUpper(a), "  " + a + "\n"} {
			if b, ok := NormalizeAddress(v); !ok || b != a {
				t.Fatalf("NormalizeAddress(%q) = %q, %v; want %q (from %q)", v, b, ok, a, s)
			}
		}
		if !strings.Contains(strings.ToUpper(s), "#EXT#") {
			m := Member{Mail: s, UserPrincipalName: s}
			if ma := resolveAddress(&m, EmailAttributeMail); ma.addr != a || ma.problem != "" {
				t.Fatalf("resolveAddress(mail %q) = %+v, want %q", s, ma, a)
			}
		} else {
			m := Member{UserPrincipalName: s}
			if ma := resolveAddress(&m, EmailAttributeUPN); ma.addr != "" || len(ma.aliases) != 0 {
				t.Fatalf("guest UPN %q used as an address: %+v", s, ma)
			}
		}
	})
}
