package auth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// catcher is a server that should never be reached: it records every
// request's method, path and Authorization header, and whether a body with
// a secret arrived.
type catcher struct {
	*httptest.Server
	mu   sync.Mutex
	hits []string
	auth []string
	body []string
}

func newCatcher(t *testing.T) *catcher {
	c := &catcher{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.hits = append(c.hits, r.Method+" "+r.URL.Path)
		if a := r.Header.Get("Authorization"); a != "" {
			c.auth = append(c.auth, a)
		}
		if len(b) > 0 {
			c.body = append(c.body, string(b))
		}
		c.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"access_token":"stolen","token_type":"bearer"}`)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *catcher) seen() (hits, auth, body []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.hits...), append([]string(nil), c.auth...), append([]string(nil), c.body...)
}

// redirector answers every request with status code to target+path.
func redirector(t *testing.T, code int, target string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, target+r.URL.Path, code)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestHTTPClientRefusesRedirectOffHost (issue 14.1): a 302/307 from the API
// to another host does not carry the bearer token there; the client refuses
// it with an error naming both hosts. A redirect within the API host is
// still followed, with the token.
func TestHTTPClientRefusesRedirectOffHost(t *testing.T) {
	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect} {
		evil := newCatcher(t)
		api := redirector(t, code, evil.URL)
		ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "secret-access-token", TokenType: "Bearer"})
		client := HTTPClient(context.Background(), ts, api.URL+"/graph")
		resp, err := client.Get(api.URL + "/graph/v1.0/users")
		if err == nil {
			resp.Body.Close()
			t.Fatalf("%d: the redirect to %s was followed", code, evil.URL)
		}
		if !errors.Is(err, ErrRedirectRefused) || !strings.Contains(err.Error(), hostOf(api.URL)) || !strings.Contains(err.Error(), hostOf(evil.URL)) {
			t.Errorf("%d: err = %v, want a refused redirect naming both hosts", code, err)
		}
		if hits, _, _ := evil.seen(); len(hits) != 0 {
			t.Errorf("%d: the other host was reached: %v", code, hits)
		}
	}

	// Within the API host a redirect is followed and authorised.
	var mu sync.Mutex
	var got []string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		if r.URL.Path == "/api/old" {
			http.Redirect(w, r, srv.URL+"/api/new", http.StatusFound)
		}
	}))
	t.Cleanup(srv.Close)
	client := HTTPClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok", TokenType: "Bearer"}), srv.URL+"/api")
	resp, err := client.Get(srv.URL + "/api/old")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if strings.Join(got, ",") != "/api/old Bearer tok,/api/new Bearer tok" {
		t.Errorf("requests = %v", got)
	}
}

// TestTransportAuthorisesOnlyTheAPIHost (issue 14.1): a request built for
// another host (a next link, a console URL) goes out without the token.
func TestTransportAuthorisesOnlyTheAPIHost(t *testing.T) {
	other := newCatcher(t)
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "secret-access-token", TokenType: "Bearer"})
	for _, api := range []string{"https://graph.microsoft.com", ""} {
		resp, err := HTTPClient(context.Background(), ts, api).Get(other.URL + "/v1.0/users")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// Same host, other scheme or port: another origin.
	for _, api := range []string{strings.Replace(other.URL, "http://", "https://", 1), other.URL + "1"} {
		resp, err := HTTPClient(context.Background(), ts, api).Get(other.URL + "/v1.0/users")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if _, auth, _ := other.seen(); len(auth) != 0 {
		t.Errorf("the token reached a host that is not the API's: %v", auth)
	}
}

// TestTokenRequestsFollowNoRedirect (issue 14.2): a 307 from the login host
// would make Go re-send the POST, client secret and refresh token
// included, to wherever it points. Client credentials, refresh, device
// code and revoke requests all stop at the redirect.
func TestTokenRequestsFollowNoRedirect(t *testing.T) {
	evil := newCatcher(t)
	login := redirector(t, http.StatusTemporaryRedirect, evil.URL)

	// Graph client credentials.
	gcfg := GraphConfig{LoginURL: login.URL, APIURL: "https://graph.microsoft.com", Tenant: "t", ClientID: "c", ClientSecret: "graph-secret-value"}
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	ts, err := GraphTokenSource(context.Background(), gcfg, store)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Token(); !errors.Is(err, ErrRedirectRefused) {
		t.Errorf("client credentials: err = %v, want a refused redirect", err)
	}

	// Procore refresh of a stored sign-in.
	pcfg := ProcoreConfig{LoginURL: login.URL, APIURL: "https://api.procore.com", ClientID: "pc", ClientSecret: "procore-secret-value", CompanyID: 7}
	rec := &Record{Provider: Procore, AccessToken: "old-access", RefreshToken: "refresh-secret-value", Expiry: time.Now().Add(-time.Minute),
		LoginURL: login.URL, APIURL: pcfg.APIURL, ClientID: "pc", SavedAt: time.Now().Add(-time.Hour)}
	if err := store.Save(pcfg.storeKey(), rec); err != nil {
		t.Fatal(err)
	}
	pts, err := ProcoreTokenSource(context.Background(), pcfg, store)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pts.Token(); !errors.Is(err, ErrRedirectRefused) {
		t.Errorf("refresh: err = %v, want a refused redirect", err)
	}

	// Device code.
	err = LoginGraph(context.Background(), GraphConfig{LoginURL: login.URL, Tenant: "t", ClientID: "c"}, store, LoginOptions{Out: io.Discard, NoBrowser: true})
	if !errors.Is(err, ErrRedirectRefused) {
		t.Errorf("device code: err = %v, want a refused redirect", err)
	}

	// Revoke at logout.
	if err := LogoutProcore(context.Background(), pcfg, store); !errors.Is(err, ErrRedirectRefused) {
		t.Errorf("logout: err = %v, want the revocation's refused redirect", err)
	}

	if hits, _, body := evil.seen(); len(hits) != 0 {
		t.Errorf("the redirect target received %v with bodies %q", hits, body)
	}
}
