// Package sim is a simulated tenant: the Microsoft identity platform,
// Microsoft Graph, Procore's OAuth server and Procore's REST API, served by
// one http.Handler on loopback with seeded data, rate limits and fault
// injection.
//
// It exists so that procsync can be tested and demonstrated with no accounts
// and no internet. It is built from the public documentation of the three
// services (see API-NOTES.md) and deliberately imports nothing of procsync,
// so that it cannot share the clients' assumptions.
//
// URL layout, relative to the server URL:
//
//	/identity/{tenant}/oauth2/v2.0/authorize|token|devicecode   (login_url = {URL}/identity)
//	/identity/devicelogin                                       device code verification page
//	/graph/v1.0/...                                             (api_url = {URL}/graph)
//	/procore-login/oauth/authorize|token|token/info|revoke      (login_url = {URL}/procore-login)
//	/procore/rest/v1.0/..., /procore/rest/v1.1/...              (api_url = {URL}/procore)
//	/_sim/state, /_sim/requests, /_sim/faults, /_sim/devicelogin inspection and control for out-of-process tests
package sim

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Fixed demo credentials and identifiers of the simulated tenant. They are
// not secrets: they only open the simulator.
const (
	// TenantID is the Entra tenant's primary domain, usable as {tenant} in
	// identity platform URLs.
	TenantID = "contoso.onmicrosoft.com"
	// TenantGUID is the Entra tenant id, also accepted as {tenant}.
	TenantGUID = "4f1d2c3b-5a69-4e87-9b0c-1d2e3f405162"
	// GraphClientID is the registered Entra application (public client flows
	// allowed, and a client secret for client credentials).
	GraphClientID = "0c7f3a9e-2b41-4d5c-8e6f-7a8b9c0d1e2f"
	// GraphClientSecret is the Entra application's client secret.
	GraphClientSecret = "sim~GraphSecret.0123456789abcdef"
	// ProcoreClientID is the registered Procore application's client id.
	ProcoreClientID = "sim-procore-client-2f8a6c1d9e3b4a7f"
	// ProcoreClientSecret is the Procore application's client secret.
	ProcoreClientSecret = "sim-procore-secret-9b7e5d3c1a2f4e6d"
	// CompanyID is the Procore company id.
	CompanyID int64 = 4264807
	// CompanyName is the Procore company's name.
	CompanyName = "Contoso Construction"
	// Domain is the company's mail domain.
	Domain = "contoso.com"
	// AdminUPN is the user who signs in to Graph (delegated flows) and whose
	// mailbox sends the report.
	AdminUPN = "megan.bowen@contoso.com"
	// ProcoreAdminLogin is the Procore login of the user behind user tokens.
	ProcoreAdminLogin = "megan.bowen@contoso.com"
	// DefaultMembers is the demo tenant's number of license-group members.
	DefaultMembers = 200
	// DefaultProcoreMaxPerPage is the default clamp of Procore's per_page.
	DefaultProcoreMaxPerPage = 1000
	// DefaultProcoreHourlyLimit is the hourly limit used when
	// Options.ProcoreHourlyLimit is zero. It is generous so that tests do
	// not trip it by accident; the demo sets Procore's historic 3600.
	DefaultProcoreHourlyLimit = 100000
	// DefaultProcoreSpikeLimit is the 10-second limit used when
	// Options.ProcoreSpikeLimit is zero.
	DefaultProcoreSpikeLimit = 10000
)

// Registered Procore redirect URIs, matched exactly (Procore allows no
// dynamic ports). Options.ProcoreRedirectURIs adds more.
var ProcoreRedirectURIs = []string{"http://localhost:8765/callback", "urn:ietf:wg:oauth:2.0:oob"}

