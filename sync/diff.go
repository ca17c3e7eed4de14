package sync

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Diff computes the plan for a snapshot under the rules: one action per
// member, plus one offboard action per active Procore user in an allowed
// domain who is in no license group any more. It is pure and deterministic
// (the order of s.Members and s.Users never changes the result) and runs in
// time linear in members + users: every address is hashed into one table
// once, and the plan is radix-sorted by kind and address.
//
// Actions point into s (Member, User); the caller must not change s while
// the plan is in use. Rules are expected to have passed Validate; Diff
// still treats every unknown value the safe way.
func Diff(s *Snapshot, r Rules) Plan {
	d := newDiffer(s, r.compile())
	actions := d.run()
	p := Plan{Actions: actions, Counts: Counts{}, Rules: r}
	for _, k := range Kinds {
		p.Counts[k] = 0
	}
	for i := range actions {
		p.Counts[actions[i].Kind]++
	}
	p.Fingerprint = fingerprint(d.rules, actions)
	return p
}

// differ holds Diff's indexes. Users and members are referred to by their
// index in the snapshot, so that the maps hold small values.
type differ struct {
	s     *Snapshot
	rules *compiledRules

	// in is the address table: every distinct normalised address of a
	// Procore user or an eligible member has one slot, which records the
	// first user and the first member under it. One map serves both sides,
	// and each member's addresses are looked up once.
	in interner

	userAddr []string // normalised Procore address per user; "" if unusable
	// dupAddr lists all Procore users (sorted by ID) of an address held by
	// several.
	dupAddr map[string][]int32
	// byOrigin maps a Procore origin_id (an Entra object id) to its user.
	byOrigin  map[string]int32
	dupOrigin map[string][]int32

	maddr    []memberAddress
	excluded []string // exclusion reason per member; "" if eligible
	// memberID maps an Entra id to its first member. Only origin_id
	// checks consult it, so it is built only when some user has one.
	memberID map[string]int32
	// multi lists all eligible members (sorted) of an address held by
	// several.
	multi map[string][]int32

	claimed []bool // per user: some member (eligible or not) is this person

	rb         []byte            // reason scratch
	groupNotes map[string]string // groupsNote per distinct group list
	gkey       []byte            // groupNotes key scratch
}

func newDiffer(s *Snapshot, rules *compiledRules) *differ {
	n, m := len(s.Users), len(s.Members)
	return &differ{
		s:     s,
		rules: rules,
		in: interner{
			// Users' addresses plus, typically, one new address per
			// member (the UPN when it is not the mail) and some new hires.
			table: make(map[string]int32, n+m+m/4),
			slots: make([]addrSlot, 0, n+m+m/4),
			arena: make([]string, 0, 2*m),
			// slotArena grows in step with arena.
			slotArena: make([]int32, 0, 2*m),
		},
		userAddr:   make([]string, n),
		dupAddr:    map[string][]int32{},
		byOrigin:   map[string]int32{},
		maddr:      make([]memberAddress, m),
		excluded:   make([]string, m),
		multi:      map[string][]int32{},
		claimed:    make([]bool, n),
		rb:         make([]byte, 0, 256),
		groupNotes: map[string]string{},
	}
}

func (d *differ) run() []Action {
	d.indexUsers()
	d.indexMembers()
	actions := make([]Action, 0, len(d.s.Members)+len(d.s.Users)/8)
	for i := range d.s.Members {
		actions = append(actions, d.memberAction(int32(i)))
	}
	actions = d.offboards(actions)
	return sortActions(actions)
}

// slot returns the slot of a normalised address that the interner just
// looked up, adding it if the lookup found none (id < 0). The caller must
// not have added the address since that lookup, which saves a second one.
func (d *differ) slot(addr string, id int32) int32 {
	if id >= 0 {
		return id
	}
	id = int32(len(d.in.slots))
	d.in.table[addr] = id
	d.in.slots = append(d.in.slots, addrSlot{addr: addr, user: -1, owner: -1})
	return id
}

