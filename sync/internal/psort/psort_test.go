package psort

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSortFunc(t *testing.T) {
	type kv struct{ k, v int }
	byKey := func(a, b kv) int { return cmp.Compare(a.k, b.k) }
	for _, n := range []int{0, 1, 100, MinParallel - 1, MinParallel, MinParallel + 1, 3*MinParallel + 7} {
		rng := rand.New(rand.NewPCG(uint64(n), 18))
		s := make([]kv, n)
		for i := range s {
			// Few distinct keys: many ties, which must all survive.
			s[i] = kv{rng.IntN(max(n/8, 1)), i}
		}
		want := slices.Clone(s)
		slices.SortStableFunc(want, byKey)
		SortFunc(s, byKey)
		if !slices.IsSortedFunc(s, byKey) {
			t.Fatalf("n=%d: not sorted", n)
		}
		// Ties may be in any order: compare as sorted multisets.
		got := slices.Clone(s)
		byBoth := func(a, b kv) int { return cmp.Or(byKey(a, b), cmp.Compare(a.v, b.v)) }
		slices.SortFunc(got, byBoth)
		slices.SortFunc(want, byBoth)
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d: elements lost or duplicated", n)
		}
	}
}

func BenchmarkSortFunc(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]uint64, 135000)
	for i := range src {
		src[i] = rng.Uint64()
	}
	s := make([]uint64, len(src))
	b.Run("one-core", func(b *testing.B) {
		for b.Loop() {
			copy(s, src)
			slices.SortFunc(s, cmp.Compare[uint64])
		}
	})
	b.Run("psort", func(b *testing.B) {
		for b.Loop() {
			copy(s, src)
			SortFunc(s, cmp.Compare[uint64])
		}
	})
}
