package sim

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// token is an access token the simulator issued, Graph's or Procore's.
type token struct {
	service  string // ServiceGraph or ServiceProcore
	app      bool   // client credentials: no user behind it
	subject  string // Entra object id, or Procore user id in decimal
	clientID string
	scopes   []string
	expires  time.Time
}

// authCode is an authorization code awaiting redemption.
type authCode struct {
	service   string
	clientID  string
	redirect  string
	challenge string
	method    string
	scopes    []string
	subject   string
	expires   time.Time
	used      bool
}

// refresh is a refresh token. Procore's are single-use (used); Entra's
// stay valid after use until they expire.
type refresh struct {
	service  string
	clientID string
	subject  string
	scopes   []string
	expires  time.Time
	used     bool
}

// deviceAuth is a device code sign-in in progress.
type deviceAuth struct {
	deviceCode string
	userCode   string
	clientID   string
	scopes     []string
	expires    time.Time
	state      string // "pending", "approved", "declined", "redeemed"
}

type authState struct {
	tokens    map[string]*token
	codes     map[string]*authCode
	refreshes map[string]*refresh
	devices   map[string]*deviceAuth // by device_code
	userCodes map[string]*deviceAuth // by user_code
}

func (a *authState) init() {
	a.tokens = map[string]*token{}
	a.codes = map[string]*authCode{}
	a.refreshes = map[string]*refresh{}
	a.devices = map[string]*deviceAuth{}
	a.userCodes = map[string]*deviceAuth{}
}

// graphPermissions are the delegated permissions admin-consented for the
// app registration; ".default" grants them all.
var graphPermissions = []string{"GroupMember.Read.All", "Group.Read.All", "User.Read", "User.Read.All", "Mail.Send",
	"LicenseAssignment.Read.All", "Mail.ReadWrite"}

// graphAppRoles are the application permissions granted to the app by
// default (Options.GraphAppRoles replaces them): those docs/setup.md lists.
var graphAppRoles = []string{"GroupMember.Read.All", "Group.Read.All", "User.Read.All", "Mail.Send",
	"LicenseAssignment.Read.All", "Mail.ReadWrite"}

// appRoles are the application permissions client-credentials tokens get.
func (s *Sim) appRoles() []string {
	if s.opts.GraphAppRoles != nil {
		return slices.Clone(s.opts.GraphAppRoles)
	}
	return graphAppRoles
}

const graphResource = "https://graph.microsoft.com"

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// bearer returns the bearer token of r, or "".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// expireToken makes an issued access token expire now (FaultExpireToken).
func (s *Sim) expireToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.auth.tokens[tok]; t != nil {
		t.expires = s.now().Add(-time.Second)
	}
}

// ExpireTokens makes every access token of service ("graph" or "procore")
// expire now, as after a long pause; refresh tokens stay valid.
func (s *Sim) ExpireTokens(service string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.auth.tokens {
		if t.service == service {
			t.expires = s.now().Add(-time.Second)
		}
	}
}

