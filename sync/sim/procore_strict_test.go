package sim

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestProcoreMeNameNeedsCompany: GET /me answers the name only when the
// request names a company (or a project), as Procore's spec says.
func TestProcoreMeNameNeedsCompany(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 10})
	tok := procoreAppToken(t, srv)
	me := srv.URL + "/procore/rest/v1.0/me"
	m := do(t, "GET", me, procoreH(tok), nil).json(t)
	if _, ok := m["name"]; ok || m["id"] == nil || m["login"] == nil {
		t.Errorf("/me without company_id: %v, want id and login only", m)
	}
	for _, q := range []string{fmt.Sprintf("company_id=%d", CompanyID), fmt.Sprintf("project_id=%d", ProjectHQ)} {
		if m := do(t, "GET", me+"?"+q, procoreH(tok), nil).json(t); m["name"] == nil || m["name"] == "" {
			t.Errorf("/me?%s: %v, want a name", q, m)
		}
	}
	if r := do(t, "GET", me+"?company_id=1", procoreH(tok), nil); r.status != http.StatusForbidden {
		t.Errorf("/me for another company: %d %s", r.status, r.body)
	}
}

// TestProcoreUnknownPathsAre404: the simulator serves the operations of
// the spec on their own API version and nothing that merely resembles
// them.
func TestProcoreUnknownPathsAre404(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 10})
	tok := procoreAppToken(t, srv)
	base := srv.URL + "/procore/rest/"
	for _, tt := range []struct{ method, path string }{
		{"GET", fmt.Sprintf("v1.0/companies/%d/vendors", CompanyID)},
		{"GET", fmt.Sprintf("v1.1/vendors?company_id=%d", CompanyID)},
		{"GET", "v1.1/me"},
		{"GET", fmt.Sprintf("v1.0/projects?company_id=%d", CompanyID)},
		{"POST", fmt.Sprintf("v1.0/companies/%d/users/bulk_add", CompanyID)},
		{"PATCH", fmt.Sprintf("v1.1/companies/%d/users/inactive/1", CompanyID)},
		{"DELETE", fmt.Sprintf("v1.0/companies/%d/users/1", CompanyID)},
		{"GET", fmt.Sprintf("v1.0/companies/%d/users/abc", CompanyID)},
		{"GET", fmt.Sprintf("v1.0/companies/%d/users/1/extra", CompanyID)},
		{"GET", "v2.0/companies"},
		{"GET", "v1.0"},
	} {
		if r := do(t, tt.method, base+tt.path, procoreH(tok), nil); r.status != http.StatusNotFound {
			t.Errorf("%s %s: %d %s, want 404", tt.method, tt.path, r.status, r.body)
		}
	}
	if r := do(t, "GET", fmt.Sprintf("%sv1.0/vendors?company_id=%d", base, CompanyID), procoreH(tok), nil); r.status != 200 || len(r.list(t)) == 0 {
		t.Errorf("vendors: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", base+"v1.0/vendors", procoreH(tok), nil); r.status != http.StatusBadRequest {
		t.Errorf("vendors without company_id: %d %s", r.status, r.body)
	}
}

// TestProcoreRequiredBodyFields: a body without a field the spec requires
// is a 422 in Procore's error shape, {"errors": {"field": ["message"]}}.
func TestProcoreRequiredBodyFields(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 10})
	tok := procoreAppToken(t, srv)
	users := fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users", srv.URL, CompanyID)
	uid := srv.Sim.ProcoreUsers()[0].ID
	for _, tt := range []struct {
		method, url string
		body        any
		want        string
	}{
		{"POST", users, map[string]any{}, `{"errors":{"user":["is missing"]}}`},
		{"POST", users, map[string]any{"user": map[string]any{"last_name": "X"}}, `{"errors":{"email_address":["is missing"]}}`},
		{"PATCH", fmt.Sprintf("%s/%d", users, uid), map[string]any{"user": map[string]any{"email_address": "a@contoso.com"}}, `{"errors":{"last_name":["is missing"]}}`},
		{"POST", fmt.Sprintf("%s/procore/rest/v1.1/companies/%d/users/bulk_add", srv.URL, CompanyID), map[string]any{}, `{"errors":{"users":["is missing"]}}`},
		{"PATCH", users + "/sync", map[string]any{}, `{"errors":{"updates":["is missing"]}}`},
	} {
		r := do(t, tt.method, tt.url, procoreH(tok), tt.body)
		if r.status != http.StatusUnprocessableEntity || strings.TrimSpace(string(r.body)) != tt.want {
			t.Errorf("%s %s %v: %d %s, want 422 %s", tt.method, tt.url, tt.body, r.status, r.body, tt.want)
		}
	}
}

