package provision_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"procsync/sync/procore"
	"procsync/sync/provision"
	"procsync/sync/sim"
)

// benchTenant has 8 license groups with 50,000 members in all, uneven as
// real license groups are, and 50,000 Procore users (45,000 active).
func benchTenant() *sim.Tenant {
	t := sim.NewTenant(99)
	sizes := []int{12000, 9000, 8000, 7000, 5000, 4000, 3000, 2000}
	for i, n := range sizes {
		name := fmt.Sprintf("License – Plan %d", i+1)
		t.AddGroup(name)
		t.AddUsers(name, n)
	}
	t.AddProcoreUsers(45000, "", true)
	t.AddProcoreUsers(5000, "", false)
	return t
}

// minRequests is the fewest Graph and Procore API requests a complete read
// can take: one group search, one request per member page of 999, one per
// Procore page at the size the server grants.
func minRequests(t *sim.Tenant) int {
	n := 1
	for _, g := range t.Groups {
		if strings.HasPrefix(g.DisplayName, "License – ") {
			n += (len(g.Members) + 998) / 999
		}
	}
	var active, inactive int
	for _, u := range t.ProcoreUsers {
		if u.IsActive {
			active++
		} else {
			inactive++
		}
	}
	per := sim.DefaultProcoreMaxPerPage
	return n + (active+per-1)/per + (inactive+per-1)/per
}

// apiRequests counts the Graph and Procore API requests served (token
// requests excluded).
func apiRequests(s *sim.Sim) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasPrefix(r.Path, "/graph/") || strings.HasPrefix(r.Path, "/procore/") {
			n++
		}
	}
	return n
}

// BenchmarkSnapshot reads 8 license groups (50,000 members) and a 50,000-user
// Procore directory from the simulator with 20 ms latency per request, once
// sequentially one page at a time (the seed flow's order) and once the way
// TakeSnapshot does by default. It reports the requests made against the
// minimum, and the speed-up over sequential.
//
// The simulator runs in this process, so its JSON encoding (about as much
// CPU as the client's decoding) competes with the client for the same
// cores; the 100 ms pair shows the speed-up when latency, as over the
// internet, rather than local CPU dominates.
func BenchmarkSnapshot(b *testing.B) {
	ten := benchTenant()
	minReqs := minRequests(ten)
	prefixes := []string{"License – "}

	for _, latency := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond} {
		srv, err := sim.Start(sim.Options{Tenant: ten, Latency: latency})
		if err != nil {
			b.Fatal(err)
		}
		var seqPerOp time.Duration
		run := func(b *testing.B, sequential bool) {
			var popts []procore.Option
			if sequential {
				popts = append(popts, procore.WithConcurrency(1))
			}
			src := simSources(b, srv.URL, popts...)
			// Sign in outside the timing, as the TUI has by the time it reads.
			if _, err := src.Procore.Companies(context.Background()); err != nil {
				b.Fatal(err)
			}
			if _, err := src.Graph.SubscribedSKUs(context.Background()); err != nil {
				b.Fatal(err)
			}
			// One untimed read first, in both modes, so that neither figure
			// includes first-use costs (connections, the simulator's
			// indexes, heap growth) and -benchtime=1x measures steady
			// state like longer runs do.
			if _, err := provision.TakeSnapshot(context.Background(), src, provision.SnapshotOptions{
				NamePrefixes: prefixes, Sequential: sequential,
			}); err != nil {
				b.Fatal(err)
			}
			reqs := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				srv.Sim.ResetRequests()
				b.StartTimer()
				snap, err := provision.TakeSnapshot(context.Background(), src, provision.SnapshotOptions{
					NamePrefixes: prefixes, Sequential: sequential,
				})
				if err != nil {
					b.Fatal(err)
				}
				if len(snap.Members) != 50000 || len(snap.Users) != 50000 {
					b.Fatalf("read %d members and %d users, want 50000 each", len(snap.Members), len(snap.Users))
				}
				b.StopTimer()
				reqs += apiRequests(srv.Sim)
				b.StartTimer()
			}
			perOp := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(reqs)/float64(b.N), "requests/op")
			b.ReportMetric(float64(minReqs), "min-requests")
			b.ReportMetric(100*(float64(reqs)/float64(b.N)/float64(minReqs)-1), "%-over-min")
			if sequential {
				seqPerOp = perOp
			} else if seqPerOp > 0 {
				b.ReportMetric(float64(seqPerOp)/float64(perOp), "x-faster")
			}
		}
		name := fmt.Sprintf("latency=%v", latency)
		b.Run(name+"/sequential", func(b *testing.B) { run(b, true) })
		b.Run(name+"/concurrent", func(b *testing.B) { run(b, false) })
		srv.Close()
	}
}