// indexUsers builds the address and origin_id indexes of the Procore directory.
func (d *differ) indexUsers() {
	for i := range d.s.Users {
		u := &d.s.Users[i]
		if a, id, problem := d.in.normalize(u.Email); problem == "" {
			d.userAddr[i] = a
			sl := &d.in.slots[d.slot(a, id)]
			switch {
			case sl.user < 0:
				sl.user = int32(i)
			case sl.dupUsers:
				d.dupAddr[a] = append(d.dupAddr[a], int32(i))
			default:
				sl.dupUsers = true
				d.dupAddr[a] = []int32{sl.user, int32(i)}
			}
		}
		if u.OriginID != "" {
			addIndex(d.byOrigin, &d.dupOrigin, u.OriginID, int32(i))
		}
	}
	// Duplicate lists are sorted by Procore id so that reasons and the
	// fingerprint do not depend on the directory's order.
	byID := func(a, b int32) int {
		return cmp.Or(cmp.Compare(d.s.Users[a].ID, d.s.Users[b].ID), cmp.Compare(a, b))
	}
	for _, l := range d.dupAddr {
		slices.SortFunc(l, byID)
	}
	for _, l := range d.dupOrigin {
		slices.SortFunc(l, byID)
	}
}

func addIndex(first map[string]int32, dup *map[string][]int32, key string, i int32) {
	f, ok := first[key]
	if !ok {
		first[key] = i
		return
	}
	if *dup == nil {
		*dup = map[string][]int32{}
	}
	if l, ok := (*dup)[key]; ok {
		(*dup)[key] = append(l, i)
	} else {
		(*dup)[key] = []int32{f, i}
	}
}

// lookup appends every index filed under key to buf; it returns the
// duplicate list itself when there is one. With a stack buf the common
// single hit allocates nothing.
func lookup(buf []int32, first map[string]int32, dup map[string][]int32, key string) []int32 {
	if l, ok := dup[key]; ok {
		return l
	}
	if f, ok := first[key]; ok {
		return append(buf, f)
	}
	return nil
}

// usersAt returns the Procore users under an address slot (none for -1).
func (d *differ) usersAt(buf []int32, slot int32) []int32 {
	if slot < 0 {
		return nil
	}
	sl := &d.in.slots[slot]
	if sl.dupUsers {
		return d.dupAddr[sl.addr]
	}
	if sl.user < 0 {
		return nil
	}
	return append(buf, sl.user)
}

// owners returns the eligible members under an address slot when there
// are several, else nil.
func (d *differ) owners(slot int32) []int32 {
	if slot < 0 || !d.in.slots[slot].multiOwners {
		return nil
	}
	return d.multi[d.in.slots[slot].addr]
}

// indexMembers resolves every member's address, decides exclusion, files
// eligible members' addresses and marks the Procore users that belong to a
// current member (so they are never offboarded).
func (d *differ) indexMembers() {
	if len(d.byOrigin) > 0 {
		d.memberID = make(map[string]int32, len(d.s.Members))
	}
	for i := range d.s.Members {
		m := &d.s.Members[i]
		d.maddr[i] = d.in.resolve(m, d.rules.attr)
		ma := &d.maddr[i]
		if m.ID != "" && d.memberID != nil {
			if _, dup := d.memberID[m.ID]; !dup {
				d.memberID[m.ID] = int32(i)
			}
		}
		d.excluded[i] = d.exclusion(m, ma)
		d.claim(m, ma)
		if d.excluded[i] == "" {
			if ma.addr != "" {
				ma.slot = d.slot(ma.addr, ma.slot)
				d.own(ma.slot, int32(i))
			}
			for j, a := range ma.aliases {
				ma.aliasSlots[j] = d.slot(a, ma.aliasSlots[j])
				d.own(ma.aliasSlots[j], int32(i))
			}
		}
	}
	for _, l := range d.multi {
		slices.SortFunc(l, func(a, b int32) int { return d.cmpMembers(a, b) })
	}
}

