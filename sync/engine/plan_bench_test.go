package engine_test

import (
	"context"
	"fmt"
	"testing"

	"procsync/sync/engine"
	"procsync/sync/sim"
)

// BenchmarkPlan measures the plan (roster.Diff) of BenchmarkRun's tenants
// as procsync reads them, between the last read and the first write: the
// simulator's members have several addresses each, as real ones do, which
// roster's BenchmarkDiff, on its own synthetic snapshot, does not show.
func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{20000, 100000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			srv, err := sim.Start(sim.Options{Seed: 18, Members: n})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			eng, err := engine.New(simFixture(b, srv, nil, nil).d)
			if err != nil {
				b.Fatal(err)
			}
			snap, err := eng.Snapshot(context.Background(), nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				eng.Plan(snap)
			}
		})
	}
}
