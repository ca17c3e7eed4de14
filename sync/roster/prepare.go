package roster

// PrepareAddresses works out members' addresses under the rules' email
// attribute ahead of Diff, which then only looks them up in its table. A
// snapshot's reads call it on each page of members while the next page is
// on its way: checking, lower-casing, de-duplicating and hashing every
// member's address and aliases was half of Diff's indexing at 100,000
// members, all of it between the last read and the first write. It keeps
// about 240 bytes per member of three addresses.
//
// It changes no decision. Diff uses a member's prepared addresses only when
// they were prepared for the attribute it plans with and the member's Mail,
// UserPrincipalName and ProxyAddresses are still the values they were
// prepared from; otherwise it resolves the member as it always has.
func PrepareAddresses(ms []Member, r Rules) {
	if len(ms) == 0 {
		return
	}
	attr := r.emailAttribute()
	nproxies := 0
	for i := range ms {
		nproxies += len(ms[i].ProxyAddresses)
	}
	// One allocation each for the page's records, the copies of their
	// inputs and their addresses: typically the mail, the UPN when it
	// differs, and a proxy or two.
	pres := make([]preparedAddress, len(ms))
	inputs := make([]string, 0, nproxies)
	addrs := make([]hashedAddr, 0, len(ms)+nproxies)
	var in interner
	for i := range ms {
		m := &ms[i]
		// The interner's arena is scratch here: each member's aliases
		// are copied out before the next one's are resolved.
		in.arena, in.slotArena = in.arena[:0], in.slotArena[:0]
		ma := in.resolve(m, attr)
		start := len(inputs)
		inputs = append(inputs, m.ProxyAddresses...)
		astart := len(addrs)
		if ma.addr != "" {
			addrs = append(addrs, hashedAddr{ma.addr, hashAddr(ma.addr)})
		}
		for _, a := range ma.aliases {
			addrs = append(addrs, hashedAddr{a, hashAddr(a)})
		}
		p := &pres[i]
		*p = preparedAddress{
			mail: m.Mail, upn: m.UserPrincipalName,
			proxies:  inputs[start:len(inputs):len(inputs)],
			addrs:    addrs[astart:len(addrs):len(addrs)],
			upnFirst: attr == EmailAttributeUPN, hasAddr: ma.addr != "",
		}
		if ma.problem != "" || ma.note != "" {
			p.text = &[2]string{ma.problem, ma.note}
		}
		m.prepared = p
	}
}

// ReleasePrepared drops what PrepareAddresses kept for members, once no
// plan of them is to be made any more (a plan made later resolves them as
// usual): about 240 bytes a member that the rest of a run need not carry.
// No Diff of the members may run meanwhile.
func ReleasePrepared(ms []Member) {
	for i := range ms {
		ms[i].prepared = nil
	}
}

// preparedAddress is a member's resolved address as PrepareAddresses found
// it, with the inputs it came from. Diff keeps one per member for the
// whole run, so it is kept small.
type preparedAddress struct {
	mail, upn string
	// proxies is a copy of the member's ProxyAddresses: a change in place
	// to the member's own slice must still tell.
	proxies []string
	// addrs are the normalised (lower-case) address, when hasAddr, and
	// then the aliases, each with its hash under addrSeed: Diff's table
	// need not read the addresses of those it does not hold.
	addrs []hashedAddr
	// text is memberAddress's problem and note, when there is either.
	text              *[2]string
	upnFirst, hasAddr bool
}

// hashedAddr is a normalised address and its hash under addrSeed.
type hashedAddr struct {
	s string
	h uint64
}

// preparedFor returns m's prepared addresses if they hold for attr and m's
// address fields are unchanged since, else nil.
func (m *Member) preparedFor(attr string) *preparedAddress {
	p := m.prepared
	if p == nil || p.upnFirst != (attr == EmailAttributeUPN) || p.mail != m.Mail || p.upn != m.UserPrincipalName || len(p.proxies) != len(m.ProxyAddresses) {
		return nil
	}
	for i, v := range p.proxies {
		if v != m.ProxyAddresses[i] {
			return nil
		}
	}
	return p
}

// fromPrepared is resolve for a member whose addresses were prepared: it
// queues the same lookups, in the same order, as resolve would have.
func (in *interner) fromPrepared(p *preparedAddress) memberAddress {
	ma := memberAddress{slot: -1}
	if p.text != nil {
		ma.problem, ma.note = p.text[0], p.text[1]
	}
	aliases := p.addrs
	if p.hasAddr {
		ma.addr = aliases[0].s
		in.pend = append(in.pend, pending{h: aliases[0].h, key: ma.addr, who: in.cur, target: targetAddr})
		aliases = aliases[1:]
	}
	start := len(in.arena)
	for j, a := range aliases {
		in.pend = append(in.pend, pending{h: a.h, key: a.s, who: in.cur, target: int32(j)})
		in.arena = append(in.arena, a.s)
		in.slotArena = append(in.slotArena, -1)
	}
	end := len(in.arena)
	ma.aliases = in.arena[start:end:end]
	ma.alias = int32(start)
	return ma
}