// own files eligible member i under an address slot.
func (d *differ) own(slot, i int32) {
	sl := &d.in.slots[slot]
	switch {
	case sl.owner < 0:
		sl.owner = i
	case sl.multiOwners:
		d.multi[sl.addr] = append(d.multi[sl.addr], i)
	default:
		sl.multiOwners = true
		d.multi[sl.addr] = []int32{sl.owner, i}
	}
}

func (d *differ) cmpMembers(a, b int32) int {
	ma, mb := &d.s.Members[a], &d.s.Members[b]
	return cmp.Or(strings.Compare(ma.ID, mb.ID), strings.Compare(ma.DisplayName, mb.DisplayName), cmp.Compare(a, b))
}

// exclusion returns why a member is not provisioned, or "" if eligible.
func (d *differ) exclusion(m *Member, ma *memberAddress) string {
	switch {
	case isGuest(m.UserType) && !d.rules.IncludeGuests:
		return "guest account (userType Guest)"
	case !m.AccountEnabled && !d.rules.IncludeDisabled:
		return "disabled account (accountEnabled false)"
	case ma.problem != "":
		return ma.problem
	case !d.rules.domainAllowed(ma.addr):
		return "domain " + domainOf(ma.addr) + " is not in allowed_domains"
	}
	return d.rules.excludedBy(ma.addr)
}

// isGuest reports whether a userType is Guest, trimmed and in any case. The
// common exact "Member" skips the trimming and case folding.
func isGuest(t string) bool {
	if t == "Member" {
		return false
	}
	return strings.EqualFold(strings.TrimSpace(t), "Guest")
}

func (d *differ) claim(m *Member, ma *memberAddress) {
	var buf [1]int32
	for _, u := range d.usersAt(buf[:0], ma.slot) {
		d.claimed[u] = true
	}
	for _, slot := range ma.aliasSlots {
		for _, u := range d.usersAt(buf[:0], slot) {
			d.claimed[u] = true
		}
	}
	if m.ID != "" && len(d.byOrigin) > 0 {
		for _, u := range lookup(buf[:0], d.byOrigin, d.dupOrigin, m.ID) {
			d.claimed[u] = true
		}
	}
}

