package sync

import (
	"fmt"
	"strings"
)

// NormalizeAddress trims s, lower-cases it and reports whether the result is
// an address procsync may match on and create: one "@", a dot-atom local part
// of at most 64 characters and a host name of at least two labels, all in
// ASCII. Procore compares addresses case-insensitively, so the lower-case
// form is the key both sides are matched under.
func NormalizeAddress(s string) (string, bool) {
	a, problem := normalizeAddress(s)
	return a, problem == ""
}

// normalizeAddress is NormalizeAddress with the reason an address is
// unusable, for the excluded action's text. It checks before lower-casing,
// so that a non-ASCII rune that lower-cases to ASCII (the Kelvin sign to
// "k") cannot turn into somebody else's address.
func normalizeAddress(s string) (addr, problem string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "it is empty"
	}
	if len(s) > 254 {
		return "", "it is longer than 254 characters"
	}
	at := strings.IndexByte(s, '@')
	if at < 0 {
		return "", "it has no @"
	}
	if strings.IndexByte(s[at+1:], '@') >= 0 {
		return "", "it has more than one @"
	}
	local, domain := s[:at], s[at+1:]
	if p := checkLocal(local); p != "" {
		return "", p
	}
	if p := checkDomain(domain); p != "" {
		return "", p
	}
	return lowerASCII(s), ""
}

func checkLocal(local string) string {
	switch {
	case local == "":
		return "nothing before the @"
	case len(local) > 64:
		return "the part before the @ is longer than 64 characters"
	case local[0] == '.' || local[len(local)-1] == '.':
		return "the part before the @ starts or ends with a dot"
	case strings.Contains(local, ".."):
		return "the part before the @ has two dots in a row"
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; !isAtext(c) && c != '.' {
			return badChar(local[i:])
		}
	}
	return ""
}

func checkDomain(domain string) string {
	if domain == "" {
		return "nothing after the @"
	}
	labels := 0
	for rest := domain; ; {
		label := rest
		i := strings.IndexByte(rest, '.')
		if i >= 0 {
			label, rest = rest[:i], rest[i+1:]
		}
		labels++
		if label == "" {
			return fmt.Sprintf("domain %q has an empty label", domain)
		}
		if len(label) > 63 {
			return fmt.Sprintf("domain %q has a label longer than 63 characters", domain)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Sprintf("domain %q has a label that starts or ends with a hyphen", domain)
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isAlnum(c) && c != '-' {
				return badChar(label[i:])
			}
		}
		if i < 0 {
			break
		}
	}
	if labels < 2 {
		return fmt.Sprintf("domain %q is not a fully qualified name", domain)
	}
	return ""
}

// badChar names the first character of s, which the caller found invalid.
func badChar(s string) string {
	r := []rune(s)[0]
	switch {
	case r == ' ':
		return "it contains a space"
	case r >= 0x80:
		return fmt.Sprintf("it contains the non-ASCII character %q", r)
	default:
		return fmt.Sprintf("it contains %q", r)
	}
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isAtext reports whether c may appear in a dot-atom (RFC 5322 atext).
func isAtext(c byte) bool {
	return isAlnum(c) || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// lowerASCII lower-cases an ASCII string, allocating only when it must.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// isGuestUPN reports whether v is a B2B guest's user principal name
// ("ana_fabrikam.com#EXT#@contoso.onmicrosoft.com"): syntactically an
// address, but no mailbox, so never one procsync uses.
func isGuestUPN(v string) bool {
	for i := strings.IndexByte(v, '#'); i >= 0 && i+5 <= len(v); {
		if strings.EqualFold(v[i:i+5], "#EXT#") {
			return true
		}
		j := strings.IndexByte(v[i+1:], '#')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// memberAddress is what Diff knows about a member's addresses.
type memberAddress struct {
	// addr is the normalised address the member is planned under; empty
	// when problem is set.
	addr string
	// aliases are the other normalised addresses that identify the member
	// in Procore: smtp: proxy addresses and the fallback attribute. Distinct,
	// without addr, in the member's order.
	aliases []string
	// problem says why there is no usable address.
	problem string
	// note says how the address was chosen, when that was not the obvious way.
	note string
}

// resolveAddress picks the member's address: the configured attribute,
// else the other one, never a guest UPN. The first non-empty candidate
// decides: an invalid mail is reported, not silently replaced by the UPN,
// because creating the user under an address nobody expects is worse than
// asking the admin to fix the directory.
func resolveAddress(m *Member, attr string) memberAddress {
	type cand struct{ field, value string }
	cands := [2]cand{{EmailAttributeMail, m.Mail}, {EmailAttributeUPN, m.UserPrincipalName}}
	if attr == EmailAttributeUPN {
		cands[0], cands[1] = cands[1], cands[0]
	}
	var ma memberAddress
	var skippedBuf [2]string
	skipped := skippedBuf[:0]
	chosen := -1
	for i, c := range cands {
		v := strings.TrimSpace(c.value)
		switch {
		case v == "":
			skipped = append(skipped, c.field+" is empty")
			continue
		case isGuestUPN(v):
			skipped = append(skipped, c.field+" is a guest UPN (#EXT#)")
			continue
		}
		addr, problem := normalizeAddress(v)
		if problem != "" {
			ma.problem = fmt.Sprintf("invalid %s %q: %s", c.field, v, problem)
		} else {
			ma.addr = addr
			if len(skipped) > 0 {
				ma.note = fmt.Sprintf("%s, so the address is the %s", skipped[0], c.field)
			}
		}
		chosen = i
		break
	}
	if chosen < 0 {
		ma.problem = "no usable address: " + strings.Join(skipped, " and ")
	}
	ma.aliases = make([]string, 0, 1+len(m.ProxyAddresses))
	// Aliases: the other attribute, then the smtp: proxy addresses. They
	// only ever find existing Procore users, so an alias never turns into
	// a second Procore account for the same person.
	for i, c := range cands {
		if i == chosen {
			continue
		}
		if v := strings.TrimSpace(c.value); v != "" && !isGuestUPN(v) {
			ma.addAlias(v)
		}
	}
	for _, p := range m.ProxyAddresses {
		p = strings.TrimSpace(p)
		if len(p) > 5 && strings.EqualFold(p[:5], "smtp:") && !isGuestUPN(p) {
			ma.addAlias(p[5:])
		}
	}
	return ma
}

func (ma *memberAddress) addAlias(v string) {
	a, problem := normalizeAddress(v)
	if problem != "" || a == ma.addr {
		return
	}
	for _, x := range ma.aliases {
		if x == a {
			return
		}
	}
	ma.aliases = append(ma.aliases, a)
}
