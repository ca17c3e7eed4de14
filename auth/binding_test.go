package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStoredSignInBoundToAPIHost (issue 14.3): a sign-in made for one API
// host is not sent to another when only the config's api_url changes; the
// refusal names both hosts and the login command. Status shows the host.
func TestStoredSignInBoundToAPIHost(t *testing.T) {
	f, srv := newFakeProcore(t, 5400)
	cfg := fakeConfig(srv)
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	f.seed(t, store, cfg, time.Now().Add(time.Hour))

	info, err := ProcoreStatus(context.Background(), cfg, store)
	if err != nil || !info.SignedIn || info.APIHost != hostOf(srv.URL) || !strings.Contains(info.String(), "api:") {
		t.Fatalf("status = %+v, %v; want signed in, showing the API host", info, err)
	}

	evil := newCatcher(t)
	moved := cfg
	moved.APIURL = evil.URL + "/api"
	moved.ClientSecret = ""
	moved.LoginCommand = "procsync login procore --config /etc/procsync.toml"
	_, err = ProcoreTokenSource(context.Background(), moved, store)
	var nsi *NotSignedInError
	if !errors.As(err, &nsi) || !strings.Contains(err.Error(), hostOf(srv.URL)) || !strings.Contains(err.Error(), hostOf(evil.URL)) ||
		!strings.Contains(err.Error(), "procsync login procore --config /etc/procsync.toml") {
		t.Errorf("err = %v; want a refusal naming both hosts and the login command", err)
	}
	info, err = ProcoreStatus(context.Background(), moved, store)
	if err != nil || info.SignedIn || info.APIHost != hostOf(evil.URL) {
		t.Errorf("status with a moved api_url = %+v, %v", info, err)
	}
	// With a secret set, the stored user sign-in is still not replaced
	// silently: the refusal stands.
	moved.ClientSecret = cfg.ClientSecret
	if _, err := ProcoreTokenSource(context.Background(), moved, store); !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("with a secret: err = %v, want the refusal", err)
	}
	if hits, _, _ := evil.seen(); len(hits) != 0 {
		t.Errorf("the new api_url received %v", hits)
	}
}

// TestLogoutRevokesWhereTheTokenCameFrom (issue 14.4): logout POSTs the
// tokens (and the secret) only to the login host that issued them, never
// to a login_url the config was edited to.
func TestLogoutRevokesWhereTheTokenCameFrom(t *testing.T) {
	f, _ := newFakeProcore(t, 5400)
	var revoked []string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /issuer/oauth/revoke", func(w http.ResponseWriter, r *http.Request) {
		revoked = append(revoked, r.FormValue("token"))
	})
	issuer := httptest.NewServer(mux)
	t.Cleanup(issuer.Close)

	cfg := ProcoreConfig{LoginURL: issuer.URL + "/issuer", APIURL: "https://api.procore.com", ClientID: "cid", ClientSecret: "s3cret-procore", CompanyID: 42}
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	f.seed(t, store, cfg, time.Now().Add(time.Hour))

	// The config now points the login host elsewhere: on the same host
	// (the stored entry is found) and on another (it is not).
	evil := newCatcher(t)
	for _, edited := range []string{issuer.URL + "/edited", evil.URL} {
		c := cfg
		c.LoginURL = edited
		if err := LogoutProcore(context.Background(), c, store); err != nil {
			t.Errorf("logout with login_url %s: %v", edited, err)
		}
	}
	if hits, _, body := evil.seen(); len(hits) != 0 {
		t.Errorf("the edited login_url received %v %q", hits, body)
	}
	if len(revoked) != 2 {
		t.Errorf("revoked at the issuer: %d tokens, want 2 (refresh and access)", len(revoked))
	}
	if _, err := store.Load(cfg.storeKey()); !errors.Is(err, ErrNoToken) {
		t.Errorf("after logout: %v", err)
	}
}

