package roster

import (
	"cmp"
	"slices"
	"strings"
)

// memberAction decides the one action of member i into a, a zero Action
// (filled in place: an Action is too large to return by value 100k times):
// classify says what happens and to which Procore user, describe says why
// in an admin's words.
func (d *differ) memberAction(i int32, a *Action) {
	m := &d.s.Members[i]
	first, last, nameNote, nameFromAddr := memberNames(m, d.addrOf(i).addr)
	v := d.classify(i, first, last, nameFromAddr)
	a.Kind, a.Member, a.Address, a.FirstName, a.LastName = v.kind, m, v.addr, first, last
	if v.user >= 0 {
		a.User = &d.s.Users[v.user]
	}
	if v.kind == KindConflict {
		a.Candidates = d.candidates(&v)
	}
	if len(d.rules.Map) > 0 {
		switch v.kind {
		case KindCreate:
			a.Attributes, v.attrNotes = d.rules.Map.changes(m, &ProcoreUser{})
		case KindUpdate:
			a.Attributes = v.attrs
			if !v.namesDiffer || !d.rules.UpdateNames {
				// The row changes mapped fields only: it writes the names
				// Procore has, so that nothing but those fields changes.
				a.FirstName, a.LastName = a.User.FirstName, a.User.LastName
			}
		}
	}
	a.Reason = d.describe(i, &v, first, last, nameNote)
}

// rule is the rule of classify that decided a member's action; describe
// words the reason after it.
type rule uint8

const (
	// ruleExcluded: the member is not eligible (d.excluded says why).
	ruleExcluded rule = iota
	// ruleSharedAddress: several eligible members resolve to the member's
	// address.
	ruleSharedAddress
	// ruleProcoreDuplicates: Procore holds several users under one of the
	// member's addresses (verdict.slot).
	ruleProcoreDuplicates
	// ruleSharedUser: several eligible members have the address
	// (verdict.slot) of one Procore user.
	ruleSharedUser
	// ruleSeveralMatches: the member's addresses and Entra id lead to
	// different Procore users (d.matches).
	ruleSeveralMatches
	// ruleNew: no Procore user is this member.
	ruleNew
	// ruleOriginElsewhere: the only match is by origin_id, under an address
	// that is none of the member's.
	ruleOriginElsewhere
	// ruleAnotherMember: the matched Procore user was created for another
	// member (verdict.other).
	ruleAnotherMember
	// ruleMatched: one Procore user matched; the kind says what changes.
	ruleMatched
)

// verdict is what classify decided for one member.
type verdict struct {
	kind Kind
	rule rule
	// addr is the address the action is about.
	addr string
	// user is the Procore user the action carries; -1 for none.
	user int32
	// slot is the address slot a conflict is about.
	slot int32
	// other is the member a matched user was created for (ruleAnotherMember).
	other int32
	// namesDiffer says the matched user's names are not the member's.
	namesDiffer bool
	// linked says the match was decided by origin_id over a conflict of
	// addresses: an admin linked this member to the user (see linked).
	linked bool
	// attrs are the mapped fields that differ on an active matched user;
	// attrNotes say which Entra values could not be mapped.
	attrs     []AttributeChange
	attrNotes []string
}

// match is one Procore user a member's addresses or Entra id lead to.
type match struct {
	user int32
	via  string // the member's address that found it; "" if only by origin_id
}

// classify decides member i's kind and the Procore user it is about. The
// order of the checks is the contract: exclusion first, then every reason
// to let the admin decide (conflicts), and only then create or match.
func (d *differ) classify(i int32, first, last string, nameFromAddr bool) verdict {
	v := d.classifyByAddress(i, first, last, nameFromAddr)
	if v.kind != KindConflict {
		return v
	}
	// A Procore user whose origin_id is this member's Entra id is this
	// person: procsync wrote it on creation, or an admin linked them to
	// resolve exactly this conflict. It wins over the addresses, so that a
	// resolved conflict stays resolved.
	if u, via, ok := d.linkedUser(i); ok {
		d.matches = append(d.matches[:0], match{u, via})
		lv := verdict{addr: via, user: -1, slot: -1, other: -1}
		lv = d.matched(i, lv, d.matches[0], first, last, nameFromAddr)
		lv.linked = true
		return lv
	}
	return v
}

// linkedUser returns the one Procore user whose origin_id is member i's
// Entra id, when that user's address is one of the member's; the address
// is the one it matched under. A user under an address that is none of the
// member's any more is not taken: that is a conflict of its own
// (ruleOriginElsewhere) which linking does not settle.
func (d *differ) linkedUser(i int32) (int32, string, bool) {
	m := &d.s.Members[i]
	if m.ID == "" || len(d.byOrigin) == 0 {
		return -1, "", false
	}
	var buf [1]int32
	us := lookup(buf[:0], d.byOrigin, d.dupOrigin, m.ID)
	if len(us) != 1 {
		return -1, "", false
	}
	ma := d.addrOf(i)
	ua := d.userAddr(us[0])
	if ua == "" {
		return -1, "", false
	}
	if ua == ma.addr {
		return us[0], ua, true
	}
	for _, a := range ma.aliases {
		if a == ua {
			return us[0], ua, true
		}
	}
	return -1, "", false
}

