package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable clock safe to share with the server goroutines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestProcoreRateLimits(t *testing.T) {
	tests := []struct {
		name          string
		spike, hourly int
		wantLimit     string
		wantRetry     string
		advance       time.Duration
	}{
		{"spike", 3, 100, "3", "10", 10 * time.Second},
		{"hourly", 100, 3, "3", "3600", time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := &clock{t: time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)}
			srv := start(t, Options{Seed: 1, Members: 10, ProcoreSpikeLimit: tc.spike, ProcoreHourlyLimit: tc.hourly, Now: clk.now})
			tok := procoreAppToken(t, srv)
			u := fmt.Sprintf("%s/procore/rest/v1.0/vendors?company_id=%d", srv.URL, CompanyID)
			for i := 1; i <= 3; i++ {
				r := do(t, "GET", u, procoreH(tok), nil)
				if r.status != 200 || r.header.Get("X-Rate-Limit-Limit") != tc.wantLimit ||
					r.header.Get("X-Rate-Limit-Remaining") != strconv.Itoa(3-i) {
					t.Fatalf("request %d: %d limit=%s remaining=%s", i, r.status,
						r.header.Get("X-Rate-Limit-Limit"), r.header.Get("X-Rate-Limit-Remaining"))
				}
			}
			r := do(t, "GET", u, procoreH(tok), nil)
			reset, _ := strconv.ParseInt(r.header.Get("X-Rate-Limit-Reset"), 10, 64)
			if r.status != 429 || r.header.Get("Retry-After") != tc.wantRetry || r.header.Get("X-Rate-Limit-Remaining") != "0" ||
				reset != clk.now().Add(tc.advance).Unix() {
				t.Fatalf("past the limit: %d Retry-After=%q headers=%v", r.status, r.header.Get("Retry-After"), r.header)
			}
			clk.add(tc.advance)
			if r := do(t, "GET", u, procoreH(tok), nil); r.status != 200 {
				t.Fatalf("after the reset: %d", r.status)
			}
		})
	}
}

