package roster

import (
	"cmp"
	"encoding/binary"
	"slices"
	"strings"
)

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
// duplicates have one order whatever the input order was (cmpAction).
//
// It sorts small precomputed keys rather than the actions, and then
// permutes the actions into place: an action is over 100 bytes to swap,
// and the keys answer most comparisons from the kind's rank and the
// address's first 16 bytes without reading the address itself (a cache
// miss each time at 100k actions). cmpAction, which reads the actions, is
// consulted only among keys that tie. Two actions cmpAction finds equal (a
// broken directory holding one person twice) keep the order this sort has
// always given them, which the fingerprint hashes.
func sortActions(actions []Action) []Action {
	keys := make([]sortKey, len(actions))
	for i := range actions {
		a := actions[i].Address
		keys[i] = sortKey{prefix8(a, 0), prefix8(a, 8), int32(kindRank(actions[i].Kind)), int32(i)}
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		if c := a.compare(b); c != 0 {
			return c
		}
		return cmpAction(actions[a.i], actions[b.i])
	})
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

// sortKey is what sortActions sorts: the kind's rank, the address's first
// 16 bytes big-endian in p0 and p1, and the action's index. It is kept to
// 24 bytes, as every comparison sort moves keys around.
type sortKey struct {
	p0, p1 uint64
	rank   int32
	i      int32
}

// compare orders keys by rank, then by the address's first 16 bytes; 0
// says only cmpAction can tell.
func (a sortKey) compare(b sortKey) int {
	if a.rank != b.rank {
		return cmp.Compare(a.rank, b.rank)
	}
	if a.p0 != b.p0 {
		return cmp.Compare(a.p0, b.p0)
	}
	return cmp.Compare(a.p1, b.p1)
}

// prefix8 returns bytes off..off+8 of s as a big-endian number, padded with
// zeros: comparing two such numbers orders like comparing the bytes, and a
// shorter string (zero padding) sorts first, as strings.Compare has it.
// Equal numbers say nothing; the caller then compares the strings.
func prefix8(s string, off int) uint64 {
	if len(s) >= off+8 {
		return binary.BigEndian.Uint64([]byte(s[off : off+8]))
	}
	var x uint64
	for j := off; j < off+8; j++ {
		x <<= 8
		if j < len(s) {
			x |= uint64(s[j])
		}
	}
	return x
}

// cmpAction is the plan's full order: kind, address, the member's Entra id,
// the Procore user's id, a project_add row's project, then the whole
// encoded action.
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
	// One person's project_add rows, by project.
	if a.Project != nil && b.Project != nil {
		if c := cmp.Compare(a.Project.ProjectID, b.Project.ProjectID); c != 0 {
			return c
		}
	}
	return strings.Compare(string(encodeAction(nil, &a)), string(encodeAction(nil, &b)))
}
