package auth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"procsync/sync/sim"
)

// heldListeners maps a redirect URI to the listener that holds its port
// until a sign-in takes it over (LoginOptions.listener).
var heldListeners sync.Map

// freeRedirect listens on a free loopback port and returns the redirect URI
// on it; the simulator registers it like an admin would on the app. The
// port stays held by the listener (heldListener hands it to the sign-in),
// so no other test can take it in between.
func freeRedirect(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	uri := fmt.Sprintf("http://127.0.0.1:%d/callback", port)
	heldListeners.Store(uri, ln)
	t.Cleanup(func() {
		if v, ok := heldListeners.LoadAndDelete(uri); ok {
			v.(net.Listener).Close()
		}
	})
	return uri
}

// heldListener hands over the listener freeRedirect opened for cfg's
// redirect URI (once).
func heldListener(cfg ProcoreConfig) net.Listener {
	if v, ok := heldListeners.LoadAndDelete(cfg.RedirectURI); ok {
		return v.(net.Listener)
	}
	return nil
}

func simProcore(t *testing.T, opts sim.Options) (*sim.Server, ProcoreConfig) {
	redirect := freeRedirect(t)
	opts.ProcoreRedirectURIs = append(opts.ProcoreRedirectURIs, redirect)
	srv := startSim(t, opts)
	return srv, ProcoreConfig{LoginURL: srv.ProcoreLoginURL(), APIURL: srv.ProcoreAPIURL(), ClientID: sim.ProcoreClientID,
		ClientSecret: sim.ProcoreClientSecret, RedirectURI: redirect, CompanyID: sim.CompanyID}
}

