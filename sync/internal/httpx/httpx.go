// Package httpx is the resilient HTTP transport that procsync's API clients
// (sync/graph, sync/procore) put in front of the caller's token-injecting
// transport. It retries throttled and failed idempotent requests, honours
// Retry-After, paces requests by the server's rate-limit headers so that
// steady work never runs into 429. A 401 is not its business: the caller's
// token-injecting transport (auth.Transport) renews the token and retries
// once, because only it knows which token the service refused. Every wait it makes is bounded, whatever a server announces, and so is
// every answer it reads (see BaseTransport and DecodeJSON).
//
// It knows nothing about either API: the clients configure it with Options.
package httpx

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultMaxRetries = 6
	DefaultMaxElapsed = 2 * time.Minute
	DefaultBaseDelay  = 250 * time.Millisecond
	DefaultMaxDelay   = 30 * time.Second
	// DefaultMaxPaceWait bounds one wait of rate-limit pacing. Spreading a
	// low budget waits seconds and a spent window ends within about a
	// second when procsync alone uses the account; a reset further away
	// means another client spent the budget, or the server's clock or
	// header is wrong, and a scheduled run should fail with a clear error
	// rather than sleep for an hour (or forever).
	DefaultMaxPaceWait = 5 * time.Minute
)

// Options configures a Transport. The zero value is usable: retries with the
// defaults, no pacing.
type Options struct {
	// MaxRetries bounds the number of retries of one request. Negative
	// means none.
	MaxRetries int
	// MaxElapsed bounds the total time spent on one request including all
	// waits; a retry whose wait would cross it is not attempted.
	MaxElapsed time.Duration
	// BaseDelay and MaxDelay shape the capped exponential backoff used when
	// the server gives no Retry-After.
	BaseDelay, MaxDelay time.Duration
	// WaitScale multiplies every retry wait (Retry-After and backoff). Tests
	// set it small so that fault storms stay fast; 0 means 1.
	WaitScale float64
	// Pace enables rate-limit pacing from the X-Rate-Limit-Limit,
	// X-Rate-Limit-Remaining and X-Rate-Limit-Reset response headers.
	Pace bool
	// PaceReserve is the number of requests of the announced budget that
	// pacing keeps in hand for other clients of the same account; 0 means 1.
	PaceReserve int
	// MaxPaceWait bounds one pacing wait; a budget that would need a
	// longer one fails the request with a *PaceError. 0 means
	// DefaultMaxPaceWait.
	MaxPaceWait time.Duration
	// Sleep waits for d or until ctx is done; tests may replace it. nil
	// means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock that pacing, Retry-After dates and MaxElapsed are
	// read from; tests replace it together with Sleep so that waits are
	// asserted on a fake clock. nil means time.Now.
	Now func() time.Time
}

type idempotentKey struct{}

// WithIdempotent marks requests made with ctx as safe to repeat even though
// their method is not idempotent (for example Procore's user sync PATCH
// where every entry carries an origin_id).
func WithIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

// Transport is an http.RoundTripper adding retries and pacing to a base
// RoundTripper. It is safe for concurrent use.
type Transport struct {
	base http.RoundTripper
	opts Options

	mu     sync.Mutex
	budget RateLimit
	// guessed is set while budget is an assumption made after a window
	// ended and before the server has announced the next one.
	guessed bool
	// inflight counts requests sent and not yet answered: the server's
	// Remaining may not include them yet.
	inflight int
	// nextSend is the earliest time of the next request while pacing
	// spreads a low budget.
	nextSend time.Time
}

// New returns a Transport sending through base (http.DefaultTransport if nil).
func New(base http.RoundTripper, opts Options) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = DefaultMaxRetries
	}
	if opts.MaxElapsed == 0 {
		opts.MaxElapsed = DefaultMaxElapsed
	}
	if opts.BaseDelay == 0 {
		opts.BaseDelay = DefaultBaseDelay
	}
	if opts.MaxDelay == 0 {
		opts.MaxDelay = DefaultMaxDelay
	}
	if opts.WaitScale == 0 {
		opts.WaitScale = 1
	}
	if opts.PaceReserve == 0 {
		opts.PaceReserve = 1
	}
	if opts.MaxPaceWait == 0 {
		opts.MaxPaceWait = DefaultMaxPaceWait
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Transport{base: base, opts: opts}
}

// Client returns an http.Client that sends through a new Transport wrapped
// around hc's transport, keeping hc's timeout, redirect policy and jar.
func Client(hc *http.Client, opts Options) (*http.Client, *Transport) {
	if hc == nil {
		hc = http.DefaultClient
	}
	t := New(hc.Transport, opts)
	c := *hc
	c.Transport = t
	return &c, t
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// isIdempotent reports whether req may be sent twice without effect beyond
// the first.
func isIdempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	v, _ := req.Context().Value(idempotentKey{}).(bool)
	return v
}

