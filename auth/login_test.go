package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestShouldUseDeviceCode(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		goos string
		want bool
	}{
		{"ssh connection", map[string]string{"SSH_CONNECTION": "1.2.3.4 5 6.7.8.9 22", "DISPLAY": ":0"}, "linux", true},
		{"ssh tty on mac", map[string]string{"SSH_TTY": "/dev/ttys001"}, "darwin", true},
		{"linux with X", map[string]string{"DISPLAY": ":0"}, "linux", false},
		{"linux with wayland", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, "linux", false},
		{"headless linux", nil, "linux", true},
		{"headless freebsd", nil, "freebsd", true},
		{"mac desktop", nil, "darwin", false},
		{"windows desktop", nil, "windows", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shouldUseDeviceCode(func(k string) string { return tt.env[k] }, tt.goos)
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckEndpoint(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://login.microsoftonline.com", true},
		{"http://127.0.0.1:4000/identity", true},
		{"http://localhost:4000", true},
		{"http://[::1]:4000", true},
		{"http://login.microsoftonline.com", false},
		{"ftp://example.com", false},
		{"", true},
	}
	for _, tt := range tests {
		if err := checkEndpoint(tt.url); (err == nil) != tt.ok {
			t.Errorf("checkEndpoint(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}

func TestEnvironments(t *testing.T) {
	tests := []struct {
		f        func(string) string
		in, want string
	}{
		{GraphEnvironment, "https://login.microsoftonline.com", "global"},
		{GraphEnvironment, "https://login.microsoftonline.us/", "usgov"},
		{GraphEnvironment, "https://login.chinacloudapi.cn", "china"},
		{GraphEnvironment, "http://127.0.0.1:4000/identity", "simulator (127.0.0.1:4000)"},
		{ProcoreEnvironment, "https://login.procore.com", "production"},
		{ProcoreEnvironment, "https://login-sandbox.procore.com", "sandbox"},
		{ProcoreEnvironment, "https://login-sandbox-monthly.procore.com", "monthly sandbox"},
		{ProcoreEnvironment, "https://login.procoregov.com", "federal"},
	}
	for _, tt := range tests {
		if got := tt.f(tt.in); got != tt.want {
			t.Errorf("environment(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// forgingOpener does not follow the authorization URL: it calls the
// loopback callback itself with the query that forge returns, as a
// malicious page or a stale tab would.
func forgingOpener(t *testing.T, forge func(state string) url.Values, page chan<- string) func(string) error {
	return func(authURL string) error {
		u, err := url.Parse(authURL)
		if err != nil {
			return err
		}
		q := u.Query()
		cb, err := url.Parse(q.Get("redirect_uri"))
		if err != nil {
			return err
		}
		cb.RawQuery = forge(q.Get("state")).Encode()
		resp, err := http.Get(cb.String())
		if err != nil {
			t.Errorf("calling the callback: %v", err)
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		page <- string(b)
		return nil
	}
}

// TestBrowserRefusals checks the refusals that need no provider: the
// exchange is never attempted, so the endpoints point at a closed port.
func TestBrowserRefusals(t *testing.T) {
	cfg := GraphConfig{LoginURL: "http://127.0.0.1:1/identity", APIURL: "http://127.0.0.1:1/graph", Tenant: "contoso.onmicrosoft.com", ClientID: "client"}
	tests := []struct {
		name     string
		forge    func(state string) url.Values
		wantErr  string
		wantPage string
		is       error
	}{
		{
			name:     "wrong state",
			forge:    func(string) url.Values { return url.Values{"code": {"stolen-code"}, "state": {"forged"}} },
			wantErr:  "state does not match",
			wantPage: "state mismatch",
			is:       ErrStateMismatch,
		},
		{
			name:     "missing state",
			forge:    func(string) url.Values { return url.Values{"code": {"stolen-code"}} },
			wantErr:  "state does not match",
			wantPage: "state mismatch",
			is:       ErrStateMismatch,
		},
		{
			name: "provider error",
			forge: func(state string) url.Values {
				return url.Values{"error": {"access_denied"}, "error_description": {"AADSTS65004: <b>declined</b>"}, "state": {state}}
			},
			wantErr:  "access_denied: AADSTS65004: <b>declined</b>",
			wantPage: "access_denied: AADSTS65004: &lt;b&gt;declined&lt;/b&gt;",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
			page := make(chan string, 1)
			var out bytes.Buffer
			err := LoginGraph(context.Background(), cfg, store, LoginOptions{Out: &out, Opener: forgingOpener(t, tt.forge, page), Timeout: 10 * time.Second})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(err, %v) = false", tt.is)
			}
			if p := <-page; !strings.Contains(p, tt.wantPage) {
				t.Errorf("page does not contain %q:\n%s", tt.wantPage, p)
			}
			if strings.Contains(out.String(), "<b>") {
				t.Errorf("output: %s", out.String())
			}
			if _, err := store.Load("graph"); !errors.Is(err, ErrNoToken) {
				t.Errorf("a refused sign-in stored something: %v", err)
			}
			if !strings.Contains(out.String(), "http://127.0.0.1:1/identity/contoso.onmicrosoft.com/oauth2/v2.0/authorize?") {
				t.Errorf("the authorization URL was not printed:\n%s", out.String())
			}
		})
	}
}

func TestBrowserTimeoutAndOpenerFailure(t *testing.T) {
	cfg := GraphConfig{LoginURL: "http://127.0.0.1:1/identity", Tenant: "t", ClientID: "c"}
	var out bytes.Buffer
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	err := LoginGraph(context.Background(), cfg, store, LoginOptions{Out: &out, Timeout: 200 * time.Millisecond,
		Opener: func(string) error { return fmt.Errorf("no display") }})
	if err == nil || !strings.Contains(err.Error(), "--device-code") {
		t.Errorf("err = %v, want a timeout naming --device-code", err)
	}
	if !strings.Contains(out.String(), "Could not open a browser (no display): open the URL above yourself") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestListenRedirect(t *testing.T) {
	tests := []struct {
		uri     string
		wantErr string
	}{
		{"https://localhost:8765/callback", "http://localhost:PORT"},
		{"http://example.com:8765/callback", "http://localhost:PORT"},
		{"http://127.0.0.1:0/cb", ""},
	}
	for _, tt := range tests {
		lb, err := listenRedirect(tt.uri)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("listenRedirect(%q): %v", tt.uri, err)
				continue
			}
			for _, ln := range lb.listeners {
				if a := ln.Addr().String(); !strings.HasPrefix(a, "127.0.0.1:") && !strings.HasPrefix(a, "[::1]:") {
					t.Errorf("listening on %s, want loopback only", a)
				}
			}
			if lb.path != "/cb" {
				t.Errorf("path = %q", lb.path)
			}
			lb.close()
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("listenRedirect(%q) = %v, want error containing %q", tt.uri, err, tt.wantErr)
		}
	}
}
