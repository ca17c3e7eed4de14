package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request is one request the simulator served, as tests assert on it.
type Request struct {
	// Service is "identity", "graph" or "procore" (Procore's login and API).
	Service string `json:"service"`
	Method  string `json:"method"`
	// Path is the full path, with the service prefix ("/graph/v1.0/groups").
	Path string `json:"path"`
	// Query is the raw query string.
	Query string `json:"query"`
	// Header holds the request headers; the Authorization value is
	// redacted (the scheme is kept).
	Header http.Header `json:"header"`
	// Body is the request body as sent, with credentials (client secrets,
	// codes, refresh tokens) redacted.
	Body string `json:"body,omitempty"`
	// Status is the answer's status code; zero when the connection was
	// dropped.
	Status         int         `json:"status"`
	ResponseHeader http.Header `json:"response_header"`
	Time           time.Time   `json:"time"`
	// End is when the answer was written: with Time, it gives the
	// timeline of a run as the server saw it (benchmarks read it).
	End time.Time `json:"end"`
	// Batch is true for the parts of a Graph $batch request.
	Batch bool `json:"batch,omitempty"`
}

// Endpoint names the request's endpoint with ids replaced, for example
// "GET /procore/rest/v1.0/companies/{id}/users"; RequestCounts keys on it.
func (r Request) Endpoint() string {
	return r.Method + " " + normalizePath(r.Path)
}

// normalizePath replaces ids (numbers, GUIDs, addresses) and the identity
// tenant by placeholders.
func normalizePath(p string) string {
	parts := strings.Split(p, "/")
	for i, seg := range parts {
		switch {
		case i == 2 && parts[1] == "identity" && seg != "devicelogin":
			parts[i] = "{tenant}"
		case seg == "":
		case isDigits(seg), strings.Contains(seg, "@"), looksGUID(seg):
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func looksGUID(s string) bool {
	return len(s) == 36 && strings.Count(s, "-") == 4
}

// Mail is a message sent through Graph's sendMail.
type Mail struct {
	// From is the mailbox that sent it: the signed-in user for /me, or the
	// {id|upn} of /users/{id|upn}/sendMail, as a UPN.
	From            string    `json:"from"`
	To              []string  `json:"to"`
	Cc              []string  `json:"cc,omitempty"`
	Subject         string    `json:"subject"`
	ContentType     string    `json:"content_type"`
	Content         string    `json:"content"`
	SaveToSentItems bool      `json:"save_to_sent_items"`
	Time            time.Time `json:"time"`
	// Attachments are the files it carried, inline or uploaded.
	Attachments []MailAttachment `json:"attachments,omitempty"`
}

type inspectState struct {
	// redirects are Procore redirect URIs registered while serving.
	redirects  []string
	reqs       []Request
	counts     map[string]int
	violations []string
	mails      []Mail
	created    []int64
	pkce       int
}

func (is *inspectState) init() {
	is.counts = map[string]int{}
}

// maxLog bounds the request log of a long-running simulator (procsync demo
// --serve); the oldest half goes when it is full. Counts are kept whole.
const maxLog = 100000

func (s *Sim) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.insp.reqs) >= maxLog {
		s.insp.reqs = append(s.insp.reqs[:0:0], s.insp.reqs[maxLog/2:]...)
	}
	s.insp.reqs = append(s.insp.reqs, r)
	s.insp.counts[r.Endpoint()]++
}

// violation records a broken rule of the real service (a missing company
// header, a reused refresh token) that the simulator tolerated or refused.
// The caller holds s.mu.
func (s *Sim) violation(format string, args ...any) {
	s.insp.violations = append(s.insp.violations, fmt.Sprintf(format, args...))
}

// Requests returns the requests served so far (the latest 50,000 to
// 100,000 on a long-running server), oldest first.
func (s *Sim) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.insp.reqs)
}

// ResetRequests forgets the request log and the counts.
func (s *Sim) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.insp.reqs = nil
	s.insp.counts = map[string]int{}
}

// RequestCounts counts the requests served per Request.Endpoint.
func (s *Sim) RequestCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.insp.counts))
	for k, v := range s.insp.counts {
		out[k] = v
	}
	return out
}

// Violations lists the rules of the real services that clients broke, in
// order, such as "procore: refresh token reused".
func (s *Sim) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.insp.violations)
}

// Mails returns the messages sent through sendMail, oldest first.
func (s *Sim) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.insp.mails)
}

// ProcoreUsers returns the Procore directory as it is now, by id.
func (s *Sim) ProcoreUsers() []ProcoreUser {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ProcoreUser, 0, len(s.t.ProcoreUsers))
	for _, u := range s.t.ProcoreUsers {
		out = append(out, *u)
	}
	return out
}

// ProcoreUser returns the current state of one Procore user.
func (s *Sim) ProcoreUser(id int64) (ProcoreUser, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.puByID[id]
	if u == nil {
		return ProcoreUser{}, false
	}
	return *u, true
}

