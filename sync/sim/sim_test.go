package sim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	srv, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return m
}

func (r result) list(t *testing.T) []map[string]any {
	t.Helper()
	var l []map[string]any
	if err := json.Unmarshal(r.body, &l); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return l
}

// do sends a request; body is a url.Values (form), a string or any JSON value.
func do(t *testing.T, method, u string, header map[string]string, body any) result {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		j, _ := json.Marshal(b)
		rd, ct = strings.NewReader(string(j)), "application/json"
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header, b}
}

func tokenURL(srv *Server) string {
	return srv.URL + "/identity/" + TenantID + "/oauth2/v2.0/token"
}

func appGraphToken(t *testing.T, srv *Server) string {
	t.Helper()
	r := do(t, "POST", tokenURL(srv), nil, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {GraphClientID},
		"client_secret": {GraphClientSecret}, "scope": {"https://graph.microsoft.com/.default"},
	})
	if r.status != 200 {
		t.Fatalf("client credentials: %d %s", r.status, r.body)
	}
	return r.json(t)["access_token"].(string)
}

func bearerH(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok}
}

func procoreH(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok, "Procore-Company-Id": fmt.Sprint(CompanyID)}
}

func pkcePair() (verifier, challenge string) {
	verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-sim-verifier"
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// procoreUserTokens signs in to Procore with the authorization code flow.
func procoreUserTokens(t *testing.T, srv *Server) (access, refresh string) {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {ProcoreClientID},
		"redirect_uri": {"http://localhost:8765/callback"}, "state": {"st8"}}
	r := do(t, "GET", srv.URL+"/procore-login/oauth/authorize?"+q.Encode(), nil, nil)
	if r.status != http.StatusFound {
		t.Fatalf("procore authorize: %d %s", r.status, r.body)
	}
	loc, _ := url.Parse(r.header.Get("Location"))
	if loc.Query().Get("state") != "st8" {
		t.Fatalf("state not echoed: %s", loc)
	}
	r = do(t, "POST", srv.URL+"/procore-login/oauth/token", nil, url.Values{
		"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "client_id": {ProcoreClientID},
		"client_secret": {ProcoreClientSecret}, "redirect_uri": {"http://localhost:8765/callback"},
	})
	if r.status != 200 {
		t.Fatalf("procore token: %d %s", r.status, r.body)
	}
	m := r.json(t)
	return m["access_token"].(string), m["refresh_token"].(string)
}

func TestGenerateDeterministicAndVaried(t *testing.T) {
	a, b := Generate(7, 200), Generate(7, 200)
	if !reflect.DeepEqual(a.Users, b.Users) || !reflect.DeepEqual(a.ProcoreUsers, b.ProcoreUsers) || !reflect.DeepEqual(a.Groups, b.Groups) {
		t.Fatal("Generate is not deterministic for one seed")
	}
	if c := Generate(8, 200); reflect.DeepEqual(a.Users, c.Users) {
		t.Fatal("different seeds gave the same users")
	}
	var guest, disabled, nullMail, html, accent, apostrophe, mixedCase bool
	for _, u := range a.Users {
		guest = guest || (u.UserType == "Guest" && strings.Contains(u.UserPrincipalName, "#EXT#"))
		disabled = disabled || !u.AccountEnabled
		nullMail = nullMail || u.Mail == ""
		html = html || strings.Contains(u.DisplayName, "<b>")
		accent = accent || strings.ContainsAny(u.DisplayName, "éöøüñ")
		apostrophe = apostrophe || strings.Contains(u.Surname, "'")
		mixedCase = mixedCase || (u.Mail != "" && u.Mail != strings.ToLower(u.Mail))
	}
	for name, ok := range map[string]bool{"guest": guest, "disabled": disabled, "null mail": nullMail, "html": html,
		"accent": accent, "apostrophe": apostrophe, "mixed case": mixedCase} {
		if !ok {
			t.Errorf("generated tenant has no %s user", name)
		}
	}
	licensed := map[string]int{}
	members := 0
	for _, name := range []string{GroupE3, GroupE1, GroupF3, GroupE5} {
		g := a.GroupByName(name)
		if g == nil || len(g.SKUs) != 1 {
			t.Fatalf("licence group %q missing or unlicensed", name)
		}
		for _, m := range g.Members {
			if a.UserByID(m) != nil {
				licensed[m]++
			}
		}
	}
	twice := 0
	for _, n := range licensed {
		members++
		if n > 1 {
			twice++
		}
	}
	if twice == 0 {
		t.Error("nobody is in two licence groups")
	}
	if members != 200 {
		t.Errorf("license-group members = %d, want 200", members)
	}
	f3 := a.GroupByName(GroupF3)
	leads := a.GroupByName(GroupFieldLeads)
	if !slices.Contains(f3.Members, leads.ID) || !slices.Contains(f3.Members, a.Devices[0].ID) {
		t.Error("F3 group lacks the nested group or the devices")
	}
	var upper, inactive, vendor bool
	for _, p := range a.ProcoreUsers {
		upper = upper || (p.Email != strings.ToLower(p.Email))
		inactive = inactive || !p.IsActive
		vendor = vendor || p.VendorID != 0
	}
	if !upper || !inactive || !vendor {
		t.Errorf("procore directory lacks variety: upper=%v inactive=%v vendor=%v", upper, inactive, vendor)
	}
}