func TestProcoreBrowserLogin(t *testing.T) {
	logs := captureLogs(t)
	srv, cfg := simProcore(t, sim.Options{})
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	rec := &secretRecorder{}
	var out strings.Builder
	pages := make(chan string, 1)
	err := LoginProcore(context.Background(), cfg, store, LoginOptions{Out: &out, Opener: followOpener(t, pages), listener: heldListener(cfg),
		HTTPClient: &http.Client{Transport: rec}, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("LoginProcore: %v", err)
	}
	if page := <-pages; !strings.Contains(page, "return to the terminal") {
		t.Errorf("page: %s", page)
	}
	if srv.Sim.PKCEVerified() != 1 {
		t.Errorf("PKCE verified %d times, want 1", srv.Sim.PKCEVerified())
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: rec})
	info, err := ProcoreStatus(ctx, cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	if !info.SignedIn || info.Method != MethodUser || !strings.Contains(info.Account, sim.ProcoreAdminLogin) ||
		info.Company != fmt.Sprintf("%s (%d)", sim.CompanyName, sim.CompanyID) || info.Problem != "" {
		t.Errorf("status = %+v", info)
	}
	if v := srv.Sim.Violations(); len(v) != 0 {
		t.Errorf("simulator violations: %v", v)
	}

	// Logout revokes: the old access token stops working, nothing is stored.
	old, _ := store.Load(cfg.storeKey())
	if err := LogoutProcore(ctx, cfg, store); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(cfg.storeKey()); !errors.Is(err, ErrNoToken) {
		t.Errorf("after logout: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, cfg.APIURL+"/rest/v1.0/me", nil)
	req.Header.Set("Authorization", "Bearer "+old.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked access token: %s, want 401", resp.Status)
	}
	// With the secret still set, a run falls back to the service account;
	// without it, nobody is signed in.
	info, _ = ProcoreStatus(ctx, cfg, store)
	if !info.SignedIn || info.Method != MethodApp {
		t.Errorf("status after logout, secret set = %+v", info)
	}
	noSecret := cfg
	noSecret.ClientSecret = ""
	info, _ = ProcoreStatus(ctx, noSecret, store)
	if info.SignedIn || !strings.Contains(info.Problem, "procsync login procore") {
		t.Errorf("status after logout = %+v", info)
	}
	assertNoSecrets(t, out.String()+logs.String()+info.String(), rec.all()...)
	assertNoSecrets(t, out.String()+logs.String(), sim.ProcoreClientSecret)
}

func TestProcoreWrongVerifier(t *testing.T) {
	srv, cfg := simProcore(t, sim.Options{})
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	pages := make(chan string, 1)
	err := LoginProcore(context.Background(), cfg, store, LoginOptions{Out: io.Discard, Opener: followOpener(t, pages), listener: heldListener(cfg),
		Timeout: 20 * time.Second, exchangeVerifier: oauth2.GenerateVerifier()})
	<-pages
	var pe *ProviderError
	if !errors.As(err, &pe) || pe.Code != "invalid_grant" {
		t.Fatalf("err = %v, want invalid_grant", err)
	}
	if _, err := store.Load(cfg.storeKey()); !errors.Is(err, ErrNoToken) {
		t.Errorf("stored after a refused exchange: %v", err)
	}
	if srv.Sim.PKCEVerified() != 0 {
		t.Error("PKCE passed with a wrong verifier")
	}
}

// TestProcorePasteCode: the operator opens the printed URL elsewhere, sees
// the code on Procore's page, and types it on stdin.
func TestProcorePasteCode(t *testing.T) {
	srv, cfg := simProcore(t, sim.Options{})
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	outR, outW := io.Pipe()
	inR, inW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- LoginProcore(context.Background(), cfg, store, LoginOptions{Out: outW, In: inR, NoBrowser: true, Timeout: 20 * time.Second,
			Opener: func(string) error { t.Error("the paste-code flow opened a browser"); return nil }})
		outW.Close()
	}()
	var typed sync.WaitGroup
	typed.Add(1)
	go func() {
		defer typed.Done()
		sc := bufio.NewScanner(outR)
		urlRE := regexp.MustCompile(`http://\S+/oauth/authorize\?\S+`)
		for sc.Scan() {
			u := urlRE.FindString(sc.Text())
			if u == "" {
				continue
			}
			if !strings.Contains(u, "redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob") {
				t.Errorf("paste-code URL without the oob redirect: %s", u)
			}
			resp, err := http.Get(u)
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			m := regexp.MustCompile(`id="authorization_code">([^<]+)<`).FindSubmatch(b)
			if m == nil {
				t.Errorf("no code on the page: %s", b)
				return
			}
			fmt.Fprintf(inW, "  %s  \n", m[1])
			break
		}
		io.Copy(io.Discard, outR)
	}()
	if err := <-done; err != nil {
		t.Fatalf("paste-code login: %v", err)
	}
	typed.Wait()
	if r, err := store.Load(cfg.storeKey()); err != nil || r.RefreshToken == "" {
		t.Errorf("stored %v, %v", r, err)
	}
	if srv.Sim.PKCEVerified() != 1 {
		t.Errorf("PKCE verified %d times, want 1", srv.Sim.PKCEVerified())
	}
}

// TestProcoreRefreshNeverReused: many goroutines use one-second tokens
// concurrently while the test moves the clock (the simulator's and the
// token source's); the simulator records any refresh token sent twice.
func TestProcoreRefreshNeverReused(t *testing.T) {
	clock := newTestClock()
	srv, cfg := simProcore(t, sim.Options{ProcoreTokenTTL: time.Second, Now: clock.Now})
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	if err := LoginProcore(context.Background(), cfg, store, LoginOptions{Out: io.Discard, Opener: followOpener(t, make(chan string, 1)),
		listener: heldListener(cfg), Timeout: 20 * time.Second}); err != nil {
		t.Fatal(err)
	}
	ts, err := ProcoreTokenSource(context.Background(), cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	ts.now = clock.Now
	client := HTTPClient(context.Background(), ts, cfg.APIURL)
	for round := range 12 {
		var wg sync.WaitGroup
		for g := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodGet, cfg.APIURL+"/rest/v1.0/me", nil)
				req.Header.Set("Procore-Company-Id", fmt.Sprint(sim.CompanyID))
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("goroutine %d round %d: %v", g, round, err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("goroutine %d round %d: %s", g, round, resp.Status)
				}
			}()
		}
		wg.Wait()
		clock.Advance(150 * time.Millisecond)
		if round == 2 {
			// The simulator expires every token once, behind our back.
			srv.Sim.ExpireTokens("procore")
		}
	}
	if v := srv.Sim.Violations(); len(v) != 0 {
		t.Errorf("simulator violations: %v", v)
	}
	n := 0
	for _, r := range srv.Sim.Requests() {
		if strings.HasSuffix(r.Path, "/oauth/token") {
			n++
		}
	}
	if n < 3 {
		t.Errorf("%d token requests over 1.8 s of one-second tokens: refreshes did not happen", n)
	}
}

func TestProcoreServiceAccount(t *testing.T) {
	_, cfg := simProcore(t, sim.Options{})
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	info, err := ProcoreStatus(context.Background(), cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	if !info.SignedIn || info.Method != MethodApp {
		t.Errorf("status with only client credentials = %+v", info)
	}
	// What `procsync status` shows: who the service account is and that the
	// company is visible to it.
	if info.Account == "" || info.Problem != "" || !strings.Contains(info.Company, fmt.Sprintf("(%d)", cfg.CompanyID)) {
		t.Errorf("status with only client credentials = %+v, want an account, the company and no problem", info)
	}
}
