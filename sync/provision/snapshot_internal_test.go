package provision

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"procsync/sync/graph"
	"procsync/sync/roster"
)

// The merge sorts members by the ids' 16-byte prefixes, then the whole
// ids: that must be exactly the ids' own order, for ids of any length,
// zero bytes included.
func TestIDPrefixOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := "\x00\x01ab-f09\xff"
	gen := func() string {
		var b strings.Builder
		for range r.IntN(22) {
			b.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	byPrefix := func(a, b string) int {
		a0, a1 := idPrefix(a)
		b0, b1 := idPrefix(b)
		return cmp.Or(cmp.Compare(a0, b0), cmp.Compare(a1, b1), strings.Compare(a, b))
	}
	for range 200000 {
		a, b := gen(), gen()
		if r.IntN(4) == 0 {
			// Shared prefixes are where the padding matters.
			b = a[:r.IntN(len(a)+1)] + gen()
		}
		if got, want := byPrefix(a, b), strings.Compare(a, b); got != want {
			t.Fatalf("%q vs %q: %d, want %d", a, b, got, want)
		}
	}
}

// The merge copies people out on two cores when there are many: the result
// must be what one core gives, each person once, sorted by id, with every
// group they are in and the record of the first group read.
func TestMergeOnTwoCoresAsOnOne(t *testing.T) {
	r := &snapshotReads{}
	rnd := rand.New(rand.NewPCG(3, 4))
	for g := range 3 {
		r.groups = append(r.groups, graph.MatchedGroup{Group: graph.Group{ID: fmt.Sprintf("g%d", g), DisplayName: fmt.Sprintf("License – %d", 3-g)}})
		var ms []roster.Member
		for range 6000 {
			id := fmt.Sprintf("%08x-%04x", rnd.IntN(9000), rnd.IntN(3))
			ms = append(ms, roster.Member{ID: id, DisplayName: fmt.Sprintf("from group %d", g)})
		}
		r.members = append(r.members, ms)
	}
	prev := runtime.GOMAXPROCS(1)
	one := r.snapshot(time.Time{})
	runtime.GOMAXPROCS(max(2, prev))
	two := r.snapshot(time.Time{})
	runtime.GOMAXPROCS(prev)
	if !reflect.DeepEqual(one, two) {
		t.Fatal("the merge on two cores differs from the merge on one")
	}
	if len(two.Members) < 2*minMergePart {
		t.Fatalf("%d people: too few for the merge to use two cores", len(two.Members))
	}
	first := map[string]int{}
	for g := len(r.members) - 1; g >= 0; g-- {
		for _, m := range r.members[g] {
			first[m.ID] = g
		}
	}
	if len(first) != len(two.Members) {
		t.Fatalf("%d people, want %d", len(two.Members), len(first))
	}
	for i, m := range two.Members {
		if want := fmt.Sprintf("from group %d", first[m.ID]); m.DisplayName != want {
			t.Fatalf("%s: the record %q, want the first group's, %q", m.ID, m.DisplayName, want)
		}
		if i > 0 && two.Members[i-1].ID >= m.ID {
			t.Fatalf("people %d and %d out of order or twice: %q, %q", i-1, i, two.Members[i-1].ID, m.ID)
		}
		if !slices.IsSorted(m.Groups) || len(m.Groups) == 0 {
			t.Fatalf("%s: groups %q", m.ID, m.Groups)
		}
	}
}

// BenchmarkMerge measures the snapshot's merge, which stands between the
// last read and the plan: 135,000 members (Entra object ids) in three
// groups, a tenth of them in two.
func BenchmarkMerge(b *testing.B) {
	r := &snapshotReads{}
	rnd := rand.New(rand.NewPCG(5, 6))
	id := func() string {
		return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rnd.Uint32(), rnd.IntN(1<<16), rnd.IntN(1<<16), rnd.IntN(1<<16), rnd.Int64N(1<<48))
	}
	for g := range 3 {
		r.groups = append(r.groups, graph.MatchedGroup{Group: graph.Group{ID: fmt.Sprintf("g%d", g), DisplayName: fmt.Sprintf("License – %d", g)}})
		r.members = append(r.members, nil)
	}
	for range 135000 {
		m := roster.Member{ID: id(), DisplayName: "someone"}
		g := rnd.IntN(3)
		r.members[g] = append(r.members[g], m)
		if rnd.IntN(10) == 0 {
			r.members[(g+1)%3] = append(r.members[(g+1)%3], m)
		}
	}
	for b.Loop() {
		r.snapshot(time.Time{})
	}
}