func TestGenerateUniqueAddresses(t *testing.T) {
	for _, tc := range []struct {
		seed    int64
		members int
	}{{1, 10}, {2, 200}, {3, 1500}, {-9, 999}} {
		tn := Generate(tc.seed, tc.members)
		emails := map[string]int64{}
		for _, p := range tn.ProcoreUsers {
			k := strings.ToLower(p.Email)
			if other, ok := emails[k]; ok {
				t.Fatalf("seed %d: Procore users %d and %d share %s", tc.seed, other, p.ID, k)
			}
			emails[k] = p.ID
		}
		upns := map[string]bool{}
		for _, u := range tn.Users {
			k := strings.ToLower(u.UserPrincipalName)
			if upns[k] {
				t.Fatalf("seed %d: two users have UPN %s", tc.seed, k)
			}
			upns[k] = true
		}
	}
}

func TestTenantHelpers(t *testing.T) {
	tn := NewTenant(1)
	u := tn.AddUser(&User{DisplayName: "Zoë O'Brien", UserPrincipalName: "zoe@contoso.com", AccountEnabled: true}, GroupE3, "Other")
	p := tn.AddProcoreUser(&ProcoreUser{Email: "zoe@contoso.com", LastName: "O'Brien", IsActive: true})
	q := tn.AddProcoreUsers(2, "", true)
	if u.ID == "" || u.UserType != "Member" || !slices.Contains(tn.GroupByName("Other").Members, u.ID) {
		t.Fatalf("AddUser: %+v", u)
	}
	if p.ID == 0 || q[0].ID <= p.ID || q[1].ID <= q[0].ID {
		t.Fatalf("ids not increasing: %d %d %d", p.ID, q[0].ID, q[1].ID)
	}
	srv := start(t, Options{Tenant: tn})
	if got := srv.Sim.ProcoreUsers(); len(got) != 3 || got[0].Email != "zoe@contoso.com" {
		t.Fatalf("ProcoreUsers = %+v", got)
	}
}

func TestGraphLargeGroupInThreePages(t *testing.T) {
	tn := Generate(1, 20)
	tn.AddUsers("Big Group", 2500)
	srv := start(t, Options{Tenant: tn})
	tok := appGraphToken(t, srv)
	g := tn.GroupByName("Big Group")
	next := srv.URL + "/graph/v1.0/groups/" + g.ID + "/members/microsoft.graph.user?" +
		url.Values{"$select": {"id,mail"}, "$top": {"999"}, "$count": {"true"}}.Encode()
	pages, users := 0, map[string]bool{}
	for next != "" {
		r := do(t, "GET", next, map[string]string{"Authorization": "Bearer " + tok, "ConsistencyLevel": "eventual"}, nil)
		if r.status != 200 {
			t.Fatalf("page %d: %d %s", pages, r.status, r.body)
		}
		pages++
		m := r.json(t)
		for _, v := range m["value"].([]any) {
			u := v.(map[string]any)
			if _, ok := u["accountEnabled"]; ok || len(u) != 2 {
				t.Fatalf("$select=id,mail returned %v", u)
			}
			users[u["id"].(string)] = true
		}
		next, _ = m["@odata.nextLink"].(string)
		if next != "" && (!strings.Contains(next, "$select=id%2Cmail") || !strings.Contains(next, "$skiptoken=")) {
			t.Fatalf("nextLink does not keep the query: %s", next)
		}
	}
	if pages != 3 || len(users) != 2500 {
		t.Fatalf("read %d users in %d pages, want 2500 in 3", len(users), pages)
	}
	if n := srv.Sim.RequestCounts()["GET /graph/v1.0/groups/{id}/members/microsoft.graph.user"]; n != 3 {
		t.Fatalf("request count = %d, want 3", n)
	}
}

