package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
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
// loopback callback itself with each query that forge returns, in order, as
// a malicious page or a stale tab would. The status and page of every call
// are sent on pages (buffered for all of them), "error: ..." when a call
// fails; pages is closed when the opener is done.
func forgingOpener(t *testing.T, forge func(state string) []url.Values, pages chan<- string) func(string) error {
	return func(authURL string) error {
		defer close(pages)
		u, err := url.Parse(authURL)
		if err != nil {
			return err
		}
		q := u.Query()
		cb, err := url.Parse(q.Get("redirect_uri"))
		if err != nil {
			return err
		}
		for _, fq := range forge(q.Get("state")) {
			cb.RawQuery = fq.Encode()
			resp, err := http.Get(cb.String())
			if err != nil {
				pages <- "error: " + err.Error()
				return err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			pages <- fmt.Sprintf("%d %s", resp.StatusCode, b)
		}
		return nil
	}
}

// TestBrowserRefusals checks the refusals that need no provider: the
// exchange is never attempted, so the endpoints point at a closed port. A
// callback with a foreign state is answered 400 and ignored: neither its
// code nor its error ends the sign-in, which goes on to take the answer
// that carries the right state.
func TestBrowserRefusals(t *testing.T) {
	cfg := GraphConfig{LoginURL: "http://127.0.0.1:1/identity", APIURL: "http://127.0.0.1:1/graph", Tenant: "contoso.onmicrosoft.com", ClientID: "client"}
	denied := func(state string) url.Values {
		return url.Values{"error": {"access_denied"}, "error_description": {"AADSTS65004: <b>declined</b>\x1b]52;c;cHduZWQ=\x07"}, "state": {state}}
	}
	tests := []struct {
		name      string
		forge     func(state string) []url.Values
		wantPages []string
	}{
		{
			name: "wrong state, then the real answer",
			forge: func(state string) []url.Values {
				return []url.Values{{"code": {"stolen-code"}, "state": {"forged"}}, denied(state)}
			},
			wantPages: []string{"400 ", "state mismatch", "400 ", "access_denied: AADSTS65004: &lt;b&gt;declined&lt;/b&gt;"},
		},
		{
			name: "missing state, then the real answer",
			forge: func(state string) []url.Values {
				return []url.Values{{"code": {"stolen-code"}}, denied(state)}
			},
			wantPages: []string{"400 ", "state mismatch", "400 ", "access_denied"},
		},
		{
			name: "an error with a foreign state does not end the sign-in",
			forge: func(state string) []url.Values {
				return []url.Values{denied("forged"), {}, denied(state)}
			},
			wantPages: []string{"400 ", "state mismatch", "404 ", "", "400 ", "access_denied"},
		},
		{
			name:      "provider error",
			forge:     func(state string) []url.Values { return []url.Values{denied(state)} },
			wantPages: []string{"400 ", "access_denied: AADSTS65004: &lt;b&gt;declined&lt;/b&gt;"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
			pages := make(chan string, 8)
			var out bytes.Buffer
			err := LoginGraph(context.Background(), cfg, store, LoginOptions{Out: &out, Opener: forgingOpener(t, tt.forge, pages), Timeout: 10 * time.Second})
			if err == nil || !strings.Contains(err.Error(), "access_denied: AADSTS65004: <b>declined</b>") {
				t.Fatalf("err = %v, want the provider's access_denied", err)
			}
			if strings.ContainsAny(err.Error(), "\x1b\x07") {
				t.Errorf("the provider's control characters reached the error: %q", err.Error())
			}
			var got []string
			for p := range pages {
				got = append(got, p)
			}
			if len(got) != len(tt.wantPages)/2 {
				t.Fatalf("pages = %q, want %d", got, len(tt.wantPages)/2)
			}
			for i, p := range got {
				if !strings.HasPrefix(p, tt.wantPages[2*i]) || !strings.Contains(p, tt.wantPages[2*i+1]) {
					t.Errorf("page %d = %q, want status %q and %q", i, p, tt.wantPages[2*i], tt.wantPages[2*i+1])
				}
			}
			if strings.Contains(out.String(), "<b>") {
				t.Errorf("output: %s", out.String())
			}
			if _, err := loadProvider(store, Graph); !errors.Is(err, ErrNoToken) {
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

// TestListenRefusesIPv6Squatter (issue 14.10): when another program holds
// the redirect port on [::1], a browser that resolves localhost there would
// hand it the code; the sign-in refuses to start instead of tolerating it.
func TestListenRefusesIPv6Squatter(t *testing.T) {
	squat, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine (%v): nothing to squat", err)
	}
	defer squat.Close()
	port := squat.Addr().(*net.TCPAddr).Port
	uri := fmt.Sprintf("http://localhost:%d/callback", port)
	lb, err := listenRedirect(uri)
	if err == nil {
		lb.close()
		t.Fatalf("listenRedirect(%s) tolerated a squatter on [::1]:%d", uri, port)
	}
	if !strings.Contains(err.Error(), "[::1]") || !strings.Contains(err.Error(), "another program") {
		t.Errorf("err = %v, want it to name [::1] and another program", err)
	}
	// Without a squatter, localhost binds both loopbacks.
	lb, err = listenRedirect("http://localhost:0/cb")
	if err != nil {
		t.Fatal(err)
	}
	defer lb.close()
	if len(lb.listeners) != 1 && len(lb.listeners) != 2 {
		t.Errorf("listeners = %d", len(lb.listeners))
	}
}
