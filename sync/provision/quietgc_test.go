package provision

import (
	"testing"

	"procsync/sync/graph"
)

func TestQuietGC(t *testing.T) {
	const page = graph.PageSize
	type step struct{ g, read, total int }
	tests := []struct {
		name  string
		steps []step
		// at is the step after which the collection starts; -1 never.
		at int
		// groups is how many groups there are, if more than the steps name.
		groups int
	}{
		{"one group, starts two pages from its end", []step{{0, page, 5 * page}, {0, 2 * page, 5 * page}, {0, 3 * page, 5 * page}, {0, 4 * page, 5 * page}, {0, 5 * page, 5 * page}}, 2, 0},
		{"waits for every group's count", []step{{0, page, page}, {1, page, 9 * page}, {1, 7 * page, 9 * page}, {1, 8 * page, 9 * page}}, 2, 0},
		{"a group not yet counted holds it", []step{{0, page, page}, {1, page, 2 * page}}, -1, 3},
		{"sums what every group has left", []step{{0, page, 3 * page}, {1, page, 3 * page}, {0, 2 * page, 3 * page}, {1, 3 * page, 3 * page}}, 3, 0},
		{"an uncounted group never starts it", []step{{0, page, -1}, {1, page, page}, {0, 2 * page, -1}}, -1, 0},
		{"a small tenant starts it at once", []step{{0, 40, 40}, {1, 12, 12}}, 1, 0},
		{"once only", []step{{0, page, page}, {0, page, page}}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups := tt.groups
			for _, s := range tt.steps {
				groups = max(groups, s.g+1)
			}
			q := newQuietGC(groups)
			calls, at := 0, -1
			q.collect = func() { calls++ }
			for i, s := range tt.steps {
				q.page(s.g, s.read, s.total)
				if calls == 1 && at < 0 {
					at = i
				}
			}
			if at != tt.at || calls > 1 {
				t.Errorf("started after step %d (%d times), want after step %d (once)", at, calls, tt.at)
			}
		})
	}
}
