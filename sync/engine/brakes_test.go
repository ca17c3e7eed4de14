package engine_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"procsync/sync/engine"
	"procsync/sync/procore"
	"procsync/sync/roster"
	"procsync/sync/store"
)

// planOf returns a plan approving n actions of kind, plus one unapproved
// one, which no brake may count.
func planOf(kind roster.Kind, n int) *roster.Plan {
	p := &roster.Plan{}
	add := func(k roster.Kind, count int) {
		for range count {
			p.Actions = append(p.Actions, roster.Action{Kind: k, Approved: true})
		}
	}
	add(kind, n)
	// Unapproved actions never count.
	p.Actions = append(p.Actions, roster.Action{Kind: kind, Approved: false})
	return p
}

func brakeEngine(t *testing.T, b engine.Brakes) *engine.Engine {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The Procore client is never called: Brakes only counts.
	e, err := engine.New(engine.Deps{Procore: procore.New(http.DefaultClient, "http://127.0.0.1:1", 1),
		Store: st, StateDir: t.TempDir(), Brakes: b})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestBrakesAtTheLimit checks every brake's edge: limit−1 and exactly the
// limit go through, limit+1 is refused with a message naming the key.
func TestBrakesAtTheLimit(t *testing.T) {
	const limit = 5
	kinds := []struct {
		kind  roster.Kind
		key   string
		brake func(n int) engine.Brakes
	}{
		{roster.KindCreate, "auto.max_creates", func(n int) engine.Brakes {
			return engine.Brakes{MaxCreates: n, MaxDeactivations: -1, MaxReactivations: -1}
		}},
		{roster.KindOffboard, "auto.max_deactivations", func(n int) engine.Brakes {
			return engine.Brakes{MaxCreates: -1, MaxDeactivations: n, MaxReactivations: -1}
		}},
		{roster.KindReactivate, "auto.max_reactivations", func(n int) engine.Brakes {
			return engine.Brakes{MaxCreates: -1, MaxDeactivations: -1, MaxReactivations: n}
		}},
	}
	for _, k := range kinds {
		for _, tc := range []struct {
			name    string
			n       int
			refused bool
		}{
			{"limit-1", limit - 1, false},
			{"limit", limit, false},
			{"limit+1", limit + 1, true},
		} {
			t.Run(string(k.kind)+"/"+tc.name, func(t *testing.T) {
				e := brakeEngine(t, k.brake(limit))
				err := e.Brakes(planOf(k.kind, tc.n))
				if !tc.refused {
					if err != nil {
						t.Fatalf("%d %s actions with %s = %d refused: %v", tc.n, k.kind, k.key, limit, err)
					}
					return
				}
				var be *engine.BrakeError
				if !errors.As(err, &be) {
					t.Fatalf("%d %s actions with %s = %d: err = %v, want a *BrakeError", tc.n, k.kind, k.key, limit, err)
				}
				for _, want := range []string{k.key, "at least 6"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("brake message %q does not say %q", err, want)
					}
				}
			})
		}
	}
}

// TestBrakesZeroAndNone: 0 allows none of a kind, a negative limit any
// number, and a limit without actions of its kind never holds.
func TestBrakesZeroAndNone(t *testing.T) {
	if err := brakeEngine(t, engine.Brakes{MaxReactivations: 0}).Brakes(planOf(roster.KindReactivate, 1)); err == nil {
		t.Error("one reactivation with auto.max_reactivations = 0 went through")
	}
	if err := brakeEngine(t, engine.Brakes{MaxCreates: -1, MaxDeactivations: -1, MaxReactivations: -1}).Brakes(planOf(roster.KindReactivate, 1000)); err != nil {
		t.Errorf("no limit: %v", err)
	}
	if err := brakeEngine(t, engine.Brakes{}).Brakes(planOf(roster.KindUpdate, 3)); err != nil {
		t.Errorf("updates have no brake: %v", err)
	}
}