func TestGraphGroupFilter(t *testing.T) {
	srv := start(t, Options{Seed: 3})
	tok := appGraphToken(t, srv)
	tests := []struct {
		filter string
		want   []string
		status int
	}{
		{"startswith(displayName,'License – Microsoft')", []string{GroupE3, GroupF3, GroupE5}, 200},
		{"startswith(displayName,'License – Microsoft') or startswith(displayName,'License – Office')", []string{GroupE3, GroupE1, GroupF3, GroupE5}, 200},
		{"startswith(displayName,'Project – O''Hare')", []string{GroupOHare}, 200},
		{"startswith(displayName,'license – office')", []string{GroupE1}, 200},
		{"assignedLicenses/any(x:x/skuId eq " + SkuM365E3 + ")", []string{GroupE3}, 200},
		{"assignedLicenses/any()", []string{GroupE3, GroupE1, GroupF3, GroupE5}, 200},
		{"displayName eq 'All Staff'", []string{GroupAllStaff}, 200},
		{"startswith(displayName,'License – Nothing')", nil, 200},
		{"startswith(displayName,'unterminated)", nil, 400},
		{"displayName ne 'All Staff'", nil, 400}, // advanced query only
		{"contains(displayName,'x')", nil, 400},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			q := url.Values{"$filter": {tc.filter}, "$select": {"id,displayName"}}
			r := do(t, "GET", srv.URL+"/graph/v1.0/groups?"+q.Encode(), bearerH(tok), nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status != 200 {
				e := r.json(t)["error"].(map[string]any)
				if e["code"] == "" || e["innerError"].(map[string]any)["request-id"] != r.header.Get("request-id") {
					t.Fatalf("bad Graph error body: %s", r.body)
				}
				return
			}
			var got []string
			for _, v := range r.json(t)["value"].([]any) {
				got = append(got, v.(map[string]any)["displayName"].(string))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGraphSelectMembersAndLimits(t *testing.T) {
	srv := start(t, Options{Seed: 4, Members: 60})
	tok := appGraphToken(t, srv)
	tn := srv.Sim.Tenant()
	f3 := tn.GroupByName(GroupF3)
	get := func(path string, q url.Values, h map[string]string) result {
		if h == nil {
			h = bearerH(tok)
		}
		return do(t, "GET", srv.URL+"/graph/v1.0/"+path+"?"+q.Encode(), h, nil)
	}
	// Without the cast, members are mixed and typed.
	types := map[string]int{}
	r := get("groups/"+f3.ID+"/members", url.Values{"$top": {"999"}}, nil)
	for _, v := range r.json(t)["value"].([]any) {
		types[v.(map[string]any)["@odata.type"].(string)]++
	}
	if types["#microsoft.graph.group"] != 1 || types["#microsoft.graph.device"] != 3 || types["#microsoft.graph.user"] == 0 {
		t.Fatalf("mixed members: %v", types)
	}
	// With it, users only.
	r = get("groups/"+f3.ID+"/members/microsoft.graph.user", url.Values{"$top": {"999"}, "$select": {"id,accountEnabled,userType,proxyAddresses"}}, nil)
	direct := len(r.json(t)["value"].([]any))
	if direct != types["#microsoft.graph.user"] {
		t.Fatalf("cast returned %d users, want %d", direct, types["#microsoft.graph.user"])
	}
	for _, v := range r.json(t)["value"].([]any) {
		if _, ok := v.(map[string]any)["accountEnabled"]; !ok {
			t.Fatal("selected accountEnabled missing")
		}
	}
	// transitiveMembers with the cast needs the advanced-query header.
	if r := get("groups/"+f3.ID+"/transitiveMembers/microsoft.graph.user", url.Values{}, nil); r.status != 400 {
		t.Fatalf("transitive cast without ConsistencyLevel: %d", r.status)
	}
	r = get("groups/"+f3.ID+"/transitiveMembers/microsoft.graph.user", url.Values{"$top": {"999"}, "$count": {"true"}},
		map[string]string{"Authorization": "Bearer " + tok, "ConsistencyLevel": "eventual"})
	if n := len(r.json(t)["value"].([]any)); n <= direct {
		t.Fatalf("transitive users %d, want more than the %d direct", n, direct)
	}
	// assignedLicenses only when selected; default page is 100, max 999.
	r = get("groups/"+f3.ID, url.Values{}, nil)
	if _, ok := r.json(t)["assignedLicenses"]; ok {
		t.Fatal("assignedLicenses returned without $select")
	}
	r = get("groups/"+f3.ID, url.Values{"$select": {"id,assignedLicenses"}}, nil)
	if l := r.json(t)["assignedLicenses"].([]any); len(l) != 1 {
		t.Fatalf("assignedLicenses = %v", l)
	}
	if r := get("groups", url.Values{"$top": {"1000"}}, nil); r.status != 400 {
		t.Fatalf("$top=1000: %d", r.status)
	}
	if r := get("groups", url.Values{"$select": {"id,bogus"}}, nil); r.status != 400 {
		t.Fatalf("unknown $select: %d", r.status)
	}
	r = get("subscribedSkus", url.Values{"$select": {"skuId,skuPartNumber,consumedUnits,prepaidUnits"}}, nil)
	skus := r.json(t)["value"].([]any)
	if len(skus) != 5 || skus[0].(map[string]any)["skuPartNumber"] != "SPE_E3" {
		t.Fatalf("subscribedSkus: %s", r.body)
	}
}

func TestGraphAuth(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 20})
	tok := appGraphToken(t, srv)
	tests := []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"no token", "groups", "", 401, "InvalidAuthenticationToken"},
		{"garbage", "groups", "abc", 401, "InvalidAuthenticationToken"},
		{"me app-only", "me", tok, 400, "BadRequest"},
		{"unknown group", "groups/00000000-0000-4000-8000-000000000000", tok, 404, "Request_ResourceNotFound"},
		{"skip", "groups?$skip=5", tok, 400, "Request_BadRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.token != "" {
				h = bearerH(tc.token)
			}
			r := do(t, "GET", srv.URL+"/graph/v1.0/"+tc.path, h, nil)
			if r.status != tc.status || r.json(t)["error"].(map[string]any)["code"] != tc.code {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		})
	}
	srv.Sim.ExpireTokens(ServiceGraph)
	if r := do(t, "GET", srv.URL+"/graph/v1.0/groups", bearerH(tok), nil); r.status != 401 {
		t.Fatalf("expired token: %d", r.status)
	}
}

