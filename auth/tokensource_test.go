package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// fakeProcore is a minimal Procore OAuth server with rotating, single-use
// refresh tokens. It records every reuse of a refresh token, as Procore's
// would silently fail it.
type fakeProcore struct {
	t         *testing.T
	expiresIn int
	// now is the server's clock; the API refuses access tokens past their
	// lifetime on it.
	now func() time.Time

	mu        sync.Mutex
	n         int
	live      map[string]bool // refresh tokens not yet used
	used      map[string]bool
	valid     map[string]bool // access tokens the API accepts
	expires   map[string]time.Time
	expired   int // API calls refused because the token had expired
	refreshes int
	reuse     []string
	issued    []string // every token value handed out, for leak checks
}

func newFakeProcore(t *testing.T, expiresIn int) (*fakeProcore, *httptest.Server) {
	f := &fakeProcore{t: t, expiresIn: expiresIn, now: time.Now, live: map[string]bool{}, used: map[string]bool{}, valid: map[string]bool{}, expires: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login/oauth/token", f.token)
	mux.HandleFunc("GET /api/rest/v1.0/me", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		at := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		ok := f.valid[at]
		if exp, set := f.expires[at]; ok && set && !f.now().Before(exp) {
			ok = false
			f.expired++
		}
		f.mu.Unlock()
		if !ok {
			http.Error(w, `{"message":"token expired"}`, http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"id":1,"login":"megan.bowen@contoso.com","name":"Megan Bowen"}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

// issue returns a fresh pair; the caller holds f.mu.
func (f *fakeProcore) issue() (string, string) {
	f.n++
	at, rt := fmt.Sprintf("access-%d-xyzzy", f.n), fmt.Sprintf("refresh-%d-plugh", f.n)
	f.live[rt], f.valid[at] = true, true
	f.expires[at] = f.now().Add(time.Duration(f.expiresIn) * time.Second)
	f.issued = append(f.issued, at, rt)
	return at, rt
}

func (f *fakeProcore) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.FormValue("client_secret") != "s3cret-procore" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client","error_description":"client authentication failed"}`)
		return
	}
	switch r.FormValue("grant_type") {
	case "refresh_token":
		rt := r.FormValue("refresh_token")
		if f.used[rt] {
			f.reuse = append(f.reuse, rt)
		}
		if !f.live[rt] {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"The provided authorization grant is invalid"}`)
			return
		}
		delete(f.live, rt)
		f.used[rt] = true
		f.refreshes++
	case "client_credentials":
	default:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"unsupported_grant_type"}`)
		return
	}
	at, rt := f.issue()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":%q,"refresh_token":%q,"token_type":"bearer","expires_in":%d}`, at, rt, f.expiresIn)
}

// seed stores a signed-in record whose access token expiry is exp.
func (f *fakeProcore) seed(t *testing.T, store Store, cfg ProcoreConfig, exp time.Time) {
	f.mu.Lock()
	at, rt := f.issue()
	f.mu.Unlock()
	f.mu.Lock()
	f.expires[at] = exp
	f.mu.Unlock()
	rec := &Record{Provider: Procore, AccessToken: at, RefreshToken: rt, TokenType: "bearer", Expiry: exp,
		LoginURL: cfg.LoginURL, APIURL: cfg.APIURL, ClientID: cfg.ClientID, SavedAt: exp.Add(-time.Hour)}
	if err := store.Save(cfg.storeKey(), rec); err != nil {
		t.Fatal(err)
	}
}

// testClock is a clock tests move by hand, so that token lifetimes pass
// without sleeping.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Now()} }

// Now returns the clock's time.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func fakeConfig(srv *httptest.Server) ProcoreConfig {
	return ProcoreConfig{LoginURL: srv.URL + "/login", APIURL: srv.URL + "/api", ClientID: "cid", ClientSecret: "s3cret-procore", CompanyID: 42}
}

// captureLogs routes slog's default logger, at debug level, into a buffer.
func captureLogs(t *testing.T) *bytes.Buffer {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(old) })
	return &buf
}

func assertNoSecrets(t *testing.T, output string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(output, s) {
			t.Errorf("output contains the secret %q", s)
		}
	}
}