// Options configures a simulator. The zero value serves the default demo
// tenant with generous limits and no faults.
type Options struct {
	// Seed and Members feed Generate when Tenant is nil. Members zero means
	// DefaultMembers.
	Seed    int64
	Members int
	// Tenant is the data to serve. The simulator takes ownership: it
	// indexes and mutates it (Procore writes), so do not touch it after New.
	Tenant *Tenant
	// ConsentPage makes both authorize endpoints show an HTML page with
	// Approve and Deny buttons instead of approving at once.
	ConsentPage bool
	// ProcoreRedirectURIs are registered in addition to the package's
	// ProcoreRedirectURIs.
	ProcoreRedirectURIs []string
	// Latency is added to every request (benchmarks, slow-network demos).
	Latency time.Duration
	// ProcoreSpikeLimit is the number of Procore API requests allowed per
	// 10 seconds; zero means DefaultProcoreSpikeLimit, negative means none.
	ProcoreSpikeLimit int
	// ProcoreHourlyLimit is the number of Procore API requests allowed per
	// hour; zero means DefaultProcoreHourlyLimit, negative means none.
	ProcoreHourlyLimit int
	// ProcoreDuplicateStatus is the status of a create refused for a
	// duplicate email: 422 (default) or 409. Procore's documentation allows
	// both, so clients are tested against both.
	ProcoreDuplicateStatus int
	// ProcoreMaxPerPage clamps Procore's per_page; zero means
	// DefaultProcoreMaxPerPage. The applied value is in the Per-Page header.
	ProcoreMaxPerPage int
	// GraphTokenTTL is the lifetime of identity platform access tokens
	// (default 3599 s, like Entra's typical expires_in).
	GraphTokenTTL time.Duration
	// ProcoreTokenTTL is the lifetime of Procore access tokens (default
	// 5400 s, as Procore documents).
	ProcoreTokenTTL time.Duration
	// DeviceCodeInterval is the polling interval the devicecode endpoint
	// announces (default 1 s, shorter than Entra's 5 s to keep demos fast).
	DeviceCodeInterval time.Duration
	// GraphResourceUnits is the resource-unit budget of each application
	// per GraphResourceWindow (10 s); requests past it get 429
	// TooManyRequests with Retry-After (see GraphCost). Zero means no
	// budget; GraphResourceUnitsAuto picks Microsoft's documented value for
	// the tenant's size (3,500, 5,000 or 8,000).
	GraphResourceUnits int
	// GraphAppRoles are the application permissions granted to the app
	// (the "roles" of client-credentials tokens); nil means the default
	// registration's, which has every permission docs/setup.md lists.
	// Tests remove one to see the 403 a tenant without it gets.
	GraphAppRoles []string
	// Now is the clock (default time.Now). Tests move it to expire tokens
	// and rate-limit windows without sleeping.
	Now func() time.Time
	// OnRequest, if set, sees every request to a service (not /_sim/)
	// after its body is read and before latency, faults or the handler act
	// on it, so that a test can check the world at the moment a request
	// arrives, or hold the request there (see Hold for other processes).
	// Its body is a copy; the handler reads its own. Calls are concurrent.
	OnRequest func(r *http.Request)
}

// Sim is the simulated tenant. It is an http.Handler serving all three
// services; all methods are safe for concurrent use.
type Sim struct {
	opts Options
	now  func() time.Time

	mu sync.Mutex
	t  *Tenant
	dir
	auth authState
	insp inspectState
	hold holdState
	flt  faultState
	rl   rateState
	gb   graphBudget
	mb   mailState
	rng  *rand.Rand
}

// New builds a simulator from opts.
func New(opts Options) *Sim {
	if opts.Members == 0 {
		opts.Members = DefaultMembers
	}
	if opts.ProcoreDuplicateStatus == 0 {
		opts.ProcoreDuplicateStatus = http.StatusUnprocessableEntity
	}
	if opts.ProcoreMaxPerPage <= 0 {
		opts.ProcoreMaxPerPage = DefaultProcoreMaxPerPage
	}
	if opts.ProcoreHourlyLimit == 0 {
		opts.ProcoreHourlyLimit = DefaultProcoreHourlyLimit
	}
	if opts.ProcoreSpikeLimit == 0 {
		opts.ProcoreSpikeLimit = DefaultProcoreSpikeLimit
	}
	if opts.GraphTokenTTL <= 0 {
		opts.GraphTokenTTL = 3599 * time.Second
	}
	if opts.ProcoreTokenTTL <= 0 {
		opts.ProcoreTokenTTL = 5400 * time.Second
	}
	if opts.DeviceCodeInterval <= 0 {
		opts.DeviceCodeInterval = time.Second
	}
	t := opts.Tenant
	if t == nil {
		t = Generate(opts.Seed, opts.Members)
	}
	s := &Sim{
		opts: opts,
		now:  opts.Now,
		t:    t,
		rng:  rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed)),
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.index()
	s.auth.init()
	s.insp.init()
	s.flt.init()
	s.hold.init()
	s.gb.init(opts.GraphResourceUnits, len(t.Users))
	return s
}

