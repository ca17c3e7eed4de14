package sim

import (
	"net/url"
	"strconv"
	"testing"
	"time"
)

func TestGraphCost(t *testing.T) {
	const g = "groups/0c7f3a9e-2b41-4d5c-8e6f-7a8b9c0d1e2f"
	tests := []struct {
		method, path, query string
		want                int
	}{
		{"GET", "groups", "$filter=startswith(displayName,'License')", 1},
		{"GET", "groups", "$select=id,displayName", 1}, // never below 1
		{"GET", g, "", 1},
		{"GET", g + "/members", "", 3},
		{"GET", g + "/members/microsoft.graph.user", "$select=id,mail&$top=999", 2},
		{"GET", g + "/members", "select=id", 2}, // without the "$", as Graph accepts
		{"GET", g + "/members", "$top=10", 2},
		{"GET", g + "/members", "$top=10&$select=id", 1},
		{"GET", g + "/members", "$expand=manager", 4},
		{"GET", g + "/transitiveMembers", "", 5},
		{"GET", g + "/transitiveMembers/microsoft.graph.user", "$select=id&$count=true", 4},
		{"GET", "subscribedSkus", "", 3},
		{"GET", "users", "", 2},
		{"GET", "users", "$select=id", 1},
		{"GET", "users/megan.bowen@contoso.com", "", 1},
		{"GET", "me", "$select=mail", 1},
		{"POST", "$batch", "", 0},
		{"POST", "me/sendMail", "", 0},
		{"POST", "users/megan.bowen@contoso.com/sendMail", "", 0},
		{"POST", "me/messages", "", 0},
		{"POST", "users/megan.bowen@contoso.com/messages/m1/attachments/createUploadSession", "", 0},
		{"POST", "users/megan.bowen@contoso.com/messages/m1/send", "", 0},
	}
	for _, tc := range tests {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		if got := GraphCost(tc.method, tc.path, q); got != tc.want {
			t.Errorf("GraphCost(%s %s?%s) = %d, want %d", tc.method, tc.path, tc.query, got, tc.want)
		}
	}
}

func TestGraphBudgetPerApp(t *testing.T) {
	var b graphBudget
	b.init(6, 0)
	t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	steps := []struct {
		client string
		cost   int
		at     time.Duration
		ok     bool
		wait   time.Duration
	}{
		{"app-a", 5, 0, true, 0},
		{"app-b", 5, 0, true, 0}, // each application has its own budget
		{"app-a", 2, time.Second, false, 9 * time.Second},
		{"app-a", 1, time.Second, true, 0},
		{"app-a", 9, 2 * time.Second, false, 9 * time.Second}, // dearer than the budget: waits for an empty window
		{"app-a", 9, 11 * time.Second, true, 0},
		{"app-a", 1, 12 * time.Second, false, 9 * time.Second},
	}
	for i, st := range steps {
		_, wait, ok := b.charge(st.client, st.cost, t0.Add(st.at))
		if ok != st.ok || wait != st.wait {
			t.Fatalf("step %d (%s spends %d at +%v): ok %v wait %v, want %v %v", i, st.client, st.cost, st.at, ok, wait, st.ok, st.wait)
		}
	}
	if b.throttled != 3 {
		t.Errorf("throttled = %d, want 3", b.throttled)
	}
}

func TestGraphResourceUnitsOption(t *testing.T) {
	if srv := start(t, Options{Seed: 1, Members: 10}); srv.Sim.GraphResourceUnits() != 0 {
		t.Fatalf("default budget = %d, want 0 (off)", srv.Sim.GraphResourceUnits())
	} else {
		r := do(t, "GET", srv.URL+"/graph/v1.0/groups", bearerH(appGraphToken(t, srv)), nil)
		if r.status != 200 || r.header.Get("x-ms-resource-unit") != "" {
			t.Fatalf("unbudgeted groups: %d, x-ms-resource-unit %q", r.status, r.header.Get("x-ms-resource-unit"))
		}
	}
	srv := start(t, Options{Seed: 1, Members: 10, GraphResourceUnits: GraphResourceUnitsAuto})
	if got, want := srv.Sim.GraphResourceUnits(), GraphResourceUnitsFor(len(srv.Sim.Tenant().Users)); got != want || got == 0 {
		t.Fatalf("auto budget = %d, want %d", got, want)
	}
	for users, want := range map[int]int{10: 3500, 49: 3500, 50: 5000, 500: 5000, 501: 8000} {
		if got := GraphResourceUnitsFor(users); got != want {
			t.Errorf("GraphResourceUnitsFor(%d) = %d, want %d", users, got, want)
		}
	}
}