// TestProcoreCompanyUserTemplates: company users take
// default_permission_template_id and company_permission_template_id, and
// the single-user answers carry them; permission_template_id (a
// project-user field) on a company user is ignored and recorded as a
// violation.
func TestProcoreCompanyUserTemplates(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 10})
	tok := procoreAppToken(t, srv)
	users := fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users", srv.URL, CompanyID)
	r := do(t, "POST", users, procoreH(tok), map[string]any{"user": map[string]any{
		"email_address": "tmpl@contoso.com", "last_name": "T",
		"company_permission_template_id": TemplateReadOnly, "default_permission_template_id": TemplateStandard,
	}})
	m := r.json(t)
	if r.status != 201 || m["company_permission_template_id"] != float64(TemplateReadOnly) || m["default_permission_template_id"] != float64(TemplateStandard) {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if v := srv.Sim.Violations(); len(v) != 0 {
		t.Fatalf("violations: %q", v)
	}
	r = do(t, "PATCH", fmt.Sprintf("%s/%d", users, int64(m["id"].(float64))), procoreH(tok), map[string]any{"user": map[string]any{
		"email_address": "tmpl@contoso.com", "last_name": "T", "permission_template_id": TemplateSubcontractor,
	}})
	if r.status != 200 || r.json(t)["company_permission_template_id"] != float64(TemplateReadOnly) {
		t.Fatalf("patch with permission_template_id: %d %s", r.status, r.body)
	}
	if v := srv.Sim.Violations(); len(v) != 1 || !strings.Contains(v[0], "permission_template_id") {
		t.Fatalf("violations: %q", v)
	}
}

// TestProcorePerPageClamp: per_page above Options.ProcoreMaxPerPage is
// clamped, and the Per-Page header says what was applied.
func TestProcorePerPageClamp(t *testing.T) {
	srv := start(t, Options{Seed: 1, Members: 30, ProcoreMaxPerPage: 7})
	tok := procoreAppToken(t, srv)
	r := do(t, "GET", fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users?per_page=2000", srv.URL, CompanyID), procoreH(tok), nil)
	if r.status != 200 || r.header.Get("Per-Page") != "7" || len(r.list(t)) != 7 {
		t.Fatalf("%d Per-Page %q, %d users", r.status, r.header.Get("Per-Page"), len(r.list(t)))
	}
}

// TestProcoreTransientFaults: the faults Procore documents as transient
// (408, 500, 502) can be injected on demand, in Procore's error shape.
func TestProcoreTransientFaults(t *testing.T) {
	for _, tt := range []struct {
		kind   FaultKind
		status int
	}{{FaultTimeout, 408}, {FaultServerError, 500}, {FaultBadGateway, 502}} {
		srv := start(t, Options{Seed: 1, Members: 10})
		tok := procoreAppToken(t, srv)
		srv.Sim.SetFaults(ServiceProcore, Faults{Rate: 1, Kinds: []FaultKind{tt.kind}, Max: 1})
		u := fmt.Sprintf("%s/procore/rest/v1.0/vendors?company_id=%d", srv.URL, CompanyID)
		r := do(t, "GET", u, procoreH(tok), nil)
		if r.status != tt.status || r.json(t)["message"] == nil || r.header.Get("X-Request-Id") == "" {
			t.Errorf("%s: %d %v %s", tt.kind, r.status, r.header, r.body)
		}
		if r := do(t, "GET", u, procoreH(tok), nil); r.status != 200 {
			t.Errorf("%s: after the one fault: %d", tt.kind, r.status)
		}
		if n := srv.Sim.FaultsInjected()["procore "+string(tt.kind)]; n != 1 {
			t.Errorf("%s: injected %d", tt.kind, n)
		}
	}
}
