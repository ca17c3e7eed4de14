package sim

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"time"
)

// Procore limits and defaults.
const (
	procoreDefaultPerPage = 100
	procoreMaxSync        = 1000
	procoreSpikeWindow    = 10 * time.Second
	// dmsaID is the Developer Managed Service Account behind client
	// credentials tokens.
	dmsaID int64 = 1799999
)

// rateState counts Procore API requests in an hourly and a 10-second
// window.
type rateState struct {
	mu         gosync.Mutex
	hourStart  time.Time
	hourCount  int
	spikeStart time.Time
	spikeCount int
}

// procoreHeaders sets the headers every Procore answer carries.
func (s *Sim) procoreHeaders(w http.ResponseWriter) {
	if w.Header().Get("X-Request-Id") == "" {
		w.Header().Set("X-Request-Id", newGUID())
	}
}

// procoreErr answers {"errors": …, "message": …} the way Procore's API does.
func procoreErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"errors": msg, "message": msg})
}

// takeRate counts one request against both windows and sets the rate-limit
// headers for the window with the fewest requests left. It reports false
// (after answering 429) when a limit is exhausted.
func (s *Sim) takeRate(w http.ResponseWriter) bool {
	hourly, spike := s.opts.ProcoreHourlyLimit, s.opts.ProcoreSpikeLimit
	if hourly < 0 && spike < 0 {
		return true
	}
	now := s.now()
	rl := &s.rl
	rl.mu.Lock()
	if now.Sub(rl.hourStart) >= time.Hour || now.Before(rl.hourStart) {
		rl.hourStart, rl.hourCount = now, 0
	}
	if now.Sub(rl.spikeStart) >= procoreSpikeWindow || now.Before(rl.spikeStart) {
		rl.spikeStart, rl.spikeCount = now, 0
	}
	type window struct {
		limit, used int
		reset       time.Time
	}
	var ws []window
	if hourly >= 0 {
		ws = append(ws, window{hourly, rl.hourCount, rl.hourStart.Add(time.Hour)})
	}
	if spike >= 0 {
		ws = append(ws, window{spike, rl.spikeCount, rl.spikeStart.Add(procoreSpikeWindow)})
	}
	exceeded := -1
	for i, x := range ws {
		if x.used >= x.limit {
			exceeded = i
			break
		}
	}
	if exceeded < 0 {
		rl.hourCount++
		rl.spikeCount++
		for i := range ws {
			ws[i].used++
		}
	}
	rl.mu.Unlock()

	pick := 0
	for i, x := range ws {
		if x.limit-x.used < ws[pick].limit-ws[pick].used {
			pick = i
		}
	}
	if exceeded >= 0 {
		pick = exceeded
	}
	x := ws[pick]
	h := w.Header()
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(x.limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(max(0, x.limit-x.used)))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(x.reset.Unix(), 10))
	if exceeded >= 0 {
		wait := int(math.Ceil(x.reset.Sub(now).Seconds()))
		h.Set("Retry-After", strconv.Itoa(max(1, wait)))
		procoreErr(w, http.StatusTooManyRequests, "Rate limit exceeded. Wait until X-Rate-Limit-Reset before retrying.")
		return false
	}
	return true
}

// ---- OAuth (login host) ----

func (s *Sim) procoreRedirectAllowed(uri string) bool {
	return slices.Contains(ProcoreRedirectURIs, uri) || slices.Contains(s.opts.ProcoreRedirectURIs, uri)
}

// oauthError answers like Doorkeeper, the OAuth server behind Procore.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]any{"error": code, "error_description": desc})
}

