package sim

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestHoldAndOnRequest: the hook sees each request's body before the
// handler, which still reads it whole; the hold rule lets Skip matching
// requests through, stops the next before it takes effect, and lets it
// finish on Release.
func TestHoldAndOnRequest(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := start(t, Options{Seed: 1, Members: 10, OnRequest: func(r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.Method+" "+string(b))
	}})
	tok := procoreAppToken(t, srv)
	usersURL := fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users", srv.URL, CompanyID)
	create := func(email string) result {
		return do(t, "POST", usersURL, procoreH(tok), map[string]any{"user": map[string]any{"email_address": email, "last_name": "Held"}})
	}
	srv.Sim.Hold(HoldRule{Service: ServiceProcore, WritesOnly: true, PathContains: "/users", Skip: 1})
	t.Cleanup(srv.Sim.Release)
	if r := create("first.held@contoso.com"); r.status != http.StatusCreated {
		t.Fatalf("first create (skipped by the rule): %d %s", r.status, r.body)
	}
	// The held request is sent off the test goroutine, which must not
	// call t.Fatal; its status comes back on done.
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", usersURL, strings.NewReader(`{"user":{"email_address":"second.held@contoso.com","last_name":"Held"}}`))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range procoreH(tok) {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	held, ok := srv.Sim.Held(ctx)
	if !ok || held.Method != http.MethodPost || !strings.Contains(held.Body, "second.held@contoso.com") {
		t.Fatalf("held %v: %+v", ok, held)
	}
	if n := len(srv.Sim.Created()); n != 1 {
		t.Errorf("%d users created while the second create is held, want 1", n)
	}
	srv.Sim.Release()
	if status := <-done; status != http.StatusCreated {
		t.Fatalf("released create: status %d, want 201", status)
	}
	if n := len(srv.Sim.Created()); n != 2 {
		t.Errorf("%d users created after the release, want 2", n)
	}
	mu.Lock()
	defer mu.Unlock()
	posts := 0
	for _, s := range seen {
		if strings.HasPrefix(s, "POST ") && strings.Contains(s, ".held@contoso.com") {
			posts++
		}
	}
	if posts != 2 {
		t.Errorf("the hook saw %d create bodies, want 2: %q", posts, seen)
	}
}

// TestHoldOverHTTP: /_sim/hold arms, reports and releases a hold for a
// test in another process.
func TestHoldOverHTTP(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 10})
	if r := do(t, "POST", srv.URL+"/_sim/hold", nil, `{"service":"graph"}`); r.status != http.StatusNoContent {
		t.Fatalf("arm: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", srv.URL+"/_sim/hold?wait_ms=1", nil, nil); r.json(t)["held"] != false {
		t.Fatalf("held before any request: %s", r.body)
	}
	tok := appGraphToken(t, srv)
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", srv.URL+"/graph/v1.0/groups", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	r := do(t, "GET", srv.URL+"/_sim/hold?wait_ms=30000", nil, nil)
	got := r.json(t)
	if got["held"] != true || !strings.HasSuffix(got["request"].(map[string]any)["path"].(string), "/groups") {
		t.Fatalf("held: %s", r.body)
	}
	if r := do(t, "DELETE", srv.URL+"/_sim/hold", nil, nil); r.status != http.StatusNoContent {
		t.Fatalf("release: %d %s", r.status, r.body)
	}
	if status := <-done; status != http.StatusOK {
		t.Fatalf("released request: status %d, want 200", status)
	}
}

// TestRegisterProcoreRedirect: a redirect URI registered over /_sim/ is
// accepted by Procore's authorize endpoint, which refused it before.
func TestRegisterProcoreRedirect(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 10})
	uri := "http://localhost:49152/callback"
	_, challenge := pkcePair()
	authorize := func() result {
		q := url.Values{"client_id": {ProcoreClientID}, "response_type": {"code"}, "redirect_uri": {uri},
			"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"s"}}
		return do(t, "GET", srv.URL+"/procore-login/oauth/authorize?"+q.Encode(), nil, nil)
	}
	if r := authorize(); r.status == http.StatusFound {
		t.Fatalf("an unregistered redirect URI was accepted: %s", r.header.Get("Location"))
	}
	if r := do(t, "POST", srv.URL+"/_sim/procore_redirect_uris", nil, url.Values{"uri": {uri}}); r.status != http.StatusNoContent {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	if r := authorize(); r.status != http.StatusFound || !strings.HasPrefix(r.header.Get("Location"), uri) {
		t.Fatalf("after registering: %d %s", r.status, r.header.Get("Location"))
	}
}