// candidates lists the Procore users a conflict is about, sorted by id:
// the users an operator may link the member to.
func (d *differ) candidates(v *verdict) []*ProcoreUser {
	var buf [1]int32
	var idx []int32
	switch v.rule {
	case ruleSharedAddress, ruleProcoreDuplicates, ruleSharedUser:
		idx = append(idx, d.usersAt(buf[:0], v.slot)...)
	case ruleSeveralMatches:
		for _, x := range d.matches {
			idx = append(idx, x.user)
		}
	case ruleOriginElsewhere, ruleAnotherMember:
		if v.user >= 0 {
			idx = append(idx, v.user)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	out := make([]*ProcoreUser, 0, len(idx))
	for _, u := range idx {
		out = append(out, &d.s.Users[u])
	}
	slices.SortFunc(out, func(a, b *ProcoreUser) int { return cmp.Compare(a.ID, b.ID) })
	return slices.CompactFunc(out, func(a, b *ProcoreUser) bool { return a == b })
}

// classifyByAddress is classify without the origin_id link: the verdict the
// member's addresses give.
func (d *differ) classifyByAddress(i int32, first, last string, nameFromAddr bool) verdict {
	ma := d.addrOf(i)
	v := verdict{addr: ma.addr, user: -1, slot: ma.slot, other: -1}
	var buf [1]int32

	if d.excluded[i] != "" {
		v.kind, v.rule = KindExcluded, ruleExcluded
		// Show the Procore user the person already has, so the admin can
		// see what the exclusion leaves in place.
		if ma.addr != "" {
			if us := d.usersAt(buf[:0], ma.slot); len(us) == 1 {
				v.user = us[0]
			}
		}
		return v
	}
	// Two eligible members behind one address: whichever was created, the
	// other would match it next time. Only the admin can tell who is who.
	v.kind = KindConflict
	if len(d.owners(ma.slot)) > 1 {
		v.rule = ruleSharedAddress
		return v
	}
	if r, addr, slot := d.findMatches(i); r != ruleMatched {
		v.rule, v.addr, v.slot = r, addr, slot
		return v
	}
	switch len(d.matches) {
	case 0:
		v.kind, v.rule = KindCreate, ruleNew
		return v
	case 1:
	default:
		v.rule = ruleSeveralMatches
		return v
	}

	return d.matched(i, v, d.matches[0], first, last, nameFromAddr)
}

// matched decides the kind of member i matched to one Procore user x.
func (d *differ) matched(i int32, v verdict, x match, first, last string, nameFromAddr bool) verdict {
	u := &d.s.Users[x.user]
	v.user = x.user
	if x.via == "" {
		v.rule, v.addr = ruleOriginElsewhere, d.userAddr(x.user)
		return v
	}
	v.addr = x.via
	if u.OriginID != "" && u.OriginID != d.s.Members[i].ID {
		if o, ok := d.memberID[u.OriginID]; ok {
			v.rule, v.other = ruleAnotherMember, o
			return v
		}
	}
	v.rule = ruleMatched
	v.namesDiffer = !nameFromAddr && (strings.TrimSpace(u.FirstName) != first || strings.TrimSpace(u.LastName) != last)
	if u.IsActive && len(d.rules.Map) > 0 {
		v.attrs, v.attrNotes = d.rules.Map.changes(&d.s.Members[i], u)
	}
	switch {
	case !u.IsActive && d.rules.Reactivate:
		v.kind = KindReactivate
	case !u.IsActive:
		v.kind = KindExcluded
	case v.namesDiffer && d.rules.UpdateNames, len(v.attrs) > 0:
		v.kind = KindUpdate
	default:
		v.kind = KindInSync
	}
	return v
}

// findMatches collects in d.matches the Procore users member i's
// addresses (primary first, then aliases) and Entra id lead to, each once.
// It stops at the first address that is a conflict of its own and returns
// its rule, address and slot; otherwise it returns ruleMatched.
func (d *differ) findMatches(i int32) (rule, string, int32) {
	m := &d.s.Members[i]
	ma := d.addrOf(i)
	d.matches = d.matches[:0]
	var buf [1]int32
	for j := -1; j < len(ma.aliases); j++ {
		addr, slot := ma.addr, ma.slot
		if j >= 0 {
			addr, slot = ma.aliases[j], d.aliasSlot(ma, j)
		}
		us := d.usersAt(buf[:0], slot)
		if len(us) > 1 {
			return ruleProcoreDuplicates, addr, slot
		}
		if len(us) == 1 {
			if len(d.owners(slot)) > 1 {
				return ruleSharedUser, addr, slot
			}
			d.addMatch(us[0], addr)
		}
	}
	if m.ID != "" && len(d.byOrigin) > 0 {
		for _, u := range lookup(buf[:0], d.byOrigin, d.dupOrigin, m.ID) {
			d.addMatch(u, "")
		}
	}
	return ruleMatched, ma.addr, ma.slot
}

// addMatch adds Procore user u to d.matches unless it is there already.
func (d *differ) addMatch(u int32, via string) {
	for _, x := range d.matches {
		if x.user == u {
			return
		}
	}
	d.matches = append(d.matches, match{u, via})
}
