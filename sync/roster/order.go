package roster

import (
	"cmp"
	"encoding/binary"
	"math/bits"
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
// consulted only among keys that tie.
func sortActions(actions []Action) []Action {
	keys := make([]sortKey, len(actions))
	fill := func() {
		for i := range actions {
			a := actions[i].Address
			keys[i] = sortKey{prefix8(a, 0), prefix8(a, 8), int32(kindRank(actions[i].Kind)), int32(i)}
		}
	}
	fill()
	tie := func(a, b sortKey) int { return cmpAction(actions[a.i], actions[b.i]) }
	sortKeys(keys, bits.Len(uint(len(keys)))*2, tie)
	// Without two actions that cmpAction finds equal there is one sorted
	// order, whichever algorithm finds it. With them (a broken directory
	// holding one person twice), the order of the pair is the sort's own
	// and the fingerprint hashes it: those plans are sorted the way they
	// always were, so that their fingerprints stay what they were.
	for j := 1; j < len(keys); j++ {
		if keys[j-1].compare(keys[j]) == 0 && tie(keys[j-1], keys[j]) == 0 {
			fill()
			slices.SortFunc(keys, func(a, b sortKey) int {
				if c := a.compare(b); c != 0 {
					return c
				}
				return tie(a, b)
			})
			break
		}
	}
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

// less orders keys as compare does, asking tie (cmpAction) only when
// compare cannot tell.
func (a *sortKey) less(b *sortKey, tie func(a, b sortKey) int) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	if a.p0 != b.p0 {
		return a.p0 < b.p0
	}
	if a.p1 != b.p1 {
		return a.p1 < b.p1
	}
	return tie(*a, *b) < 0
}

// sortKeys sorts keys by compare and then tie. It is a quicksort rather
// than slices.SortFunc because its comparisons of keys are inlined: a
// comparison through a function value costs more than the comparison
// itself, some two million times at 100k actions. Past depth levels of
// bad pivots it hands the rest to slices.SortFunc, so that no input makes
// it quadratic.
func sortKeys(keys []sortKey, depth int, tie func(a, b sortKey) int) {
	for len(keys) > 12 {
		if depth == 0 {
			slices.SortFunc(keys, func(a, b sortKey) int {
				if c := a.compare(b); c != 0 {
					return c
				}
				return tie(a, b)
			})
			return
		}
		depth--
		// The median of the first, middle and last keys is the pivot,
		// moved to keys[0].
		m, l := len(keys)/2, len(keys)-1
		if keys[m].less(&keys[0], tie) {
			keys[m], keys[0] = keys[0], keys[m]
		}
		if keys[l].less(&keys[m], tie) {
			keys[l], keys[m] = keys[m], keys[l]
			if keys[m].less(&keys[0], tie) {
				keys[m], keys[0] = keys[0], keys[m]
			}
		}
		keys[0], keys[m] = keys[m], keys[0]
		pivot := keys[0]
		// Hoare's partition: keys equal to the pivot stop both scans,
		// which keeps runs of equal keys balanced.
		i, j := 1, l
		for {
			for i <= j && keys[i].less(&pivot, tie) {
				i++
			}
			for i <= j && pivot.less(&keys[j], tie) {
				j--
			}
			if i >= j {
				break
			}
			keys[i], keys[j] = keys[j], keys[i]
			i++
			j--
		}
		keys[0], keys[j] = keys[j], keys[0]
		// Recurse into the smaller side, loop on the larger.
		if j < l-j {
			sortKeys(keys[:j], depth, tie)
			keys = keys[j+1:]
		} else {
			sortKeys(keys[j+1:], depth, tie)
			keys = keys[:j]
		}
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j].less(&keys[j-1], tie); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
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