func TestIdentityAuthCodePKCE(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 20})
	verifier, challenge := pkcePair()
	redirect := "http://localhost:53123/callback"
	q := url.Values{"client_id": {GraphClientID}, "response_type": {"code"}, "redirect_uri": {redirect},
		"scope": {"offline_access openid https://graph.microsoft.com/GroupMember.Read.All https://graph.microsoft.com/Mail.Send"},
		"state": {"xyz"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	r := do(t, "GET", srv.URL+"/identity/"+TenantID+"/oauth2/v2.0/authorize?"+q.Encode(), nil, nil)
	loc, _ := url.Parse(r.header.Get("Location"))
	if r.status != 302 || loc.Query().Get("state") != "xyz" || loc.Query().Get("code") == "" || loc.Port() != "53123" {
		t.Fatalf("authorize: %d %s", r.status, loc)
	}
	code := loc.Query().Get("code")
	redeem := func(v string) result {
		return do(t, "POST", tokenURL(srv), nil, url.Values{"grant_type": {"authorization_code"}, "client_id": {GraphClientID},
			"code": {code}, "redirect_uri": {redirect}, "code_verifier": {v}})
	}
	r = redeem("wrong-verifier-wrong-verifier-wrong-verifier-00")
	if e := r.json(t); r.status != 400 || e["error"] != "invalid_grant" || !strings.Contains(e["error_description"].(string), "AADSTS501481") ||
		e["error_codes"].([]any)[0].(float64) != 501481 || e["trace_id"] == "" || e["correlation_id"] == "" {
		t.Fatalf("wrong verifier: %d %s", r.status, r.body)
	}
	if srv.Sim.PKCEVerified() != 0 {
		t.Fatal("a failed verification was counted")
	}
	r = redeem(verifier)
	if r.status != 200 {
		t.Fatalf("right verifier: %d %s", r.status, r.body)
	}
	tokens := r.json(t)
	if tokens["refresh_token"] == nil || tokens["id_token"] == nil || srv.Sim.PKCEVerified() != 1 {
		t.Fatalf("tokens: %v, pkce %d", tokens, srv.Sim.PKCEVerified())
	}
	if r := redeem(verifier); !strings.Contains(string(r.body), "AADSTS54005") {
		t.Fatalf("code reuse: %s", r.body)
	}
	me := do(t, "GET", srv.URL+"/graph/v1.0/me", bearerH(tokens["access_token"].(string)), nil)
	if me.status != 200 || me.json(t)["userPrincipalName"] != AdminUPN {
		t.Fatalf("/me: %d %s", me.status, me.body)
	}
	r = do(t, "POST", tokenURL(srv), nil, url.Values{"grant_type": {"refresh_token"}, "client_id": {GraphClientID},
		"refresh_token": {tokens["refresh_token"].(string)}})
	if r.status != 200 || r.json(t)["refresh_token"] == tokens["refresh_token"] {
		t.Fatalf("refresh did not rotate: %d %s", r.status, r.body)
	}
	// A redirect that is not loopback is refused before any redirect.
	q.Set("redirect_uri", "https://evil.example/cb")
	if r := do(t, "GET", srv.URL+"/identity/"+TenantID+"/oauth2/v2.0/authorize?"+q.Encode(), nil, nil); r.status != 400 {
		t.Fatalf("foreign redirect: %d", r.status)
	}
}

func TestConsentPage(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 20, ConsentPage: true})
	q := url.Values{"client_id": {GraphClientID}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1:9/cb"},
		"scope": {"User.Read"}, "state": {"s1"}}
	u := srv.URL + "/identity/" + TenantGUID + "/oauth2/v2.0/authorize"
	r := do(t, "GET", u+"?"+q.Encode(), nil, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `value="approve"`) {
		t.Fatalf("consent page: %d %s", r.status, r.body)
	}
	for _, tc := range []struct{ consent, want string }{{"approve", "code"}, {"deny", "error"}} {
		f := url.Values{}
		for k, v := range q {
			f[k] = v
		}
		f.Set("consent", tc.consent)
		r := do(t, "POST", u, nil, f)
		loc, _ := url.Parse(r.header.Get("Location"))
		if r.status != 302 || loc.Query().Get(tc.want) == "" || loc.Query().Get("state") != "s1" {
			t.Fatalf("%s: %d %s", tc.consent, r.status, loc)
		}
	}
}

func TestDeviceCodeFlow(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 20})
	r := do(t, "POST", srv.URL+"/identity/organizations/oauth2/v2.0/devicecode", nil,
		url.Values{"client_id": {GraphClientID}, "scope": {"offline_access User.Read.All Mail.Send"}})
	dc := r.json(t)
	if r.status != 200 || dc["verification_uri"] != srv.URL+"/identity/devicelogin" || !strings.Contains(dc["message"].(string), dc["user_code"].(string)) {
		t.Fatalf("devicecode: %d %s", r.status, r.body)
	}
	poll := func() result {
		return do(t, "POST", srv.URL+"/identity/organizations/oauth2/v2.0/token", nil, url.Values{
			"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {GraphClientID},
			"device_code": {dc["device_code"].(string)}})
	}
	if r := poll(); r.status != 400 || r.json(t)["error"] != "authorization_pending" {
		t.Fatalf("pending poll: %d %s", r.status, r.body)
	}
	if got := srv.Sim.DeviceCodes(); len(got) != 1 || got[0] != dc["user_code"] {
		t.Fatalf("DeviceCodes = %v", got)
	}
	page := do(t, "GET", dc["verification_uri"].(string)+"?user_code="+dc["user_code"].(string)+"&action=approve", nil, nil)
	if page.status != 200 || !strings.Contains(string(page.body), "signed in") {
		t.Fatalf("verification page: %d %s", page.status, page.body)
	}
	r = poll()
	if r.status != 200 || r.json(t)["refresh_token"] == nil {
		t.Fatalf("approved poll: %d %s", r.status, r.body)
	}
	if r := poll(); r.json(t)["error"] != "invalid_grant" {
		t.Fatalf("second redemption: %s", r.body)
	}
}

