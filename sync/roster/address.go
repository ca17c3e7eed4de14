package roster

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
	s, problem = checkAddress(s)
	if problem != "" {
		return "", problem
	}
	return lowerASCII(s), ""
}

// checkAddress is normalizeAddress without the lower-casing: it returns the
// trimmed address, or why it is unusable. Diff lower-cases through its
// interner instead, so that an address it has seen costs no allocation.
func checkAddress(s string) (trimmed, problem string) {
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
	return s, ""
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
	return atext[c]
}

// atext is the RFC 5322 atext set as a table: checkLocal consults it for
// every byte of every address Diff sees.
var atext = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isAlnum(byte(c)) || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", byte(c)) >= 0
	}
	return t
}()

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
	// slot is addr's slot in Diff's address table; -1 if addr is empty or
	// outside Diff.
	slot int32
	// aliases are the other normalised addresses that identify the member
	// in Procore: smtp: proxy addresses and the fallback attribute. Distinct,
	// without addr, in the member's order.
	aliases []string
	// alias is the index of aliases[0] in the interner's arena, which is
	// also where slotArena holds the aliases' slots (-1 outside Diff).
	alias int32
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
	var in interner
	return in.resolve(m, attr)
}

// interner hands out normalised addresses. It shares one string per
// distinct address (its slot's) and one backing array for every member's
// aliases, so that resolving a member whose addresses are already known
// allocates nothing.
//
// In Diff it works in batches: resolve and normalize check and lower-case
// the addresses of a batch of people and queue their lookups (pend), and
// settle then looks them all up together and puts each address's slot and
// shared string in place. Looking up many at once lets the processor fetch
// their table entries from memory in parallel, rather than waiting for
// each one in turn between the checks of the next address.
type interner struct {
	// table finds an address's index in slots, adding a slot for a new
	// address; nil outside Diff (every address is then freshly
	// lower-cased and has no slot).
	table *addrTable
	slots []addrSlot
	// lower holds the lower-cased bytes of the batch's queued addresses
	// that were not lower-case already.
	lower     []byte
	arena     []string // backing array of the aliases slices
	slotArena []int32  // the aliases' slots, index for index with arena
	// pend are the batch's queued lookups; cur is the member or user
	// being resolved, whom the next queued lookups are for.
	pend []pending
	cur  int32
}

// addrSlot is one distinct normalised address Diff has seen, with the
// Procore user and the eligible member under it. 24 bytes: Diff keeps one
// per address of both directories.
type addrSlot struct {
	addr string
	// user is the Procore user with this address: -1 if none, several
	// if there are more (differ.dupAddr holds them, sorted).
	user int32
	// owner is the eligible member with this address: -1 if none,
	// several if there are more (differ.multi holds them, sorted).
	owner int32
}

// several is addrSlot.user or owner when more than one has the address.
const several = -2

// normalize returns the normalised form of v, or the problem that makes
// it unusable. In Diff (a table) it returns the checked address as it is,
// not yet lower-cased, and queues its lookup for settle, as target's
// address (see pending): a caller in Diff must call settle before it uses
// the address, as indexUsers and indexMembers do.
func (in *interner) normalize(v string, target int32) (addr string, problem string) {
	t, problem := checkAddress(v)
	if problem != "" {
		return "", problem
	}
	return in.intern(t, target), ""
}

// intern lower-cases a checked (hence ASCII) address. In Diff it queues
// the lookup instead and returns t as it is: an address that is already
// lower-case is looked up as it is (and kept as the slot's when new); any
// other is lower-cased into the batch's scratch space, and copied only
// when it is new.
func (in *interner) intern(t string, target int32) string {
	if in.table == nil {
		return lowerASCII(t)
	}
	p := pending{h: 0, key: t, who: in.cur, target: target}
	if hasUpperASCII(t) {
		p.off, p.n = int32(len(in.lower)), int32(len(t))
		in.lower = append(in.lower, t...)
		low := in.lower[p.off:]
		for j, c := range low {
			if 'A' <= c && c <= 'Z' {
				low[j] = c + 'a' - 'A'
			}
		}
		p.h = hashAddrBytes(low)
		p.key = ""
	} else {
		p.h = hashAddr(t)
	}
	in.pend = append(in.pend, p)
	return t
}