// Created returns the Procore users created through the API (create or
// sync), in creation order, as they are now.
func (s *Sim) Created() []ProcoreUser {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ProcoreUser, 0, len(s.insp.created))
	for _, id := range s.insp.created {
		out = append(out, *s.puByID[id])
	}
	return out
}

// ProjectUsers returns a project's members: user id → permission template id.
func (s *Sim) ProjectUsers(projectID int64) map[int64]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[projectID]
	if p == nil {
		return nil
	}
	out := make(map[int64]int64, len(p.Members))
	for k, v := range p.Members {
		out[k] = v
	}
	return out
}

// PKCEVerified counts the PKCE code verifiers checked successfully, by the
// identity platform and by Procore.
func (s *Sim) PKCEVerified() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.insp.pkce
}

// Tenant returns the tenant the simulator serves. Read it only while no
// request is in flight: the simulator mutates it.
func (s *Sim) Tenant() *Tenant { return s.t }

// serveInspect answers the /_sim/ endpoints for out-of-process tests.
func (s *Sim) serveInspect(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/_sim/state" && r.Method == http.MethodGet:
		s.mu.Lock()
		pus := make([]map[string]any, 0, len(s.t.ProcoreUsers))
		for _, u := range s.t.ProcoreUsers {
			pus = append(pus, s.procoreUserJSON(u, false))
		}
		cids := slices.Clone(s.insp.created)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{
			"procore_users":   pus,
			"created_ids":     nonNil(cids),
			"mails":           s.Mails(),
			"violations":      nonNil(s.Violations()),
			"request_counts":  s.RequestCounts(),
			"pkce_verified":   s.PKCEVerified(),
			"faults_injected": s.FaultsInjected(),
		})
	case path == "/_sim/requests" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, nonNil(s.Requests()))
	case path == "/_sim/requests" && r.Method == http.MethodDelete:
		s.ResetRequests()
		w.WriteHeader(http.StatusNoContent)
	case path == "/_sim/faults" && r.Method == http.MethodPost:
		var in struct {
			Faults
			Service   string `json:"service"`
			LatencyMS int    `json:"latency_ms"`
			// FailAlways, when Status is set, adds a FailAlways rule instead.
			Status int `json:"status"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, "sim: decode faults: "+err.Error(), http.StatusBadRequest)
			return
		}
		switch in.Service {
		case ServiceIdentity, ServiceGraph, ServiceProcore:
		default:
			http.Error(w, fmt.Sprintf("sim: unknown service %q (identity, graph or procore)", in.Service), http.StatusBadRequest)
			return
		}
		if in.Status != 0 {
			s.FailAlways(in.Service, in.PathContains, in.Status)
		} else {
			if in.LatencyMS > 0 {
				in.Latency = time.Duration(in.LatencyMS) * time.Millisecond
			}
			s.SetFaults(in.Service, in.Faults)
		}
		w.WriteHeader(http.StatusNoContent)
	case path == "/_sim/faults" && r.Method == http.MethodDelete:
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	case path == "/_sim/hold":
		s.serveHold(w, r)
	case path == "/_sim/procore_redirect_uris" && r.Method == http.MethodPost:
		uri := r.FormValue("uri")
		if uri == "" {
			http.Error(w, "sim: POST /_sim/procore_redirect_uris needs a uri form value", http.StatusBadRequest)
			return
		}
		s.RegisterProcoreRedirect(uri)
		w.WriteHeader(http.StatusNoContent)
	case path == "/_sim/entra_user" && r.Method == http.MethodPost:
		s.serveEntraUser(w, r)
	case path == "/_sim/devicelogin" && r.Method == http.MethodPost:
		code := r.FormValue("user_code")
		if err := s.ApproveDevice(code); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "sim: unknown inspection endpoint; try GET /_sim/state, GET|DELETE /_sim/requests, POST|DELETE /_sim/faults, POST|GET|DELETE /_sim/hold, POST /_sim/procore_redirect_uris, POST /_sim/entra_user, POST /_sim/devicelogin", http.StatusNotFound)
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// writeJSON answers v as JSON (the bytes json.Marshal would write). It
// encodes into a pooled buffer. The large answers (pages of users) call it
// after releasing s.mu, so that encoding and a slow reader never stall the
// other requests.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshalJSON(getJSONBuf(), v)
	if err != nil {
		putJSONBuf(b)
		http.Error(w, "sim: encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	// Write copies (into the connection's buffer or a recorder), so the
	// buffer can be reused at once.
	_, _ = w.Write(b)
	putJSONBuf(b)
}

// HoldRule picks the one request Hold stops on its way in.
type HoldRule struct {
	// Service is "identity", "graph" or "procore"; empty matches any.
	Service string `json:"service,omitempty"`
	// Method matches exactly when set ("PATCH").
	Method string `json:"method,omitempty"`
	// WritesOnly matches POST, PATCH, PUT and DELETE only.
	WritesOnly bool `json:"writes_only,omitempty"`
	// PathContains matches paths that contain it.
	PathContains string `json:"path_contains,omitempty"`
	// Skip lets that many matching requests through before the one held.
	Skip int `json:"skip,omitempty"`
}

func (h *HoldRule) matches(service string, r *http.Request) bool {
	return (h.Service == "" || h.Service == service) &&
		(h.Method == "" || h.Method == r.Method) &&
		(!h.WritesOnly || isWrite(r.Method)) &&
		(h.PathContains == "" || strings.Contains(r.URL.Path, h.PathContains))
}

// maxHold bounds how long a request stays held, so that a test that dies
// without releasing it cannot wedge a long-running simulator.
const maxHold = 2 * time.Minute

// holdState is the armed HoldRule and the request it holds, if any.
type holdState struct {
	mu      sync.Mutex
	rule    *HoldRule
	seen    int
	held    *Request
	heldCh  chan struct{} // closed once a request is held
	release chan struct{} // closed by Release
}

func (hs *holdState) init() {
	hs.heldCh, hs.release = make(chan struct{}), make(chan struct{})
}

// Hold arms rule: the matching request (after rule.Skip others) stops
// before latency, faults or the handler touch it, until Release. It is
// how a test kills a client exactly while its write is in flight: the
// held request still takes effect when released, even if its client is
// gone, which is the answer-lost case a rerun must handle. Arming again
// releases a request held by the previous rule.
func (s *Sim) Hold(rule HoldRule) {
	hs := &s.hold
	hs.mu.Lock()
	defer hs.mu.Unlock()
	close(hs.release)
	hs.rule, hs.seen, hs.held = &rule, 0, nil
	hs.init()
}

// Held waits until the armed rule holds a request and returns it (without
// headers), or returns false when ctx ends first.
func (s *Sim) Held(ctx context.Context) (Request, bool) {
	hs := &s.hold
	hs.mu.Lock()
	ch := hs.heldCh
	hs.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
		return Request{}, false
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.held == nil {
		return Request{}, false
	}
	return *hs.held, true
}

// Release lets the held request go on to the handler and disarms the rule.
func (s *Sim) Release() {
	hs := &s.hold
	hs.mu.Lock()
	defer hs.mu.Unlock()
	close(hs.release)
	hs.rule, hs.seen, hs.held = nil, 0, nil
	hs.init()
}

// beforeRequest runs Options.OnRequest and the hold rule on a request to a
// service, whose body has been read already.
func (s *Sim) beforeRequest(service string, r *http.Request, body []byte) {
	if s.opts.OnRequest != nil {
		c := r.Clone(r.Context())
		c.Body = io.NopCloser(bytes.NewReader(body))
		s.opts.OnRequest(c)
	}
	hs := &s.hold
	hs.mu.Lock()
	if hs.rule == nil || hs.held != nil || !hs.rule.matches(service, r) {
		hs.mu.Unlock()
		return
	}
	hs.seen++
	if hs.seen <= hs.rule.Skip {
		hs.mu.Unlock()
		return
	}
	hs.held = &Request{Service: service, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Body: redactBody(r.Header.Get("Content-Type"), body), Time: s.now()}
	release := hs.release
	close(hs.heldCh)
	hs.mu.Unlock()
	// Not r.Context(): the request must outlive a killed client.
	t := time.NewTimer(maxHold)
	defer t.Stop()
	select {
	case <-release:
	case <-t.C:
	}
}

// serveHold is /_sim/hold for tests in another process: POST arms a
// HoldRule (JSON), GET?wait_ms=N waits up to N ms for the held request
// ({"held": bool, "request": {...}}), DELETE releases it.
func (s *Sim) serveHold(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		var rule HoldRule
		if err := json.NewDecoder(r.Body).Decode(&rule); err != nil {
			http.Error(w, "sim: decode hold rule: "+err.Error(), http.StatusBadRequest)
			return
		}
		s.Hold(rule)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodGet:
		wait, _ := strconv.Atoi(r.URL.Query().Get("wait_ms"))
		ctx, cancel := context.WithTimeout(r.Context(), time.Duration(wait)*time.Millisecond)
		defer cancel()
		req, ok := s.Held(ctx)
		out := map[string]any{"held": ok}
		if ok {
			out["request"] = req
		}
		writeJSON(w, http.StatusOK, out)
	case http.MethodDelete:
		s.Release()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "sim: /_sim/hold takes POST (arm), GET?wait_ms=N (wait) or DELETE (release)", http.StatusMethodNotAllowed)
	}
}

// RegisterProcoreRedirect registers one more Procore redirect URI while the
// simulator serves, so that a test in another process can sign in through
// a loopback port it picked (Procore matches redirect URIs exactly).
func (s *Sim) RegisterProcoreRedirect(uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.insp.redirects = append(s.insp.redirects, uri)
}

func (s *Sim) procoreRedirectRegistered(uri string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.insp.redirects, uri)
}
