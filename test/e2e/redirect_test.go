package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// TestAutoRefusesRedirectedAPI (issue 14): both API hosts answer every call
// with a redirect (302 for reads, 307 for writes) to a second listener. The
// bearer tokens never reach that listener: the run stops with a non-zero
// exit and a message naming the refused redirect. The sign-in itself stays
// with the simulator's login hosts.
func TestAutoRefusesRedirectedAPI(t *testing.T) {
	p := startSim(t, 20)

	var mu sync.Mutex
	var reached, withToken []string
	second := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reached = append(reached, r.Method+" "+r.URL.Path)
		if r.Header.Get("Authorization") != "" {
			withToken = append(withToken, r.Method+" "+r.URL.Path)
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"value":[]}`))
	}))
	t.Cleanup(second.Close)
	var redirected int
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		redirected++
		mu.Unlock()
		code := http.StatusFound
		if r.Method != http.MethodGet {
			code = http.StatusTemporaryRedirect
		}
		http.Redirect(w, r, second.URL+r.URL.RequestURI(), code)
	}))
	t.Cleanup(api.Close)

	// Point both api_url settings at the redirecting host; login_url stays.
	b, err := os.ReadFile(p.Config)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^api_url = "` + regexp.QuoteMeta(p.URL))
	if n := len(re.FindAllIndex(b, -1)); n != 2 {
		t.Fatalf("config has %d api_url lines on the simulator, want 2 (graph, procore):\n%s", n, b)
	}
	b = re.ReplaceAll(b, []byte(`api_url = "`+api.URL))
	if err := os.WriteFile(p.Config, b, 0o600); err != nil {
		t.Fatal(err)
	}

	r := p.run(t, nil, "--auto")
	if r.Code == 0 {
		t.Errorf("--auto against a redirecting API exited 0\nstdout:\n%s\nstderr:\n%s", r.Stdout, r.Stderr)
	}
	secondHost := strings.TrimPrefix(second.URL, "http://")
	if !strings.Contains(r.Stderr, "refused a redirect") || !strings.Contains(r.Stderr, secondHost) {
		t.Errorf("stderr does not name the refused redirect to %s:\n%s", secondHost, r.Stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if redirected == 0 {
		t.Error("the redirecting API host was never called: the test proves nothing")
	}
	if len(withToken) != 0 {
		t.Errorf("the second listener received the bearer token on %v", withToken)
	}
	if len(reached) != 0 {
		t.Errorf("the second listener was reached at all: %v", reached)
	}
}
