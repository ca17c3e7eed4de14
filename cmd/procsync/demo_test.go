package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"procsync/cmd/procsync/config"
	"procsync/sync/sim"
)

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		addr, want string
		ok         bool
	}{
		{"127.0.0.1:0", "127.0.0.1:0", true},
		{"127.0.0.2:8080", "127.0.0.2:8080", true},
		{"[::1]:8080", "[::1]:8080", true},
		{"localhost:8080", "127.0.0.1:8080", true},
		{"LOCALHOST:1", "127.0.0.1:1", true},
		{":8080", "", false},
		{"0.0.0.0:8080", "", false},
		{"[::]:8080", "", false},
		{"10.0.0.5:8080", "", false},
		{"example.com:80", "", false},
		{"127.0.0.1", "", false},
	}
	for _, tt := range tests {
		got, err := checkLoopback(tt.addr)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("checkLoopback(%q) = %q, %v; want %q ok=%v", tt.addr, got, err, tt.want, tt.ok)
		}
		if err != nil && exitCode(err) != exitUsage {
			t.Errorf("checkLoopback(%q): exit code %d, want 2", tt.addr, exitCode(err))
		}
	}
}

// startDemo runs demoServe until the test ends and returns the server and
// what it printed on stdout.
func startDemo(t *testing.T, opts *DemoOptions) (*sim.Server, string, *bytes.Buffer) {
	t.Helper()
	var out, errOut bytes.Buffer
	opts.IO = &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	if opts.Serve == "" {
		opts.Serve = "127.0.0.1:0"
	}
	if opts.Users == 0 {
		opts.Users = 50
	}
	ready := make(chan *sim.Server, 1)
	opts.Ready = func(s *sim.Server) { ready <- s }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- demoServe(ctx, opts) }()
	var srv *sim.Server
	select {
	case srv = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("demo stopped before serving: %v", err)
	}
	printed := out.String()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
		if !strings.Contains(errOut.String(), "stopping") {
			t.Errorf("demo did not say it stopped: %s", errOut.String())
		}
	})
	return srv, printed, &errOut
}

// TestDemoServePrintsLoadableConfig does what a new user does: save the
// printed config, load it, and call the printed URLs with a token from the
// printed client credentials.
func TestDemoServePrintsLoadableConfig(t *testing.T) {
	saved := filepath.Join(t.TempDir(), "demo.toml")
	srv, printed, guide := startDemo(t, &DemoOptions{WriteConfig: saved})

	path := filepath.Join(t.TempDir(), "printed.toml")
	if err := os.WriteFile(path, []byte(printed), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("printed config does not load: %v\n%s", err, printed)
	}
	if b, _ := os.ReadFile(saved); string(b) != printed {
		t.Error("--write-config saved something else than what was printed")
	}
	for _, c := range [][2]string{
		{cfg.Graph.APIURL(), srv.URL + "/graph"}, {cfg.Graph.LoginURL(), srv.URL + "/identity"},
		{cfg.Procore.APIURL(), srv.URL + "/procore"}, {cfg.Procore.LoginURL(), srv.URL + "/procore-login"},
		{cfg.Graph.Tenant, sim.TenantID}, {cfg.Graph.ClientID, sim.GraphClientID},
		{cfg.Procore.ClientID, sim.ProcoreClientID}, {strconv.FormatInt(cfg.Procore.CompanyID, 10), strconv.FormatInt(sim.CompanyID, 10)},
	} {
		if c[0] != c[1] {
			t.Errorf("config has %q, want %q", c[0], c[1])
		}
	}
	if cfg.Procore.IsProduction() {
		t.Error("demo config claims production")
	}
	g := guide.String()
	for _, want := range []string{config.GraphSecretEnv + "='" + sim.GraphClientSecret + "'", config.ProcoreSecretEnv, "curl", saved} {
		if !strings.Contains(g, want) {
			t.Errorf("guide lacks %q:\n%s", want, g)
		}
	}

	// Graph: client credentials, then a paged group listing.
	tok := token(t, cfg.Graph.LoginURL()+"/"+cfg.Graph.Tenant+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {cfg.Graph.ClientID},
		"client_secret": {sim.GraphClientSecret}, "scope": {cfg.Graph.Scope()},
	})
	var groups struct {
		NextLink string            `json:"@odata.nextLink"`
		Value    []json.RawMessage `json:"value"`
	}
	get(t, cfg.Graph.APIURL()+"/v1.0/groups?$select=id,displayName&$top=2", tok, nil, &groups)
	if len(groups.Value) != 2 || !strings.HasPrefix(groups.NextLink, srv.URL) {
		t.Errorf("graph page: %d groups, nextLink %q", len(groups.Value), groups.NextLink)
	}

	// Procore: client credentials, then a paged company-user listing.
	ptok := token(t, cfg.Procore.LoginURL()+"/oauth/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {cfg.Procore.ClientID},
		"client_secret": {sim.ProcoreClientSecret},
	})
	var users []map[string]any
	company := strconv.FormatInt(cfg.Procore.CompanyID, 10)
	h := get(t, cfg.Procore.APIURL()+"/rest/v1.0/companies/"+company+"/users?per_page=5&page=1", ptok,
		http.Header{"Procore-Company-Id": {company}}, &users)
	if len(users) != 5 || h.Get("Total") == "" || h.Get("Per-Page") != "5" || !strings.Contains(h.Get("Link"), `rel="next"`) {
		t.Errorf("procore page: %d users, Total %q, Per-Page %q, Link %q", len(users), h.Get("Total"), h.Get("Per-Page"), h.Get("Link"))
	}
}

func token(t *testing.T, endpoint string, form url.Values) string {
	t.Helper()
	resp, err := http.PostForm(endpoint, form)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		t.Fatalf("token from %s: status %d, error %q, decode %v", endpoint, resp.StatusCode, body.Error, err)
	}
	return body.AccessToken
}

func get(t *testing.T, u, tok string, h http.Header, v any) http.Header {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: decode: %v", u, err)
	}
	return resp.Header
}

func TestDemoWriteConfigProtectsRealConfig(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(real, []byte(minimalReal), 0o600); err != nil {
		t.Fatal(err)
	}
	err := writeDemoConfig(real, []byte("# "+demoHeader+"\n"))
	if err == nil || !strings.Contains(err.Error(), "is not a demo config") {
		t.Errorf("overwrote a real config: %v", err)
	}
	if b, _ := os.ReadFile(real); string(b) != minimalReal {
		t.Error("real config changed")
	}

	old := filepath.Join(dir, "demo.toml")
	if err := os.WriteFile(old, []byte("# "+demoHeader+" at http://127.0.0.1:1.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeDemoConfig(old, []byte("# "+demoHeader+" at http://127.0.0.1:2.\n")); err != nil {
		t.Errorf("did not replace an earlier demo config: %v", err)
	}
	if b, _ := os.ReadFile(old); !strings.Contains(string(b), ":2.") {
		t.Errorf("content = %q", b)
	}
}

const minimalReal = "[graph]\ntenant = \"contoso.com\"\n"
