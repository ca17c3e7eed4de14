package provision

import (
	"runtime"
	"sync"

	"procsync/sync/graph"
)

// quietGC starts one garbage collection while the snapshot's last pages
// are on their way, when the process mostly waits.
//
// The heap grows through the reads (the members, and each page's answer
// as garbage), so a collection is usually due soon after them: left to
// itself, it came between the last read and the first write, at a large
// tenant every time, and took a core from the plan there while it marked
// the whole snapshot. Started at the reads' last stretch instead, it
// marks mostly while the last pages are in flight, and the plan starts
// on a fresh heap: at 135,000 members, with the simulator in a process of
// its own, the last read to the first write took 0.60–0.63 s in three
// runs, against 0.54–0.78 s without it (the plan itself usually still
// sees a shorter collection later). It frees memory sooner and adds no
// collection: it takes the place of the one that was due.
type quietGC struct {
	mu sync.Mutex
	// left is each group's members still to read; -1 until its first
	// page says how many it has.
	left  []int
	fired bool
	// collect starts the collection; tests replace it.
	collect func()
}

// quietPages is how many pages short of the end of every group's read
// quietGC starts the collection: with the next page already requested
// (graph's paging asks for it before handing over the current one), the
// last two are in flight or nearly so.
const quietPages = 2

func newQuietGC(groups int) *quietGC {
	q := &quietGC{left: make([]int, groups), collect: func() { go runtime.GC() }}
	for i := range q.left {
		q.left[i] = -1
	}
	return q
}

// page records that group g has read members of total (-1 when Graph did
// not count them: then no collection is started, since the end cannot be
// seen coming).
func (q *quietGC) page(g, read, total int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fired {
		return
	}
	if total < 0 {
		// Never: the reads' end cannot be seen coming.
		q.fired = true
		return
	}
	q.left[g] = max(total-read, 0)
	sum := 0
	for _, n := range q.left {
		if n < 0 {
			return
		}
		sum += n
	}
	if sum <= quietPages*graph.PageSize {
		q.fired = true
		q.collect()
	}
}