func TestClientCredentials(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 20})
	base := url.Values{"grant_type": {"client_credentials"}, "client_id": {GraphClientID},
		"client_secret": {GraphClientSecret}, "scope": {"https://graph.microsoft.com/.default"}}
	tests := []struct {
		name, key, value, tenant string
		status                   int
		errCode                  string
	}{
		{"ok", "", "", TenantID, 200, ""},
		{"ok by guid", "", "", TenantGUID, 200, ""},
		{"wrong secret", "client_secret", "nope", TenantID, 401, "invalid_client"},
		{"no secret", "client_secret", "", TenantID, 401, "invalid_client"},
		{"scope without .default", "scope", "https://graph.microsoft.com/User.Read.All", TenantID, 400, "invalid_scope"},
		{"unknown client", "client_id", "11111111-1111-4111-8111-111111111111", TenantID, 400, "unauthorized_client"},
		{"common tenant", "", "", "common", 400, "invalid_request"},
		{"unknown tenant", "", "", "fabrikam.onmicrosoft.com", 400, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{}
			for k, v := range base {
				f[k] = v
			}
			if tc.key != "" {
				f.Set(tc.key, tc.value)
			}
			r := do(t, "POST", srv.URL+"/identity/"+tc.tenant+"/oauth2/v2.0/token", nil, f)
			m := r.json(t)
			if r.status != tc.status || (tc.errCode != "" && m["error"] != tc.errCode) {
				t.Fatalf("got %d %s", r.status, r.body)
			}
			if tc.status == 200 && (m["refresh_token"] != nil || m["expires_in"].(float64) != 3599) {
				t.Fatalf("client credentials answer: %s", r.body)
			}
		})
	}
}

func TestGraphBatchAndSendMail(t *testing.T) {
	srv := start(t, Options{Seed: 2, Members: 30})
	tok := appGraphToken(t, srv)
	tn := srv.Sim.Tenant()
	var reqs []map[string]any
	for i, name := range []string{GroupE3, GroupE1, GroupF3} {
		reqs = append(reqs, map[string]any{"id": fmt.Sprint(i + 1), "method": "GET",
			"url": "/groups/" + tn.GroupByName(name).ID + "/members/microsoft.graph.user?$select=id&$top=999"})
	}
	reqs = append(reqs, map[string]any{"id": "4", "method": "GET", "url": "/groups/00000000-0000-4000-8000-000000000000"})
	r := do(t, "POST", srv.URL+"/graph/v1.0/$batch", bearerH(tok), map[string]any{"requests": reqs})
	if r.status != 200 {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	got := map[string]float64{}
	for _, v := range r.json(t)["responses"].([]any) {
		p := v.(map[string]any)
		got[p["id"].(string)] = p["status"].(float64)
	}
	if !reflect.DeepEqual(got, map[string]float64{"1": 200, "2": 200, "3": 200, "4": 404}) {
		t.Fatalf("batch statuses: %v", got)
	}
	var many []map[string]any
	for i := range 21 {
		many = append(many, map[string]any{"id": fmt.Sprint(i), "method": "GET", "url": "/groups"})
	}
	if r := do(t, "POST", srv.URL+"/graph/v1.0/$batch", bearerH(tok), map[string]any{"requests": many}); r.status != 400 {
		t.Fatalf("21-request batch: %d", r.status)
	}

	mail := map[string]any{"message": map[string]any{"subject": "procsync report",
		"body":         map[string]any{"contentType": "HTML", "content": "<table></table>"},
		"toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": "it@contoso.com"}}}}, "saveToSentItems": true}
	r = do(t, "POST", srv.URL+"/graph/v1.0/users/"+AdminUPN+"/sendMail", bearerH(tok), mail)
	if r.status != 202 || len(r.body) != 0 {
		t.Fatalf("sendMail: %d %s", r.status, r.body)
	}
	if m := srv.Sim.Mails(); len(m) != 1 || m[0].From != AdminUPN || m[0].To[0] != "it@contoso.com" || m[0].ContentType != "HTML" {
		t.Fatalf("Mails = %+v", m)
	}
	delete(mail["message"].(map[string]any), "toRecipients")
	if r := do(t, "POST", srv.URL+"/graph/v1.0/users/"+AdminUPN+"/sendMail", bearerH(tok), mail); r.status != 400 {
		t.Fatalf("sendMail without recipients: %d", r.status)
	}
}

