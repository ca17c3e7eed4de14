package provision_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"procsync/auth"
	"procsync/sync/graph"
	"procsync/sync/internal/httpx"
	"procsync/sync/procore"
	"procsync/sync/provision"
	"procsync/sync/roster"
	"procsync/sync/sim"
)

// Group names of the test tenant; the en dash is deliberate.
const (
	gE3    = "License – Microsoft 365 E3"
	gE1    = "License – Office 365 E1"
	gF3    = "License – Microsoft 365 F3"
	gStaff = "All Staff"
	gLeads = "Field Supervisors"
)

// snapTenant builds a tenant with a 2,500-member group, three license
// groups sharing members, a nested group and a device (which direct reads
// must not return), an unlicensed group, and a Procore directory of
// active+inactive users.
func snapTenant(active, inactive int) *sim.Tenant {
	t := sim.NewTenant(42)
	e3 := t.AddGroup(gE3, sim.SkuM365E3)
	e1 := t.AddGroup(gE1, sim.SkuO365E1)
	f3 := t.AddGroup(gF3, sim.SkuM365F3)
	t.AddUsers(gE3, 2500)
	t.AddUsers(gE1, 700)
	t.AddUsers(gF3, 400)
	// People with two and three licenses: one Member each.
	for _, id := range e3.Members[:300] {
		e1.Members = append(e1.Members, id)
		f3.Members = append(f3.Members, id)
	}
	f3.Members = append(f3.Members, e1.Members[:50]...)
	leads := t.AddGroup(gLeads)
	t.AddUsers(gLeads, 5)
	f3.Members = append(f3.Members, leads.ID)
	d := &sim.Device{ID: "d0000000-0000-4000-8000-000000000001", DisplayName: "SITE-TABLET-01"}
	t.Devices = append(t.Devices, d)
	f3.Members = append(f3.Members, d.ID)
	t.AddUsers(gStaff, 20)
	t.SKUs = []*sim.SKU{
		{SkuID: sim.SkuM365E3, SkuPartNumber: "SPE_E3"},
		{SkuID: sim.SkuO365E1, SkuPartNumber: "STANDARDPACK"},
		{SkuID: sim.SkuM365F3, SkuPartNumber: "SPE_F1"},
	}
	t.RecountSKUs()
	t.AddProcoreUsers(active, "", true)
	t.AddProcoreUsers(inactive, "", false)
	return t
}

// fastRetry are retry options for tests: the simulator's Retry-After seconds
// are scaled down and there is room for a 30% fault storm.
var fastRetry = httpx.Options{WaitScale: 0.002, MaxRetries: 12, BaseDelay: 5 * time.Millisecond}

// forceable is a client-credentials token source that can be made to fetch
// a new token, as auth's sources can after a 401.
type forceable struct {
	cfg clientcredentials.Config
	mu  sync.Mutex
	tok *oauth2.Token
	n   int    // tokens fetched
	api string // the simulator's origin, the only one that gets the token
}

func (f *forceable) Token() (*oauth2.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tok.Valid() {
		return f.tok, nil
	}
	return f.fetch(context.Background())
}

func (f *forceable) fetch(ctx context.Context) (*oauth2.Token, error) {
	t, err := f.cfg.Token(ctx)
	if err != nil {
		return nil, err
	}
	f.tok = t
	f.n++
	return t, nil
}

// InvalidateToken drops the token the service refused, so that
// auth.Transport's one retry after a 401 carries a new one.
func (f *forceable) InvalidateToken(access string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tok != nil && f.tok.AccessToken == access {
		f.tok = nil
	}
}

func (f *forceable) client() *http.Client {
	return &http.Client{Transport: &auth.Transport{Source: f, Base: http.DefaultTransport, API: f.api}}
}

// simSignIn returns token sources signed in to the simulator with client
// credentials, as `--auto` would be.
func simSignIn(base string) (g, p *forceable) {
	g = &forceable{cfg: clientcredentials.Config{
		ClientID: sim.GraphClientID, ClientSecret: sim.GraphClientSecret,
		TokenURL: base + "/identity/" + sim.TenantID + "/oauth2/v2.0/token",
		Scopes:   []string{"https://graph.microsoft.com/.default"},
	}, api: base}
	p = &forceable{cfg: clientcredentials.Config{
		ClientID: sim.ProcoreClientID, ClientSecret: sim.ProcoreClientSecret,
		TokenURL: base + "/procore-login/oauth/token",
	}, api: base}
	return g, p
}