// Server is a simulator served on 127.0.0.1.
type Server struct {
	// URL is the base URL, like "http://127.0.0.1:41234".
	URL string
	// Sim is the simulator behind the server, for inspection and faults.
	Sim *Sim

	srv *http.Server
	ln  net.Listener
}

// Start serves a new simulator on 127.0.0.1 on a free port.
func Start(opts Options) (*Server, error) {
	return StartAt("127.0.0.1:0", opts)
}

// StartAt serves a new simulator on addr (for `procsync demo --serve`).
func StartAt(addr string, opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sim: listen on %s: %w", addr, err)
	}
	s := New(opts)
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &Server{URL: "http://" + ln.Addr().String(), Sim: s, srv: srv, ln: ln}, nil
}

// Close stops the server at once, dropping open connections.
func (sv *Server) Close() error {
	if sv == nil || sv.srv == nil {
		return nil
	}
	return sv.srv.Close()
}

// Shutdown stops the server gracefully.
func (sv *Server) Shutdown(ctx context.Context) error {
	return sv.srv.Shutdown(ctx)
}

// GraphLoginURL is the login_url for procsync's Graph configuration.
func (sv *Server) GraphLoginURL() string { return sv.URL + "/identity" }

// GraphAPIURL is the api_url for procsync's Graph configuration.
func (sv *Server) GraphAPIURL() string { return sv.URL + "/graph" }

// ProcoreLoginURL is the login_url for procsync's Procore configuration.
func (sv *Server) ProcoreLoginURL() string { return sv.URL + "/procore-login" }

// ProcoreAPIURL is the api_url for procsync's Procore configuration.
func (sv *Server) ProcoreAPIURL() string { return sv.URL + "/procore" }

// Service names, as used by SetFaults, FailAlways and Request.Service.
const (
	ServiceIdentity = "identity"
	ServiceGraph    = "graph"
	ServiceProcore  = "procore"
)

// ServeHTTP routes a request to the service its path prefix names.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/_sim" || strings.HasPrefix(p, "/_sim/"):
		s.serveInspect(w, r)
	case strings.HasPrefix(p, "/identity/"):
		s.serveService(ServiceIdentity, s.serveIdentity, w, r)
	case strings.HasPrefix(p, "/graph/"):
		s.serveService(ServiceGraph, s.serveGraph, w, r)
	case strings.HasPrefix(p, "/procore-login/"):
		s.serveService(ServiceProcore, s.serveProcoreLogin, w, r)
	case strings.HasPrefix(p, "/procore/"):
		s.serveService(ServiceProcore, s.serveProcoreAPI, w, r)
	case p == "/":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "procsync simulator\n\nidentity login_url: %[1]s/identity\ngraph api_url: %[1]s/graph\nprocore login_url: %[1]s/procore-login\nprocore api_url: %[1]s/procore\ninspection: %[1]s/_sim/state\n", baseURL(r))
	default:
		http.NotFound(w, r)
	}
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	n      int
}

// WriteHeader records the first status written.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 and counts the bytes.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (Hijack).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// maxBody bounds request bodies; Procore's sync endpoint with 1000 users is
// well under it.
const maxBody = 32 << 20

// serveService runs one request through latency, faults, the handler and
// the request log.
func (s *Sim) serveService(service string, h http.HandlerFunc, w http.ResponseWriter, r *http.Request) {
	start := s.now()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "sim: read request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.beforeRequest(service, r, body)
	if s.opts.Latency > 0 {
		sleep(r.Context(), s.opts.Latency)
	}
	sw := &statusWriter{ResponseWriter: w}
	drop := s.applyFaults(service, sw, r, h, false)
	status := sw.status
	if drop != nil {
		status = 0
		defer drop()
	} else if status == 0 {
		status = http.StatusOK
	}
	s.record(Request{
		Service:        service,
		Method:         r.Method,
		Path:           r.URL.Path,
		Query:          r.URL.RawQuery,
		Header:         redactHeader(r.Header),
		Body:           redactBody(r.Header.Get("Content-Type"), body),
		Status:         status,
		ResponseHeader: redactHeader(w.Header()),
		Time:           start,
		End:            s.now(),
	})
}

