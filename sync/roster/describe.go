package roster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// describe words the reason for member i's verdict: the rule that decided,
// then the address note, the name note of a create and the license groups.
func (d *differ) describe(i int32, v *verdict, first, last, nameNote string) string {
	m := &d.s.Members[i]
	ma := d.addrOf(i)
	groups := d.groupsNote(m.Groups)
	switch v.rule {
	case ruleExcluded:
		d.reason()
		d.part(d.excluded[i])
		if v.user >= 0 {
			u := &d.s.Users[v.user]
			d.rb = append(d.rb, "; Procore user "...)
			d.rb = strconv.AppendInt(d.rb, u.ID, 10)
			d.rb = append(d.rb, " has this address ("...)
			d.rb = append(d.rb, activeWord(u)...)
			d.rb = append(d.rb, ')')
		}
	case ruleNew:
		d.reason()
		d.rb = append(d.rb, "no Procore user under "...)
		d.rb = append(d.rb, ma.addr...)
		if n := len(ma.aliases); n == 1 {
			d.rb = append(d.rb, " or its alias "...)
			d.rb = append(d.rb, ma.aliases[0]...)
		} else if n > 1 {
			d.rb = append(d.rb, " or its "...)
			d.rb = strconv.AppendInt(d.rb, int64(n), 10)
			d.rb = append(d.rb, " aliases"...)
		}
		d.part(ma.note)
		d.part(nameNote)
		for _, n := range v.attrNotes {
			d.part(n)
		}
		d.part(groups)
		return d.done()
	case ruleMatched:
		d.describeMatch(ma, v, first, last)
		if v.linked {
			d.part("linked by origin_id (the Entra object id), so other Procore users under the member's addresses are left alone")
		}
		for _, n := range v.attrNotes {
			d.part(n)
		}
	default:
		return joinReason(d.conflict(i, v), ma.note, groups)
	}
	d.part(ma.note)
	d.part(groups)
	return d.done()
}

// conflict says why member i's verdict is a conflict only the admin can
// resolve.
func (d *differ) conflict(i int32, v *verdict) string {
	m := &d.s.Members[i]
	var buf [1]int32
	switch v.rule {
	case ruleSharedAddress:
		others := d.owners(v.slot)
		return fmt.Sprintf("%s resolve to %s: %s", membersWord(len(others)), v.addr, d.memberList(others))
	case ruleProcoreDuplicates:
		us := d.usersAt(buf[:0], v.slot)
		return fmt.Sprintf("Procore holds %d users under %s: %s", len(us), v.addr, d.userList(us))
	case ruleSharedUser:
		others := d.owners(v.slot)
		u := d.usersAt(buf[:0], v.slot)[0]
		return fmt.Sprintf("%s have the address %s of Procore user %d: %s", membersWord(len(others)), v.addr, d.s.Users[u].ID, d.memberList(others))
	case ruleSeveralMatches:
		parts := make([]string, len(d.matches))
		for j, x := range d.matches {
			via := x.via
			if via == "" {
				via = "origin_id " + m.ID
			}
			parts[j] = fmt.Sprintf("%s → Procore user %d", via, d.s.Users[x.user].ID)
		}
		return "this member matches different Procore users: " + strings.Join(parts, ", ")
	case ruleOriginElsewhere:
		u := &d.s.Users[v.user]
		return fmt.Sprintf("Procore user %d was created for this member (origin_id) under %q, which is none of the member's addresses now", u.ID, u.Email)
	case ruleAnotherMember:
		return fmt.Sprintf("Procore user %d under %s was created for another member, %s", d.s.Users[v.user].ID, v.addr, d.memberList([]int32{v.other}))
	}
	panic(fmt.Sprintf("roster: rule %d is no conflict", v.rule))
}