func (s *Sim) serveProcoreLogin(w http.ResponseWriter, r *http.Request) {
	s.procoreHeaders(w)
	switch strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/procore-login"), "/") {
	case "/oauth/authorize":
		s.procoreAuthorize(w, r)
	case "/oauth/authorize/native":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><meta charset=\"utf-8\"><title>Authorization code</title></head><body><h1>Authorization code</h1><p>Copy this code and paste it into the application:</p><code id=\"authorization_code\">%s</code></body></html>\n",
			html.EscapeString(r.URL.Query().Get("code")))
	case "/oauth/token":
		s.procoreToken(w, r)
	case "/oauth/token/info":
		s.procoreTokenInfo(w, r)
	case "/oauth/revoke":
		s.procoreRevoke(w, r)
	default:
		oauthError(w, http.StatusNotFound, "not_found", "No such OAuth endpoint: "+r.URL.Path)
	}
}

const invalidGrantDesc = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."

func (s *Sim) procoreAuthorize(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	q := r.Form
	clientID, redirect, state := q.Get("client_id"), q.Get("redirect_uri"), q.Get("state")
	if clientID != ProcoreClientID {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
		return
	}
	if !s.procoreRedirectAllowed(redirect) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "The redirect uri included is not valid: %s (registered URIs must match exactly)", html.EscapeString(redirect))
		return
	}
	oob := redirect == "urn:ietf:wg:oauth:2.0:oob"
	fail := func(code, desc string) {
		if oob {
			oauthError(w, http.StatusBadRequest, code, desc)
			return
		}
		redirectWith(w, r, redirect, url.Values{"error": {code}, "error_description": {desc}, "state": {state}})
	}
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", "The authorization server does not support this response type.")
		return
	}
	if s.opts.ConsentPage {
		switch r.Method {
		case http.MethodGet:
			s.consentPage(w, "Procore", "procsync wants to access your Procore company directory and projects on your behalf.", q)
			return
		case http.MethodPost:
			if r.PostForm.Get("consent") != "approve" {
				fail("access_denied", "The resource owner or authorization server denied the request.")
				return
			}
		}
	}
	code := randomToken(32)
	s.mu.Lock()
	s.auth.codes[code] = &authCode{
		service: ServiceProcore, clientID: clientID, redirect: redirect,
		challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"),
		subject: strconv.FormatInt(s.t.ProcoreAdminID, 10), expires: s.now().Add(10 * time.Minute),
	}
	s.mu.Unlock()
	if oob {
		http.Redirect(w, r, "/procore-login/oauth/authorize/native?code="+url.QueryEscape(code), http.StatusFound)
		return
	}
	redirectWith(w, r, redirect, url.Values{"code": {code}, "state": {state}})
}

// tokenParams reads the token request from a form or a JSON body (Procore
// accepts both).
func tokenParams(r *http.Request) url.Values {
	if strings.Contains(r.Header.Get("Content-Type"), "json") {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		v := url.Values{}
		for k, x := range m {
			v.Set(k, fmt.Sprint(x))
		}
		return v
	}
	_ = r.ParseForm()
	return r.PostForm
}

func (s *Sim) procoreToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "The token endpoint only accepts POST.")
		return
	}
	f := tokenParams(r)
	clientID, secret := f.Get("client_id"), f.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		clientID, secret = u, p
	}
	if clientID != ProcoreClientID || secret != ProcoreClientSecret {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch f.Get("grant_type") {
	case "authorization_code":
		c := s.auth.codes[f.Get("code")]
		if c == nil || c.service != ServiceProcore || c.clientID != clientID || !s.now().Before(c.expires) || f.Get("redirect_uri") != c.redirect {
			oauthError(w, http.StatusBadRequest, "invalid_grant", invalidGrantDesc)
			return
		}
		if c.used {
			s.violation("procore: authorization code redeemed twice")
			oauthError(w, http.StatusBadRequest, "invalid_grant", invalidGrantDesc)
			return
		}
		if c.challenge != "" && f.Get("code_verifier") != "" {
			method := c.method
			if method == "" {
				method = "plain"
			}
			if !verifyPKCE(c.challenge, method, f.Get("code_verifier")) {
				oauthError(w, http.StatusBadRequest, "invalid_grant", invalidGrantDesc)
				return
			}
			s.insp.pkce++
		}
		c.used = true
		writeJSON(w, http.StatusOK, s.issueProcoreTokens(clientID, c.subject, false))
	case "refresh_token":
		raw := f.Get("refresh_token")
		rt := s.auth.refreshes[raw]
		if rt == nil || rt.service != ServiceProcore || rt.clientID != clientID {
			oauthError(w, http.StatusBadRequest, "invalid_grant", invalidGrantDesc)
			return
		}
		if rt.used {
			// Procore's refresh tokens are single-use: a client that reuses
			// one lost the pair it was given and will be signed out.
			s.violation("procore: refresh token reused (single-use refresh tokens must be replaced by the one each refresh returns)")
			oauthError(w, http.StatusBadRequest, "invalid_grant", invalidGrantDesc)
			return
		}
		rt.used = true
		writeJSON(w, http.StatusOK, s.issueProcoreTokens(clientID, rt.subject, false))
	case "client_credentials":
		writeJSON(w, http.StatusOK, s.issueProcoreTokens(clientID, strconv.FormatInt(dmsaID, 10), true))
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "The request is missing a required parameter: grant_type.")
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
	}
}

