package procore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"procsync/sync/internal/httpx"
	"procsync/sync/procore"
	"procsync/sync/sim"
)

// The conformance tests hold the client and the simulator to Procore's
// published description of each operation (testdata/specs), not to each
// other. Where the specs are silent, these tests assume:
//   - paging (page, per_page; Total, Per-Page and Link headers) works as
//     Procore's guides describe; the specs list page and per_page only;
//   - an answer may carry null for a property the spec does not require
//     (the specs mark nothing nullable, yet Procore sends null for a user
//     without a vendor or an employee_id);
//   - an answer may carry properties the spec does not list (none of the
//     specs sets additionalProperties), while a request may not: procsync
//     must send only names the spec defines;
//   - error answers have no schema in the specs; only 2xx answers are
//     validated.

// exchange is one request the client sent and the answer it got.
type exchange struct {
	method, path string // path below the API base, e.g. /rest/v1.0/me
	query        url.Values
	reqBody      []byte
	status       int
	respBody     []byte
}

// recorder is a RoundTripper that keeps every exchange with the API.
type recorder struct {
	next   http.RoundTripper
	prefix string // the API base's path, cut from recorded paths

	mu  sync.Mutex
	log []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := exchange{method: req.Method, path: strings.TrimPrefix(req.URL.Path, r.prefix), query: req.URL.Query()}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		ex.reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	ex.status, ex.respBody = resp.StatusCode, b
	r.mu.Lock()
	r.log = append(r.log, ex)
	r.mu.Unlock()
	return resp, nil
}

func (r *recorder) exchanges() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log)
}

// recordedClient returns a client against a fresh simulator whose every
// API exchange is recorded.
func recordedClient(t *testing.T, opts sim.Options, copts ...procore.Option) (*procore.Client, *recorder, *sim.Server) {
	t.Helper()
	srv, err := sim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cc := clientcredentials.Config{
		ClientID: sim.ProcoreClientID, ClientSecret: sim.ProcoreClientSecret,
		TokenURL: srv.URL + "/procore-login/oauth/token",
	}
	hc := cc.Client(context.Background())
	rec := &recorder{next: hc.Transport, prefix: "/procore"}
	hc.Transport = rec
	copts = append([]procore.Option{procore.WithRetry(httpx.Options{WaitScale: 0.001})}, copts...)
	return procore.New(hc, srv.URL+"/procore", sim.CompanyID, copts...), rec, srv
}

// checkExchange returns every way ex departs from the spec.
func checkExchange(ops []*specOp, ex exchange) []string {
	name := ex.method + " " + ex.path
	op := findOp(ops, ex.method, ex.path)
	if op == nil {
		return []string{name + ": no operation in the spec has this method and path"}
	}
	var errs []string
	add := func(format string, args ...any) {
		errs = append(errs, name+" ("+op.OperationID+"): "+fmt.Sprintf(format, args...))
	}
	for k := range ex.query {
		if !op.queryParam(k) {
			add("query parameter %q is not in the spec", k)
		}
	}
	for _, p := range op.Parameters {
		if p.In == "query" && p.Required && !ex.query.Has(p.Name) {
			add("required query parameter %q missing", p.Name)
		}
	}
	switch {
	case op.RequestBody == nil && len(bytes.TrimSpace(ex.reqBody)) > 0:
		add("sends a body, the spec defines none: %s", ex.reqBody)
	case op.RequestBody != nil && op.RequestBody.Schema != nil:
		body, err := decodeJSON(ex.reqBody)
		if err != nil {
			add("body is not JSON: %v", err)
			break
		}
		for _, e := range validate(op.RequestBody.Schema, body, checkMode{closed: true}) {
			add("request body %s", e)
		}
	}
	if ex.status < 200 || ex.status > 299 {
		return errs
	}
	resp, ok := op.Responses[strconv.Itoa(ex.status)]
	if !ok {
		add("answered %d, the spec lists %v", ex.status, slices.Sorted(maps.Keys(op.Responses)))
		return errs
	}
	if resp.Schema != nil {
		v, err := decodeJSON(ex.respBody)
		if err != nil {
			add("answer is not JSON: %v", err)
			return errs
		}
		for _, e := range validate(resp.Schema, v, checkMode{nullOptional: true}) {
			add("answer %s", e)
		}
	}
	return errs
}