// describeMatch starts the reason for a member matched to one Procore user
// (reactivate, update, in sync, or excluded because reactivate is off).
func (d *differ) describeMatch(ma *memberAddress, v *verdict, first, last string) {
	u := &d.s.Users[v.user]
	diffNote := d.nb[:0]
	if v.namesDiffer {
		// names differ: Procore has %q, Entra ID has %q, without fmt.
		diffNote = append(diffNote, "names differ: Procore has "...)
		diffNote = appendQuotedName(diffNote, u.FirstName, u.LastName)
		diffNote = append(diffNote, ", Entra ID has "...)
		diffNote = appendQuotedName(diffNote, first, last)
		d.nb = diffNote
	}
	d.reason()
	if !u.IsActive {
		d.rb = append(d.rb, "inactive in Procore"...)
		if !u.UpdatedAt.IsZero() {
			d.rb = append(d.rb, " since "...)
			d.rb = u.UpdatedAt.UTC().AppendFormat(d.rb, "2006-01-02")
		}
		d.rb = append(d.rb, " ("...)
		d.rb = appendMatched(d.rb, v.addr, ma.addr, u.ID)
		d.rb = append(d.rb, ')')
		if v.kind == KindReactivate {
			if len(diffNote) > 0 {
				d.sep()
				d.rb = append(d.rb, diffNote...)
			}
		} else {
			d.rb = append(d.rb, " and procore.reactivate is off"...)
		}
		return
	}
	switch {
	case v.kind == KindUpdate:
		names := v.namesDiffer && d.rules.UpdateNames
		if names {
			d.rb = append(d.rb, diffNote...)
		}
		for j, c := range v.attrs {
			if j > 0 || names {
				d.rb = append(d.rb, ", "...)
			}
			d.rb = append(d.rb, c.String()...)
		}
		d.rb = append(d.rb, " ("...)
		d.rb = appendMatched(d.rb, v.addr, ma.addr, u.ID)
		d.rb = append(d.rb, ')')
		if v.namesDiffer && !names {
			d.sep()
			d.rb = append(d.rb, diffNote...)
			d.rb = append(d.rb, ", and procore.update_names is off"...)
		}
	case v.namesDiffer:
		d.rb = append(d.rb, "active "...)
		d.rb = appendMatched(d.rb, v.addr, ma.addr, u.ID)
		d.sep()
		d.rb = append(d.rb, diffNote...)
		d.rb = append(d.rb, ", and procore.update_names is off"...)
	default:
		d.rb = append(d.rb, "active "...)
		d.rb = appendMatched(d.rb, v.addr, ma.addr, u.ID)
	}
}

// reason starts building a reason in the scratch buffer; the parts are
// added with part and the result taken with done. It is joinReason without
// an intermediate string per part.
func (d *differ) reason() { d.rb = d.rb[:0] }

// sep starts a new non-empty part.
func (d *differ) sep() {
	if len(d.rb) > 0 {
		d.rb = append(d.rb, "; "...)
	}
}

// part adds s as a part, unless it is empty.
func (d *differ) part(s string) {
	if s != "" {
		d.sep()
		d.rb = append(d.rb, s...)
	}
}

// done returns the reason built in the scratch buffer. It is carved out of
// d.text, a few large blocks shared by every reason of the plan, rather
// than allocated one by one: a plan of 100k actions then costs some
// hundred allocations for its reasons instead of 100k.
func (d *differ) done() string { return d.text.add(d.rb) }

// textArena hands out strings cut from shared blocks. A strings.Builder
// only ever appends to its buffer, so a string taken from it stays valid
// and unchanged when later text is written or a new block is started.
type textArena struct {
	b strings.Builder
}

// textBlock is the size of one block: large enough to make the
// allocations few, small enough that a block is not a burden to a plan of
// a handful of actions (a block holds some 600 typical reasons).
const textBlock = 64 << 10

// add returns a string with the bytes of p.
func (t *textArena) add(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	if t.b.Cap()-t.b.Len() < len(p) {
		t.b.Reset()
		t.b.Grow(max(textBlock, len(p)))
	}
	t.b.Write(p)
	s := t.b.String()
	return s[len(s)-len(p):]
}

// appendMatched appends how a member matched Procore user u.
func appendMatched(b []byte, via, addr string, id int64) []byte {
	if via != addr {
		b = append(b, "matched alias "...)
		b = append(b, via...)
		b = append(b, " on "...)
	}
	b = append(b, "Procore user "...)
	return strconv.AppendInt(b, id, 10)
}

