package sim

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is one way a request can go wrong.
type FaultKind string

// The fault kinds. Each is answered the way its service really answers it.
const (
	// FaultThrottle answers 429 with Retry-After.
	FaultThrottle FaultKind = "429"
	// FaultUnavailable answers 503 with Retry-After.
	FaultUnavailable FaultKind = "503"
	// FaultTimeout answers 408 Request Timeout, as Procore does when a
	// page takes too long to build.
	FaultTimeout FaultKind = "408"
	// FaultServerError answers 500, which Procore documents as transient.
	FaultServerError FaultKind = "500"
	// FaultBadGateway answers 502, which Procore documents as transient.
	FaultBadGateway FaultKind = "502"
	// FaultLatency delays the request by Faults.Latency, then serves it.
	FaultLatency FaultKind = "latency"
	// FaultDrop serves the request (a write takes effect) and then closes
	// the connection without an answer: the answer is lost.
	FaultDrop FaultKind = "drop"
	// FaultMalformed serves the request and answers 200 with the body cut
	// in half, so that it is not valid JSON.
	FaultMalformed FaultKind = "malformed"
	// FaultExpireToken makes a token die before its expires_in: the bearer
	// token of an API request is revoked (the request gets 401), and a
	// token issued by a token endpoint is born expired.
	FaultExpireToken FaultKind = "expire_token"
)

// AllFaultKinds lists every fault kind.
var AllFaultKinds = []FaultKind{FaultThrottle, FaultUnavailable, FaultTimeout, FaultServerError, FaultBadGateway, FaultLatency, FaultDrop, FaultMalformed, FaultExpireToken}

// Faults configures random fault injection for one service.
type Faults struct {
	// Rate is the share of requests that get a fault, 0..1.
	Rate float64 `json:"rate"`
	// Kinds are chosen from uniformly; empty means 429 and 503.
	Kinds []FaultKind `json:"kinds,omitempty"`
	// RetryAfter is the Retry-After value in seconds sent with 429 and
	// 503; keep it small so that tests stay fast.
	RetryAfter int `json:"retry_after"`
	// NoRetryAfter omits the Retry-After header (clients must back off on
	// their own).
	NoRetryAfter bool `json:"no_retry_after,omitempty"`
	// Latency is the delay of FaultLatency (default 200 ms).
	Latency time.Duration `json:"latency,omitempty"`
	// WritesOnly limits faults to POST, PATCH, PUT and DELETE.
	WritesOnly bool `json:"writes_only,omitempty"`
	// PathContains limits faults to paths containing it.
	PathContains string `json:"path_contains,omitempty"`
	// Max stops injecting after that many faults; zero means no limit.
	Max int `json:"max,omitempty"`
	// Seed seeds the choice of requests and kinds, so that a test run is
	// reproducible given the same request order.
	Seed int64 `json:"seed,omitempty"`
}

type failRule struct {
	Service      string `json:"service"`
	PathContains string `json:"path_contains"`
	Status       int    `json:"status"`
}

type serviceFaults struct {
	f        Faults
	rng      *rand.Rand
	injected int
}

type faultState struct {
	mu       sync.Mutex
	services map[string]*serviceFaults
	always   []failRule
	counts   map[string]int // "service kind" → injected
}

func (fs *faultState) init() {
	fs.services = map[string]*serviceFaults{}
	fs.counts = map[string]int{}
}

// SetFaults sets random fault injection for a service ("identity", "graph"
// or "procore"), replacing what was set before. A zero Rate turns it off.
func (s *Sim) SetFaults(service string, f Faults) {
	s.flt.mu.Lock()
	defer s.flt.mu.Unlock()
	if f.Rate <= 0 {
		delete(s.flt.services, service)
		return
	}
	if len(f.Kinds) == 0 {
		f.Kinds = []FaultKind{FaultThrottle, FaultUnavailable}
	}
	if f.Latency <= 0 {
		f.Latency = 200 * time.Millisecond
	}
	s.flt.services[service] = &serviceFaults{f: f, rng: rand.New(rand.NewPCG(uint64(f.Seed), 0xFA17))}
}

// FailAlways answers every request of service whose path contains
// pathContains with status (and the service's error body) until
// ClearFaults.
func (s *Sim) FailAlways(service, pathContains string, status int) {
	s.flt.mu.Lock()
	defer s.flt.mu.Unlock()
	s.flt.always = append(s.flt.always, failRule{Service: service, PathContains: pathContains, Status: status})
}

// ClearFaults removes all fault injection and FailAlways rules.
func (s *Sim) ClearFaults() {
	s.flt.mu.Lock()
	defer s.flt.mu.Unlock()
	s.flt.services = map[string]*serviceFaults{}
	s.flt.always = nil
}

