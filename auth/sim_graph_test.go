package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"procsync/sync/sim"
)

func startSim(t *testing.T, opts sim.Options) *sim.Server {
	t.Helper()
	srv, err := sim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func simGraphConfig(srv *sim.Server) GraphConfig {
	return GraphConfig{LoginURL: srv.GraphLoginURL(), APIURL: srv.GraphAPIURL(), Tenant: sim.TenantID, ClientID: sim.GraphClientID}
}

// secretRecorder is a transport that remembers every secret value that
// crosses it (form fields of token requests, tokens in answers), so that a
// test can check that none of them reached any output.
type secretRecorder struct {
	mu      sync.Mutex
	secrets []string
}

var secretFields = []string{"code", "code_verifier", "refresh_token", "client_secret", "device_code", "token"}

func (s *secretRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Method == http.MethodPost {
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(b))
		if form, err := url.ParseQuery(string(b)); err == nil {
			for _, f := range secretFields {
				s.add(form.Get(f))
			}
		}
	}
	s.add(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	var tj map[string]any
	if json.Unmarshal(b, &tj) == nil {
		for _, f := range []string{"access_token", "refresh_token", "id_token", "device_code"} {
			if v, ok := tj[f].(string); ok {
				s.add(v)
			}
		}
	}
	return resp, nil
}

func (s *secretRecorder) add(v string) {
	if len(v) < 8 { // "Bearer", empty values: not secrets
		return
	}
	s.mu.Lock()
	s.secrets = append(s.secrets, v)
	s.mu.Unlock()
}

func (s *secretRecorder) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.secrets...)
}

// followOpener plays the browser: it fetches the authorization URL and
// follows the redirect to the loopback callback.
// The page the browser ends on is sent on page (buffered, one value).
func followOpener(t *testing.T, page chan<- string) func(string) error {
	return func(u string) error {
		resp, err := http.Get(u)
		if err != nil {
			t.Errorf("browser: %v", err)
			page <- ""
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		page <- string(b)
		return nil
	}
}

func TestGraphBrowserLogin(t *testing.T) {
	logs := captureLogs(t)
	srv := startSim(t, sim.Options{})
	cfg := simGraphConfig(srv)
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	rec := &secretRecorder{}
	var out bytes.Buffer
	pages := make(chan string, 1)
	err := LoginGraph(context.Background(), cfg, store, LoginOptions{Out: &out, Opener: followOpener(t, pages),
		HTTPClient: &http.Client{Transport: rec}, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("LoginGraph: %v\n%s", err, out.String())
	}
	page := <-pages
	if !strings.Contains(page, "return to the terminal") {
		t.Errorf("success page: %s", page)
	}
	if n := srv.Sim.PKCEVerified(); n != 1 {
		t.Errorf("the simulator verified PKCE %d times, want 1", n)
	}
	printed := regexp.MustCompile(`http://\S+/authorize\?\S+`).FindString(out.String())
	au, err := url.Parse(printed)
	if err != nil || au.Query().Get("code_challenge_method") != "S256" || !strings.HasPrefix(au.Query().Get("redirect_uri"), "http://localhost:") ||
		len(au.Query().Get("state")) < 32 {
		t.Errorf("printed authorization URL %q lacks S256, a localhost redirect or a long state", printed)
	}
	if !strings.Contains(au.Query().Get("scope"), "offline_access") || !strings.Contains(au.Query().Get("scope"), "GroupMember.Read.All") {
		t.Errorf("scopes = %q", au.Query().Get("scope"))
	}
	stored, err := loadProvider(store, Graph)
	if err != nil || stored.RefreshToken == "" || stored.AccessToken == "" {
		t.Fatalf("stored = %v, %v", stored, err)
	}
	if stored.Account != "Megan Bowen <"+sim.AdminUPN+">" && !strings.Contains(stored.Account, sim.AdminUPN) {
		t.Errorf("account from the id token = %q", stored.Account)
	}

	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: rec})
	info, err := GraphStatus(ctx, cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	if !info.SignedIn || info.Method != MethodUser || !strings.Contains(info.Account, sim.AdminUPN) || info.Problem != "" ||
		!strings.HasPrefix(info.Environment, "simulator") || info.Tenant != sim.TenantID {
		t.Errorf("status = %+v", info)
	}
	if !strings.Contains(info.String(), sim.AdminUPN) {
		t.Errorf("status text:\n%s", info)
	}
	all := out.String() + logs.String() + info.String() + page
	secrets := rec.all()
	if len(secrets) < 4 {
		t.Fatalf("recorded only %d secrets: the leak check would prove nothing", len(secrets))
	}
	assertNoSecrets(t, all, secrets...)
}

func TestGraphWrongVerifier(t *testing.T) {
	srv := startSim(t, sim.Options{})
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	pages := make(chan string, 1)
	var out bytes.Buffer
	err := LoginGraph(context.Background(), simGraphConfig(srv), store, LoginOptions{Out: &out, Opener: followOpener(t, pages),
		Timeout: 20 * time.Second, exchangeVerifier: oauth2.GenerateVerifier()})
	page := <-pages
	var pe *ProviderError
	if !errors.As(err, &pe) || pe.Code != "invalid_grant" || !strings.Contains(err.Error(), "Code_Verifier does not match") {
		t.Fatalf("err = %v; want invalid_grant about the verifier", err)
	}
	if !strings.Contains(page, "Sign-in failed") || !strings.Contains(page, "Code_Verifier") {
		t.Errorf("error page: %s", page)
	}
	if _, err := loadProvider(store, Graph); !errors.Is(err, ErrNoToken) {
		t.Errorf("something was stored: %v", err)
	}
	if srv.Sim.PKCEVerified() != 0 {
		t.Error("the simulator accepted the wrong verifier")
	}
}

func TestGraphConsentDenied(t *testing.T) {
	srv := startSim(t, sim.Options{ConsentPage: true})
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	pages := make(chan string, 1)
	// The browser denies on the consent page: it posts the form back with consent=deny.
	deny := func(u string) error {
		au, _ := url.Parse(u)
		form := au.Query()
		form.Set("consent", "deny")
		au.RawQuery = ""
		resp, err := http.PostForm(au.String(), form)
		if err != nil {
			pages <- ""
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		pages <- string(b)
		return nil
	}
	err := LoginGraph(context.Background(), simGraphConfig(srv), store, LoginOptions{Out: io.Discard, Opener: deny, Timeout: 20 * time.Second})
	page := <-pages
	var pe *ProviderError
	if !errors.As(err, &pe) || pe.Code != "access_denied" || !strings.Contains(err.Error(), "AADSTS65004") {
		t.Fatalf("err = %v; want access_denied with the AADSTS code", err)
	}
	if !strings.Contains(page, "access_denied") {
		t.Errorf("error page: %s", page)
	}
	if _, err := loadProvider(store, Graph); !errors.Is(err, ErrNoToken) {
		t.Errorf("something was stored: %v", err)
	}
}

// deviceApprover watches out for the device code instructions and approves
// (or denies) on the simulator's verification page, as the user would on
// their phone.
type deviceApprover struct {
	t      *testing.T
	action string
	mu     sync.Mutex
	buf    bytes.Buffer
	done   bool
}

var userCodeRE = regexp.MustCompile(`open the page (\S+) and enter the code ([A-Z0-9]+)`)

func (d *deviceApprover) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.buf.Write(p)
	if m := userCodeRE.FindStringSubmatch(d.buf.String()); m != nil && !d.done {
		d.done = true
		go func() {
			resp, err := http.PostForm(m[1], url.Values{"user_code": {m[2]}, "action": {d.action}})
			if err != nil {
				d.t.Errorf("verification page: %v", err)
				return
			}
			resp.Body.Close()
		}()
	}
	return len(p), nil
}

func (d *deviceApprover) String() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.buf.String()
}