// TestConformance sends every Procore operation procsync uses through the
// client to the simulator, and checks each recorded request and answer
// against testdata/specs. Every spec file must be exercised.
func TestConformance(t *testing.T) {
	ops := loadSpecs(t)
	c, rec, srv := recordedClient(t, sim.Options{Seed: 13, Members: 60})
	ctx := context.Background()
	yes, no := true, false
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	me, err := c.Me(ctx)
	must("me", err)
	if me.Name == "" {
		t.Errorf("Me answered no name: %+v", me)
	}
	_, err = c.Companies(ctx)
	must("companies", err)
	ps, err := c.Projects(ctx, "Active")
	must("projects", err)
	_, err = c.PermissionTemplates(ctx)
	must("permission templates", err)
	vs, err := c.Vendors(ctx)
	must("vendors", err)
	us, err := c.Users(ctx, nil)
	must("users", err)
	if len(ps) == 0 || len(vs) == 0 || len(us) == 0 {
		t.Fatalf("the tenant has %d projects, %d vendors, %d users", len(ps), len(vs), len(us))
	}
	_, err = c.GetUser(ctx, us[0].ID)
	must("get user", err)
	u, err := c.CreateUser(ctx, procore.UserInput{
		EmailAddress: "conformance.new@contoso.com", FirstName: "Ana", LastName: "Conformance",
		JobTitle: "Engineer", EmployeeID: "E-1", OriginID: "entra-conformance-1", IsEmployee: &yes, IsActive: &yes,
		VendorID: vs[0].ID, DefaultPermissionTemplateID: sim.TemplateStandard, CompanyPermissionTemplateID: sim.TemplateReadOnly,
	})
	must("create user", err)
	_, err = c.UpdateUser(ctx, u.ID, procore.UserInput{EmailAddress: u.EmailAddress, LastName: u.LastName, FirstName: "Anita", IsActive: &no})
	must("update user", err)
	_, err = c.ReactivateUser(ctx, u.ID)
	must("reactivate user", err)
	_, err = c.SyncUsers(ctx, []procore.SyncUser{
		{ID: u.ID, UserInput: procore.UserInput{FirstName: "Ana"}},
		{UserInput: procore.UserInput{EmailAddress: "conformance.sync@contoso.com", LastName: "Sync", OriginID: "entra-conformance-2", IsEmployee: &yes}},
	})
	must("sync users", err)
	_, err = c.SetOriginID(ctx, u.ID, "entra-conformance-3")
	must("link (origin_id through sync)", err)
	must("add to project", c.AddToProject(ctx, ps[0].ID, u.ID, sim.TemplateStandard))
	_, err = c.ProjectUsers(ctx, ps[0].ID)
	must("project users", err)
	res, err := c.BulkAddToProjects(ctx, []procore.ProjectAssignment{
		{UserID: u.ID, ProjectID: ps[len(ps)-1].ID, PermissionTemplateID: sim.TemplateStandard},
	})
	must("bulk add", err)
	if len(res.Added) != 1 {
		t.Errorf("bulk add: %+v", res)
	}

	used := map[string]bool{}
	for _, ex := range rec.exchanges() {
		if op := findOp(ops, ex.method, ex.path); op != nil {
			used[op.OperationID] = true
		}
		for _, e := range checkExchange(ops, ex) {
			t.Error(e)
		}
	}
	for _, op := range ops {
		if !used[op.OperationID] {
			t.Errorf("%s (%s %s) is in testdata/specs but was not exercised", op.OperationID, op.Method, op.Path)
		}
	}
	if v := srv.Sim.Violations(); len(v) > 0 {
		t.Errorf("simulator violations: %q", v)
	}
}

// TestConformanceBites shows that the check fails when a name or a path
// departs from the spec, the way the client and the simulator once did.
func TestConformanceBites(t *testing.T) {
	ops := loadSpecs(t)
	const users = "/rest/v1.0/companies/4264807/users"
	tests := []struct {
		name string
		ex   exchange
		want string
	}{
		{"vendors under the company", exchange{method: "GET", path: "/rest/v1.0/companies/4264807/vendors", status: 200, respBody: []byte(`[]`)},
			"no operation in the spec"},
		{"vendors without company_id", exchange{method: "GET", path: "/rest/v1.0/vendors", query: url.Values{"page": {"1"}}, status: 200, respBody: []byte(`[]`)},
			`required query parameter "company_id" missing`},
		{"unknown query parameter", exchange{method: "GET", path: users, query: url.Values{"per_page": {"1"}, "filters[email]": {"a"}}, status: 200, respBody: []byte(`[]`)},
			`query parameter "filters[email]" is not in the spec`},
		{"project template on a company user", exchange{method: "POST", path: users, status: 201, respBody: []byte(`{}`),
			reqBody: []byte(`{"user":{"email_address":"a@b.c","last_name":"B","permission_template_id":1}}`)},
			`"permission_template_id" is not a property the spec defines`},
		{"update without last_name", exchange{method: "PATCH", path: users + "/7", status: 200, respBody: []byte(`{}`),
			reqBody: []byte(`{"user":{"email_address":"a@b.c","is_active":true}}`)},
			`required "last_name" missing`},
		{"a renamed field", exchange{method: "PATCH", path: users + "/sync", status: 200, respBody: []byte(`{"entities":[],"errors":[]}`),
			reqBody: []byte(`{"updates":[{"id":7,"email":"a@b.c"}]}`)},
			`"email" is not a property the spec defines`},
		{"a body on reactivate", exchange{method: "PATCH", path: users + "/inactive/7", status: 200, respBody: []byte(`{}`),
			reqBody: []byte(`{"user":{"is_active":true}}`)},
			"the spec defines none"},
		{"bulk add answered with entities", exchange{method: "POST", path: "/rest/v1.1/companies/4264807/users/bulk_add", status: 200,
			reqBody: []byte(`{"users":[{"user_id":1,"project_id":2}]}`), respBody: []byte(`[{"entities":[]}]`)},
			"array, want object"},
		{"a number for a name", exchange{method: "GET", path: "/rest/v1.0/me", query: url.Values{"company_id": {"1"}}, status: 200,
			respBody: []byte(`{"id":1,"login":"a@b.c","name":7}`)},
			"$.name: number, want string"},
		{"a status the spec does not list", exchange{method: "POST", path: users, status: 200, respBody: []byte(`{}`),
			reqBody: []byte(`{"user":{"email_address":"a@b.c","last_name":"B"}}`)},
			"answered 200, the spec lists"},
	}
	for _, tt := range tests {
		errs := checkExchange(ops, tt.ex)
		if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tt.want) }) {
			t.Errorf("%s: want an error containing %q, got %q", tt.name, tt.want, errs)
		}
	}
}
