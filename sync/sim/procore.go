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
	"sync"
	"time"
)

// Procore limits and defaults.
const (
	procoreDefaultPerPage = 100
	procoreMaxSync        = 1000
	procoreMaxBulkAdd     = 1000
	procoreSpikeWindow    = 10 * time.Second
	// dmsaID is the Developer Managed Service Account behind client
	// credentials tokens.
	dmsaID int64 = 1799999
)

// rateState counts Procore API requests in an hourly and a 10-second
// window.
type rateState struct {
	mu         sync.Mutex
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
	return slices.Contains(ProcoreRedirectURIs, uri) || slices.Contains(s.opts.ProcoreRedirectURIs, uri) || s.procoreRedirectRegistered(uri)
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
