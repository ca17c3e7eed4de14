package provision_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"procsync/sync/procore"
	"procsync/sync/provision"
	"procsync/sync/roster"
	"procsync/sync/sim"
	"procsync/sync/store"
)

// journalWitness checks, from the simulator's request hook, that every
// person a write request names is journaled as pending at the moment the
// request arrives. It reads the journal over its own SQLite connection, as
// a process that crashed right then would leave it.
type journalWitness struct {
	t     *testing.T
	srv   *sim.Server
	st    *store.Store // second connection to the journal
	runID int64

	mu     sync.Mutex
	checks map[string]int // checked requests per kind ("sync", "create", "bulk_add")
	errs   []string
}

// onRequest is the simulator's Options.OnRequest.
func (w *journalWitness) onRequest(r *http.Request) {
	if r.Method == http.MethodGet || !strings.HasPrefix(r.URL.Path, "/procore/rest/") {
		return
	}
	body, _ := io.ReadAll(r.Body)
	var kind string
	var want []string // "address" or "address project"
	switch {
	case strings.HasSuffix(r.URL.Path, "/users/sync"):
		kind = "sync"
		var in struct {
			Updates []procore.SyncUser `json:"updates"`
		}
		w.decode(r, body, &in)
		for _, u := range in.Updates {
			want = append(want, w.addressOf(u.ID, u.EmailAddress))
		}
	case strings.HasSuffix(r.URL.Path, "/users/bulk_add"):
		kind = "bulk_add"
		var in struct {
			Users []procore.ProjectAssignment `json:"users"`
		}
		w.decode(r, body, &in)
		for _, a := range in.Users {
			want = append(want, fmt.Sprintf("%s %d", w.addressOf(a.UserID, ""), a.ProjectID))
		}
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/users"):
		kind = "create"
		var in struct {
			User procore.UserInput `json:"user"`
		}
		w.decode(r, body, &in)
		want = append(want, strings.ToLower(in.User.EmailAddress))
	default:
		return
	}
	pending := w.pending()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.checks[kind]++
	for _, k := range want {
		if !pending[k] {
			w.errs = append(w.errs, fmt.Sprintf("%s %s reached Procore before %q was journaled as pending", r.Method, r.URL.Path, k))
		}
	}
}

func (w *journalWitness) decode(r *http.Request, body []byte, v any) {
	if err := json.Unmarshal(body, v); err != nil {
		w.fail("decode %s %s: %v", r.Method, r.URL.Path, err)
	}
}

// addressOf names a person by the address sent, else by the Procore user
// the id points at.
func (w *journalWitness) addressOf(id int64, addr string) string {
	if addr != "" {
		return strings.ToLower(addr)
	}
	u, ok := w.srv.Sim.ProcoreUser(id)
	if !ok {
		w.fail("request names Procore user %d, which does not exist", id)
	}
	return strings.ToLower(u.Email)
}

// pending reads the run's pending journal rows: "address" for users,
// "address project" for memberships.
func (w *journalWitness) pending() map[string]bool {
	d, err := w.st.Run(context.Background(), w.runID)
	if err != nil {
		w.fail("read the journal from the request hook: %v", err)
		return nil
	}
	out := map[string]bool{}
	for _, a := range d.Actions {
		if a.Status != store.StatusPending {
			continue
		}
		k := strings.ToLower(a.Address)
		if a.Kind == roster.KindProjectAdd {
			k = fmt.Sprintf("%s %d", k, a.ProjectID)
		}
		out[k] = true
	}
	return out
}

func (w *journalWitness) fail(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.errs = append(w.errs, fmt.Sprintf(format, args...))
}

// report fails the test with what the hook saw, and checks that it saw
// at least min requests of each kind (or it proved nothing).
func (w *journalWitness) report(min map[string]int) {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, e := range w.errs {
		if i == 10 {
			w.t.Errorf("… and %d more", len(w.errs)-10)
			break
		}
		w.t.Error(e)
	}
	for kind, n := range min {
		if w.checks[kind] < n {
			w.t.Errorf("the hook checked %d %s requests, want at least %d", w.checks[kind], kind, n)
		}
	}
}

// witnessedApply applies a plan of n creates with project memberships
// while a journalWitness watches every write.
func witnessedApply(t *testing.T, n int, setup func(*sim.Sim)) *journalWitness {
	return witnessedApplyInFlight(t, n, 1, setup)
}

// witnessedApplyInFlight is witnessedApply with inFlight sync batches sent
// at once.
func witnessedApplyInFlight(t *testing.T, n, inFlight int, setup func(*sim.Sim)) *journalWitness {
	w := &journalWitness{t: t, checks: map[string]int{}}
	srv, pc := applySim(t, sim.Options{Seed: 3, Members: 10, OnRequest: func(r *http.Request) { w.onRequest(r) }})
	w.srv = srv
	dir := t.TempDir()
	st, runID := openJournal(t, dir)
	second, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	w.st, w.runID = second, runID
	if setup != nil {
		setup(srv.Sim)
	}
	res, err := provision.Apply(context.Background(), createPlan(n), provision.ApplyOptions{
		Procore: pc, Journal: st.Journal(runID), BatchSize: 20, ProjectIDs: []int64{sim.ProjectHQ}, InFlight: inFlight,
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Counts(); c[roster.StatusDone] != n {
		t.Fatalf("apply: %v, want %d done", c, n)
	}
	return w
}

// TestApplyJournalsPendingBeforeEachRequest: the moment a write reaches
// Procore, the journal already holds its intents as pending, so a crash
// during the request leaves them for Reconcile. Breaking the order in
// Apply (not marking pending before the sync request, the fallback's
// creates or the project add) fails here.
func TestApplyJournalsPendingBeforeEachRequest(t *testing.T) {
	t.Run("sync endpoint", func(t *testing.T) {
		w := witnessedApply(t, 50, nil)
		w.report(map[string]int{"sync": 3, "bulk_add": 1})
	})
	t.Run("one request per user", func(t *testing.T) {
		w := witnessedApply(t, 12, func(s *sim.Sim) { s.FailAlways(sim.ServiceProcore, "/users/sync", http.StatusForbidden) })
		w.report(map[string]int{"create": 12, "bulk_add": 1})
	})
}
