package roster

import (
	"cmp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	// Procore user or a member has one slot, which records the first user
	// and the first eligible member under it. One table serves both sides,
	// and each address is looked up (and added if new) once.
	in interner

	// userSlot is the slot of each user's normalised address (see
	// userAddr); -1 if it is unusable.
	userSlot []int32
	// dupAddr lists all Procore users (sorted by ID) of an address held by
	// several.
	dupAddr map[string][]int32
	// byOrigin maps a Procore origin_id (an Entra object id) to its user.
	byOrigin  map[string]int32
	dupOrigin map[string][]int32

	// mref is each member's resolved addresses, compactly (see addrOf);
	// mtext holds the problem and note of the few members that have one.
	mref  []memberRef
	mtext map[int32][2]string
	// batchAddr holds a batch's members' addresses until they are settled.
	batchAddr []memberAddress
	// cur is addrOf(curI), the member memberAction or indexMember is at.
	cur  memberAddress
	curI int32

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
	text       textArena         // the reasons' storage (see done)
	nb         []byte            // names note scratch (describeMatch)
	groupNotes map[string]string // groupsNote per distinct group list
	gkey       []byte            // groupNotes key scratch
}

func newDiffer(s *Snapshot, rules *compiledRules) *differ {
	n, m := len(s.Users), len(s.Members)
	// Prepared members say how many addresses they have; for the others,
	// typically one new address per member (the UPN when it is not the
	// mail) and some new hires, and one alias: the UPN, when it is not
	// the mail (the primary smtp: proxy is). A table sized too small
	// doubles, placing every address again: at 100,000 members of three
	// addresses each that was a twentieth of Diff.
	addrs, aliases, unprepared := n, 0, 0
	for i := range s.Members {
		if p := s.Members[i].prepared; p != nil {
			addrs += len(p.addrs)
			aliases += len(p.addrs)
			if p.hasAddr {
				aliases--
			}
		} else {
			unprepared++
		}
	}
	addrs += unprepared + unprepared/4
	aliases += unprepared + unprepared/8
	return &differ{
		s:     s,
		rules: rules,
		in: interner{
			table:     newAddrTable(addrs),
			slots:     make([]addrSlot, 0, addrs),
			arena:     make([]string, 0, aliases),
			slotArena: make([]int32, 0, aliases),
		},
		userSlot:   make([]int32, n),
		dupAddr:    map[string][]int32{},
		byOrigin:   map[string]int32{},
		mref:       make([]memberRef, m),
		mtext:      map[int32][2]string{},
		batchAddr:  make([]memberAddress, batch),
		curI:       -1,
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
	actions := make([]Action, len(d.s.Members), len(d.s.Members)+len(d.s.Users)/8)
	d.memberActions(actions)
	actions = d.projectAdds(actions)
	actions = d.offboards(actions)
	return sortActions(actions)
}

// memberActions fills actions[i] with member i's action. The indexes are
// complete and no longer change, so large plans are shared out between the
// cores in contiguous ranges, each worked by a differ with scratch space of
// its own (see worker): at 100,000 members this was a quarter of Diff, all
// of it between the last read and the first write.
func (d *differ) memberActions(actions []Action) {
	n := len(d.s.Members)
	workers := min(runtime.GOMAXPROCS(0), n/minMembersPerWorker)
	if workers <= 1 {
		for i := range n {
			d.memberAction(int32(i), &actions[i])
		}
		return
	}
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := per; lo < n; lo += per {
		w := d.worker()
		wg.Go(func() {
			for i := lo; i < min(lo+per, n); i++ {
				w.memberAction(int32(i), &actions[i])
			}
		})
	}
	for i := range per {
		d.memberAction(int32(i), &actions[i])
	}
	wg.Wait()
}

// minMembersPerWorker keeps small plans on one goroutine, where starting
// others would cost more than it saves.
const minMembersPerWorker = 4096

// worker returns a differ that shares d's indexes, read only, and has its
// own scratch space: memberAction writes only the scratch (matches, the
// reason buffers and arena, the group notes cache, the current member's
// address) and its action.
func (d *differ) worker() *differ {
	w := &differ{
		s: d.s, rules: d.rules, in: d.in, userSlot: d.userSlot, dupAddr: d.dupAddr,
		byOrigin: d.byOrigin, dupOrigin: d.dupOrigin, mref: d.mref, mtext: d.mtext,
		excluded: d.excluded, memberID: d.memberID, multi: d.multi, claimed: d.claimed,
		ignored:    d.ignored,
		curI:       -1,
		matches:    make([]match, 0, 2),
		rb:         make([]byte, 0, 256),
		groupNotes: map[string]string{},
	}
	// The interner's batch scratch is Diff's indexing, done by now; the
	// worker gets none of it.
	w.in.pend, w.in.lower = nil, nil
	return w
}

// batch is how many members or users Diff resolves before it looks their
// addresses up together (interner.settle): the lookups of a batch do not
// depend on each other, so their reads of the table overlap, and the
// batch's own data stays in the cache.
const batch = 64

// indexUsers builds the address and origin_id indexes of the Procore directory.
func (d *differ) indexUsers() {
	users := d.s.Users
	for lo := 0; lo < len(users); lo += batch {
		hi := min(lo+batch, len(users))
		for i := lo; i < hi; i++ {
			d.in.cur = int32(i)
			d.userSlot[i] = -1
			d.in.normalize(users[i].Email, targetAddr)
		}
		d.in.settle(d.putUser)
		for i := lo; i < hi; i++ {
			if id := d.userSlot[i]; id >= 0 {
				a := d.in.slots[id].addr
				sl := &d.in.slots[id]
				switch {
				case sl.user == -1:
					sl.user = int32(i)
				case sl.user == several:
					d.dupAddr[a] = append(d.dupAddr[a], int32(i))
				default:
					d.dupAddr[a] = []int32{sl.user, int32(i)}
					sl.user = several
				}
			}
			if o := users[i].OriginID; o != "" {
				addIndex(d.byOrigin, &d.dupOrigin, o, int32(i))
			}
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

// putUser records a user's settled address.
func (d *differ) putUser(p *pending, addr string, slot int32) {
	d.userSlot[p.who] = slot
}

// userAddr returns user u's normalised address; "" if it is unusable.
func (d *differ) userAddr(u int32) string {
	if id := d.userSlot[u]; id >= 0 {
		return d.in.slots[id].addr
	}
	return ""
}

// aliasSlots returns the slots of a member's aliases, index for index.
func (d *differ) aliasSlots(ma *memberAddress) []int32 {
	return d.in.slotArena[ma.alias : int(ma.alias)+len(ma.aliases)]
}

// aliasSlot returns the slot of a member's alias j.
func (d *differ) aliasSlot(ma *memberAddress, j int) int32 {
	return d.in.slotArena[int(ma.alias)+j]
}

// putMember records a member's settled address or alias.
func (d *differ) putMember(p *pending, addr string, slot int32) {
	ma := &d.batchAddr[p.who%batch]
	if p.target == targetAddr {
		ma.addr, ma.slot = addr, slot
		return
	}
	// Through the arena itself: ma.aliases may be a backing array the
	// arena has since outgrown.
	d.in.arena[ma.alias+p.target], d.in.slotArena[ma.alias+p.target] = addr, slot
}

// memberRef is a member's settled memberAddress in 16 bytes and no
// pointers (Diff keeps one per member): the address is its slot's, the
// aliases are n entries of the interner's arena from alias, and text says
// differ.mtext holds a problem or note.
type memberRef struct {
	slot, alias, n int32
	text           bool
}

// addrOf returns member i's memberAddress. The one of the member being
// worked on is kept, so that the steps of one member share it; the
// pointer is valid until addrOf is asked for another member (every step
// of Diff works on one member at a time).
func (d *differ) addrOf(i int32) *memberAddress {
	if d.curI == i {
		return &d.cur
	}
	r := d.mref[i]
	end := r.alias + r.n
	d.cur = memberAddress{slot: r.slot, alias: r.alias, aliases: d.in.arena[r.alias:end:end]}
	if r.slot >= 0 {
		d.cur.addr = d.in.slots[r.slot].addr
	}
	if r.text {
		t := d.mtext[i]
		d.cur.problem, d.cur.note = t[0], t[1]
	}
	d.curI = i
	return &d.cur
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
	if sl.user == several {
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
	if slot < 0 || d.in.slots[slot].owner != several {
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
	members := d.s.Members
	for lo := 0; lo < len(members); lo += batch {
		hi := min(lo+batch, len(members))
		for i := lo; i < hi; i++ {
			d.in.cur = int32(i)
			if p := members[i].preparedFor(d.rules.attr); p != nil {
				d.batchAddr[i-lo] = d.in.fromPrepared(p)
			} else {
				d.batchAddr[i-lo] = d.in.resolve(&members[i], d.rules.attr)
			}
		}
		d.in.settle(d.putMember)
		for i := lo; i < hi; i++ {
			ma := &d.batchAddr[i-lo]
			d.mref[i] = memberRef{slot: ma.slot, alias: ma.alias, n: int32(len(ma.aliases))}
			if ma.problem != "" || ma.note != "" {
				d.mtext[int32(i)] = [2]string{ma.problem, ma.note}
				d.mref[i].text = true
			}
		}
		for i := lo; i < hi; i++ {
			d.indexMember(int32(i))
		}
	}
	for _, l := range d.multi {
		slices.SortFunc(l, func(a, b int32) int { return d.cmpMembers(a, b) })
	}
}

// indexMember decides member i's exclusion and files its addresses, which
// are settled.
func (d *differ) indexMember(i int32) {
	m := &d.s.Members[i]
	ma := d.addrOf(i)
	if m.ID != "" && d.memberID != nil {
		if _, dup := d.memberID[m.ID]; !dup {
			d.memberID[m.ID] = i
		}
	}
	d.excluded[i] = d.exclusion(m, ma)
	d.claim(m, ma)
	if d.excluded[i] == "" {
		if ma.addr != "" {
			d.own(ma.slot, i)
		}
		for _, slot := range d.aliasSlots(ma) {
			d.own(slot, i)
		}
	}
}

// own files eligible member i under an address slot.
func (d *differ) own(slot, i int32) {
	sl := &d.in.slots[slot]
	switch {
	case sl.owner == -1:
		sl.owner = i
	case sl.owner == several:
		d.multi[sl.addr] = append(d.multi[sl.addr], i)
	default:
		d.multi[sl.addr] = []int32{sl.owner, i}
		sl.owner = several
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
	for _, slot := range d.aliasSlots(ma) {
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
		addr := d.userAddr(int32(i))
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
