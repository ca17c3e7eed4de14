package provision_test

import (
	"context"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"procsync/sync/graph"
	"procsync/sync/internal/httpx"
	"procsync/sync/provision"
	"procsync/sync/sim"
)

// budgetClock is the simulator's clock in TestSnapshotUnderGraphBudget. It
// stands still, and moves only when the Graph client waits: the client's
// retry waits advance it instead of sleeping. A Retry-After is therefore
// exactly as long on the simulator's clock as the client waited, whatever
// the machine's speed, and Graph's 10-second windows pass at once.
type budgetClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *budgetClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *budgetClock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func TestSnapshotUnderGraphBudget(t *testing.T) {
	clean := startSnapSim(t, sim.Options{Tenant: snapTenant(300, 20)})
	want, err := provision.TakeSnapshot(context.Background(), simSources(t, clean.URL), provision.SnapshotOptions{NamePrefixes: licensePrefixes})
	if err != nil {
		t.Fatal(err)
	}

	// The group search (1 unit) and six member pages at 2 units each
	// ($select) need 13 units; at 4 units per 10 s, with the clock moving
	// only while the client waits, that takes at least four windows, so at
	// least three throttled requests told to wait up to 10 s each.
	start := time.Now()
	clk := &budgetClock{t: start}
	srv := startSnapSim(t, sim.Options{Tenant: snapTenant(300, 20), GraphResourceUnits: 4, Now: clk.now})
	src := simSources(t, srv.URL)
	g, _ := simSignIn(srv.URL)
	src.Graph = graph.New(g.client(), srv.URL+"/graph",
		graph.WithRetry(httpx.Options{WaitScale: 1, MaxRetries: 20, Sleep: clk.sleep}))
	got, err := provision.TakeSnapshot(context.Background(), src, provision.SnapshotOptions{NamePrefixes: licensePrefixes})
	if err != nil {
		t.Fatal(err)
	}
	got.TakenAt, want.TakenAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot under a Graph budget differs: %d members, %d groups; want %d, %d",
			len(got.Members), len(got.Groups), len(want.Members), len(want.Groups))
	}
	if n := srv.Sim.GraphThrottled(); n < 3 {
		t.Fatalf("%d requests throttled, want at least 3: the budget did not bite", n)
	} else {
		t.Logf("%d Graph requests throttled; the simulator's clock moved %v", n, clk.now().Sub(start))
	}

	// Every throttled request was sent again, and not before its
	// Retry-After had passed on the simulator's clock.
	log := srv.Sim.Requests()
	for i, r := range log {
		if r.Service != sim.ServiceGraph || r.Status != http.StatusTooManyRequests {
			continue
		}
		ra, err := strconv.Atoi(r.ResponseHeader.Get("Retry-After"))
		if err != nil || ra < 1 || ra > 10 {
			t.Fatalf("429 for %s with Retry-After %q, want 1 to 10 seconds", r.Path, r.ResponseHeader.Get("Retry-After"))
		}
		retried := false
		for _, next := range log[i+1:] {
			if next.Service == r.Service && next.Method == r.Method && next.Path == r.Path && next.Query == r.Query {
				if early := r.Time.Add(time.Duration(ra) * time.Second).Sub(next.Time); early > 0 {
					t.Errorf("%s?%s retried %v before its Retry-After of %d s", r.Path, r.Query, early, ra)
				}
				retried = true
				break
			}
		}
		if !retried {
			t.Errorf("throttled %s?%s was never retried", r.Path, r.Query)
		}
	}
}