func TestGraphDeviceCode(t *testing.T) {
	tests := []struct {
		action  string
		wantErr string
	}{
		{"approve", ""},
		{"deny", "declined"},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			logs := captureLogs(t)
			// x/oauth2 polls on the real clock: one second, the shortest
			// interval the protocol's whole seconds can announce.
			srv := startSim(t, sim.Options{DeviceCodeInterval: time.Second})
			store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
			rec := &secretRecorder{}
			out := &deviceApprover{t: t, action: tt.action}
			err := LoginGraph(context.Background(), simGraphConfig(srv), store, LoginOptions{Out: out, NoBrowser: true,
				HTTPClient: &http.Client{Transport: rec},
				Opener:     func(string) error { t.Error("the device code flow opened a browser"); return nil }})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if _, err := loadProvider(store, Graph); !errors.Is(err, ErrNoToken) {
					t.Errorf("a declined sign-in stored something: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("device code: %v\n%s", err, out)
			}
			if r, err := loadProvider(store, Graph); err != nil || r.RefreshToken == "" {
				t.Errorf("stored %v, %v", r, err)
			}
			assertNoSecrets(t, out.String()+logs.String(), rec.all()...)
		})
	}
}

func TestGraphAppOnly(t *testing.T) {
	srv := startSim(t, sim.Options{})
	cfg := simGraphConfig(srv)
	cfg.ClientSecret = sim.GraphClientSecret
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	info, err := GraphStatus(context.Background(), cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	if !info.SignedIn || info.Method != MethodApp || info.Account != "app procsync" {
		t.Errorf("status = %+v", info)
	}
	cfg.ClientSecret = "wrong"
	info, err = GraphStatus(context.Background(), cfg, store)
	if err != nil || info.SignedIn || !strings.Contains(info.Problem, "client credentials were rejected") || strings.Contains(info.Problem, "wrong") {
		t.Errorf("status with a wrong secret = %+v, %v", info, err)
	}
}

// TestGraphRefreshMidRun: tokens that live two seconds are renewed while
// requests keep going on a clock the test moves, and the renewed refresh
// token is stored.
func TestGraphRefreshMidRun(t *testing.T) {
	clock := newTestClock()
	srv := startSim(t, sim.Options{GraphTokenTTL: 2 * time.Second, Now: clock.Now})
	cfg := simGraphConfig(srv)
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	if err := LoginGraph(context.Background(), cfg, store, LoginOptions{Out: io.Discard, Opener: followOpener(t, make(chan string, 1)), Timeout: 20 * time.Second}); err != nil {
		t.Fatal(err)
	}
	first, _ := store.Load(cfg.storeKey())
	ts, err := GraphTokenSource(context.Background(), cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	ts.now = clock.Now
	client := HTTPClient(context.Background(), ts, cfg.APIURL)
	for i := range 7 {
		resp, err := client.Get(cfg.APIURL + "/v1.0/me")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /me after %d ms: %s", i*500, resp.Status)
		}
		clock.Advance(500 * time.Millisecond)
	}
	last, _ := store.Load(cfg.storeKey())
	if last.RefreshToken == first.RefreshToken {
		t.Error("no refresh happened over 3 s of 2-second tokens")
	}
	// The simulator can also expire tokens behind our back: the 401 retry renews.
	srv.Sim.ExpireTokens("graph")
	resp, err := client.Get(cfg.APIURL + "/v1.0/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after ExpireTokens: %s, want 200 after one renewal", resp.Status)
	}
}