func TestProcoreRefreshTokenSingleUse(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 20})
	access, refresh := procoreUserTokens(t, srv)
	if r := do(t, "GET", srv.URL+"/procore/rest/v1.0/me", bearerH(access), nil); r.status != 200 || r.json(t)["login"] != ProcoreAdminLogin {
		t.Fatalf("/me: %d %s", r.status, r.body)
	}
	use := func(rt string) result {
		return do(t, "POST", srv.URL+"/procore-login/oauth/token", nil, url.Values{"grant_type": {"refresh_token"},
			"refresh_token": {rt}, "client_id": {ProcoreClientID}, "client_secret": {ProcoreClientSecret}})
	}
	r := use(refresh)
	if r.status != 200 || r.json(t)["refresh_token"] == refresh {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	if len(srv.Sim.Violations()) != 0 {
		t.Fatalf("violations before reuse: %v", srv.Sim.Violations())
	}
	if r := use(refresh); r.status != 400 || r.json(t)["error"] != "invalid_grant" {
		t.Fatalf("reuse: %d %s", r.status, r.body)
	}
	if v := srv.Sim.Violations(); len(v) != 1 || !strings.Contains(v[0], "refresh token reused") {
		t.Fatalf("violations = %v", v)
	}
	// Redirect URIs match exactly: another port is refused.
	q := url.Values{"response_type": {"code"}, "client_id": {ProcoreClientID}, "redirect_uri": {"http://localhost:9999/callback"}}
	if r := do(t, "GET", srv.URL+"/procore-login/oauth/authorize?"+q.Encode(), nil, nil); r.status != 400 {
		t.Fatalf("inexact redirect: %d", r.status)
	}
}

func procoreAppToken(t *testing.T, srv *Server) string {
	t.Helper()
	r := do(t, "POST", srv.URL+"/procore-login/oauth/token", nil, url.Values{"grant_type": {"client_credentials"},
		"client_id": {ProcoreClientID}, "client_secret": {ProcoreClientSecret}})
	if r.status != 200 {
		t.Fatalf("procore client credentials: %d %s", r.status, r.body)
	}
	return r.json(t)["access_token"].(string)
}

func TestProcoreUsersPaging(t *testing.T) {
	tn := NewTenant(1)
	tn.AddProcoreUsers(2500, "", true)
	tn.AddProcoreUsers(7, "", false)
	srv := start(t, Options{Tenant: tn})
	tok := procoreAppToken(t, srv)
	users := fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users", srv.URL, CompanyID)
	seen := map[float64]bool{}
	for page := 1; ; page++ {
		r := do(t, "GET", fmt.Sprintf("%s?page=%d&per_page=5000", users, page), procoreH(tok), nil)
		if r.status != 200 || r.header.Get("Total") != "2500" || r.header.Get("Per-Page") != "1000" {
			t.Fatalf("page %d: %d Total=%q Per-Page=%q", page, r.status, r.header.Get("Total"), r.header.Get("Per-Page"))
		}
		for _, u := range r.list(t) {
			if u["is_active"] != true {
				t.Fatal("inactive user in the active list")
			}
			seen[u["id"].(float64)] = true
		}
		hasNext := strings.Contains(r.header.Get("Link"), `rel="next"`)
		if page == 3 {
			if hasNext {
				t.Fatal("last page has rel=next")
			}
			break
		}
		if !hasNext {
			t.Fatalf("page %d lacks rel=next", page)
		}
	}
	if len(seen) != 2500 {
		t.Fatalf("read %d distinct users", len(seen))
	}
	r := do(t, "GET", users+"/inactive", procoreH(tok), nil)
	if len(r.list(t)) != 7 || r.header.Get("Total") != "7" {
		t.Fatalf("inactive: %s", r.header.Get("Total"))
	}
}

func TestProcoreWrites(t *testing.T) {
	srv := start(t, Options{Seed: 5, Members: 30})
	tok := procoreAppToken(t, srv)
	users := fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users", srv.URL, CompanyID)
	create := map[string]any{"user": map[string]any{"email_address": "new.person@contoso.com", "first_name": "New", "last_name": "Person", "is_employee": true}}
	r := do(t, "POST", users, procoreH(tok), create)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(float64)
	create["user"].(map[string]any)["email_address"] = "NEW.Person@contoso.com"
	r = do(t, "POST", users, procoreH(tok), create)
	if r.status != 422 || !strings.Contains(string(r.body), `"email_address":["has already been taken"]`) {
		t.Fatalf("duplicate: %d %s", r.status, r.body)
	}
	r = do(t, "POST", users, procoreH(tok), map[string]any{"user": map[string]any{"email_address": "x@contoso.com"}})
	if r.status != 422 || !strings.Contains(string(r.body), "last_name") {
		t.Fatalf("missing last_name: %d %s", r.status, r.body)
	}
	// An update must carry email_address and last_name (the spec's
	// required fields), or it is a 422 in Procore's error shape.
	r = do(t, "PATCH", fmt.Sprintf("%s/%d", users, int64(id)), procoreH(tok), map[string]any{"user": map[string]any{"is_active": false}})
	if r.status != 422 || !strings.Contains(string(r.body), `"last_name":["is missing"]`) || !strings.Contains(string(r.body), `"email_address":["is missing"]`) {
		t.Fatalf("patch without required fields: %d %s", r.status, r.body)
	}
	// Deactivate through PATCH, reactivate through the inactive endpoint
	// (no body), twice: a repeated reactivation answers the same.
	r = do(t, "PATCH", fmt.Sprintf("%s/%d", users, int64(id)), procoreH(tok),
		map[string]any{"user": map[string]any{"email_address": "new.person@contoso.com", "last_name": "Person", "is_active": false}})
	if r.status != 200 || r.json(t)["is_active"] != false {
		t.Fatalf("patch is_active=false: %d %s", r.status, r.body)
	}
	for range 2 {
		r = do(t, "PATCH", fmt.Sprintf("%s/inactive/%d", users, int64(id)), procoreH(tok), nil)
		if r.status != 200 || r.json(t)["is_active"] != true {
			t.Fatalf("reactivate: %d %s", r.status, r.body)
		}
	}
	if r = do(t, "PATCH", fmt.Sprintf("%s/inactive/%d", users, 99), procoreH(tok), nil); r.status != 404 {
		t.Fatalf("reactivate an unknown user: %d %s", r.status, r.body)
	}
	if c := srv.Sim.Created(); len(c) != 1 || c[0].Email != "new.person@contoso.com" {
		t.Fatalf("Created = %+v", c)
	}
}