// match is one Procore user a member's addresses or Entra id lead to.
type match struct {
	user int32
	via  string // the member's address that found it; "" if only by origin_id
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

func (d *differ) done() string { return string(d.rb) }

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

// memberAction decides the one action of member i.
func (d *differ) memberAction(i int32) Action {
	m := &d.s.Members[i]
	ma := &d.maddr[i]
	first, last, nameNote, nameFromAddr := memberNames(m, ma.addr)
	a := Action{Member: m, Address: ma.addr, FirstName: first, LastName: last}
	groups := d.groupsNote(m.Groups)
	var buf [1]int32

	if why := d.excluded[i]; why != "" {
		a.Kind = KindExcluded
		d.reason()
		d.part(why)
		// Show the Procore user the person already has, so the admin can
		// see what the exclusion leaves in place.
		if ma.addr != "" {
			if us := d.usersAt(buf[:0], ma.slot); len(us) == 1 {
				a.User = &d.s.Users[us[0]]
				d.rb = append(d.rb, "; Procore user "...)
				d.rb = strconv.AppendInt(d.rb, a.User.ID, 10)
				d.rb = append(d.rb, " has this address ("...)
				d.rb = append(d.rb, activeWord(a.User)...)
				d.rb = append(d.rb, ')')
			}
		}
		d.part(ma.note)
		d.part(groups)
		a.Reason = d.done()
		return a
	}

	// Two eligible members behind one address: whichever was created, the
	// other would match it next time. Only the admin can tell who is who.
	if others := d.owners(ma.slot); len(others) > 1 {
		a.Kind = KindConflict
		a.Reason = joinReason(fmt.Sprintf("%s resolve to %s: %s", membersWord(len(others)), ma.addr, d.memberList(others)), ma.note, groups)
		return a
	}

	var mbuf [2]match
	matches := mbuf[:0]
	add := func(u int32, via string) {
		for _, x := range matches {
			if x.user == u {
				return
			}
		}
		matches = append(matches, match{u, via})
	}
	for j := -1; j < len(ma.aliases); j++ {
		addr, slot := ma.addr, ma.slot
		if j >= 0 {
			addr, slot = ma.aliases[j], ma.aliasSlots[j]
		}
		us := d.usersAt(buf[:0], slot)
		if len(us) > 1 {
			a.Kind = KindConflict
			a.Address = addr
			a.Reason = joinReason(fmt.Sprintf("Procore holds %d users under %s: %s", len(us), addr, d.userList(us)), ma.note, groups)
			return a
		}
		if len(us) == 1 {
			if others := d.owners(slot); len(others) > 1 {
				a.Kind = KindConflict
				a.Address = addr
				a.Reason = joinReason(fmt.Sprintf("%s have the address %s of Procore user %d: %s", membersWord(len(others)), addr, d.s.Users[us[0]].ID, d.memberList(others)), ma.note, groups)
				return a
			}
			add(us[0], addr)
		}
	}
	if m.ID != "" && len(d.byOrigin) > 0 {
		for _, u := range lookup(buf[:0], d.byOrigin, d.dupOrigin, m.ID) {
			add(u, "")
		}
	}

	switch {
	case len(matches) > 1:
		parts := make([]string, len(matches))
		for j, x := range matches {
			via := x.via
			if via == "" {
				via = "origin_id " + m.ID
			}
			parts[j] = fmt.Sprintf("%s → Procore user %d", via, d.s.Users[x.user].ID)
		}
		a.Kind = KindConflict
		a.Reason = joinReason("this member matches different Procore users: "+strings.Join(parts, ", "), ma.note, groups)
		return a
	case len(matches) == 0:
		a.Kind = KindCreate
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
		d.part(groups)
		a.Reason = d.done()
		return a
	}

	x := matches[0]
	u := &d.s.Users[x.user]
	a.User = u
	if x.via == "" {
		a.Kind = KindConflict
		a.Address = d.userAddr[x.user]
		a.Reason = joinReason(fmt.Sprintf("Procore user %d was created for this member (origin_id) under %q, which is none of the member's addresses now", u.ID, u.Email), ma.note, groups)
		return a
	}
	a.Address = x.via
	if u.OriginID != "" && u.OriginID != m.ID {
		if o, ok := d.memberID[u.OriginID]; ok {
			a.Kind = KindConflict
			a.Reason = joinReason(fmt.Sprintf("Procore user %d under %s was created for another member, %s", u.ID, x.via, d.memberList([]int32{o})), ma.note, groups)
			return a
		}
	}
	namesDiffer := !nameFromAddr && (strings.TrimSpace(u.FirstName) != first || strings.TrimSpace(u.LastName) != last)
	diffNote := ""
	if namesDiffer {
		diffNote = fmt.Sprintf("names differ: Procore has %q, Entra ID has %q", fullName(u.FirstName, u.LastName), fullName(first, last))
	}

	d.reason()
	if !u.IsActive {
		d.rb = append(d.rb, "inactive in Procore"...)
		if !u.UpdatedAt.IsZero() {
			d.rb = append(d.rb, " since "...)
			d.rb = u.UpdatedAt.UTC().AppendFormat(d.rb, "2006-01-02")
		}
		d.rb = append(d.rb, " ("...)
		d.rb = appendMatched(d.rb, x.via, ma.addr, u.ID)
		d.rb = append(d.rb, ')')
		if d.rules.Reactivate {
			a.Kind = KindReactivate
			d.part(diffNote)
		} else {
			a.Kind = KindExcluded
			d.rb = append(d.rb, " and procore.reactivate is off"...)
		}
		d.part(ma.note)
		d.part(groups)
		a.Reason = d.done()
		return a
	}
	switch {
	case namesDiffer && d.rules.UpdateNames:
		a.Kind = KindUpdate
		d.rb = append(d.rb, diffNote...)
		d.rb = append(d.rb, " ("...)
		d.rb = appendMatched(d.rb, x.via, ma.addr, u.ID)
		d.rb = append(d.rb, ')')
	case namesDiffer:
		a.Kind = KindInSync
		d.rb = append(d.rb, "active "...)
		d.rb = appendMatched(d.rb, x.via, ma.addr, u.ID)
		d.sep()
		d.rb = append(d.rb, diffNote...)
		d.rb = append(d.rb, ", and procore.update_names is off"...)
	default:
		a.Kind = KindInSync
		d.rb = append(d.rb, "active "...)
		d.rb = appendMatched(d.rb, x.via, ma.addr, u.ID)
	}
	d.part(ma.note)
	d.part(groups)
	a.Reason = d.done()
	return a
}

// offboards appends an offboard action for every active Procore user in an
// allowed domain that no member claims. Without allowed_domains nobody is
// offboarded: subcontractors' users share the directory, and only the
// domain list tells them apart.
func (d *differ) offboards(actions []Action) []Action {
	if !d.rules.restricted() {
		return actions
	}
	tail := "listed only (procore.offboard = \"report\")"
	if d.rules.deactivates() {
		tail = "to be deactivated (procore.offboard = \"deactivate\")"
	}
	for i := range d.s.Users {
		u := &d.s.Users[i]
		addr := d.userAddr[i]
		if d.claimed[i] || !u.IsActive || addr == "" || !d.rules.domains[domainOf(addr)] {
			continue
		}
		// An exclude pattern means "procsync keeps its hands off this
		// address", in both directions.
		if d.rules.excludedBy(addr) != "" {
			continue
		}
		d.rb = append(d.rb[:0], "active Procore user "...)
		d.rb = strconv.AppendInt(d.rb, u.ID, 10)
		d.rb = append(d.rb, " in allowed domain "...)
		d.rb = append(d.rb, domainOf(addr)...)
		d.rb = append(d.rb, " is in no license group; "...)
		d.rb = append(d.rb, tail...)
		actions = append(actions, Action{Kind: KindOffboard, Address: addr, User: u, Reason: d.done()})
	}
	return actions
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

func fullName(first, last string) string {
	return strings.TrimSpace(strings.TrimSpace(first) + " " + strings.TrimSpace(last))
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

// kindRank is a kind's position in Kinds; unknown kinds sort last.
func kindRank(k Kind) int {
	for i, x := range Kinds {
		if x == k {
			return i
		}
	}
	return len(Kinds)
}

// sortActions orders a plan by kind, then address, then the people's ids,
// and finally by the whole encoded action, so that even identical-looking
// duplicates have one order whatever the input order was (cmpAction). It
// sorts small precomputed keys rather than the actions: a radix sort on
// the kind and the address bytes, which takes linear time where a
// comparison sort's n log n string comparisons dominated at 100k actions,
// and cmpAction only among actions with one address. The actions are then
// permuted into place.
func sortActions(actions []Action) []Action {
	keys := make([]sortKey, len(actions))
	for i := range actions {
		a := actions[i].Address
		keys[i] = sortKey{prefix8(a, 0), prefix8(a, 8), a, int32(kindRank(actions[i].Kind)), int32(i)}
	}
	ks := keySorter{actions: actions, tmp: make([]sortKey, len(keys))}
	ks.byRank(keys)
	// Permute in place, cycle by cycle, rather than copying into a second
	// slice of actions: at 100k actions that copy is the largest allocation.
	for j := range keys {
		if keys[j].i < 0 || int(keys[j].i) == j {
			continue
		}
		tmp := actions[j]
		k := j
		for {
			src := int(keys[k].i)
			keys[k].i = -1
			if src == j {
				actions[k] = tmp
				break
			}
			actions[k] = actions[src]
			k = src
		}
	}
	return actions
}

// sortKey is what sortActions sorts: the kind's rank, the address with its
// first 16 bytes big-endian in p0 and p1 (so that the radix passes and most
// comparisons never read the address itself, a cache miss each time at
// 100k actions), and the action's index.
type sortKey struct {
	p0, p1 uint64
	addr   string
	rank   int32
	i      int32
}

// keySorter is a most-significant-digit radix sort of sortKeys.
type keySorter struct {
	actions []Action
	tmp     []sortKey // distribution buffer, as long as the keys
}

// radixCutoff is the range length below which a comparison sort is faster
// than another radix pass over 257 buckets.
const radixCutoff = 48

// cmp is the full order, for short ranges: rank, address, then cmpAction.
func (ks *keySorter) cmp(a, b sortKey) int {
	if a.rank != b.rank {
		return cmp.Compare(a.rank, b.rank)
	}
	if a.p0 != b.p0 {
		return cmp.Compare(a.p0, b.p0)
	}
	if a.p1 != b.p1 {
		return cmp.Compare(a.p1, b.p1)
	}
	if c := strings.Compare(a.addr, b.addr); c != 0 {
		return c
	}
	return cmpAction(ks.actions[a.i], ks.actions[b.i])
}

// byRank sorts by rank with one counting pass, then each rank's range by
// address.
func (ks *keySorter) byRank(keys []sortKey) {
	// Ranks run from 0 to len(Kinds) (unknown kinds).
	count := make([]int, len(Kinds)+2)
	for i := range keys {
		count[keys[i].rank+1]++
	}
	for r := 1; r < len(count); r++ {
		count[r] += count[r-1]
	}
	starts := slices.Clone(count)
	tmp := ks.tmp[:len(keys)]
	for _, k := range keys {
		tmp[count[k.rank]] = k
		count[k.rank]++
	}
	copy(keys, tmp)
	for r := 0; r+1 < len(starts); r++ {
		ks.byAddress(keys[starts[r]:starts[r+1]], 0)
	}
}

// digit is byte d of k's address plus one, or 0 past its end, so that a
// shorter address sorts before a longer one it is a prefix of.
func digit(k *sortKey, d int) int {
	switch {
	case d >= len(k.addr):
		return 0
	case d < 8:
		return int(byte(k.p0>>(56-8*d))) + 1
	case d < 16:
		return int(byte(k.p1>>(56-8*(d-8)))) + 1
	}
	return int(k.addr[d]) + 1
}

// byAddress sorts keys that share a rank and their first d address bytes.
func (ks *keySorter) byAddress(keys []sortKey, d int) {
	for {
		if len(keys) < radixCutoff {
			slices.SortFunc(keys, ks.cmp)
			return
		}
		var count [257]int
		for i := range keys {
			count[digit(&keys[i], d)]++
		}
		if count[0] == len(keys) {
			// One address: only cmpAction can order them.
			slices.SortFunc(keys, ks.cmp)
			return
		}
		// A byte every key shares (a common prefix) needs no pass.
		if count[digit(&keys[0], d)] == len(keys) {
			d++
			continue
		}
		var next [257]int
		for b, sum := 0, 0; b < len(count); b++ {
			next[b] = sum
			sum += count[b]
		}
		starts := next
		tmp := ks.tmp[:len(keys)]
		for _, k := range keys {
			b := digit(&k, d)
			tmp[next[b]] = k
			next[b]++
		}
		copy(keys, tmp)
		for b := range count {
			if count[b] < 2 {
				continue
			}
			sub := keys[starts[b] : starts[b]+count[b]]
			if b == 0 {
				slices.SortFunc(sub, ks.cmp)
			} else {
				ks.byAddress(sub, d+1)
			}
		}
		return
	}
}

// prefix8 returns bytes off..off+8 of s as a big-endian number, padded with
// zeros: comparing two such numbers orders like comparing the bytes, and a
// shorter string (zero padding) sorts first, as strings.Compare has it.
// Equal numbers say nothing; the caller then compares the strings.
func prefix8(s string, off int) uint64 {
	var x uint64
	for j := off; j < off+8; j++ {
		x <<= 8
		if j < len(s) {
			x |= uint64(s[j])
		}
	}
	return x
}

func cmpAction(a, b Action) int {
	if c := cmp.Compare(kindRank(a.Kind), kindRank(b.Kind)); c != 0 {
		return c
	}
	if c := strings.Compare(a.Address, b.Address); c != 0 {
		return c
	}
	var am, bm string
	if a.Member != nil {
		am = a.Member.ID
	}
	if b.Member != nil {
		bm = b.Member.ID
	}
	if c := strings.Compare(am, bm); c != 0 {
		return c
	}
	var au, bu int64
	if a.User != nil {
		au = a.User.ID
	}
	if b.User != nil {
		bu = b.User.ID
	}
	if c := cmp.Compare(au, bu); c != 0 {
		return c
	}
	return strings.Compare(string(encodeAction(nil, &a)), string(encodeAction(nil, &b)))
}

// fingerprint hashes the rules and, in plan order, every member and Procore
// user the plan is about: the inputs that mattered. Procore users no action
// mentions (subcontractors, inactive leavers) did not change the plan and
// are left out, so they do not change the fingerprint either.
func fingerprint(r *compiledRules, actions []Action) string {
	h := sha256.New()
	buf := make([]byte, 0, 40<<10)
	buf = appendStr(buf, "procsync plan v1")
	buf = appendStr(buf, r.attr)
	buf = appendBool(buf, r.IncludeGuests)
	buf = appendBool(buf, r.IncludeDisabled)
	buf = appendBool(buf, r.restricted())
	buf = appendStrs(buf, r.sortedDomains)
	buf = binary.AppendUvarint(buf, uint64(len(r.patterns)))
	for _, p := range r.patterns {
		buf = appendStr(buf, p.lower)
	}
	buf = appendBool(buf, r.Reactivate)
	buf = appendBool(buf, r.UpdateNames)
	buf = appendStr(buf, r.offboardMode())
	// Encode into one large buffer and hash it in big writes: the digest
	// then runs its block function over long runs instead of copying every
	// action's few hundred bytes through its 64-byte block buffer.
	for i := range actions {
		buf = encodeAction(buf, &actions[i])
		if len(buf) >= 32<<10 {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil))
}

// encodeAction appends an unambiguous encoding (length-prefixed fields) of
// the action's kind, address and raw inputs.
func encodeAction(buf []byte, a *Action) []byte {
	buf = appendStr(buf, string(a.Kind))
	buf = appendStr(buf, a.Address)
	if m := a.Member; m != nil {
		buf = append(buf, 'm')
		buf = appendStr(buf, m.ID)
		buf = appendStr(buf, m.GivenName)
		buf = appendStr(buf, m.Surname)
		buf = appendStr(buf, m.DisplayName)
		buf = appendStr(buf, m.UserPrincipalName)
		buf = appendStr(buf, m.Mail)
		buf = appendStrs(buf, m.ProxyAddresses)
		buf = appendBool(buf, m.AccountEnabled)
		buf = appendStr(buf, m.UserType)
		buf = appendStrs(buf, m.Groups)
	} else {
		buf = append(buf, '-')
	}
	if u := a.User; u != nil {
		buf = append(buf, 'u')
		buf = binary.AppendVarint(buf, u.ID)
		buf = appendStr(buf, u.FirstName)
		buf = appendStr(buf, u.LastName)
		buf = appendStr(buf, u.Email)
		buf = appendBool(buf, u.IsActive)
		buf = appendStr(buf, u.OriginID)
		buf = binary.AppendVarint(buf, u.UpdatedAt.Unix())
	} else {
		buf = append(buf, '-')
	}
	return buf
}

func appendStr(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

func appendStrs(buf []byte, ss []string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(ss)))
	for _, s := range ss {
		buf = appendStr(buf, s)
	}
	return buf
}

func appendBool(buf []byte, b bool) []byte {
	if b {
		return append(buf, 1)
	}
	return append(buf, 0)
}