// simSources returns clients for the simulator at base whose 401s force a
// token refresh.
func simSources(t testing.TB, base string, popts ...procore.Option) provision.Sources {
	t.Helper()
	g, p := simSignIn(base)
	return provision.Sources{
		Graph: graph.New(g.client(), base+"/graph", graph.WithRetry(fastRetry)),
		Procore: procore.New(p.client(), base+"/procore", sim.CompanyID,
			append([]procore.Option{procore.WithRetry(fastRetry)}, popts...)...),
	}
}

func startSnapSim(t testing.TB, opts sim.Options) *sim.Server {
	t.Helper()
	srv, err := sim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

var licensePrefixes = []string{"License – Microsoft", "License – Office"}

// expectedMembers computes, from the tenant itself, who a direct read of the
// license groups must return and which groups each is in.
func expectedMembers(ten *sim.Tenant, groups ...string) map[string][]string {
	users := map[string]bool{}
	for _, u := range ten.Users {
		users[u.ID] = true
	}
	want := map[string][]string{}
	for _, name := range groups {
		for _, id := range ten.GroupByName(name).Members {
			if users[id] && !slices.Contains(want[id], name) {
				want[id] = append(want[id], name)
			}
		}
	}
	for _, gs := range want {
		sort.Strings(gs)
	}
	return want
}

func checkSnapshot(t *testing.T, snap *roster.Snapshot, want map[string][]string, procoreUsers int) {
	t.Helper()
	got := map[string][]string{}
	for _, m := range snap.Members {
		if _, dup := got[m.ID]; dup {
			t.Fatalf("member %s listed twice", m.ID)
		}
		got[m.ID] = m.Groups
		if m.Mail == "" && m.UserPrincipalName == "" {
			t.Fatalf("member %s has no address fields: $select not applied?", m.ID)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d members, want %d", len(got), len(want))
	}
	for id, gs := range want {
		if !reflect.DeepEqual(got[id], gs) {
			t.Fatalf("member %s in groups %q, want %q", id, got[id], gs)
		}
	}
	seen := map[int64]bool{}
	for _, u := range snap.Users {
		if seen[u.ID] {
			t.Fatalf("Procore user %d listed twice", u.ID)
		}
		seen[u.ID] = true
	}
	if len(seen) != procoreUsers {
		t.Errorf("%d Procore users, want %d", len(seen), procoreUsers)
	}
}

func TestSnapshotComplete(t *testing.T) {
	ten := snapTenant(4500, 500)
	want := expectedMembers(ten, gE3, gE1, gF3)
	srv := startSnapSim(t, sim.Options{Tenant: ten})
	var events []roster.SnapshotProgress
	snap, err := provision.TakeSnapshot(context.Background(), simSources(t, srv.URL), provision.SnapshotOptions{
		NamePrefixes: licensePrefixes,
		Progress:     func(p roster.SnapshotProgress) { events = append(events, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, snap, want, 5000)
	if len(snap.Groups) != 3 {
		t.Fatalf("groups = %+v, want the 3 license groups", snap.Groups)
	}
	for _, g := range snap.Groups {
		if n := len(expectedMembers(ten, g.DisplayName)); g.MemberCount != n {
			t.Errorf("group %q: MemberCount %d, want %d", g.DisplayName, g.MemberCount, n)
		}
		if !strings.HasPrefix(g.MatchedBy, "name prefix ") {
			t.Errorf("group %q MatchedBy %q", g.DisplayName, g.MatchedBy)
		}
	}

	// The request shapes, from the simulator's log.
	var memberReqs, procoreReqs int
	for _, r := range srv.Sim.Requests() {
		switch {
		case r.Service == sim.ServiceGraph && strings.Contains(r.Path, "/members"):
			memberReqs++
			q, _ := url.ParseQuery(r.Query)
			if !strings.HasSuffix(r.Path, "/members/microsoft.graph.user") {
				t.Errorf("members read without the user cast: %s", r.Path)
			}
			// A nextLink may carry its own paging token but keeps the query.
			if q.Get("$top") != "999" || q.Get("$select") != graph.MemberSelect {
				t.Errorf("members query %q lacks $top=999 or the $select list", r.Query)
			}
			if r.Header.Get("ConsistencyLevel") != "eventual" {
				t.Errorf("members request without ConsistencyLevel: eventual")
			}
		case r.Service == sim.ServiceProcore && strings.HasPrefix(r.Path, "/procore/rest/"):
			procoreReqs++
			if r.Header.Get("Procore-Company-Id") != fmt.Sprint(sim.CompanyID) {
				t.Errorf("%s %s?%s without Procore-Company-Id", r.Method, r.Path, r.Query)
			}
		}
		if r.Service == sim.ServiceGraph && r.Header.Get("client-request-id") == "" {
			t.Errorf("%s %s without client-request-id", r.Method, r.Path)
		}
	}
	// 2,500/999 → 3 pages; 1,050 → 2; 800ish → 1.
	if memberReqs != 6 {
		t.Errorf("%d member page requests, want 6", memberReqs)
	}
	// 4,500 active at 1,000 a page → 5; 500 inactive → 1.
	if procoreReqs != 6 {
		t.Errorf("%d Procore requests, want 6", procoreReqs)
	}
	if v := srv.Sim.Violations(); len(v) > 0 {
		t.Errorf("simulator saw violations: %q", v)
	}

	// The seed flow's order, one page at a time, reads the same world.
	seq, err := provision.TakeSnapshot(context.Background(), simSources(t, srv.URL, procore.WithConcurrency(1)),
		provision.SnapshotOptions{NamePrefixes: licensePrefixes, Sequential: true})
	if err != nil {
		t.Fatal(err)
	}
	seq.TakenAt = snap.TakenAt
	if !reflect.DeepEqual(seq, snap) {
		t.Errorf("sequential snapshot differs from the concurrent one")
	}

	// Progress: groups found once, pages per group, Procore up to its total.
	var sawGroups, sawProcoreTotal, sawMembersTotal bool
	for _, e := range events {
		switch e.Kind {
		case roster.ProgressGroups:
			sawGroups = e.Groups == 3
		case roster.ProgressMembers:
			sawMembersTotal = sawMembersTotal || (e.Group == gE3 && e.Read == 2500 && e.Total == 2500)
		case roster.ProgressProcore:
			sawProcoreTotal = sawProcoreTotal || (e.Read == 5000 && e.Total == 5000)
		}
	}
	if !sawGroups || !sawProcoreTotal || !sawMembersTotal {
		t.Errorf("progress events missing (groups %v, procore total %v, members total %v): %+v",
			sawGroups, sawProcoreTotal, sawMembersTotal, events)
	}
}

func TestSnapshotBySKUAndNested(t *testing.T) {
	ten := snapTenant(50, 5)
	srv := startSnapSim(t, sim.Options{Tenant: ten})
	src := simSources(t, srv.URL)
	snap, err := provision.TakeSnapshot(context.Background(), src, provision.SnapshotOptions{SKUs: []string{"SPE_F1"}, Nested: true})
	if err != nil {
		t.Fatal(err)
	}
	want := expectedMembers(ten, gF3)
	for _, id := range ten.GroupByName(gLeads).Members {
		want[id] = []string{gF3}
	}
	checkSnapshot(t, snap, want, 55)
	if len(snap.Groups) != 1 || snap.Groups[0].MatchedBy != "sku SPE_F1" {
		t.Fatalf("groups = %+v", snap.Groups)
	}

	_, err = provision.TakeSnapshot(context.Background(), src, provision.SnapshotOptions{SKUs: []string{"SPE_E5", "SPE_E3"}})
	if err == nil || !strings.Contains(err.Error(), "SPE_E5") || !strings.Contains(err.Error(), "STANDARDPACK") {
		t.Fatalf("unknown SKU: err = %v, want one naming SPE_E5 and the tenant's SKUs", err)
	}
	_, err = provision.TakeSnapshot(context.Background(), src, provision.SnapshotOptions{NamePrefixes: []string{"Nope"}})
	if err == nil || !strings.Contains(err.Error(), `no license groups match name prefixes ["Nope"]`) {
		t.Fatalf("no groups: err = %v", err)
	}
}

func TestSnapshotUnderFaults(t *testing.T) {
	clean := startSnapSim(t, sim.Options{Tenant: snapTenant(4500, 500)})
	want, err := provision.TakeSnapshot(context.Background(), simSources(t, clean.URL), provision.SnapshotOptions{NamePrefixes: licensePrefixes})
	if err != nil {
		t.Fatal(err)
	}
	srv := startSnapSim(t, sim.Options{Tenant: snapTenant(4500, 500)})
	for _, svc := range []string{sim.ServiceGraph, sim.ServiceProcore} {
		srv.Sim.SetFaults(svc, sim.Faults{Rate: 0.3, RetryAfter: 1, Seed: 7,
			Kinds: []sim.FaultKind{sim.FaultThrottle, sim.FaultUnavailable, sim.FaultDrop, sim.FaultMalformed}})
	}
	got, err := provision.TakeSnapshot(context.Background(), simSources(t, srv.URL), provision.SnapshotOptions{NamePrefixes: licensePrefixes})
	if err != nil {
		t.Fatal(err)
	}
	got.TakenAt, want.TakenAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot under faults differs: %d members, %d users; want %d, %d",
			len(got.Members), len(got.Users), len(want.Members), len(want.Users))
	}
	injected := srv.Sim.FaultsInjected()
	if injected["graph 429"]+injected["graph 503"]+injected["graph drop"] == 0 ||
		injected["procore 429"]+injected["procore 503"]+injected["procore drop"] == 0 {
		t.Fatalf("no faults were injected: %v", injected)
	}
}

func TestSnapshotRefreshesExpiredTokens(t *testing.T) {
	srv := startSnapSim(t, sim.Options{Tenant: snapTenant(2000, 100)})
	for _, svc := range []string{sim.ServiceGraph, sim.ServiceProcore} {
		srv.Sim.SetFaults(svc, sim.Faults{Rate: 1, Kinds: []sim.FaultKind{sim.FaultExpireToken}, Max: 1})
	}
	snap, err := provision.TakeSnapshot(context.Background(), simSources(t, srv.URL), provision.SnapshotOptions{NamePrefixes: licensePrefixes})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Users) != 2100 {
		t.Fatalf("%d users, want 2100", len(snap.Users))
	}
	var unauthorized int
	for _, r := range srv.Sim.Requests() {
		if r.Status == http.StatusUnauthorized {
			unauthorized++
		}
	}
	if unauthorized == 0 {
		t.Fatal("no request was refused with 401: the fault did not bite")
	}
}

// failPage wraps the simulator and fails one page of the Procore user
// listing for good.
func failPage(h http.Handler, page string, status int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/users") && r.URL.Query().Get("page") == page {
			w.Header().Set("X-Request-Id", "req-page-"+page)
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"message":"%s"}`, http.StatusText(status))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func TestSnapshotFailsAsAWhole(t *testing.T) {
	tests := []struct {
		name   string
		status int
		want   string
	}{
		{"server error", 500, `procore: list company users (page 3 of 5): 500 Internal Server Error (request req-page-3)`},
		{"unavailable after retries", 503, `procore: list company users (page 3 of 5): 503 Service Unavailable (request req-page-3)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs := httptest.NewServer(failPage(sim.New(sim.Options{Tenant: snapTenant(4500, 500)}), "3", tc.status))
			defer hs.Close()
			snap, err := provision.TakeSnapshot(context.Background(), simSources(t, hs.URL), provision.SnapshotOptions{NamePrefixes: licensePrefixes})
			if snap != nil {
				t.Fatalf("got a snapshot with %d users despite a failed page", len(snap.Users))
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant  %s", err, tc.want)
			}
		})
	}
}