func TestProcoreSync(t *testing.T) {
	srv := start(t, Options{Seed: 6, Members: 30})
	tok := procoreAppToken(t, srv)
	sync := fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users/sync", srv.URL, CompanyID)
	existing := srv.Sim.ProcoreUsers()[1]
	send := func(updates ...map[string]any) (entities, errs []any) {
		r := do(t, "PATCH", sync, procoreH(tok), map[string]any{"updates": updates})
		if r.status != 200 {
			t.Fatalf("sync: %d %s", r.status, r.body)
		}
		m := r.json(t)
		return m["entities"].([]any), m["errors"].([]any)
	}
	before := len(srv.Sim.ProcoreUsers())
	ent, errs := send(map[string]any{"origin_id": "entra-1", "email_address": "sync.one@contoso.com", "first_name": "Sync", "last_name": "One"},
		map[string]any{"email_address": strings.ToUpper(existing.Email), "last_name": "Dup"})
	if len(ent) != 1 || len(errs) != 1 || len(srv.Sim.ProcoreUsers()) != before+1 {
		t.Fatalf("first sync: entities %v errors %v", ent, errs)
	}
	if e := errs[0].(map[string]any); e["last_name"] != "Dup" || e["errors"].(map[string]any)["email_address"] == nil {
		t.Fatalf("per-item error does not echo the input: %v", e)
	}
	created := ent[0].(map[string]any)["id"]
	ent, errs = send(map[string]any{"origin_id": "entra-1", "email_address": "sync.one@contoso.com", "first_name": "Synced", "last_name": "One"})
	if len(ent) != 1 || len(errs) != 0 || ent[0].(map[string]any)["id"] != created || ent[0].(map[string]any)["first_name"] != "Synced" {
		t.Fatalf("second sync did not update by origin_id: %v %v", ent, errs)
	}
	if len(srv.Sim.ProcoreUsers()) != before+1 || len(srv.Sim.Created()) != 1 {
		t.Fatal("second sync created a user")
	}
	_, errs = send(map[string]any{"id": 1, "last_name": "Nobody"})
	if len(errs) != 1 {
		t.Fatal("unknown id was not an error")
	}
	big := make([]map[string]any, 1001)
	for i := range big {
		big[i] = map[string]any{"email_address": fmt.Sprintf("b%d@contoso.com", i), "last_name": "B"}
	}
	if r := do(t, "PATCH", sync, procoreH(tok), map[string]any{"updates": big}); r.status != 422 {
		t.Fatalf("1001 updates: %d", r.status)
	}
}