func TestProcoreConcurrentRefresh(t *testing.T) {
	logs := captureLogs(t)
	f, srv := newFakeProcore(t, 5400)
	cfg := fakeConfig(srv)
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	f.seed(t, store, cfg, time.Now().Add(-time.Minute)) // already expired

	ts, err := ProcoreTokenSource(context.Background(), cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	if ts.Method() != MethodUser {
		t.Fatalf("method = %s, want user (a stored sign-in beats client credentials)", ts.Method())
	}
	var wg sync.WaitGroup
	toks := make([]string, 16)
	for i := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := ts.Token()
			if err != nil {
				t.Error(err)
				return
			}
			toks[i] = tok.AccessToken
		}()
	}
	wg.Wait()
	if f.refreshes != 1 || len(f.reuse) != 0 {
		t.Errorf("refreshes = %d, reused refresh tokens = %v; want 1 and none", f.refreshes, f.reuse)
	}
	for _, tok := range toks {
		if tok != toks[0] {
			t.Errorf("concurrent callers got different tokens: %v", toks)
			break
		}
	}
	rec, err := store.Load(cfg.storeKey())
	if err != nil {
		t.Fatal(err)
	}
	if rec.AccessToken != toks[0] || !f.live[rec.RefreshToken] {
		t.Errorf("the store does not hold the rotated pair (access %q, refresh live: %v)", rec.AccessToken, f.live[rec.RefreshToken])
	}
	assertNoSecrets(t, logs.String(), f.issued...)
	assertNoSecrets(t, logs.String(), cfg.ClientSecret)
}

// TestProcoreShortLivedTokens runs "mid-run" with tokens that live one
// second, on a clock the test moves: every renewal rotates the pair, none is
// ever reused, and the API never sees an expired token.
func TestProcoreShortLivedTokens(t *testing.T) {
	clock := newTestClock()
	f, srv := newFakeProcore(t, 1)
	f.now = clock.Now
	cfg := fakeConfig(srv)
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	f.seed(t, store, cfg, clock.Now().Add(time.Second))
	ts, err := ProcoreTokenSource(context.Background(), cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	ts.now = clock.Now
	client := HTTPClient(context.Background(), ts, cfg.APIURL)
	const rounds = 25 // 2.5 s of the test's clock
	for range rounds {
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := client.Get(cfg.APIURL + "/rest/v1.0/me")
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("GET /me: %s", resp.Status)
				}
			}()
		}
		wg.Wait()
		clock.Advance(100 * time.Millisecond)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refreshes < 3 {
		t.Errorf("%d refreshes over 2.5 s of one-second tokens, want at least 3", f.refreshes)
	}
	if len(f.reuse) != 0 {
		t.Errorf("refresh tokens sent twice: %v", f.reuse)
	}
	if f.expired != 0 {
		t.Errorf("the API saw %d expired tokens", f.expired)
	}
}

func TestTransportRetriesOnceOn401(t *testing.T) {
	f, srv := newFakeProcore(t, 5400)
	cfg := fakeConfig(srv)
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	f.seed(t, store, cfg, time.Now().Add(time.Hour))
	ts, err := ProcoreTokenSource(context.Background(), cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	// The server revokes every access token it issued: the stored one looks
	// valid to us but is refused.
	f.mu.Lock()
	clear(f.valid)
	f.mu.Unlock()
	client := HTTPClient(context.Background(), ts, cfg.APIURL)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Get(cfg.APIURL + "/rest/v1.0/me")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %s, want 200 after one renewal", resp.Status)
			}
		}()
	}
	wg.Wait()
	if f.refreshes != 1 || len(f.reuse) != 0 {
		t.Errorf("refreshes = %d (want 1: eight 401s for one token renew once), reuse %v", f.refreshes, f.reuse)
	}
}