// retryable reports whether a status is worth another attempt: throttling
// (429), and the answers Procore documents as transient, to be retried with
// backoff: 408 when a page took too long to build, 500, 502, 503 and 504.
// Whether a request that got one may be repeated is decided separately
// (see RoundTrip): a write may have been done before the server failed.
func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusRequestTimeout,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	idem := isIdempotent(req)
	// A body that cannot be produced again cannot be re-sent.
	canResend := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	start := t.opts.Now()
	deadline := start.Add(t.opts.MaxElapsed)
	sends := 0

	for attempt := 0; ; attempt++ {
		if err := t.pace(ctx); err != nil {
			return nil, err
		}
		out, err := t.attemptRequest(req, sends)
		sends++
		if err != nil {
			return nil, err
		}
		t.mu.Lock()
		t.inflight++
		t.mu.Unlock()
		resp, rerr := t.base.RoundTrip(out)
		t.observe(resp)
		if ctx.Err() != nil {
			if resp != nil {
				resp.Body.Close()
			}
			if rerr == nil {
				rerr = ctx.Err()
			}
			return nil, rerr
		}

		var wait time.Duration
		switch {
		case rerr != nil:
			// A dropped connection: the request may or may not have been
			// processed, so only idempotent requests are repeated.
			if !idem || !canResend || attempt >= t.opts.MaxRetries {
				return nil, rerr
			}
			wait = t.backoff(attempt)
		case retryable(resp.StatusCode):
			// A 429, or a 503 that names a time to come back, is the
			// server refusing the request before acting on it; a bare 503,
			// a 500, 502, 504 or 408 may hide a completed write, so a
			// request that is not idempotent (and not marked so with
			// WithIdempotent) gets the answer instead of a second send.
			safe := idem || resp.StatusCode == http.StatusTooManyRequests ||
				(resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "")
			if !safe || !canResend || attempt >= t.opts.MaxRetries {
				return resp, nil
			}
			wait = t.retryWait(resp, attempt)
		default:
			return resp, nil
		}
		if t.opts.Now().Add(wait).After(deadline) {
			if rerr != nil {
				return nil, rerr
			}
			return resp, nil
		}
		if resp != nil {
			drain(resp)
		}
		if err := t.opts.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// attemptRequest prepares the request for one send: the first sends the
// caller's request as is; later ones a clone with a fresh body.
func (t *Transport) attemptRequest(req *http.Request, sent int) (*http.Request, error) {
	if sent == 0 {
		return req, nil
	}
	out := req.Clone(req.Context())
	if req.GetBody != nil {
		b, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		out.Body = b
	}
	return out, nil
}

// drain discards what is left of a response body so that the connection
// can be reused, reading at most a little.
func drain(resp *http.Response) {
	io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
}

// backoff is capped exponential backoff with full jitter.
func (t *Transport) backoff(attempt int) time.Duration {
	d := t.opts.BaseDelay << min(attempt, 20)
	if d > t.opts.MaxDelay || d <= 0 {
		d = t.opts.MaxDelay
	}
	// Half fixed, half random, so that retries of parallel requests spread
	// out but never come back immediately.
	d = d/2 + rand.N(d/2+1)
	return t.scale(d)
}

func (t *Transport) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * t.opts.WaitScale)
}

// retryWait is how long to wait before repeating a throttled request:
// Retry-After when given, else the rate-limit reset, else backoff.
func (t *Transport) retryWait(resp *http.Response, attempt int) time.Duration {
	now := t.opts.Now()
	if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
		// A little jitter so that parallel requests told the same moment
		// do not return together.
		return t.scale(d + rand.N(d/10+time.Millisecond))
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		if reset, ok := parseUnix(resp.Header.Get("X-Rate-Limit-Reset")); ok {
			if d := reset.Sub(now); d > 0 && d <= t.opts.MaxDelay {
				return t.scale(d + rand.N(d/10+50*time.Millisecond))
			}
		}
	}
	return t.backoff(attempt)
}

// ParseRetryAfter parses a Retry-After value, either delay seconds or an
// HTTP date, relative to now.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if !(s >= 0) {
			// Negative or NaN.
			return 0, false
		}
		// A float beyond int64 nanoseconds converts to garbage (often a
		// negative wait); a longer delay than maxAnnounced means the
		// same to every caller: too long to wait.
		return time.Duration(min(s, maxAnnounced.Seconds()) * float64(time.Second)), true
	}
	if at, err := http.ParseTime(v); err == nil {
		d := at.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// maxAnnounced bounds a delay or reset time a server announces, so that
// converting it to a time.Duration cannot overflow; anything that far
// away is refused by the waits' own bounds anyway.
const maxAnnounced = 100 * 365 * 24 * time.Hour

// parseUnix parses a Unix time in (possibly fractional) seconds, as the
// rate-limit reset header carries it. Values past 2200 or before 1970
// (and NaN or infinities) are refused rather than wrapped around.
func parseUnix(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	s, err := strconv.ParseFloat(v, 64)
	if err != nil || !(s >= 0 && s < 7258118400) {
		return time.Time{}, false
	}
	return time.Unix(0, int64(s*float64(time.Second))), true
}