// resolve is resolveAddress through the interner.
func (in *interner) resolve(m *Member, attr string) memberAddress {
	type cand struct{ field, value string }
	cands := [2]cand{{EmailAttributeMail, m.Mail}, {EmailAttributeUPN, m.UserPrincipalName}}
	if attr == EmailAttributeUPN {
		cands[0], cands[1] = cands[1], cands[0]
	}
	ma := memberAddress{slot: -1}
	var skippedBuf [2]string
	skipped := skippedBuf[:0]
	chosen := -1
	for i, c := range cands {
		v := strings.TrimSpace(c.value)
		switch {
		case v == "":
			skipped = append(skipped, skipReasons[skip{c.field, false}])
			continue
		case isGuestUPN(v):
			skipped = append(skipped, skipReasons[skip{c.field, true}])
			continue
		}
		addr, problem := in.normalize(v, targetAddr)
		if problem != "" {
			ma.problem = fmt.Sprintf("invalid %s %q: %s", c.field, v, problem)
		} else {
			ma.addr = addr
			if len(skipped) > 0 {
				ma.note = chosenNote(skipped[0], c.field)
			}
		}
		chosen = i
		break
	}
	if chosen < 0 {
		ma.problem = "no usable address: " + strings.Join(skipped, " and ")
	}
	// Aliases: the other attribute, then the smtp: proxy addresses. They
	// only ever find existing Procore users, so an alias never turns into
	// a second Procore account for the same person. They are built at the
	// end of the arena and capped there, so later members' appends never
	// write into them.
	start := len(in.arena)
	for i, c := range cands {
		if i == chosen {
			continue
		}
		if v := strings.TrimSpace(c.value); v != "" && !isGuestUPN(v) {
			in.addAlias(&ma, start, v)
		}
	}
	for _, p := range m.ProxyAddresses {
		p = strings.TrimSpace(p)
		if len(p) > 5 && strings.EqualFold(p[:5], "smtp:") && !isGuestUPN(p) {
			in.addAlias(&ma, start, p[5:])
		}
	}
	end := len(in.arena)
	ma.aliases = in.arena[start:end:end]
	ma.alias = int32(start)
	return ma
}

// skip is why resolve passed over an attribute: empty, or a guest UPN.
type skip struct {
	field string
	guest bool
}

// skipReasons words every skip, once, so that resolving a member without a
// mail costs no allocation.
var skipReasons = map[skip]string{
	{EmailAttributeMail, false}: EmailAttributeMail + " is empty",
	{EmailAttributeMail, true}:  EmailAttributeMail + " is a guest UPN (#EXT#)",
	{EmailAttributeUPN, false}:  EmailAttributeUPN + " is empty",
	{EmailAttributeUPN, true}:   EmailAttributeUPN + " is a guest UPN (#EXT#)",
}

// chosenNotes holds chosenNote's texts, built once.
var chosenNotes = func() map[[2]string]string {
	m := map[[2]string]string{}
	for k, r := range skipReasons {
		for _, field := range []string{EmailAttributeMail, EmailAttributeUPN} {
			if field != k.field {
				m[[2]string{r, field}] = r + ", so the address is the " + field
			}
		}
	}
	return m
}()

// chosenNote says that the address is field's because of the skip reason.
func chosenNote(reason, field string) string {
	if n, ok := chosenNotes[[2]string{reason, field}]; ok {
		return n
	}
	return reason + ", so the address is the " + field
}

func (in *interner) addAlias(ma *memberAddress, start int, v string) {
	// Most aliases repeat the address or an earlier alias (the primary
	// SMTP proxy is the mail), so compare before checking: a value equal
	// under ASCII case folding to a checked address is itself valid (the
	// checks ignore ASCII case) and normalises to the same address.
	v = strings.TrimSpace(v)
	if equalFoldASCII(v, ma.addr) {
		return
	}
	for _, x := range in.arena[start:] {
		if equalFoldASCII(v, x) {
			return
		}
	}
	t, problem := checkAddress(v)
	if problem != "" {
		return
	}
	a := in.intern(t, int32(len(in.arena)-start))
	in.arena = append(in.arena, a)
	in.slotArena = append(in.slotArena, -1)
}

// equalFoldASCII reports whether a and b are equal under ASCII case
// folding; b is a checked (ASCII) address, lower-cased or not yet (in a
// batch before settle).
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c, d := a[i], b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// hasUpperASCII reports whether s holds an ASCII upper-case letter.
func hasUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}