// memberNames returns the names a create or update writes: givenName and
// surname, else displayName split ("Ana María Díaz" or "Díaz, Ana"). Procore
// requires a last name, so when there is nothing usable the address's local
// part stands in, and note says so; fromAddr tells Diff not to "update" a
// real name to it.
func memberNames(m *Member, addr string) (first, last, note string, fromAddr bool) {
	first = collapseSpace(m.GivenName)
	last = collapseSpace(m.Surname)
	if last != "" {
		return first, last, "", false
	}
	display := collapseSpace(m.DisplayName)
	if display != "" {
		var dFirst, dLast string
		if before, after, ok := strings.Cut(display, ","); ok && strings.TrimSpace(before) != "" {
			dLast, dFirst = strings.TrimSpace(before), strings.TrimSpace(after)
		} else if i := strings.LastIndexByte(display, ' '); i > 0 {
			dFirst, dLast = display[:i], display[i+1:]
		} else {
			dLast = display
		}
		if first == "" {
			first = dFirst
		}
		return first, dLast, "", false
	}
	local := addr
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		local = addr[:i]
	}
	return first, local, fmt.Sprintf("no surname or display name in Entra ID, so the last name is %q (the address's local part)", local), true
}

// collapseSpace trims s and collapses inner runs of white space to one
// space, returning s itself in the common case that there is nothing to do.
func collapseSpace(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
			c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' ') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// appendQuotedName appends the full name of first and last (each trimmed,
// joined by a space, the whole trimmed) quoted as fmt's %q, that is
// strconv.Quote, quotes it. The two names are quoted one after the other
// and the quotes between them replaced by the space: with a space between
// them no character spans the two, so the quoting is the same.
func appendQuotedName(b []byte, first, last string) []byte {
	f, l := strings.TrimSpace(first), strings.TrimSpace(last)
	switch {
	case f == "":
		return strconv.AppendQuote(b, l)
	case l == "":
		return strconv.AppendQuote(b, f)
	}
	b = strconv.AppendQuote(b, f)
	b[len(b)-1] = ' '
	n := len(b)
	b = strconv.AppendQuote(b, l)
	copy(b[n:], b[n+1:])
	return b[:len(b)-1]
}

// groupsNote is the cached groupsNote: most members share one of a handful
// of group lists, so the note is built once per distinct list. The key is
// the length-prefixed encoding of the list, which cannot be ambiguous.
func (d *differ) groupsNote(groups []string) string {
	if len(groups) == 0 {
		return ""
	}
	d.gkey = appendStrs(d.gkey[:0], groups)
	if n, ok := d.groupNotes[string(d.gkey)]; ok {
		return n
	}
	n := groupsNote(groups)
	d.groupNotes[string(d.gkey)] = n
	return n
}

func groupsNote(groups []string) string {
	switch len(groups) {
	case 0:
		return ""
	case 1:
		return "license group " + groups[0]
	}
	if !slices.IsSorted(groups) {
		groups = slices.Sorted(slices.Values(groups))
	}
	return strconv.Itoa(len(groups)) + " license groups: " + strings.Join(groups, ", ")
}

func activeWord(u *ProcoreUser) string {
	if u.IsActive {
		return "active"
	}
	return "inactive"
}

func membersWord(n int) string {
	if n == 2 {
		return "two members"
	}
	return strconv.Itoa(n) + " members"
}

func (d *differ) memberList(ms []int32) string {
	parts := make([]string, len(ms))
	for j, i := range ms {
		m := &d.s.Members[i]
		name := strings.TrimSpace(m.DisplayName)
		if name == "" {
			name = strings.TrimSpace(m.UserPrincipalName)
		}
		parts[j] = fmt.Sprintf("%s (%s)", name, m.ID)
	}
	return strings.Join(parts, ", ")
}

func (d *differ) userList(us []int32) string {
	parts := make([]string, len(us))
	for j, u := range us {
		parts[j] = fmt.Sprintf("%d (%s)", d.s.Users[u].ID, activeWord(&d.s.Users[u]))
	}
	return strings.Join(parts, ", ")
}

// joinReason joins the non-empty parts of a reason with "; ".
func joinReason(parts ...string) string {
	n := 0
	for _, p := range parts {
		if p != "" {
			n += len(p) + 2
		}
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p)
	}
	return b.String()
}
