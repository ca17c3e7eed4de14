package roster

import "hash/maphash"

// addrTable is Diff's address table: it finds the slot (in interner.slots)
// of a normalised address, adding one when there is none, in a single
// probe. A Go map needs a lookup and then an assignment for every new
// address, and its entries (a string header and a value each) are three
// times the size of these: at 100k members and as many Procore users the
// table is Diff's hottest memory.
//
// It is open addressing with linear probing over 64-bit entries: the upper
// 32 bits hold the address's hash, the lower ones its slot + 1 (0 marks an
// empty entry). Only an entry whose hash matches is compared with the
// slot's address. The seed is random, as a Go map's is, so that no crafted
// directory can make the probes long; it changes where entries sit, never
// what Diff decides. It is the process's (addrSeed), not the table's, so
// that PrepareAddresses can hash members' addresses while the snapshot is
// still being read.
type addrTable struct {
	entries []uint64
	n       int // entries in use
	// text holds the new addresses that had to be lower-cased: one
	// allocation per block rather than per address.
	text textArena
}

// pending is one queued lookup of the interner: a checked address, its
// hash, and where settle puts its string and slot.
type pending struct {
	h uint64
	// key is the address when it was lower-case already; else the
	// lower-cased bytes are interner.lower[off:off+n].
	key    string
	off, n int32
	// who is the member or user index; target is which of their
	// addresses it is: targetAddr (the member's or user's address) or the
	// index of a member's alias.
	who, target int32
}

// targetAddr is pending.target for a member's or a user's own address.
const targetAddr = -1

// newAddrTable returns a table sized for about n addresses.
func newAddrTable(n int) *addrTable {
	size := 1024
	for size < 2*n {
		size <<= 1
	}
	return &addrTable{entries: make([]uint64, size)}
}

// hashAddr and hashAddrBytes hash a normalised address for every table;
// the two agree on the same bytes (hash/maphash promises it).
func hashAddr(s string) uint64      { return maphash.String(addrSeed, s) }
func hashAddrBytes(b []byte) uint64 { return maphash.Bytes(addrSeed, b) }

// addrSeed is every table's seed: one per process, so that
// PrepareAddresses can hash addresses ahead of Diff.
var addrSeed = maphash.MakeSeed()

// find returns the slot of the normalised address with hash h, which is
// keyStr, or else key (scratch space); it appends a new slot for it to
// *slots when there is none, keeping keyStr as the slot's address or a
// copy of key (in t.text).
func (t *addrTable) find(slots *[]addrSlot, h uint64, key []byte, keyStr string) int32 {
	tag := h >> 32
	mask := uint64(len(t.entries) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		e := t.entries[i]
		if e == 0 {
			id := int32(len(*slots))
			addr := keyStr
			if key != nil {
				addr = t.text.add(key)
			}
			*slots = append(*slots, addrSlot{addr: addr, user: -1, owner: -1})
			t.entries[i] = tag<<32 | uint64(id+1)
			t.n++
			if 2*t.n > len(t.entries) {
				t.grow(*slots)
			}
			return id
		}
		if e>>32 != tag {
			continue
		}
		id := int32(uint32(e) - 1)
		if key == nil && (*slots)[id].addr == keyStr || key != nil && (*slots)[id].addr == string(key) {
			return id
		}
	}
}

// settle looks up every queued address of the batch, in the order they
// were queued, and calls put with each one's shared string and slot.
func (in *interner) settle(put func(p *pending, addr string, slot int32)) {
	for i := range in.pend {
		p := &in.pend[i]
		var id int32
		if p.key != "" {
			id = in.table.find(&in.slots, p.h, nil, p.key)
		} else {
			id = in.table.find(&in.slots, p.h, in.lower[p.off:p.off+p.n], "")
		}
		put(p, in.slots[id].addr, id)
	}
	in.pend, in.lower = in.pend[:0], in.lower[:0]
}

// grow doubles the table, placing every slot's address anew.
func (t *addrTable) grow(slots []addrSlot) {
	t.entries = make([]uint64, 2*len(t.entries))
	mask := uint64(len(t.entries) - 1)
	for id := range slots {
		h := hashAddr(slots[id].addr)
		i := h & mask
		for t.entries[i] != 0 {
			i = (i + 1) & mask
		}
		t.entries[i] = h>>32<<32 | uint64(id+1)
	}
}
