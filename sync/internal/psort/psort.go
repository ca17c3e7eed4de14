// Package psort sorts large slices on two cores.
//
// Between procsync's last read and its first write, the snapshot's merge
// and the plan each sort over 100,000 small keys at the largest tenants:
// tens of milliseconds each on one core, with the other core idle.
package psort

import (
	"runtime"
	"slices"
	"sync"
)

// MinParallel is the shortest slice SortFunc sorts on two cores; below it
// the second goroutine and the merge cost more than they save.
const MinParallel = 8192

// SortFunc sorts s by cmp, as slices.SortFunc does: each half on a core of
// its own, then merged. cmp must be a strict weak ordering; elements it
// finds equal may end in any order (slices.SortFunc is not stable either).
func SortFunc[E any](s []E, cmp func(a, b E) int) {
	if len(s) < MinParallel || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(s, cmp)
		return
	}
	mid := len(s) / 2
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(s[mid:], cmp) })
	slices.SortFunc(s[:mid], cmp)
	wg.Wait()
	// The halves are merged from a copy of the first: at most half of s
	// is copied, and the merge writes s from the front, never past what
	// it has read.
	a := slices.Clone(s[:mid])
	i, j, k := 0, mid, 0
	for i < len(a) && j < len(s) {
		if cmp(s[j], a[i]) < 0 {
			s[k] = s[j]
			j++
		} else {
			s[k] = a[i]
			i++
		}
		k++
	}
	copy(s[k:], a[i:])
}
