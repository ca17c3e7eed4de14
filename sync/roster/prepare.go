package roster

import "hash/maphash"

// PrepareAddresses works out members' addresses under the rules' email
// attribute ahead of Diff, which then only looks them up in its table. A
// snapshot's reads call it on each page of members while the next page is
// on its way: checking, lower-casing and de-duplicating every member's
// address and aliases was half of Diff's indexing at 100,000 members, all
// of it between the last read and the first write.
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
	// inputs and (in the interner's arena) their aliases.
	pres := make([]preparedAddress, len(ms))
	inputs := make([]string, 0, nproxies)
	// Typically the mail, the UPN when it differs, and a proxy or two.
	hashes := make([]uint64, 0, len(ms)*2+nproxies)
	var in interner
	for i := range ms {
		m := &ms[i]
		ma := in.resolve(m, attr)
		start := len(inputs)
		inputs = append(inputs, m.ProxyAddresses...)
		hstart := len(hashes)
		if ma.addr != "" {
			hashes = append(hashes, maphash.String(addrSeed, ma.addr))
		}
		for _, a := range ma.aliases {
			hashes = append(hashes, maphash.String(addrSeed, a))
		}
		pres[i] = preparedAddress{
			attr: attr, mail: m.Mail, upn: m.UserPrincipalName,
			proxies: inputs[start:len(inputs):len(inputs)],
			addr:    ma.addr, aliases: ma.aliases, problem: ma.problem, note: ma.note,
			hashes: hashes[hstart:len(hashes):len(hashes)],
		}
		m.prepared = &pres[i]
		m.addresses = int32(len(pres[i].hashes))
	}
}

// preparedAddress is a member's resolved address as PrepareAddresses found
// it, with the inputs it came from.
type preparedAddress struct {
	attr      string
	mail, upn string
	// proxies is a copy of the member's ProxyAddresses: a change in place
	// to the member's own slice must still tell.
	proxies []string
	// addr and aliases are normalised (lower-case); problem and note are
	// memberAddress's.
	addr          string
	aliases       []string
	problem, note string
	// hashes are addr's (when set) and then the aliases' under addrSeed:
	// Diff's table need not read the addresses of those it does not hold.
	hashes []uint64
}

// preparedFor returns m's prepared addresses if they hold for attr and m's
// address fields are unchanged since, else nil.
func (m *Member) preparedFor(attr string) *preparedAddress {
	p := m.prepared
	if p == nil || p.attr != attr || p.mail != m.Mail || p.upn != m.UserPrincipalName || len(p.proxies) != len(m.ProxyAddresses) {
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
	ma := memberAddress{slot: -1, problem: p.problem, note: p.note}
	hashes := p.hashes
	if p.addr != "" {
		ma.addr = p.addr
		in.pend = append(in.pend, pending{h: hashes[0], key: p.addr, who: in.cur, target: targetAddr})
		hashes = hashes[1:]
	}
	start := len(in.arena)
	for j, a := range p.aliases {
		in.pend = append(in.pend, pending{h: hashes[j], key: a, who: in.cur, target: int32(j)})
		in.arena = append(in.arena, a)
		in.slotArena = append(in.slotArena, -1)
	}
	end := len(in.arena)
	ma.aliases = in.arena[start:end:end]
	ma.alias = int32(start)
	return ma
}