func TestFaultKinds(t *testing.T) {
	type check func(t *testing.T, srv *Server, graphTok, procoreTok string)
	graphGroups := func(srv *Server) string { return srv.URL + "/graph/v1.0/groups" }
	procoreUsers := func(srv *Server) string {
		return fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users", srv.URL, CompanyID)
	}
	tests := []struct {
		name    string
		service string
		faults  Faults
		check   check
		key     string
	}{
		{"graph 429", ServiceGraph, Faults{Rate: 1, Kinds: []FaultKind{FaultThrottle}}, func(t *testing.T, srv *Server, g, _ string) {
			r := do(t, "GET", graphGroups(srv), bearerH(g), nil)
			if r.status != 429 || r.header.Get("Retry-After") != "0" || r.json(t)["error"].(map[string]any)["code"] != "TooManyRequests" {
				t.Fatalf("got %d %v %s", r.status, r.header, r.body)
			}
		}, "graph 429"},
		{"procore 503", ServiceProcore, Faults{Rate: 1, Kinds: []FaultKind{FaultUnavailable}, RetryAfter: 1}, func(t *testing.T, srv *Server, _, p string) {
			r := do(t, "GET", procoreUsers(srv), procoreH(p), nil)
			if r.status != 503 || r.header.Get("Retry-After") != "1" || r.header.Get("X-Request-Id") == "" {
				t.Fatalf("got %d %v", r.status, r.header)
			}
		}, "procore 503"},
		{"latency", ServiceGraph, Faults{Rate: 1, Kinds: []FaultKind{FaultLatency}, Latency: time.Millisecond}, func(t *testing.T, srv *Server, g, _ string) {
			if r := do(t, "GET", graphGroups(srv), bearerH(g), nil); r.status != 200 {
				t.Fatalf("got %d", r.status)
			}
		}, "graph latency"},
		{"drop after the write", ServiceProcore, Faults{Rate: 1, Kinds: []FaultKind{FaultDrop}}, func(t *testing.T, srv *Server, _, p string) {
			req, _ := http.NewRequest("POST", procoreUsers(srv), strings.NewReader(`{"user":{"email_address":"lost@contoso.com","last_name":"Lost"}}`))
			for k, v := range procoreH(p) {
				req.Header.Set(k, v)
			}
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				t.Fatalf("the connection was not dropped: %d", resp.StatusCode)
			}
			// The answer was lost, but the user exists: a retry must not duplicate.
			if c := srv.Sim.Created(); len(c) != 1 || c[0].Email != "lost@contoso.com" {
				t.Fatalf("Created = %v", c)
			}
			if reqs := srv.Sim.Requests(); reqs[len(reqs)-1].Status != 0 {
				t.Fatalf("dropped request logged with status %d", reqs[len(reqs)-1].Status)
			}
		}, "procore drop"},
		{"malformed", ServiceGraph, Faults{Rate: 1, Kinds: []FaultKind{FaultMalformed}}, func(t *testing.T, srv *Server, g, _ string) {
			r := do(t, "GET", graphGroups(srv), bearerH(g), nil)
			if r.status != 200 || json.Valid(r.body) || len(r.body) == 0 {
				t.Fatalf("got %d valid=%v", r.status, json.Valid(r.body))
			}
		}, "graph malformed"},
		{"expire bearer", ServiceGraph, Faults{Rate: 1, Kinds: []FaultKind{FaultExpireToken}, Max: 1}, func(t *testing.T, srv *Server, g, _ string) {
			for i := range 2 { // the token stays dead after the fault
				if r := do(t, "GET", graphGroups(srv), bearerH(g), nil); r.status != 401 {
					t.Fatalf("request %d: %d", i, r.status)
				}
			}
		}, "graph expire_token"},
		{"token born expired", ServiceIdentity, Faults{Rate: 1, Kinds: []FaultKind{FaultExpireToken}}, func(t *testing.T, srv *Server, _, _ string) {
			tok := appGraphToken(t, srv)
			if r := do(t, "GET", graphGroups(srv), bearerH(tok), nil); r.status != 401 {
				t.Fatalf("got %d", r.status)
			}
		}, "identity expire_token"},
		{"writes only", ServiceProcore, Faults{Rate: 1, WritesOnly: true}, func(t *testing.T, srv *Server, _, p string) {
			if r := do(t, "GET", procoreUsers(srv), procoreH(p), nil); r.status != 200 {
				t.Fatalf("read faulted: %d", r.status)
			}
			r := do(t, "PATCH", procoreUsers(srv)+"/sync", procoreH(p), map[string]any{"updates": []any{}})
			if r.status != 429 && r.status != 503 {
				t.Fatalf("write not faulted: %d", r.status)
			}
		}, ""},
		{"max", ServiceGraph, Faults{Rate: 1, Max: 1, Kinds: []FaultKind{FaultThrottle}}, func(t *testing.T, srv *Server, g, _ string) {
			first := do(t, "GET", graphGroups(srv), bearerH(g), nil)
			second := do(t, "GET", graphGroups(srv), bearerH(g), nil)
			if first.status != 429 || second.status != 200 {
				t.Fatalf("got %d then %d", first.status, second.status)
			}
		}, "graph 429"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := start(t, Options{Seed: 1, Members: 20})
			g, p := appGraphToken(t, srv), procoreAppToken(t, srv)
			srv.Sim.SetFaults(tc.service, tc.faults)
			tc.check(t, srv, g, p)
			if tc.key != "" && srv.Sim.FaultsInjected()[tc.key] == 0 {
				t.Fatalf("FaultsInjected = %v, want %q", srv.Sim.FaultsInjected(), tc.key)
			}
		})
	}
}

