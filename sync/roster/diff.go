package roster

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Diff computes the plan for a snapshot under the rules: one action per
// member, plus one offboard action per active Procore user in an allowed
// domain who is in no license group any more. It is pure and deterministic
// (the order of s.Members and s.Users never changes the result). Every
// address is hashed into one table once, so matching is linear in members +
// users; only sorting the plan by kind and address (sortActions) is not.
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

	ignored *ignoreIndex // the snapshot's ignore list; nil when empty

	// matches are the Procore users classify found for the current
	// member; describe reads them. Reused to spare an allocation per member.
	matches []match

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
		matches:    make([]match, 0, 2),
		rb:         make([]byte, 0, 256),
		groupNotes: map[string]string{},
		ignored:    newIgnoreIndex(s.Ignored),
	}
}

func (d *differ) run() []Action {
	d.indexUsers()
	d.indexMembers()
	actions := make([]Action, 0, len(d.s.Members)+len(d.s.Users)/8)
	for i := range d.s.Members {
		actions = append(actions, d.memberAction(int32(i)))
	}
	actions = d.projectAdds(actions)
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
	// An admin's explicit decision outranks every rule: the reason must say
	// who ignored the person and why.
	if g := d.ignored.find(m, ma); g != nil {
		return IgnoredReason(g)
	}
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