// issueProcoreTokens mints a Procore access token and, for user grants, a
// single-use refresh token. s.mu is held.
func (s *Sim) issueProcoreTokens(clientID, subject string, app bool) map[string]any {
	now := s.now()
	access := randomToken(32)
	s.auth.tokens[access] = &token{service: ServiceProcore, app: app, subject: subject, clientID: clientID, expires: now.Add(s.opts.ProcoreTokenTTL)}
	resp := map[string]any{
		"access_token": access, "token_type": "Bearer",
		"expires_in": int(s.opts.ProcoreTokenTTL / time.Second), "created_at": now.Unix(),
	}
	if !app {
		rt := randomToken(32)
		s.auth.refreshes[rt] = &refresh{service: ServiceProcore, clientID: clientID, subject: subject, expires: now.Add(365 * 24 * time.Hour)}
		resp["refresh_token"] = rt
	}
	return resp
}

func (s *Sim) procoreTokenInfo(w http.ResponseWriter, r *http.Request) {
	tok, why := s.checkToken(r, ServiceProcore)
	if tok == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token is invalid"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "The access token is "+why)
		return
	}
	var owner any
	if id, err := strconv.ParseInt(tok.subject, 10, 64); err == nil {
		owner = id
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"resource_owner_id":  owner,
		"scope":              []string{},
		"expires_in_seconds": int(tok.expires.Sub(s.now()) / time.Second),
		"application":        map[string]any{"uid": tok.clientID},
		"created_at":         tok.expires.Add(-s.opts.ProcoreTokenTTL).Unix(),
	})
}

func (s *Sim) procoreRevoke(w http.ResponseWriter, r *http.Request) {
	f := tokenParams(r)
	raw := f.Get("token")
	s.mu.Lock()
	delete(s.auth.tokens, raw)
	if rt := s.auth.refreshes[raw]; rt != nil && rt.service == ServiceProcore {
		// Forgotten, not marked used: presenting it later is an invalid
		// grant, not a reuse violation.
		delete(s.auth.refreshes, raw)
	}
	s.mu.Unlock()
	// RFC 7009: the answer is 200 whether or not the token existed.
	writeJSON(w, http.StatusOK, map[string]any{})
}

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
	if len(p.segs) < 2 || (p.segs[0] != "v1.0" && p.segs[0] != "v1.1") {
		procoreErr(w, http.StatusNotFound, "Not Found: "+r.URL.Path)
		return
	}
	route := strings.Join(p.segs[1:], "/")
	// Only user tokens may omit the header, and only for /me and /companies.
	exempt := !tok.app && (route == "me" || route == "companies")
	if !exempt && !s.checkCompanyHeader(p) {
		return
	}
	seg := p.segs[1:]
	m := r.Method
	switch {
	case route == "me" && m == http.MethodGet:
		s.procoreMe(p)
	case route == "companies" && m == http.MethodGet:
		writeJSON(w, http.StatusOK, []map[string]any{{"id": CompanyID, "name": CompanyName, "is_active": true, "logo_url": nil, "my_company": true}})
	case route == "projects" && m == http.MethodGet:
		s.procoreProjects(p)
	case seg[0] == "companies" && len(seg) >= 3:
		cid, err := strconv.ParseInt(seg[1], 10, 64)
		if err != nil || cid != CompanyID {
			procoreErr(w, http.StatusNotFound, fmt.Sprintf("Company %s not found", seg[1]))
			return
		}
		s.procoreCompanyRoute(p, seg[2:])
	case seg[0] == "projects" && len(seg) >= 3 && seg[2] == "users":
		pid, err := strconv.ParseInt(seg[1], 10, 64)
		if err != nil {
			procoreErr(w, http.StatusNotFound, "Project not found")
			return
		}
		s.procoreProjectUsers(p, pid, seg[3:])
	default:
		procoreErr(w, http.StatusNotFound, "Not Found: "+m+" "+r.URL.Path)
	}
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