func TestFailAlwaysAndHTTPControl(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 20})
	g, p := appGraphToken(t, srv), procoreAppToken(t, srv)
	srv.Sim.FailAlways(ServiceProcore, "/users/sync", 500)
	base := fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users", srv.URL, CompanyID)
	if r := do(t, "PATCH", base+"/sync", procoreH(p), map[string]any{"updates": []any{}}); r.status != 500 {
		t.Fatalf("FailAlways: %d", r.status)
	}
	if r := do(t, "GET", base, procoreH(p), nil); r.status != 200 {
		t.Fatalf("other path: %d", r.status)
	}
	srv.Sim.ClearFaults()
	if r := do(t, "PATCH", base+"/sync", procoreH(p), map[string]any{"updates": []any{}}); r.status != 200 {
		t.Fatalf("after ClearFaults: %d", r.status)
	}

	if r := do(t, "POST", srv.URL+"/_sim/faults", nil, map[string]any{"service": "graph", "rate": 1, "kinds": []string{"503"}}); r.status != 204 {
		t.Fatalf("POST /_sim/faults: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", srv.URL+"/graph/v1.0/groups", bearerH(g), nil); r.status != 503 {
		t.Fatalf("fault set over HTTP: %d", r.status)
	}
	do(t, "DELETE", srv.URL+"/_sim/faults", nil, nil)
	if r := do(t, "GET", srv.URL+"/graph/v1.0/groups", bearerH(g), nil); r.status != 200 {
		t.Fatalf("after DELETE: %d", r.status)
	}

	r := do(t, "GET", srv.URL+"/_sim/state", nil, nil)
	st := r.json(t)
	counts := st["request_counts"].(map[string]any)
	if counts["PATCH /procore/rest/v1.0/companies/{id}/users/sync"].(float64) != 2 || len(st["procore_users"].([]any)) == 0 {
		t.Fatalf("state: %v", counts)
	}
	var reqs []map[string]any
	if err := json.Unmarshal(do(t, "GET", srv.URL+"/_sim/requests", nil, nil).body, &reqs); err != nil || len(reqs) != len(srv.Sim.Requests()) {
		t.Fatalf("/_sim/requests: %v, %d", err, len(reqs))
	}
}

func BenchmarkProcoreUsersPage(b *testing.B) {
	tn := NewTenant(1)
	tn.AddProcoreUsers(20000, "", true)
	srv, err := Start(Options{Tenant: tn})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	tok := benchProcoreToken(b, srv)
	u := fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users?per_page=1000&page=", srv.URL, CompanyID)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req, _ := http.NewRequest("GET", u+strconv.Itoa(i%20+1), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Procore-Company-Id", strconv.FormatInt(CompanyID, 10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatal(err, resp)
		}
		var l []json.RawMessage
		_ = json.NewDecoder(resp.Body).Decode(&l)
		resp.Body.Close()
	}
}

func benchProcoreToken(b *testing.B, srv *Server) string {
	resp, err := http.PostForm(srv.URL+"/procore-login/oauth/token", map[string][]string{"grant_type": {"client_credentials"},
		"client_id": {ProcoreClientID}, "client_secret": {ProcoreClientSecret}})
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return m["access_token"].(string)
}

func BenchmarkGraphMembersPage(b *testing.B) {
	tn := Generate(1, 50)
	tn.AddUsers("Big Group", 50000)
	srv, err := Start(Options{Tenant: tn})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.PostForm(srv.URL+"/identity/"+TenantID+"/oauth2/v2.0/token", map[string][]string{
		"grant_type": {"client_credentials"}, "client_id": {GraphClientID},
		"client_secret": {GraphClientSecret}, "scope": {"https://graph.microsoft.com/.default"}})
	if err != nil {
		b.Fatal(err)
	}
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	u := srv.URL + "/graph/v1.0/groups/" + tn.GroupByName("Big Group").ID +
		"/members/microsoft.graph.user?$select=id,mail,accountEnabled&$top=999"
	for b.Loop() {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer "+m["access_token"].(string))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatal(err, resp)
		}
		var page map[string]json.RawMessage
		_ = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		Generate(1, 5000)
	}
}
