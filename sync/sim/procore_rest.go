package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ---- REST API ----

// procoreReq carries what the Procore handlers need about one request.
type procoreReq struct {
	w    http.ResponseWriter
	r    *http.Request
	tok  *token
	segs []string // path after /procore/rest, e.g. ["v1.0","companies","42","users"]
}

func (s *Sim) serveProcoreAPI(w http.ResponseWriter, r *http.Request) {
	s.procoreHeaders(w)
	tok, why := s.checkToken(r, ServiceProcore)
	if tok == nil {
		desc := map[string]string{"missing": "The access token is missing", "invalid": "The access token is invalid", "expired": "The access token expired"}[why]
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="Doorkeeper", error="invalid_token", error_description=%q`, desc))
		procoreErr(w, http.StatusUnauthorized, desc)
		return
	}
	if !s.takeRate(w) {
		return
	}
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, "/procore/rest"), "/")
	p := &procoreReq{w: w, r: r, tok: tok, segs: strings.Split(rest, "/")}
	key, ids := procoreRouteKey(r.Method, p.segs)
	h := procoreRoutes[key]
	if h == nil {
		// Like Procore: a path (or a method, or an API version) it does
		// not serve is a 404, whatever it resembles.
		procoreErr(w, http.StatusNotFound, "Not Found: "+r.Method+" "+r.URL.Path)
		return
	}
	route := strings.Join(p.segs[1:], "/")
	// Only user tokens may omit the header, and only for /me and /companies.
	exempt := !tok.app && (route == "me" || route == "companies")
	if !exempt && !s.checkCompanyHeader(p) {
		return
	}
	if p.segs[1] == "companies" && len(ids) > 0 && ids[0] != CompanyID {
		procoreErr(w, http.StatusNotFound, fmt.Sprintf("Company %d not found", ids[0]))
		return
	}
	h(s, p, ids)
}

// procoreHandler serves one operation; ids are the path's numeric
// segments in order.
type procoreHandler func(s *Sim, p *procoreReq, ids []int64)

// procoreRoutes are the operations the simulator serves, keyed by method,
// API version and path template ({} for an id), each on the version of
// Procore's spec (sync/procore/testdata/specs) and nowhere else.
var procoreRoutes = map[string]procoreHandler{
	"GET v1.0/me":        func(s *Sim, p *procoreReq, _ []int64) { s.procoreMe(p) },
	"GET v1.0/companies": func(s *Sim, p *procoreReq, _ []int64) { s.procoreCompanies(p) },
	"GET v1.1/projects":  func(s *Sim, p *procoreReq, _ []int64) { s.procoreProjects(p) },
	"GET v1.0/vendors":   func(s *Sim, p *procoreReq, _ []int64) { s.procoreVendors(p) },
	"GET v1.0/companies/{}/permission_templates": func(s *Sim, p *procoreReq, _ []int64) { s.procoreTemplates(p) },
	"GET v1.0/companies/{}/users":                func(s *Sim, p *procoreReq, _ []int64) { s.procoreListUsers(p, true) },
	"GET v1.1/companies/{}/users":                func(s *Sim, p *procoreReq, _ []int64) { s.procoreListUsers(p, true) },
	"POST v1.0/companies/{}/users":               func(s *Sim, p *procoreReq, _ []int64) { s.procoreCreateUser(p, 0) },
	"POST v1.1/companies/{}/users":               func(s *Sim, p *procoreReq, _ []int64) { s.procoreCreateUser(p, 0) },
	"GET v1.0/companies/{}/users/inactive":       func(s *Sim, p *procoreReq, _ []int64) { s.procoreListUsers(p, false) },
	"PATCH v1.0/companies/{}/users/inactive/{}":  func(s *Sim, p *procoreReq, ids []int64) { s.procoreReactivate(p, ids[1]) },
	"PATCH v1.0/companies/{}/users/sync":         func(s *Sim, p *procoreReq, _ []int64) { s.procoreSync(p) },
	"POST v1.1/companies/{}/users/bulk_add":      func(s *Sim, p *procoreReq, _ []int64) { s.procoreBulkAdd(p) },
	"GET v1.0/companies/{}/users/{}":             func(s *Sim, p *procoreReq, ids []int64) { s.procoreGetUser(p, ids[1]) },
	"PATCH v1.0/companies/{}/users/{}":           func(s *Sim, p *procoreReq, ids []int64) { s.procoreUpdateUser(p, ids[1]) },
	"PATCH v1.1/companies/{}/users/{}":           func(s *Sim, p *procoreReq, ids []int64) { s.procoreUpdateUser(p, ids[1]) },
	"GET v1.0/projects/{}/users":                 func(s *Sim, p *procoreReq, ids []int64) { s.procoreListProjectUsers(p, ids[0]) },
	"POST v1.0/projects/{}/users":                func(s *Sim, p *procoreReq, ids []int64) { s.procoreCreateUser(p, ids[0]) },
	"POST v1.0/projects/{}/users/{}/actions/add": func(s *Sim, p *procoreReq, ids []int64) { s.procoreAddToProject(p, ids[0], ids[1]) },
}

// procoreRouteKey turns a request into its procoreRoutes key, replacing
// each numeric segment by {} and returning the numbers.
func procoreRouteKey(method string, segs []string) (string, []int64) {
	if len(segs) < 2 {
		return "", nil
	}
	var ids []int64
	tmpl := make([]string, len(segs))
	for i, sg := range segs {
		tmpl[i] = sg
		if i == 0 {
			continue
		}
		if n, err := strconv.ParseInt(sg, 10, 64); err == nil && n >= 0 && sg != "" && sg[0] != '+' {
			tmpl[i] = "{}"
			ids = append(ids, n)
		}
	}
	return method + " " + strings.Join(tmpl, "/"), ids
}

// checkCompanyHeader enforces Procore-Company-Id; a missing or wrong
// header is refused and recorded as a violation.
func (s *Sim) checkCompanyHeader(p *procoreReq) bool {
	raw := p.r.Header.Get("Procore-Company-Id")
	if raw == "" {
		s.mu.Lock()
		s.violation("procore: %s %s without the Procore-Company-Id header", p.r.Method, p.r.URL.Path)
		s.mu.Unlock()
		procoreErr(p.w, http.StatusBadRequest, "The Procore-Company-Id header is required")
		return false
	}
	if id, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64); err != nil || id != CompanyID {
		s.mu.Lock()
		s.violation("procore: %s %s with Procore-Company-Id %q, not %d", p.r.Method, p.r.URL.Path, raw, CompanyID)
		s.mu.Unlock()
		procoreErr(p.w, http.StatusForbidden, "App is not connected to this company")
		return false
	}
	return true
}

// procoreMe answers GET /me: id and login, and the name only when the
// request names a company or a project, as Procore does.
func (s *Sim) procoreMe(p *procoreReq) {
	q := p.r.URL.Query()
	scoped := q.Get("company_id") != "" || q.Get("project_id") != ""
	if c := q.Get("company_id"); c != "" {
		if id, err := strconv.ParseInt(c, 10, 64); err != nil || id != CompanyID {
			procoreErr(p.w, http.StatusForbidden, "App is not connected to this company")
			return
		}
	}
	var id int64
	var login, name string
	if p.tok.app {
		id, login, name = dmsaID, "procsync-dmsa@service.procore.invalid", "procsync (Developer Managed Service Account)"
	} else {
		id, _ = strconv.ParseInt(p.tok.subject, 10, 64)
		login, name = ProcoreAdminLogin, "Megan Bowen"
		s.mu.Lock()
		if u := s.puByID[id]; u != nil {
			login, name = u.Email, strings.TrimSpace(u.FirstName+" "+u.LastName)
		}
		s.mu.Unlock()
	}
	out := map[string]any{"id": id, "login": login}
	if scoped {
		out["name"] = name
	}
	writeJSON(p.w, http.StatusOK, out)
}

func (s *Sim) procoreCompanies(p *procoreReq) {
	writeJSON(p.w, http.StatusOK, []map[string]any{{"id": CompanyID, "name": CompanyName, "is_active": true, "logo_url": nil, "my_company": true}})
}

// paging reads page and per_page, clamps per_page, and sets Total,
// Per-Page and Link. It returns the slice bounds of the page.
func (s *Sim) paging(p *procoreReq, total int) (lo, hi int) {
	q := p.r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per < 1 {
		per = procoreDefaultPerPage
	}
	per = min(per, s.opts.ProcoreMaxPerPage)
	last := max(1, (total+per-1)/per)
	h := p.w.Header()
	h.Set("Total", strconv.Itoa(total))
	h.Set("Per-Page", strconv.Itoa(per))
	link := func(n int, rel string) string {
		q.Set("page", strconv.Itoa(n))
		q.Set("per_page", strconv.Itoa(per))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, baseURL(p.r), p.r.URL.Path, q.Encode(), rel)
	}
	links := []string{link(1, "first")}
	if page > 1 {
		links = append(links, link(min(page-1, last), "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"))
	}
	links = append(links, link(last, "last"))
	h.Set("Link", strings.Join(links, ", "))
	lo = min((page-1)*per, total)
	hi = min(lo+per, total)
	return lo, hi
}

func (s *Sim) procoreProjects(p *procoreReq) {
	if !s.companyQuery(p) {
		return
	}
	q := p.r.URL.Query()
	status := q.Get("filters[by_status]")
	if status == "" {
		status = "Active"
	}
	s.mu.Lock()
	var out []map[string]any
	for _, pr := range s.t.Projects {
		if (status == "Active" && !pr.Active) || (status == "Inactive" && pr.Active) {
			continue
		}
		out = append(out, map[string]any{
			"id": pr.ID, "name": pr.Name, "display_name": pr.Number + " - " + pr.Name, "project_number": pr.Number,
			"active": pr.Active, "company": map[string]any{"id": CompanyID, "name": CompanyName},
			"created_at": baseTime.Format(time.RFC3339), "updated_at": baseTime.Format(time.RFC3339),
		})
	}
	s.mu.Unlock()
	lo, hi := s.paging(p, len(out))
	writeJSON(p.w, http.StatusOK, nonNil(out[lo:hi]))
}

func (s *Sim) procoreTemplates(p *procoreReq) {
	s.mu.Lock()
	out := make([]map[string]any, 0, len(s.t.PermissionTemplates))
	for _, t := range s.t.PermissionTemplates {
		typ := "company_tools"
		if t.ProjectSpecific {
			typ = "project_specific"
		}
		out = append(out, map[string]any{"id": t.ID, "name": t.Name, "project_specific": t.ProjectSpecific, "type": typ})
	}
	s.mu.Unlock()
	writeJSON(p.w, http.StatusOK, out)
}

// procoreVendors serves GET /rest/v1.0/vendors?company_id=…, the company's
// directory of vendors.
func (s *Sim) procoreVendors(p *procoreReq) {
	if !s.companyQuery(p) {
		return
	}
	s.mu.Lock()
	out := make([]map[string]any, 0, len(s.t.Vendors))
	for _, v := range s.t.Vendors {
		out = append(out, map[string]any{"id": v.ID, "name": v.Name, "is_active": v.IsActive})
	}
	s.mu.Unlock()
	lo, hi := s.paging(p, len(out))
	writeJSON(p.w, http.StatusOK, out[lo:hi])
}

// companyQuery checks the required company_id query parameter of the
// company-scoped listings outside /companies/{id}.
func (s *Sim) companyQuery(p *procoreReq) bool {
	c := p.r.URL.Query().Get("company_id")
	if c == "" {
		procoreErr(p.w, http.StatusBadRequest, "param is missing or the value is empty: company_id")
		return false
	}
	if id, err := strconv.ParseInt(c, 10, 64); err != nil || id != CompanyID {
		procoreErr(p.w, http.StatusForbidden, "App is not connected to this company")
		return false
	}
	return true
}

func (s *Sim) procoreGetUser(p *procoreReq, id int64) {
	s.mu.Lock()
	u := s.puByID[id]
	var out map[string]any
	if u != nil {
		out = s.procoreUserJSON(u, true)
	}
	s.mu.Unlock()
	if u == nil {
		procoreErr(p.w, http.StatusNotFound, fmt.Sprintf("User %d not found", id))
		return
	}
	writeJSON(p.w, http.StatusOK, out)
}
