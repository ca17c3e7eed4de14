package provision

import (
	"cmp"
	"math/rand/v2"
	"strings"
	"testing"
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