func (s *Sim) procoreMe(p *procoreReq) {
	if p.tok.app {
		writeJSON(p.w, http.StatusOK, map[string]any{"id": dmsaID, "login": "procsync-dmsa@service.procore.invalid", "name": "procsync (Developer Managed Service Account)"})
		return
	}
	id, _ := strconv.ParseInt(p.tok.subject, 10, 64)
	s.mu.Lock()
	u := s.puByID[id]
	s.mu.Unlock()
	if u == nil {
		writeJSON(p.w, http.StatusOK, map[string]any{"id": id, "login": ProcoreAdminLogin, "name": "Megan Bowen"})
		return
	}
	writeJSON(p.w, http.StatusOK, map[string]any{"id": u.ID, "login": u.Email, "name": strings.TrimSpace(u.FirstName + " " + u.LastName)})
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
	q := p.r.URL.Query()
	if q.Get("company_id") == "" {
		procoreErr(p.w, http.StatusBadRequest, "company_id is required")
		return
	}
	if id, err := strconv.ParseInt(q.Get("company_id"), 10, 64); err != nil || id != CompanyID {
		procoreErr(p.w, http.StatusForbidden, "App is not connected to this company")
		return
	}
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

func (s *Sim) procoreCompanyRoute(p *procoreReq, seg []string) {
	m := p.r.Method
	switch {
	case seg[0] == "permission_templates" && len(seg) == 1 && m == http.MethodGet:
		s.mu.Lock()
		out := make([]map[string]any, 0, len(s.t.PermissionTemplates))
		for _, t := range s.t.PermissionTemplates {
			out = append(out, map[string]any{"id": t.ID, "name": t.Name, "project_specific": t.ProjectSpecific})
		}
		s.mu.Unlock()
		writeJSON(p.w, http.StatusOK, out)
	case seg[0] == "vendors" && len(seg) == 1 && m == http.MethodGet:
		s.mu.Lock()
		out := make([]map[string]any, 0, len(s.t.Vendors))
		for _, v := range s.t.Vendors {
			out = append(out, map[string]any{"id": v.ID, "name": v.Name, "is_active": v.IsActive})
		}
		s.mu.Unlock()
		lo, hi := s.paging(p, len(out))
		writeJSON(p.w, http.StatusOK, out[lo:hi])
	case seg[0] == "users" && len(seg) == 1 && m == http.MethodGet:
		s.procoreListUsers(p, true)
	case seg[0] == "users" && len(seg) == 1 && m == http.MethodPost:
		s.procoreCreateUser(p, 0)
	case seg[0] == "users" && len(seg) == 2 && seg[1] == "inactive" && m == http.MethodGet:
		s.procoreListUsers(p, false)
	case seg[0] == "users" && len(seg) == 2 && seg[1] == "sync" && m == http.MethodPatch:
		s.procoreSync(p)
	case seg[0] == "users" && len(seg) == 2 && seg[1] == "bulk_add" && m == http.MethodPost:
		s.procoreBulkAdd(p)
	case seg[0] == "users" && len(seg) == 2 && (m == http.MethodGet || m == http.MethodPatch):
		id, err := strconv.ParseInt(seg[1], 10, 64)
		if err != nil {
			procoreErr(p.w, http.StatusNotFound, "User not found")
			return
		}
		if m == http.MethodGet {
			s.mu.Lock()
			u := s.puByID[id]
			var out map[string]any
			if u != nil {
				out = s.procoreUserJSON(u)
			}
			s.mu.Unlock()
			if u == nil {
				procoreErr(p.w, http.StatusNotFound, fmt.Sprintf("User %d not found", id))
				return
			}
			writeJSON(p.w, http.StatusOK, out)
			return
		}
		s.procoreUpdateUser(p, id)
	default:
		procoreErr(p.w, http.StatusNotFound, "Not Found: "+m+" "+p.r.URL.Path)
	}
}

// procoreUserJSON renders a user as Procore's company users endpoints do.
// s.mu is held (it reads vendors and templates).
func (s *Sim) procoreUserJSON(u *ProcoreUser) map[string]any {
	var vendor, tmpl any
	if v := s.vendors[u.VendorID]; v != nil {
		vendor = map[string]any{"id": v.ID, "name": v.Name}
	}
	if t := s.templates[u.PermissionTemplateID]; t != nil {
		tmpl = map[string]any{"id": t.ID, "name": t.Name}
	}
	return map[string]any{
		"id": u.ID, "first_name": u.FirstName, "last_name": u.LastName,
		"name":          strings.TrimSpace(u.FirstName + " " + u.LastName),
		"email_address": u.Email, "login": u.Email, "is_active": u.IsActive, "is_employee": u.IsEmployee,
		"job_title": nilIfEmpty(u.JobTitle), "employee_id": nilIfEmpty(u.EmployeeID), "origin_id": nilIfEmpty(u.OriginID),
		"vendor": vendor, "company_permission_template": tmpl, "permission_template": nil,
		"business_phone": nil, "mobile_phone": nil, "avatar": nil, "last_login_at": nil,
		"created_at": u.CreatedAt.UTC().Format(time.RFC3339), "updated_at": u.UpdatedAt.UTC().Format(time.RFC3339),
	}
}

// userLists returns the active and inactive users by id, cached per
// directory version so that paging stays linear. s.mu is held.
func (s *Sim) userLists() (active, inactive []*ProcoreUser) {
	if s.cacheVer != s.pver {
		s.activeList, s.inactivList = s.activeList[:0], s.inactivList[:0]
		for _, u := range s.t.ProcoreUsers {
			if u.IsActive {
				s.activeList = append(s.activeList, u)
			} else {
				s.inactivList = append(s.inactivList, u)
			}
		}
		s.cacheVer = s.pver
	}
	return s.activeList, s.inactivList
}

func (s *Sim) procoreListUsers(p *procoreReq, active bool) {
	s.mu.Lock()
	a, in := s.userLists()
	list := in
	if active {
		list = a
	}
	if search := strings.ToLower(p.r.URL.Query().Get("filters[search]")); search != "" {
		var hits []*ProcoreUser
		for _, u := range list {
			if strings.Contains(strings.ToLower(u.FirstName+" "+u.LastName+" "+u.Email), search) {
				hits = append(hits, u)
			}
		}
		list = hits
	}
	lo, hi := s.paging(p, len(list))
	// Copy the page under the lock; encode and write it after, so that
	// concurrent page requests are not serialised behind one another.
	out := make(procoreUserPage, 0, hi-lo)
	for _, u := range list[lo:hi] {
		out = append(out, s.procoreView(u))
	}
	s.mu.Unlock()
	writeJSON(p.w, http.StatusOK, out)
}

// fieldErrors are Procore's per-field validation messages.
type fieldErrors map[string][]string

func (fe fieldErrors) add(field, msg string) { fe[field] = append(fe[field], msg) }

// userInput is the writable part of a user, as sent.
type userInput map[string]any

func (in userInput) str(k string) (string, bool) {
	v, ok := in[k]
	if !ok {
		return "", false
	}
	if v == nil {
		return "", true
	}
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return fmt.Sprint(v), true
}

func (in userInput) boolean(k string) (bool, bool) {
	switch x := in[k].(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(x)
		return b, err == nil
	}
	return false, false
}

func (in userInput) id(k string) (int64, bool) {
	switch x := in[k].(type) {
	case float64:
		return int64(x), true
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}

func validEmail(e string) bool {
	local, dom, ok := strings.Cut(e, "@")
	return ok && local != "" && strings.Contains(dom, ".") && !strings.ContainsAny(e, " ,;<>") && !strings.Contains(dom, "@")
}

// applyUser validates in against u (nil for a create) and, when valid,
// writes it: into u, or into a new user it returns. s.mu is held.
func (s *Sim) applyUser(u *ProcoreUser, in userInput) (*ProcoreUser, fieldErrors) {
	fe := fieldErrors{}
	creating := u == nil
	email, hasEmail := in.str("email_address")
	if hasEmail || creating {
		switch {
		case email == "":
			fe.add("email_address", "can't be blank")
		case !validEmail(email):
			fe.add("email_address", "is invalid")
		default:
			if other := s.puByEmail[strings.ToLower(email)]; other != nil && other != u {
				fe.add("email_address", "has already been taken")
			}
		}
	}
	last, hasLast := in.str("last_name")
	if (hasLast || creating) && last == "" {
		fe.add("last_name", "can't be blank")
	}
	origin, hasOrigin := in.str("origin_id")
	if hasOrigin && origin != "" {
		if other := s.puByOrigin[origin]; other != nil && other != u {
			fe.add("origin_id", "has already been taken")
		}
	}
	vendorID, hasVendor := in.id("vendor_id")
	if hasVendor && vendorID != 0 && s.vendors[vendorID] == nil {
		fe.add("vendor_id", "is invalid")
	}
	tmplID, hasTmpl := in.id("company_permission_template_id")
	if !hasTmpl {
		tmplID, hasTmpl = in.id("permission_template_id")
	}
	if hasTmpl && tmplID != 0 && s.templates[tmplID] == nil {
		fe.add("permission_template_id", "is invalid")
	}
	if len(fe) > 0 {
		return nil, fe
	}
	now := s.now().UTC()
	if creating {
		u = &ProcoreUser{ID: s.nextPID, IsActive: true, IsEmployee: false, CreatedAt: now}
		s.nextPID++
		s.t.ProcoreUsers = append(s.t.ProcoreUsers, u)
		s.puByID[u.ID] = u
		s.insp.created = append(s.insp.created, u.ID)
	}
	if hasEmail {
		delete(s.puByEmail, strings.ToLower(u.Email))
		u.Email = email
		s.puByEmail[strings.ToLower(email)] = u
	}
	if hasLast {
		u.LastName = last
	}
	if v, ok := in.str("first_name"); ok {
		u.FirstName = v
	}
	if v, ok := in.str("job_title"); ok {
		u.JobTitle = v
	}
	if v, ok := in.str("employee_id"); ok {
		u.EmployeeID = v
	}
	if v, ok := in.boolean("is_employee"); ok {
		u.IsEmployee = v
	}
	if v, ok := in.boolean("is_active"); ok {
		u.IsActive = v
	}
	if hasOrigin {
		if u.OriginID != "" {
			delete(s.puByOrigin, u.OriginID)
		}
		u.OriginID = origin
		if origin != "" {
			s.puByOrigin[origin] = u
		}
	}
	if hasVendor {
		u.VendorID = vendorID
	}
	if hasTmpl {
		u.PermissionTemplateID = tmplID
	}
	u.UpdatedAt = now
	s.pver++
	return u, nil
}

// readUserBody decodes {"user": {...}}.
func readUserBody(p *procoreReq) (userInput, bool) {
	var body struct {
		User userInput `json:"user"`
	}
	if err := json.NewDecoder(p.r.Body).Decode(&body); err != nil {
		procoreErr(p.w, http.StatusBadRequest, "Invalid JSON body: "+err.Error())
		return nil, false
	}
	if body.User == nil {
		procoreErr(p.w, http.StatusBadRequest, "param is missing or the value is empty: user")
		return nil, false
	}
	return body.User, true
}

// procoreCreateUser serves POST companies/{id}/users, and POST
// projects/{pid}/users when projectID is set.
func (s *Sim) procoreCreateUser(p *procoreReq, projectID int64) {
	in, ok := readUserBody(p)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var proj *Project
	if projectID != 0 {
		if proj = s.projects[projectID]; proj == nil {
			procoreErr(p.w, http.StatusNotFound, fmt.Sprintf("Project %d not found", projectID))
			return
		}
	}
	u, fe := s.applyUser(nil, in)
	if fe != nil {
		status := http.StatusUnprocessableEntity
		if slices.Contains(fe["email_address"], "has already been taken") {
			status = s.opts.ProcoreDuplicateStatus
		}
		writeJSON(p.w, status, map[string]any{"errors": fe})
		return
	}
	if proj != nil {
		tmpl, _ := in.id("permission_template_id")
		proj.Members[u.ID] = tmpl
	}
	writeJSON(p.w, http.StatusCreated, s.procoreUserJSON(u))
}

func (s *Sim) procoreUpdateUser(p *procoreReq, id int64) {
	in, ok := readUserBody(p)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.puByID[id]
	if u == nil {
		procoreErr(p.w, http.StatusNotFound, fmt.Sprintf("User %d not found", id))
		return
	}
	if _, fe := s.applyUser(u, in); fe != nil {
		writeJSON(p.w, http.StatusUnprocessableEntity, map[string]any{"errors": fe})
		return
	}
	writeJSON(p.w, http.StatusOK, s.procoreUserJSON(u))
}

// procoreSync serves PATCH users/sync: up to 1000 updates, matched by id,
// then origin_id, else created; always 200 with entities and errors.
func (s *Sim) procoreSync(p *procoreReq) {
	var body struct {
		Updates []userInput `json:"updates"`
	}
	if err := json.NewDecoder(p.r.Body).Decode(&body); err != nil {
		procoreErr(p.w, http.StatusBadRequest, "Invalid JSON body: "+err.Error())
		return
	}
	if body.Updates == nil {
		procoreErr(p.w, http.StatusBadRequest, "param is missing or the value is empty: updates")
		return
	}
	if len(body.Updates) > procoreMaxSync {
		procoreErr(p.w, http.StatusUnprocessableEntity, fmt.Sprintf("A maximum of %d updates can be sent in one request; got %d", procoreMaxSync, len(body.Updates)))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	entities := make([]map[string]any, 0, len(body.Updates))
	errs := make([]map[string]any, 0)
	fail := func(in userInput, fe fieldErrors) {
		item := make(map[string]any, len(in)+1)
		for k, v := range in {
			item[k] = v
		}
		item["errors"] = fe
		errs = append(errs, item)
	}
	for _, in := range body.Updates {
		var target *ProcoreUser
		if id, ok := in.id("id"); ok {
			if target = s.puByID[id]; target == nil {
				fail(in, fieldErrors{"id": {"not found"}})
				continue
			}
		} else if origin, ok := in.str("origin_id"); ok && origin != "" {
			target = s.puByOrigin[origin]
		}
		u, fe := s.applyUser(target, in)
		if fe != nil {
			fail(in, fe)
			continue
		}
		entities = append(entities, s.procoreUserJSON(u))
	}
	writeJSON(p.w, http.StatusOK, map[string]any{"entities": entities, "errors": errs})
}

// procoreProjectUsers serves projects/{pid}/users[...].
func (s *Sim) procoreProjectUsers(p *procoreReq, pid int64, rest []string) {
	m := p.r.Method
	switch {
	case len(rest) == 0 && m == http.MethodGet:
		s.mu.Lock()
		defer s.mu.Unlock()
		proj := s.projects[pid]
		if proj == nil {
			procoreErr(p.w, http.StatusNotFound, fmt.Sprintf("Project %d not found", pid))
			return
		}
		var list []*ProcoreUser
		for _, u := range s.t.ProcoreUsers {
			if _, ok := proj.Members[u.ID]; ok {
				list = append(list, u)
			}
		}
		lo, hi := s.paging(p, len(list))
		out := make([]map[string]any, 0, hi-lo)
		for _, u := range list[lo:hi] {
			j := s.procoreUserJSON(u)
			if t := s.templates[proj.Members[u.ID]]; t != nil {
				j["permission_template"] = map[string]any{"id": t.ID, "name": t.Name}
			}
			out = append(out, j)
		}
		writeJSON(p.w, http.StatusOK, out)
	case len(rest) == 0 && m == http.MethodPost:
		s.procoreCreateUser(p, pid)
	case len(rest) == 3 && rest[1] == "actions" && rest[2] == "add" && m == http.MethodPost:
		uid, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil {
			procoreErr(p.w, http.StatusNotFound, "User not found")
			return
		}
		var body struct {
			User userInput `json:"user"`
		}
		_ = json.NewDecoder(p.r.Body).Decode(&body)
		tmpl, _ := body.User.id("permission_template_id")
		s.mu.Lock()
		defer s.mu.Unlock()
		if fe := s.addToProject(pid, uid, tmpl); fe != nil {
			status := http.StatusUnprocessableEntity
			if _, ok := fe["project_id"]; ok {
				status = http.StatusNotFound
			} else if _, ok := fe["user_id"]; ok {
				status = http.StatusNotFound
			}
			writeJSON(p.w, status, map[string]any{"errors": fe})
			return
		}
		j := s.procoreUserJSON(s.puByID[uid])
		if t := s.templates[tmpl]; t != nil {
			j["permission_template"] = map[string]any{"id": t.ID, "name": t.Name}
		}
		writeJSON(p.w, http.StatusCreated, j)
	default:
		procoreErr(p.w, http.StatusNotFound, "Not Found: "+m+" "+p.r.URL.Path)
	}
}

// addToProject puts a user on a project with a template. s.mu is held.
func (s *Sim) addToProject(pid, uid, tmpl int64) fieldErrors {
	proj := s.projects[pid]
	switch {
	case proj == nil:
		return fieldErrors{"project_id": {"not found"}}
	case s.puByID[uid] == nil:
		return fieldErrors{"user_id": {"not found"}}
	case tmpl != 0 && s.templates[tmpl] == nil:
		return fieldErrors{"permission_template_id": {"is invalid"}}
	}
	proj.Members[uid] = tmpl
	s.pver++
	return nil
}

func (s *Sim) procoreBulkAdd(p *procoreReq) {
	var body struct {
		Users []userInput `json:"users"`
	}
	if err := json.NewDecoder(p.r.Body).Decode(&body); err != nil || body.Users == nil {
		procoreErr(p.w, http.StatusBadRequest, "param is missing or the value is empty: users")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	entities := make([]map[string]any, 0, len(body.Users))
	errs := make([]map[string]any, 0)
	for _, in := range body.Users {
		uid, _ := in.id("user_id")
		pid, _ := in.id("project_id")
		tmpl, _ := in.id("permission_template_id")
		if fe := s.addToProject(pid, uid, tmpl); fe != nil {
			item := map[string]any{"user_id": uid, "project_id": pid, "permission_template_id": tmpl, "errors": fe}
			errs = append(errs, item)
			continue
		}
		entities = append(entities, map[string]any{"user_id": uid, "project_id": pid, "permission_template_id": tmpl})
	}
	writeJSON(p.w, http.StatusOK, map[string]any{"entities": entities, "errors": errs})
}
