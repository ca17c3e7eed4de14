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
// time linear in members + users, apart from sorting the plan.
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

	userAddr []string // normalised Procore address per user; "" if unusable
	// byAddr maps a normalised address to the first Procore user holding
	// it; dupAddr lists all of them (sorted by ID) when there are several.
	byAddr  map[string]int32
	dupAddr map[string][]int32
	// byOrigin maps a Procore origin_id (an Entra object id) to its user.
	byOrigin  map[string]int32
	dupOrigin map[string][]int32

	maddr    []memberAddress
	excluded []string // exclusion reason per member; "" if eligible
	memberID map[string]int32
	// owners maps every address of every eligible member to the first
	// member holding it; multi lists all of them when there are several.
	owners map[string]int32
	multi  map[string][]int32

	claimed []bool // per user: some member (eligible or not) is this person
}

func newDiffer(s *Snapshot, rules *compiledRules) *differ {
	n, m := len(s.Users), len(s.Members)
	return &differ{
		s:        s,
		rules:    rules,
		userAddr: make([]string, n),
		byAddr:   make(map[string]int32, n),
		dupAddr:  map[string][]int32{},
		byOrigin: make(map[string]int32, n),
		maddr:    make([]memberAddress, m),
		excluded: make([]string, m),
		memberID: make(map[string]int32, m),
		owners:   make(map[string]int32, 3*m),
		multi:    map[string][]int32{},
		claimed:  make([]bool, n),
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
	sortActions(actions)
	return actions
}

// indexUsers builds the address and origin_id indexes of the Procore directory.
func (d *differ) indexUsers() {
	for i := range d.s.Users {
		u := &d.s.Users[i]
		if a, ok := NormalizeAddress(u.Email); ok {
			d.userAddr[i] = a
			addIndex(d.byAddr, &d.dupAddr, a, int32(i))
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

// lookup returns every index filed under key.
func lookup(first map[string]int32, dup map[string][]int32, key string) []int32 {
	if l, ok := dup[key]; ok {
		return l
	}
	if f, ok := first[key]; ok {
		return []int32{f}
	}
	return nil
}

// indexMembers resolves every member's address, decides exclusion, files
// eligible members' addresses and marks the Procore users that belong to a
// current member (so they are never offboarded).
func (d *differ) indexMembers() {
	for i := range d.s.Members {
		m := &d.s.Members[i]
		ma := resolveAddress(m, d.rules.attr)
		d.maddr[i] = ma
		if m.ID != "" {
			if _, dup := d.memberID[m.ID]; !dup {
				d.memberID[m.ID] = int32(i)
			}
		}
		d.excluded[i] = d.exclusion(m, &ma)
		d.claim(m, &ma)
		if d.excluded[i] == "" {
			if ma.addr != "" {
				addIndex(d.owners, &d.multi, ma.addr, int32(i))
			}
			for _, a := range ma.aliases {
				addIndex(d.owners, &d.multi, a, int32(i))
			}
		}
	}
	for _, l := range d.multi {
		slices.SortFunc(l, func(a, b int32) int { return d.cmpMembers(a, b) })
	}
}

func (d *differ) cmpMembers(a, b int32) int {
	ma, mb := &d.s.Members[a], &d.s.Members[b]
	return cmp.Or(strings.Compare(ma.ID, mb.ID), strings.Compare(ma.DisplayName, mb.DisplayName), cmp.Compare(a, b))
}

// exclusion returns why a member is not provisioned, or "" if eligible.
func (d *differ) exclusion(m *Member, ma *memberAddress) string {
	switch {
	case strings.EqualFold(strings.TrimSpace(m.UserType), "Guest") && !d.rules.IncludeGuests:
		return "guest account (userType Guest)"
	case !m.AccountEnabled && !d.rules.IncludeDisabled:
		return "disabled account (accountEnabled false)"
	case ma.problem != "":
		return ma.problem
	case !d.rules.domainAllowed(ma.addr):
		return fmt.Sprintf("domain %s is not in allowed_domains", domainOf(ma.addr))
	}
	return d.rules.excludedBy(ma.addr)
}

func (d *differ) claim(m *Member, ma *memberAddress) {
	if ma.addr != "" {
		for _, u := range lookup(d.byAddr, d.dupAddr, ma.addr) {
			d.claimed[u] = true
		}
	}
	for _, a := range ma.aliases {
		for _, u := range lookup(d.byAddr, d.dupAddr, a) {
			d.claimed[u] = true
		}
	}
	if m.ID != "" {
		for _, u := range lookup(d.byOrigin, d.dupOrigin, m.ID) {
			d.claimed[u] = true
		}
	}
}

// match is one Procore user a member's addresses or Entra id lead to.
type match struct {
	user int32
	via  string // the member's address that found it; "" if only by origin_id
}

// memberAction decides the one action of member i.
func (d *differ) memberAction(i int32) Action {
	m := &d.s.Members[i]
	ma := &d.maddr[i]
	first, last, nameNote, nameFromAddr := memberNames(m, ma.addr)
	a := Action{Member: m, Address: ma.addr, FirstName: first, LastName: last}
	groups := groupsNote(m.Groups)

	if why := d.excluded[i]; why != "" {
		a.Kind = KindExcluded
		// Show the Procore user the person already has, so the admin can
		// see what the exclusion leaves in place.
		if ma.addr != "" {
			if us := lookup(d.byAddr, d.dupAddr, ma.addr); len(us) == 1 {
				a.User = &d.s.Users[us[0]]
				why += fmt.Sprintf("; Procore user %d has this address (%s)", a.User.ID, activeWord(a.User))
			}
		}
		a.Reason = joinReason(why, ma.note, groups)
		return a
	}

	// Two eligible members behind one address: whichever was created, the
	// other would match it next time. Only the admin can tell who is who.
	if others := d.multi[ma.addr]; len(others) > 1 {
		a.Kind = KindConflict
		a.Reason = joinReason(fmt.Sprintf("%s resolve to %s: %s", membersWord(len(others)), ma.addr, d.memberList(others)), ma.note, groups)
		return a
	}

	var buf [2]match
	matches := buf[:0]
	add := func(u int32, via string) {
		for _, x := range matches {
			if x.user == u {
				return
			}
		}
		matches = append(matches, match{u, via})
	}
	for j := -1; j < len(ma.aliases); j++ {
		addr := ma.addr
		if j >= 0 {
			addr = ma.aliases[j]
		}
		us := lookup(d.byAddr, d.dupAddr, addr)
		if len(us) > 1 {
			a.Kind = KindConflict
			a.Address = addr
			a.Reason = joinReason(fmt.Sprintf("Procore holds %d users under %s: %s", len(us), addr, d.userList(us)), ma.note, groups)
			return a
		}
		if len(us) == 1 {
			if others := d.multi[addr]; len(others) > 1 {
				a.Kind = KindConflict
				a.Address = addr
				a.Reason = joinReason(fmt.Sprintf("%s have the address %s of Procore user %d: %s", membersWord(len(others)), addr, d.s.Users[us[0]].ID, d.memberList(others)), ma.note, groups)
				return a
			}
			add(us[0], addr)
		}
	}
	if m.ID != "" {
		for _, u := range lookup(d.byOrigin, d.dupOrigin, m.ID) {
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
		what := "no Procore user under " + ma.addr
		if n := len(ma.aliases); n == 1 {
			what += " or its alias " + ma.aliases[0]
		} else if n > 1 {
			what += fmt.Sprintf(" or its %d aliases", n)
		}
		a.Reason = joinReason(what, ma.note, nameNote, groups)
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
	if o, ok := d.memberID[u.OriginID]; ok && u.OriginID != m.ID {
		a.Kind = KindConflict
		a.Reason = joinReason(fmt.Sprintf("Procore user %d under %s was created for another member, %s", u.ID, x.via, d.memberList([]int32{o})), ma.note, groups)
		return a
	}
	matched := "Procore user " + strconv.FormatInt(u.ID, 10)
	if x.via != ma.addr {
		matched = fmt.Sprintf("matched alias %s on Procore user %d", x.via, u.ID)
	}
	namesDiffer := !nameFromAddr && (strings.TrimSpace(u.FirstName) != first || strings.TrimSpace(u.LastName) != last)
	diffNote := ""
	if namesDiffer {
		diffNote = fmt.Sprintf("names differ: Procore has %q, Entra ID has %q", fullName(u.FirstName, u.LastName), fullName(first, last))
	}

	if !u.IsActive {
		since := "inactive in Procore"
		if !u.UpdatedAt.IsZero() {
			since += " since " + u.UpdatedAt.UTC().Format("2006-01-02")
		}
		if d.rules.Reactivate {
			a.Kind = KindReactivate
			a.Reason = joinReason(since+" ("+matched+")", diffNote, ma.note, groups)
		} else {
			a.Kind = KindExcluded
			a.Reason = joinReason(since+" ("+matched+") and procore.reactivate is off", ma.note, groups)
		}
		return a
	}
	switch {
	case namesDiffer && d.rules.UpdateNames:
		a.Kind = KindUpdate
		a.Reason = joinReason(diffNote+" ("+matched+")", ma.note, groups)
	case namesDiffer:
		a.Kind = KindInSync
		a.Reason = joinReason("active "+matched, diffNote+", and procore.update_names is off", ma.note, groups)
	default:
		a.Kind = KindInSync
		a.Reason = joinReason("active "+matched, ma.note, groups)
	}
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
		actions = append(actions, Action{
			Kind:    KindOffboard,
			Address: addr,
			User:    u,
			Reason:  fmt.Sprintf("active Procore user %d in allowed domain %s is in no license group; %s", u.ID, domainOf(addr), tail),
		})
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
// duplicates have one order whatever the input order was.
func sortActions(actions []Action) {
	slices.SortFunc(actions, cmpAction)
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
	buf := make([]byte, 0, 512)
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
	h.Write(buf)
	for i := range actions {
		buf = encodeAction(buf[:0], &actions[i])
		h.Write(buf)
	}
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