// FaultsInjected counts the faults injected so far, keyed "service kind"
// (for example "procore 429"); FailAlways answers count as "service fail".
func (s *Sim) FaultsInjected() map[string]int {
	s.flt.mu.Lock()
	defer s.flt.mu.Unlock()
	out := make(map[string]int, len(s.flt.counts))
	for k, v := range s.flt.counts {
		out[k] = v
	}
	return out
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// pickFault decides whether this request gets a fault and which.
func (s *Sim) pickFault(service string, r *http.Request, inBatch bool) (kind FaultKind, f Faults, rule *failRule) {
	s.flt.mu.Lock()
	defer s.flt.mu.Unlock()
	for i := range s.flt.always {
		fr := s.flt.always[i]
		if fr.Service == service && strings.Contains(r.URL.Path, fr.PathContains) {
			s.flt.counts[service+" fail"]++
			return "", Faults{RetryAfter: 1}, &fr
		}
	}
	sf := s.flt.services[service]
	if sf == nil {
		return "", Faults{}, nil
	}
	f = sf.f
	if f.WritesOnly && !isWrite(r.Method) {
		return "", f, nil
	}
	if f.PathContains != "" && !strings.Contains(r.URL.Path, f.PathContains) {
		return "", f, nil
	}
	if f.Max > 0 && sf.injected >= f.Max {
		return "", f, nil
	}
	if sf.rng.Float64() >= f.Rate {
		return "", f, nil
	}
	kind = f.Kinds[sf.rng.IntN(len(f.Kinds))]
	if inBatch && (kind == FaultDrop || kind == FaultMalformed) {
		// A $batch answer holds many sub-answers; connection-level faults
		// apply to the batch request itself, not to one part of it.
		return "", f, nil
	}
	sf.injected++
	s.flt.counts[service+" "+string(kind)]++
	return kind, f, nil
}

// applyFaults serves r through h, injecting a fault if one is due. When
// the fault drops the connection it returns the function that closes it,
// so that the caller can log the request first (a test that sees the
// error then finds the request in the log).
func (s *Sim) applyFaults(service string, w http.ResponseWriter, r *http.Request, h http.HandlerFunc, inBatch bool) (drop func()) {
	kind, f, rule := s.pickFault(service, r, inBatch)
	if rule != nil {
		s.writeFault(service, w, r, rule.Status, f)
		return nil
	}
	switch kind {
	case "":
		h(w, r)
	case FaultThrottle:
		s.writeFault(service, w, r, http.StatusTooManyRequests, f)
	case FaultUnavailable:
		s.writeFault(service, w, r, http.StatusServiceUnavailable, f)
	case FaultTimeout:
		s.writeFault(service, w, r, http.StatusRequestTimeout, f)
	case FaultServerError:
		s.writeFault(service, w, r, http.StatusInternalServerError, f)
	case FaultBadGateway:
		s.writeFault(service, w, r, http.StatusBadGateway, f)
	case FaultLatency:
		sleep(r.Context(), f.Latency)
		h(w, r)
	case FaultDrop:
		rec := httptest.NewRecorder()
		h(rec, r)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			// No connection to drop (HTTP/2 or a recorder): abort instead.
			panic(http.ErrAbortHandler)
		}
		return func() { _ = conn.Close() }
	case FaultMalformed:
		rec := httptest.NewRecorder()
		h(rec, r)
		body := rec.Body.Bytes()
		if len(body) >= 2 {
			body = body[:len(body)/2]
		} else {
			body = []byte(`{"`)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	case FaultExpireToken:
		if tok := bearer(r); tok != "" {
			s.expireToken(tok)
			h(w, r)
			return nil
		}
		// A token endpoint: hand out a token that is already dead.
		rec := httptest.NewRecorder()
		h(rec, r)
		var tr struct {
			AccessToken string `json:"access_token"`
		}
		if json.Unmarshal(rec.Body.Bytes(), &tr) == nil && tr.AccessToken != "" {
			s.expireToken(tr.AccessToken)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}
	return nil
}

// writeFault answers with status in the error format of service.
func (s *Sim) writeFault(service string, w http.ResponseWriter, r *http.Request, status int, f Faults) {
	if (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) && !f.NoRetryAfter {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	switch service {
	case ServiceGraph:
		code := map[int]string{
			400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "Authorization_RequestDenied",
			404: "Request_ResourceNotFound", 408: "RequestTimeout", 429: "TooManyRequests", 500: "generalException",
			502: "BadGateway", 503: "ServiceUnavailable", 504: "GatewayTimeout",
		}[status]
		if code == "" {
			code = "UnknownError"
		}
		msg := http.StatusText(status)
		if status == http.StatusTooManyRequests {
			msg = "Too many requests. Please try again later."
		}
		s.graphError(w, r, status, code, msg)
	case ServiceIdentity:
		code := "temporarily_unavailable"
		if status < 500 && status != http.StatusTooManyRequests {
			code = "invalid_request"
		}
		s.identityError(w, status, code, 90033, "A transient error has occurred. Please try again.")
	default:
		msg := http.StatusText(status)
		if status == http.StatusTooManyRequests {
			msg = "Rate limit exceeded"
		}
		s.procoreHeaders(w)
		procoreErr(w, status, msg)
	}
}