func TestGraphBudgetThrottles(t *testing.T) {
	clk := &clock{t: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)}
	srv := start(t, Options{Seed: 1, Members: 10, GraphResourceUnits: 10, Now: clk.now})
	h := bearerH(appGraphToken(t, srv))
	gid := srv.Sim.Tenant().GroupByName(GroupE3).ID
	members := srv.URL + "/graph/v1.0/groups/" + gid + "/members"
	steps := []struct {
		advance    time.Duration
		url        string
		status     int
		units      string // x-ms-resource-unit
		retryAfter string
		percent    string // x-ms-throttle-limit-percentage
	}{
		{0, members, 200, "3", "", ""},
		{0, members, 200, "3", "", ""},
		{3500 * time.Millisecond, members + "?$select=id", 200, "2", "", ""}, // 8 of 10 spent: not past 80%
		// 8+5 > 10: the first read (t=0) frees 3 units at t=10, 6.5 s away.
		{0, srv.URL + "/graph/v1.0/groups/" + gid + "/transitiveMembers", 429, "", "7", ""},
		{0, srv.URL + "/graph/v1.0/groups", 200, "1", "", "0.9"},
		// At t=10 the two t=0 reads have left the window: 2+1 spent.
		{6500 * time.Millisecond, srv.URL + "/graph/v1.0/groups/" + gid + "/transitiveMembers", 200, "5", "", ""},
		// 8+3 > 10: the t=3.5 read frees its 2 units at t=13.5.
		{0, members, 429, "", "4", ""},
	}
	for i, st := range steps {
		clk.add(st.advance)
		r := do(t, "GET", st.url, h, nil)
		if r.status != st.status {
			t.Fatalf("step %d GET %s: %d %s, want %d", i, st.url, r.status, r.body, st.status)
		}
		if got := r.header.Get("x-ms-resource-unit"); got != st.units {
			t.Errorf("step %d: x-ms-resource-unit %q, want %q", i, got, st.units)
		}
		if got := r.header.Get("Retry-After"); got != st.retryAfter {
			t.Errorf("step %d: Retry-After %q, want %q", i, got, st.retryAfter)
		}
		if got := r.header.Get("x-ms-throttle-limit-percentage"); got != st.percent {
			t.Errorf("step %d: x-ms-throttle-limit-percentage %q, want %q", i, got, st.percent)
		}
		if st.status != 429 {
			continue
		}
		e, _ := r.json(t)["error"].(map[string]any)
		inner, _ := e["innerError"].(map[string]any)
		if e["code"] != "TooManyRequests" || e["message"] == "" || inner["request-id"] == nil || inner["request-id"] != r.header.Get("request-id") {
			t.Errorf("step %d: throttled body %s, want a Graph error TooManyRequests with its request id", i, r.body)
		}
		if got, want := r.header.Get("x-ms-throttle-scope"), "Tenant_Application/Read/"+GraphClientID+"/"+TenantGUID; got != want {
			t.Errorf("step %d: x-ms-throttle-scope %q, want %q", i, got, want)
		}
		if got := r.header.Get("x-ms-throttle-information"); got != "ResourceUnitLimitExceeded" {
			t.Errorf("step %d: x-ms-throttle-information %q", i, got)
		}
	}
	if n := srv.Sim.GraphThrottled(); n != 2 {
		t.Errorf("GraphThrottled = %d, want 2", n)
	}
	var logged int
	for _, r := range srv.Sim.Requests() {
		if r.Service == ServiceGraph && r.Status == 429 {
			logged++
		}
	}
	if logged != 2 {
		t.Errorf("%d throttled requests in the log, want 2", logged)
	}
	if inj := srv.Sim.FaultsInjected(); len(inj) != 0 {
		t.Errorf("budget throttling counted as injected faults: %v", inj)
	}
}

func TestGraphBudgetInBatch(t *testing.T) {
	clk := &clock{t: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)}
	srv := start(t, Options{Seed: 2, Members: 30, GraphResourceUnits: 5, Now: clk.now})
	h := bearerH(appGraphToken(t, srv))
	tn := srv.Sim.Tenant()
	var reqs []map[string]any
	for i, name := range []string{GroupE3, GroupE1, GroupF3} {
		reqs = append(reqs, map[string]any{"id": strconv.Itoa(i + 1), "method": "GET",
			"url": "/groups/" + tn.GroupByName(name).ID + "/members/microsoft.graph.user?$select=id&$top=999"})
	}
	batch := map[string]any{"requests": reqs}
	// Each part costs 2 of 5 units: two pass, the third is throttled on
	// its own, and the batch itself costs nothing and answers 200.
	r := do(t, "POST", srv.URL+"/graph/v1.0/$batch", h, batch)
	if r.status != 200 {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	statuses := map[float64]int{}
	for _, v := range r.json(t)["responses"].([]any) {
		p := v.(map[string]any)
		st := p["status"].(float64)
		statuses[st]++
		if st != 429 {
			continue
		}
		hdr, _ := p["headers"].(map[string]any)
		body, _ := p["body"].(map[string]any)
		e, _ := body["error"].(map[string]any)
		if hdr["Retry-After"] != "10" || e["code"] != "TooManyRequests" {
			t.Errorf("throttled part %v: headers %v body %v, want Retry-After 10 and TooManyRequests", p["id"], hdr, body)
		}
	}
	if statuses[200] != 2 || statuses[429] != 1 {
		t.Fatalf("part statuses %v, want two 200 and one 429", statuses)
	}
	// The same batch a window later: the budget has freed.
	clk.add(GraphResourceWindow)
	r = do(t, "POST", srv.URL+"/graph/v1.0/$batch", h, batch)
	statuses = map[float64]int{}
	for _, v := range r.json(t)["responses"].([]any) {
		statuses[v.(map[string]any)["status"].(float64)]++
	}
	if statuses[200] != 2 || statuses[429] != 1 {
		t.Fatalf("a window later, part statuses %v, want two 200 and one 429", statuses)
	}
	if n := srv.Sim.GraphThrottled(); n != 2 {
		t.Errorf("GraphThrottled = %d, want 2", n)
	}
}