func TestProcoreCompanyHeaderAndProjects(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 30})
	access, _ := procoreUserTokens(t, srv)
	if r := do(t, "GET", srv.URL+"/procore/rest/v1.0/companies", bearerH(access), nil); r.status != 200 {
		t.Fatalf("companies without header: %d", r.status)
	}
	r := do(t, "GET", fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users", srv.URL, CompanyID), bearerH(access), nil)
	if r.status != 400 || len(srv.Sim.Violations()) != 1 || r.header.Get("X-Request-Id") == "" {
		t.Fatalf("missing header: %d, violations %v", r.status, srv.Sim.Violations())
	}
	r = do(t, "GET", fmt.Sprintf("%s/procore/rest/v1.1/projects?company_id=%d", srv.URL, CompanyID), procoreH(access), nil)
	if len(r.list(t)) != 3 {
		t.Fatalf("active projects: %s", r.body)
	}
	r = do(t, "GET", fmt.Sprintf("%s/procore/rest/v1.1/projects?company_id=%d&filters[by_status]=All", srv.URL, CompanyID), procoreH(access), nil)
	if len(r.list(t)) != 4 {
		t.Fatalf("all projects: %s", r.body)
	}
	uid := srv.Sim.Tenant().ProcoreAdminID
	r = do(t, "POST", fmt.Sprintf("%s/procore/rest/v1.0/projects/%d/users/%d/actions/add", srv.URL, ProjectHQ, uid), procoreH(access),
		map[string]any{"user": map[string]any{"permission_template_id": TemplateProjectManager}})
	if r.status != 201 || srv.Sim.ProjectUsers(ProjectHQ)[uid] != TemplateProjectManager {
		t.Fatalf("project add: %d %s", r.status, r.body)
	}
	r = do(t, "POST", fmt.Sprintf("%s/procore/rest/v1.1/companies/%d/users/bulk_add", srv.URL, CompanyID), procoreH(access),
		map[string]any{"users": []any{map[string]any{"user_id": uid, "project_id": ProjectRiverside, "permission_template_id": TemplateSuperintendent},
			map[string]any{"user_id": uid, "project_id": 1, "permission_template_id": TemplateSuperintendent}}})
	// The v1.1 answer: {"<user id>": {"<project id>": "success" | "failure"}}.
	if want := fmt.Sprintf(`{"%d":{"1":"failure","%d":"success"}}`, uid, ProjectRiverside); r.status != 200 || strings.TrimSpace(string(r.body)) != want {
		t.Fatalf("bulk_add: %d %s, want %s", r.status, r.body, want)
	}
	r = do(t, "GET", fmt.Sprintf("%s/procore/rest/v1.0/projects/%d/users", srv.URL, ProjectRiverside), procoreH(access), nil)
	found := false
	for _, u := range r.list(t) {
		found = found || u["id"].(float64) == float64(uid)
	}
	if !found {
		t.Fatal("bulk-added user not on the project")
	}
	r = do(t, "GET", fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/permission_templates", srv.URL, CompanyID), procoreH(access), nil)
	if len(r.list(t)) != 5 {
		t.Fatalf("templates: %s", r.body)
	}
}

func TestProcoreDuplicateStatus(t *testing.T) {
	for _, status := range []int{0, 409} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := start(t, Options{Seed: 1, Members: 20, ProcoreDuplicateStatus: status})
			tok := procoreAppToken(t, srv)
			existing := srv.Sim.ProcoreUsers()[0]
			r := do(t, "POST", fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users", srv.URL, CompanyID), procoreH(tok),
				map[string]any{"user": map[string]any{"email_address": existing.Email, "last_name": "X"}})
			want := 422
			if status == 409 {
				want = 409
			}
			if r.status != want {
				t.Fatalf("duplicate create: %d, want %d", r.status, want)
			}
		})
	}
}

func TestRequestLogHoldsNoSecrets(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 20})
	access, refresh := procoreUserTokens(t, srv)
	gtok := appGraphToken(t, srv)
	do(t, "GET", srv.URL+"/graph/v1.0/groups", bearerH(gtok), nil)
	do(t, "GET", srv.URL+"/procore/rest/v1.0/me", bearerH(access), nil)
	body, _ := json.Marshal(srv.Sim.Requests())
	for name, secret := range map[string]string{"graph secret": GraphClientSecret, "procore secret": ProcoreClientSecret,
		"refresh token": refresh, "access token": access, "graph token": gtok} {
		if strings.Contains(string(body), secret) || strings.Contains(string(do(t, "GET", srv.URL+"/_sim/requests", nil, nil).body), secret) {
			t.Errorf("the request log holds the %s", name)
		}
	}
	if !strings.Contains(string(body), "client_secret=REDACTED") {
		t.Error("the log does not show that a client secret was sent")
	}
}

func TestProcoreOOBInfoAndRevoke(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 20})
	oob := "urn:ietf:wg:oauth:2.0:oob"
	q := url.Values{"response_type": {"code"}, "client_id": {ProcoreClientID}, "redirect_uri": {oob}}
	r := do(t, "GET", srv.URL+"/procore-login/oauth/authorize?"+q.Encode(), nil, nil)
	if r.status != 302 {
		t.Fatalf("oob authorize: %d %s", r.status, r.body)
	}
	page := do(t, "GET", srv.URL+r.header.Get("Location"), nil, nil)
	_, rest, _ := strings.Cut(string(page.body), `<code id="authorization_code">`)
	code, _, _ := strings.Cut(rest, "</code>")
	if code == "" {
		t.Fatalf("no code on the oob page: %s", page.body)
	}
	tokenReq := func(redirect string) result {
		return do(t, "POST", srv.URL+"/procore-login/oauth/token", nil, map[string]any{"grant_type": "authorization_code",
			"code": code, "client_id": ProcoreClientID, "client_secret": ProcoreClientSecret, "redirect_uri": redirect})
	}
	if r := tokenReq("http://localhost:8765/callback"); r.status != 400 {
		t.Fatalf("redeemed with another redirect_uri: %d", r.status)
	}
	r = tokenReq(oob) // a JSON body, which Procore accepts too
	if r.status != 200 {
		t.Fatalf("oob token: %d %s", r.status, r.body)
	}
	access := r.json(t)["access_token"].(string)
	info := do(t, "GET", srv.URL+"/procore-login/oauth/token/info", bearerH(access), nil)
	if info.status != 200 || info.json(t)["resource_owner_id"].(float64) != float64(srv.Sim.Tenant().ProcoreAdminID) {
		t.Fatalf("token info: %d %s", info.status, info.body)
	}
	if r := do(t, "POST", srv.URL+"/procore-login/oauth/revoke", nil, url.Values{"token": {access},
		"client_id": {ProcoreClientID}, "client_secret": {ProcoreClientSecret}}); r.status != 200 {
		t.Fatalf("revoke: %d", r.status)
	}
	if r := do(t, "GET", srv.URL+"/procore/rest/v1.0/me", bearerH(access), nil); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("revoked token still works: %d", r.status)
	}
}
