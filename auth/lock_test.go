package auth

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestFileStoreConcurrentStores (issue 14.9): two stores over one file (as
// two processes have: neither shares the other's mutex) save different
// keys at the same moment, 200 times; no update is lost.
func TestFileStoreConcurrentStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	a, b := &FileStore{Path: path}, &FileStore{Path: path}
	const rounds = 200
	for i := range rounds {
		var wg sync.WaitGroup
		for name, s := range map[string]*FileStore{"a": a, "b": b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := fmt.Sprintf("%s-%d", name, i)
				if err := s.Save(key, &Record{Provider: Procore, AccessToken: key, SavedAt: time.Now()}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	m, err := (&FileStore{Path: path}).read()
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for i := range rounds {
		for _, name := range []string{"a", "b"} {
			if _, ok := m[fmt.Sprintf("%s-%d", name, i)]; !ok {
				lost++
			}
		}
	}
	if lost != 0 {
		t.Errorf("%d of %d saves lost", lost, 2*rounds)
	}
}

// staleStore answers the first stale Loads with the record as it was
// before another process rotated it: the window in which two processes
// both read the old pair.
type staleStore struct {
	Store
	mu    sync.Mutex
	key   string
	old   *Record
	stale int
}

func (s *staleStore) Load(key string) (*Record, error) {
	s.mu.Lock()
	if key == s.key && s.stale > 0 {
		s.stale--
		r := *s.old
		s.mu.Unlock()
		return &r, nil
	}
	s.mu.Unlock()
	return s.Store.Load(key)
}

// TestInvalidGrantRereadsStore (issue 14.9): a process whose refresh token
// was refused because another process had just rotated the pair takes that
// pair from the store instead of giving up.
func TestInvalidGrantRereadsStore(t *testing.T) {
	f, srv := newFakeProcore(t, 5400)
	cfg := fakeConfig(srv)
	path := filepath.Join(t.TempDir(), "tokens.json")
	f.seed(t, &FileStore{Path: path}, cfg, time.Now().Add(-time.Minute))
	old, err := (&FileStore{Path: path}).Load(cfg.storeKey())
	if err != nil {
		t.Fatal(err)
	}
	// b loads the old pair (once to build the source, once before its
	// refresh); then a rotates it.
	bStore := &staleStore{Store: &FileStore{Path: path}, key: cfg.storeKey(), old: old, stale: 2}
	b, err := ProcoreTokenSource(context.Background(), cfg, bStore)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ProcoreTokenSource(context.Background(), cfg, &FileStore{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	ta, err := a.Token()
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.Token()
	if err != nil {
		t.Fatalf("b after a rotated the pair: %v", err)
	}
	if tb.AccessToken != ta.AccessToken {
		t.Errorf("b uses %q, want a's rotated %q", tb.AccessToken, ta.AccessToken)
	}
	if f.refreshes != 1 {
		t.Errorf("refreshes = %d, want 1", f.refreshes)
	}
}