// secretParams are the form and JSON fields that carry credentials. The
// request log keeps that they were sent, never their values: it is served
// over HTTP (/_sim/requests) and ends up in test output.
var secretParams = []string{"client_secret", "code", "code_verifier", "refresh_token", "device_code", "token", "access_token", "id_token", "client_assertion", "password"}

const redacted = "REDACTED"

func redactHeader(h http.Header) http.Header {
	out := h.Clone()
	if a := out.Get("Authorization"); a != "" {
		scheme, _, _ := strings.Cut(a, " ")
		out.Set("Authorization", scheme+" "+redacted)
	}
	if loc := out.Get("Location"); loc != "" {
		if u, err := url.Parse(loc); err == nil && u.Query().Has("code") {
			q := u.Query()
			q.Set("code", redacted)
			u.RawQuery = q.Encode()
			out.Set("Location", u.String())
		}
	}
	return out
}

func redactBody(contentType string, body []byte) string {
	if !strings.Contains(contentType, "form-urlencoded") {
		if strings.Contains(contentType, "json") && bytes.Contains(body, []byte(`"client_secret"`)) {
			return redacted
		}
		return string(body)
	}
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return redacted
	}
	for _, k := range secretParams {
		if q.Has(k) {
			q.Set(k, redacted)
		}
	}
	return q.Encode()
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// baseURL is the scheme and host the client used, so that absolute URLs
// (nextLink, Link, verification_uri) point back at this server whatever
// port it listens on.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// dir holds the indexes over the tenant, so that lookups and paging stay
// cheap at 50,000 users. Guarded by Sim.mu.
type dir struct {
	users      map[string]*User
	usersByUPN map[string]*User
	groups     map[string]*Group
	devices    map[string]*Device

	puByID     map[int64]*ProcoreUser
	puByEmail  map[string]*ProcoreUser
	puByOrigin map[string]*ProcoreUser
	vendors    map[int64]*Vendor
	projects   map[int64]*Project
	templates  map[int64]*PermissionTemplate
	nextPID    int64

	// pver changes on every Procore write; the active/inactive lists are
	// cached per version so that paging a large directory is linear.
	pver        int
	cacheVer    int
	activeList  []*ProcoreUser
	inactivList []*ProcoreUser

	// memberLists caches resolved group member lists (see memberIDs).
	memberLists map[memberKey]memberList
}

// index builds the lookup maps over s.t.
func (s *Sim) index() {
	t := s.t
	d := &s.dir
	d.users = make(map[string]*User, len(t.Users))
	d.usersByUPN = make(map[string]*User, len(t.Users))
	for _, u := range t.Users {
		d.users[u.ID] = u
		d.usersByUPN[strings.ToLower(u.UserPrincipalName)] = u
	}
	d.groups = make(map[string]*Group, len(t.Groups))
	for _, g := range t.Groups {
		d.groups[g.ID] = g
	}
	d.devices = make(map[string]*Device, len(t.Devices))
	for _, dv := range t.Devices {
		d.devices[dv.ID] = dv
	}
	d.puByID = make(map[int64]*ProcoreUser, len(t.ProcoreUsers))
	d.puByEmail = make(map[string]*ProcoreUser, len(t.ProcoreUsers))
	d.puByOrigin = map[string]*ProcoreUser{}
	d.nextPID = 1800001
	// Keep the directory sorted by id: new users get higher ids, so
	// appending keeps it sorted and paging needs no sort.
	slices.SortFunc(t.ProcoreUsers, func(a, b *ProcoreUser) int { return cmp.Compare(a.ID, b.ID) })
	for _, u := range t.ProcoreUsers {
		d.puByID[u.ID] = u
		d.puByEmail[strings.ToLower(u.Email)] = u
		if u.OriginID != "" {
			d.puByOrigin[u.OriginID] = u
		}
		d.nextPID = max(d.nextPID, u.ID+1)
	}
	d.vendors = map[int64]*Vendor{}
	for _, v := range t.Vendors {
		d.vendors[v.ID] = v
	}
	d.projects = map[int64]*Project{}
	for _, p := range t.Projects {
		if p.Members == nil {
			p.Members = map[int64]int64{}
		}
		d.projects[p.ID] = p
	}
	d.templates = map[int64]*PermissionTemplate{}
	for _, pt := range t.PermissionTemplates {
		d.templates[pt.ID] = pt
	}
	d.pver = 1
}