func TestSnapshotGraphErrorAsOperatorSeesIt(t *testing.T) {
	srv := startSnapSim(t, sim.Options{Tenant: snapTenant(10, 0)})
	e1 := srv.Sim.Tenant().GroupByName(gE1).ID
	srv.Sim.FailAlways(sim.ServiceGraph, e1+"/members", http.StatusForbidden)
	snap, err := provision.TakeSnapshot(context.Background(), simSources(t, srv.URL), provision.SnapshotOptions{NamePrefixes: licensePrefixes})
	if snap != nil || err == nil {
		t.Fatalf("snapshot %v, err %v; want an error only", snap, err)
	}
	msg := err.Error()
	prefix := `graph: list members of "License – Office 365 E1": 403 Authorization_RequestDenied: `
	if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, "(request-id ") {
		t.Fatalf("err = %s\nwant  %s… (request-id …)", msg, prefix)
	}
}

func TestSnapshotSpikeLimitNo429(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a rate-limit window")
	}
	// 20,000 users at 500 a page: 40 pages against 30 requests per 10 s.
	ten := snapTenant(19900, 100)
	srv := startSnapSim(t, sim.Options{Tenant: ten, ProcoreSpikeLimit: 30, ProcoreMaxPerPage: 500})
	snap, err := provision.TakeSnapshot(context.Background(), simSources(t, srv.URL), provision.SnapshotOptions{NamePrefixes: licensePrefixes})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Users) != 20000 {
		t.Fatalf("%d users, want 20000", len(snap.Users))
	}
	for _, r := range srv.Sim.Requests() {
		if r.Status == http.StatusTooManyRequests {
			t.Errorf("429 on %s %s?%s", r.Method, r.Path, r.Query)
		}
	}
}