// TestTwoProcesses: a second token source over the same store (another
// procsync process) must adopt the pair the first one rotated instead of
// sending its own, now dead, refresh token.
func TestTwoProcesses(t *testing.T) {
	f, srv := newFakeProcore(t, 5400)
	cfg := fakeConfig(srv)
	path := filepath.Join(t.TempDir(), "tokens.json")
	f.seed(t, &FileStore{Path: path}, cfg, time.Now().Add(-time.Minute))
	a, err := ProcoreTokenSource(context.Background(), cfg, &FileStore{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ProcoreTokenSource(context.Background(), cfg, &FileStore{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	ta, err := a.Token()
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.Token()
	if err != nil {
		t.Fatal(err)
	}
	if ta.AccessToken != tb.AccessToken || f.refreshes != 1 || len(f.reuse) != 0 {
		t.Errorf("refreshes %d, reuse %v, same token %v", f.refreshes, f.reuse, ta.AccessToken == tb.AccessToken)
	}
}

func TestNotSignedIn(t *testing.T) {
	f, srv := newFakeProcore(t, 5400)
	cfg := fakeConfig(srv)
	tests := []struct {
		name   string
		setup  func(store Store)
		cfg    func(ProcoreConfig) ProcoreConfig
		atNew  bool // the error comes from ProcoreTokenSource, not Token
		reason string
	}{
		{"nothing stored, no secret", func(Store) {}, func(c ProcoreConfig) ProcoreConfig { c.ClientSecret = ""; return c }, true, "no stored sign-in"},
		{"only another environment's sign-in", func(s Store) {
			f.seed(t, s, ProcoreConfig{LoginURL: "https://login-sandbox.procore.com", APIURL: "https://sandbox.procore.com", ClientID: "cid", CompanyID: 42}, time.Now())
		}, func(c ProcoreConfig) ProcoreConfig { c.ClientSecret = ""; return c }, true, "no stored sign-in for 127.0.0.1"},
		{"another app's sign-in", func(s Store) {
			other := cfg
			other.ClientID = "other-app"
			f.seed(t, s, other, time.Now())
		}, func(c ProcoreConfig) ProcoreConfig { c.ClientSecret = ""; return c }, true, "is for client id other-app"},
		{"revoked refresh token", func(s Store) {
			f.seed(t, s, cfg, time.Now().Add(-time.Minute))
			f.mu.Lock()
			clear(f.live)
			f.mu.Unlock()
		}, func(c ProcoreConfig) ProcoreConfig { return c }, false, "no longer accepts"},
		{"rejected client credentials", func(Store) {}, func(c ProcoreConfig) ProcoreConfig { c.ClientSecret = "wrong"; return c }, false, "Developer Managed Service Account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
			tt.setup(store)
			ts, err := ProcoreTokenSource(context.Background(), tt.cfg(cfg), store)
			if !tt.atNew {
				if err != nil {
					t.Fatal(err)
				}
				_, err = ts.Token()
			}
			if !errors.Is(err, ErrNotSignedIn) || !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), "procsync login procore") {
				t.Errorf("err = %v; want ErrNotSignedIn saying %q and naming the command", err, tt.reason)
			}
			var nse *NotSignedInError
			if !errors.As(err, &nse) || nse.Provider != Procore {
				t.Errorf("err is not a *NotSignedInError for procore: %T", err)
			}
		})
	}
}

func TestClientCredentials(t *testing.T) {
	f, srv := newFakeProcore(t, 5400)
	cfg := fakeConfig(srv)
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	ts, err := ProcoreTokenSource(context.Background(), cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	if ts.Method() != MethodApp {
		t.Fatalf("method = %s, want app-only with nothing stored and a secret set", ts.Method())
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if !f.valid[tok.AccessToken] {
		t.Errorf("token %q not issued by the server", tok.AccessToken)
	}
	if _, err := store.Load(cfg.storeKey()); !errors.Is(err, ErrNoToken) {
		t.Errorf("client credentials tokens were stored: %v", err)
	}
	tok2, _ := ts.Token()
	if tok2.AccessToken != tok.AccessToken {
		t.Error("a valid app token was not reused")
	}
	// What Transport does when Procore answers 401 to this token.
	ts.InvalidateToken(tok.AccessToken)
	tok3, _ := ts.Token()
	if tok3.AccessToken == tok.AccessToken {
		t.Error("a 401 on the app token did not renew it")
	}
	if !f.valid[tok3.AccessToken] {
		t.Errorf("renewed token %q not issued by the server", tok3.AccessToken)
	}
}

func TestHTTPClientUsesContextTransport(t *testing.T) {
	var seen string
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen = r.Header.Get("Authorization")
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: rt})
	c := HTTPClient(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "abc", TokenType: "bearer"}), "http://127.0.0.1:1")
	resp, err := c.Get("http://127.0.0.1:1/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen != "Bearer abc" {
		t.Errorf("Authorization = %q", seen)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