// checkToken looks up a bearer token for service. It returns the token, or
// a reason the service would give for refusing it.
func (s *Sim) checkToken(r *http.Request, service string) (*token, string) {
	raw := bearer(r)
	if raw == "" {
		return nil, "missing"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.auth.tokens[raw]
	switch {
	case t == nil || t.service != service:
		return nil, "invalid"
	case !s.now().Before(t.expires):
		return nil, "expired"
	}
	cp := *t
	return &cp, ""
}

// splitScopes splits a scope parameter and drops Graph's resource prefix.
func splitScopes(scope string) []string {
	var out []string
	for _, sc := range strings.Fields(scope) {
		sc = strings.TrimPrefix(sc, graphResource+"/")
		if sc == ".default" {
			out = append(out, graphPermissions...)
			continue
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// identityError answers like the identity platform's token endpoint.
func (s *Sim) identityError(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	trace, corr := newGUID(), newGUID()
	ts := s.now().UTC().Format("2006-01-02 15:04:05Z")
	writeJSON(w, status, map[string]any{
		"error": code,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			aadsts, desc, trace, corr, ts),
		"error_codes":    []int{aadsts},
		"timestamp":      ts,
		"trace_id":       trace,
		"correlation_id": corr,
		"error_uri":      fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", aadsts),
	})
}

// serveIdentity routes /identity/{tenant}/oauth2/v2.0/... and /identity/devicelogin.
func (s *Sim) serveIdentity(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-ms-request-id", newGUID())
	rest := strings.TrimPrefix(r.URL.Path, "/identity/")
	if rest == "devicelogin" || rest == "devicelogin/" {
		s.serveDeviceLogin(w, r)
		return
	}
	tenant, endpoint, ok := strings.Cut(rest, "/oauth2/v2.0/")
	if !ok {
		s.identityError(w, http.StatusNotFound, "invalid_request", 900561, "The endpoint "+r.URL.Path+" does not exist.")
		return
	}
	switch strings.ToLower(tenant) {
	case strings.ToLower(TenantID), TenantGUID, "organizations", "common", Domain:
	default:
		s.identityError(w, http.StatusBadRequest, "invalid_request", 90002,
			fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	}
	switch endpoint {
	case "authorize":
		s.identityAuthorize(w, r)
	case "token":
		s.identityToken(w, r, tenant)
	case "devicecode":
		s.identityDeviceCode(w, r)
	default:
		s.identityError(w, http.StatusNotFound, "invalid_request", 900561, "The endpoint "+r.URL.Path+" does not exist.")
	}
}

// isLoopbackRedirect applies the RFC 8252 loopback rule Entra uses for
// desktop apps: any port on localhost or 127.0.0.1.
func isLoopbackRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return raw == "https://login.microsoftonline.com/common/oauth2/nativeclient"
	}
	h := u.Hostname()
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

// redirectWith sends the browser to redirect with extra query parameters.
func redirectWith(w http.ResponseWriter, r *http.Request, redirect string, params url.Values) {
	u, err := url.Parse(redirect)
	if err != nil {
		http.Error(w, "sim: bad redirect_uri", http.StatusBadRequest)
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (s *Sim) identityAuthorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "AADSTS900144: malformed request", http.StatusBadRequest)
		return
	}
	q := r.Form
	clientID, redirect, state := q.Get("client_id"), q.Get("redirect_uri"), q.Get("state")
	if clientID != GraphClientID {
		// Without a valid client the browser cannot be sent back.
		http.Error(w, fmt.Sprintf("AADSTS700016: Application with identifier '%s' was not found in the directory 'Contoso'.", clientID), http.StatusBadRequest)
		return
	}
	if !isLoopbackRedirect(redirect) {
		http.Error(w, fmt.Sprintf("AADSTS50011: The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'.", redirect, GraphClientID), http.StatusBadRequest)
		return
	}
	fail := func(code string, aadsts int, desc string) {
		redirectWith(w, r, redirect, url.Values{"error": {code}, "error_description": {fmt.Sprintf("AADSTS%d: %s", aadsts, desc)}, "state": {state}})
	}
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", 70005, "response_type 'code' is required; this app does not allow '"+q.Get("response_type")+"'.")
		return
	}
	if q.Get("scope") == "" {
		fail("invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
		return
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if challenge != "" && method == "" {
		method = "plain"
	}
	if challenge != "" && method != "S256" && method != "plain" {
		fail("invalid_request", 50000, "Invalid code_challenge_method: "+method)
		return
	}
	if s.opts.ConsentPage {
		switch r.Method {
		case http.MethodGet:
			s.consentPage(w, "Microsoft", "procsync wants to read your organization's groups and users, and send mail as you.", q)
			return
		case http.MethodPost:
			if r.PostForm.Get("consent") != "approve" {
				fail("access_denied", 65004, "User declined to consent to access the app.")
				return
			}
		}
	}
	s.mu.Lock()
	if challenge == "" {
		s.violation("identity: authorization code requested without PKCE (client %s)", clientID)
	}
	code := "0.sim." + randomToken(48)
	s.auth.codes[code] = &authCode{
		service: ServiceGraph, clientID: clientID, redirect: redirect, challenge: challenge, method: method,
		scopes: splitScopes(q.Get("scope")), subject: s.t.AdminID, expires: s.now().Add(10 * time.Minute),
	}
	s.mu.Unlock()
	redirectWith(w, r, redirect, url.Values{"code": {code}, "state": {state}, "session_state": {newGUID()}})
}

var consentTmpl = template.Must(template.New("consent").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Provider}} – Permissions requested</title></head>
<body style="font-family:sans-serif;max-width:32em;margin:3em auto">
<h1>Permissions requested</h1>
<p>{{.Text}}</p>
<form method="post">
{{range $k, $vs := .Params}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">
{{end}}{{end}}<button type="submit" name="consent" value="approve" id="approve">Approve</button>
<button type="submit" name="consent" value="deny" id="deny">Deny</button>
</form></body></html>
`))

// consentPage shows Approve and Deny buttons that post the authorize
// parameters back to the same URL.
func (s *Sim) consentPage(w http.ResponseWriter, provider, text string, params url.Values) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = consentTmpl.Execute(w, map[string]any{"Provider": provider, "Text": text, "Params": params})
}

// verifyPKCE checks a code verifier against the challenge of an
// authorization request.
func verifyPKCE(challenge, method, verifier string) bool {
	if method == "plain" {
		return verifier == challenge
	}
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:]) == challenge
}

func (s *Sim) identityToken(w http.ResponseWriter, r *http.Request, tenant string) {
	if r.Method != http.MethodPost {
		s.identityError(w, http.StatusBadRequest, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a GET request.")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.identityError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must be application/x-www-form-urlencoded.")
		return
	}
	f := r.PostForm
	clientID, secret := f.Get("client_id"), f.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		clientID, secret = u, p
	}
	if clientID == "" {
		s.identityError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	if clientID != GraphClientID {
		s.identityError(w, http.StatusBadRequest, "unauthorized_client", 700016,
			fmt.Sprintf("Application with identifier '%s' was not found in the directory 'Contoso'.", clientID))
		return
	}
	if secret != "" && secret != GraphClientSecret {
		s.identityError(w, http.StatusUnauthorized, "invalid_client", 7000215,
			"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
		return
	}
	grant := f.Get("grant_type")
	switch grant {
	case "authorization_code":
		s.graphCodeGrant(w, f, clientID)
	case "refresh_token":
		s.graphRefreshGrant(w, f, clientID)
	case "client_credentials":
		if secret == "" {
			s.identityError(w, http.StatusUnauthorized, "invalid_client", 7000218,
				"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
			return
		}
		if t := strings.ToLower(tenant); t == "common" || t == "organizations" {
			s.identityError(w, http.StatusBadRequest, "invalid_request", 50059,
				"No tenant-identifying information found in either the request or implied by any provided credentials.")
			return
		}
		scope := f.Get("scope")
		if !strings.HasSuffix(scope, "/.default") || strings.Contains(strings.TrimSpace(scope), " ") {
			s.identityError(w, http.StatusBadRequest, "invalid_scope", 1002012,
				fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope))
			return
		}
		if !strings.HasPrefix(scope, graphResource+"/") {
			s.identityError(w, http.StatusBadRequest, "invalid_resource", 500011,
				fmt.Sprintf("The resource principal named %s was not found in the tenant named Contoso.", strings.TrimSuffix(scope, "/.default")))
			return
		}
		s.mu.Lock()
		resp := s.issueGraphTokens(clientID, "", s.appRoles(), true)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, resp)
	case "urn:ietf:params:oauth:grant-type:device_code":
		s.graphDeviceGrant(w, f, clientID)
	case "":
		s.identityError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
	default:
		s.identityError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+grant+"'.")
	}
}

func (s *Sim) graphCodeGrant(w http.ResponseWriter, f url.Values, clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.auth.codes[f.Get("code")]
	switch {
	case f.Get("code") == "":
		s.identityError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'code'.")
		return
	case c == nil || c.service != ServiceGraph || c.clientID != clientID:
		s.identityError(w, http.StatusBadRequest, "invalid_grant", 70000, "The provided value for the 'code' parameter is not valid.")
		return
	case c.used:
		s.identityError(w, http.StatusBadRequest, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
		return
	case !s.now().Before(c.expires):
		s.identityError(w, http.StatusBadRequest, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity.")
		return
	case f.Get("redirect_uri") != c.redirect:
		s.identityError(w, http.StatusBadRequest, "invalid_grant", 500112, "The reply address '"+f.Get("redirect_uri")+"' does not match the reply address '"+c.redirect+"' provided when requesting Authorization code.")
		return
	}
	if c.challenge != "" {
		v := f.Get("code_verifier")
		if v == "" || !verifyPKCE(c.challenge, c.method, v) {
			s.identityError(w, http.StatusBadRequest, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
			return
		}
		s.insp.pkce++
	}
	c.used = true
	writeJSON(w, http.StatusOK, s.issueGraphTokens(clientID, c.subject, c.scopes, false))
}

func (s *Sim) graphRefreshGrant(w http.ResponseWriter, f url.Values, clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.auth.refreshes[f.Get("refresh_token")]
	switch {
	case f.Get("refresh_token") == "":
		s.identityError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'refresh_token'.")
		return
	case rt == nil || rt.service != ServiceGraph || rt.clientID != clientID:
		s.identityError(w, http.StatusBadRequest, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
		return
	case !s.now().Before(rt.expires):
		s.identityError(w, http.StatusBadRequest, "invalid_grant", 700082, "The refresh token has expired due to inactivity.")
		return
	}
	// Entra rotates: each use returns a new refresh token. The old one
	// stays valid until it expires, unlike Procore's, so it is not marked
	// used.
	writeJSON(w, http.StatusOK, s.issueGraphTokens(clientID, rt.subject, rt.scopes, false))
}

func (s *Sim) graphDeviceGrant(w http.ResponseWriter, f url.Values, clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.auth.devices[f.Get("device_code")]
	if d == nil || d.clientID != clientID {
		s.identityError(w, http.StatusBadRequest, "invalid_grant", 70000, "The provided value for the input parameter 'device_code' is not valid.")
		return
	}
	if !s.now().Before(d.expires) {
		s.identityError(w, http.StatusBadRequest, "expired_token", 70019, "Verification code expired.")
		return
	}
	switch d.state {
	case "pending":
		s.identityError(w, http.StatusBadRequest, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
	case "declined":
		s.identityError(w, http.StatusBadRequest, "authorization_declined", 70000, "The user declined the sign-in request.")
	case "redeemed":
		s.identityError(w, http.StatusBadRequest, "invalid_grant", 70000, "The provided value for the input parameter 'device_code' is not valid: it was already redeemed.")
	case "approved":
		d.state = "redeemed"
		writeJSON(w, http.StatusOK, s.issueGraphTokens(clientID, s.t.AdminID, d.scopes, false))
	}
}

// issueGraphTokens mints an access token (and a refresh token when
// offline_access was asked for, an id token for openid). s.mu is held.
func (s *Sim) issueGraphTokens(clientID, subject string, scopes []string, app bool) map[string]any {
	now := s.now()
	exp := now.Add(s.opts.GraphTokenTTL)
	claims := map[string]any{
		"aud": graphResource, "iss": "https://sts.windows.net/" + TenantGUID + "/",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix(), "tid": TenantGUID,
		"appid": clientID, "app_displayname": "procsync", "ver": "1.0", "uti": randomToken(12),
	}
	var resScopes []string
	for _, sc := range scopes {
		switch sc {
		case "openid", "profile", "email", "offline_access":
		default:
			resScopes = append(resScopes, sc)
		}
	}
	u := s.users[subject]
	if app {
		claims["roles"] = scopes
		claims["oid"] = "9e1f0c2d-5a00-4a6b-8c7d-0e1f2a3b4c5d"
		claims["idtyp"] = "app"
	} else {
		claims["scp"] = strings.Join(resScopes, " ")
		claims["oid"] = subject
		if u != nil {
			claims["upn"] = u.UserPrincipalName
			claims["unique_name"] = u.UserPrincipalName
			claims["name"] = u.DisplayName
		}
	}
	access := fakeJWT(claims)
	s.auth.tokens[access] = &token{service: ServiceGraph, app: app, subject: subject, clientID: clientID, scopes: scopes, expires: exp}
	ttl := int(s.opts.GraphTokenTTL / time.Second)
	resp := map[string]any{
		"token_type": "Bearer", "access_token": access,
		"expires_in": ttl, "ext_expires_in": ttl,
	}
	if app {
		return resp
	}
	resp["scope"] = strings.Join(scopes, " ")
	if slices.Contains(scopes, "offline_access") {
		rt := "1.sim." + randomToken(96)
		s.auth.refreshes[rt] = &refresh{service: ServiceGraph, clientID: clientID, subject: subject, scopes: scopes, expires: now.Add(90 * 24 * time.Hour)}
		resp["refresh_token"] = rt
	}
	if slices.Contains(scopes, "openid") && u != nil {
		resp["id_token"] = fakeJWT(map[string]any{
			"aud": clientID, "iss": "https://login.microsoftonline.com/" + TenantGUID + "/v2.0",
			"iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix(), "tid": TenantGUID, "ver": "2.0",
			"oid": u.ID, "sub": u.ID, "name": u.DisplayName, "preferred_username": u.UserPrincipalName,
		})
	}
	return resp
}

// fakeJWT builds a JWT-shaped token with readable claims and a random,
// unverifiable signature: clients may decode it, as they may with Entra's.
func fakeJWT(claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "RS256", "kid": "sim"})
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + "." + randomToken(64)
}

// userCodeAlphabet avoids letters people confuse.
const userCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func (s *Sim) identityDeviceCode(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.identityError(w, http.StatusBadRequest, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a GET request.")
		return
	}
	_ = r.ParseForm()
	clientID := r.PostForm.Get("client_id")
	if clientID != GraphClientID {
		s.identityError(w, http.StatusBadRequest, "unauthorized_client", 700016,
			fmt.Sprintf("Application with identifier '%s' was not found in the directory 'Contoso'.", clientID))
		return
	}
	if r.PostForm.Get("scope") == "" {
		s.identityError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
		return
	}
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = userCodeAlphabet[int(b[i])%len(userCodeAlphabet)]
	}
	userCode := string(b)
	d := &deviceAuth{
		deviceCode: "DAQABAAEAAAD--sim" + randomToken(96), userCode: userCode, clientID: clientID,
		scopes: splitScopes(r.PostForm.Get("scope")), expires: s.now().Add(15 * time.Minute), state: "pending",
	}
	s.mu.Lock()
	s.auth.devices[d.deviceCode] = d
	s.auth.userCodes[userCode] = d
	s.mu.Unlock()
	verify := baseURL(r) + "/identity/devicelogin"
	writeJSON(w, http.StatusOK, map[string]any{
		"user_code": userCode, "device_code": d.deviceCode, "verification_uri": verify,
		"expires_in": 900, "interval": int(s.opts.DeviceCodeInterval / time.Second),
		"message": fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.", verify, userCode),
	})
}

// ApproveDevice approves a pending device code sign-in by its user code,
// as the user would on the verification page.
func (s *Sim) ApproveDevice(userCode string) error { return s.decideDevice(userCode, "approved") }

// DenyDevice declines a pending device code sign-in by its user code.
func (s *Sim) DenyDevice(userCode string) error { return s.decideDevice(userCode, "declined") }

func (s *Sim) decideDevice(userCode, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.auth.userCodes[strings.ToUpper(strings.TrimSpace(userCode))]
	if d == nil {
		return fmt.Errorf("sim: device login: no sign-in waits for code %q", userCode)
	}
	if d.state != "pending" {
		return fmt.Errorf("sim: device login: code %q was already used", userCode)
	}
	if !s.now().Before(d.expires) {
		return fmt.Errorf("sim: device login: code %q has expired", userCode)
	}
	d.state = state
	return nil
}

// DeviceCodes lists the user codes of device sign-ins still pending, so
// that a test can approve the one its client started.
func (s *Sim) DeviceCodes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for c, d := range s.auth.userCodes {
		if d.state == "pending" {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

var deviceTmpl = template.Must(template.New("device").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Enter code</title></head>
<body style="font-family:sans-serif;max-width:32em;margin:3em auto">
{{if .Message}}<p id="message">{{.Message}}</p>{{end}}
{{if .Form}}<h1>Enter code</h1>
<p>Enter the code displayed on your app or device.</p>
<form method="post">
<input name="user_code" value="{{.Code}}" autofocus>
<button type="submit" name="action" value="approve" id="approve">Approve</button>
<button type="submit" name="action" value="deny" id="deny">Deny</button>
</form>{{end}}
</body></html>
`))

// serveDeviceLogin is the verification page of the device code flow. A
// GET or POST with user_code and action=approve|deny decides at once.
func (s *Sim) serveDeviceLogin(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	code := r.Form.Get("user_code")
	if code == "" {
		code = r.Form.Get("otc")
	}
	action := r.Form.Get("action")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if code == "" || (action == "" && r.Method == http.MethodGet) {
		_ = deviceTmpl.Execute(w, map[string]any{"Form": true, "Code": code})
		return
	}
	state, msg := "approved", "You have signed in to procsync on your device. You may now close this window."
	if action == "deny" {
		state, msg = "declined", "You have declined the sign-in. You may now close this window."
	}
	if err := s.decideDevice(code, state); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_ = deviceTmpl.Execute(w, map[string]any{"Form": true, "Code": code, "Message": "That code didn't work. Check the code and try again."})
		return
	}
	_ = deviceTmpl.Execute(w, map[string]any{"Message": msg})
}