// TestSignInsPerConfig (issue 17.5): two configs (the demo's and a real
// tenant's, or two tenants) keep their sign-ins side by side in one state
// directory; neither sees or complains about the other.
func TestSignInsPerConfig(t *testing.T) {
	f, srv := newFakeProcore(t, 5400)
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	a := fakeConfig(srv)
	b := a
	b.CompanyID = 43
	f.seed(t, store, a, time.Now().Add(time.Hour))
	f.seed(t, store, b, time.Now().Add(time.Hour))
	for _, cfg := range []ProcoreConfig{a, b} {
		ts, err := ProcoreTokenSource(context.Background(), cfg, store)
		if err != nil || ts.Method() != MethodUser {
			t.Errorf("company %d: %v", cfg.CompanyID, err)
		}
	}
	// A third config (another login host) is simply not signed in: no
	// complaint about the other hosts.
	c := a
	c.LoginURL = "https://login-sandbox.procore.com"
	c.ClientSecret = ""
	_, err := ProcoreTokenSource(context.Background(), c, store)
	if !errors.Is(err, ErrNotSignedIn) || !strings.Contains(err.Error(), "no stored sign-in for login-sandbox.procore.com") || strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("err = %v", err)
	}
	// Logging one out leaves the other.
	if err := LogoutGraph(context.Background(), GraphConfig{LoginURL: "https://login.microsoftonline.com", Tenant: "x", ClientID: "c"}, store); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(a.storeKey()); err != nil {
		t.Errorf("a Graph logout of another tenant removed Procore's sign-in: %v", err)
	}

	// Graph: two tenants on one login host.
	g1 := GraphConfig{LoginURL: "https://login.microsoftonline.com", APIURL: "https://graph.microsoft.com", Tenant: "contoso.onmicrosoft.com", ClientID: "c"}
	g2 := g1
	g2.Tenant = "fabrikam.onmicrosoft.com"
	if g1.storeKey() == g2.storeKey() || g1.storeKey() == a.storeKey() || a.storeKey() == b.storeKey() {
		t.Errorf("keys collide: %s %s %s %s", g1.storeKey(), g2.storeKey(), a.storeKey(), b.storeKey())
	}
}

// TestLegacyKeyMigrates (issue 17.5): an install from before per-config
// keys stored its sign-in under the provider name; it is still used, and
// moved to the config's key. A legacy record of another config is left
// alone.
func TestLegacyKeyMigrates(t *testing.T) {
	f, srv := newFakeProcore(t, 5400)
	cfg := fakeConfig(srv)
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	f.mu.Lock()
	at, rt := f.issue()
	f.mu.Unlock()
	legacy := &Record{Provider: Procore, AccessToken: at, RefreshToken: rt, Expiry: time.Now().Add(time.Hour),
		LoginURL: cfg.LoginURL, ClientID: cfg.ClientID, SavedAt: time.Now()}
	if err := store.Save("procore", legacy); err != nil {
		t.Fatal(err)
	}
	other := cfg
	other.LoginURL = "https://login.procore.com"
	other.ClientSecret = ""
	if _, err := ProcoreTokenSource(context.Background(), other, store); !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("another config took the legacy record: %v", err)
	}
	if _, err := store.Load("procore"); err != nil {
		t.Errorf("another config's look removed the legacy record: %v", err)
	}
	ts, err := ProcoreTokenSource(context.Background(), cfg, store)
	if err != nil || ts.Method() != MethodUser {
		t.Fatalf("legacy record not used: %v", err)
	}
	moved, err := store.Load(cfg.storeKey())
	if err != nil || moved.RefreshToken != rt || moved.APIURL != cfg.APIURL {
		t.Errorf("record under the new key = %+v, %v; want the legacy pair bound to %s", moved, err, cfg.APIURL)
	}
	if _, err := store.Load("procore"); !errors.Is(err, ErrNoToken) {
		t.Errorf("legacy key still there: %v", err)
	}
}

// TestLoginCommandInHints (issue 17.5): every not-signed-in message names
// the command with the flags in use.
func TestLoginCommandInHints(t *testing.T) {
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	cmd := "procsync login graph --config ./real.toml --state-dir /var/lib/procsync"
	_, err := GraphTokenSource(context.Background(), GraphConfig{LoginURL: "https://login.microsoftonline.com", Tenant: "t", ClientID: "c", LoginCommand: cmd}, store)
	if !errors.Is(err, ErrNotSignedIn) || !strings.Contains(err.Error(), "run `"+cmd+"`") {
		t.Errorf("err = %v", err)
	}
	_, err = GraphTokenSource(context.Background(), GraphConfig{LoginURL: "https://login.microsoftonline.com", Tenant: "t", ClientID: "c"}, store)
	if !strings.Contains(fmt.Sprint(err), "run `procsync login graph`") {
		t.Errorf("without flags: %v", err)
	}
}
