package httpx

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// script answers the n-th request (from 0) with step[n], repeating the last.
type step struct {
	status     int
	retryAfter string
	drop       bool
}

type scripted struct {
	mu     sync.Mutex
	steps  []step
	n      int
	bodies []string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	st := s.steps[min(s.n, len(s.steps)-1)]
	s.n++
	s.bodies = append(s.bodies, string(b))
	s.mu.Unlock()
	if st.drop {
		c, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			c.Close()
		}
		return
	}
	if st.retryAfter != "" {
		w.Header().Set("Retry-After", st.retryAfter)
	}
	w.WriteHeader(st.status)
	io.WriteString(w, `{"ok":true}`)
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// recordSleep returns a Sleep hook that records waits without waiting.
func recordSleep(waits *[]time.Duration, mu *sync.Mutex) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		idempotent bool
		steps      []step
		wantStatus int // 0: want an error
		wantCalls  int
	}{
		{"GET 429 then ok", "GET", false, []step{{status: 429, retryAfter: "1"}, {status: 200}}, 200, 2},
		{"GET 503 504 then ok", "GET", false, []step{{status: 503}, {status: 504}, {status: 200}}, 200, 3},
		{"GET dropped then ok", "GET", false, []step{{drop: true}, {status: 200}}, 200, 2},
		{"GET gives up after max retries", "GET", false, []step{{status: 503, retryAfter: "0"}}, 503, 4},
		{"GET 500 then ok", "GET", false, []step{{status: 500}, {status: 200}}, 200, 2},
		{"GET 502 then ok", "GET", false, []step{{status: 502}, {status: 200}}, 200, 2},
		{"GET 408 then ok", "GET", false, []step{{status: 408}, {status: 200}}, 200, 2},
		{"GET 500 gives up after max retries", "GET", false, []step{{status: 500}}, 500, 4},
		{"GET 501 is not retried", "GET", false, []step{{status: 501}, {status: 200}}, 501, 1},
		{"POST 500 is not retried: it may have been done", "POST", false, []step{{status: 500}, {status: 201}}, 500, 1},
		{"POST 502 is not retried: it may have been done", "POST", false, []step{{status: 502}, {status: 201}}, 502, 1},
		{"POST 408 is not retried: it may have been done", "POST", false, []step{{status: 408}, {status: 201}}, 408, 1},
		{"PATCH 500 is not retried", "PATCH", false, []step{{status: 500}, {status: 200}}, 500, 1},
		{"idempotent PATCH 500 is retried", "PATCH", true, []step{{status: 500}, {status: 200}}, 200, 2},
		{"idempotent POST 502 is retried", "POST", true, []step{{status: 502}, {status: 201}}, 201, 2},
		{"PUT 408 is retried", "PUT", false, []step{{status: 408}, {status: 200}}, 200, 2},
		{"POST 429 is retried: nothing was done", "POST", false, []step{{status: 429}, {status: 201}}, 201, 2},
		{"POST 503 with Retry-After is retried", "POST", false, []step{{status: 503, retryAfter: "1"}, {status: 201}}, 201, 2},
		{"POST bare 503 is not retried: it may have been done", "POST", false, []step{{status: 503}, {status: 201}}, 503, 1},
		{"POST 504 is not retried: it may have been done", "POST", false, []step{{status: 504}, {status: 201}}, 504, 1},
		{"POST dropped is not retried", "POST", false, []step{{drop: true}, {status: 201}}, 0, 1},
		{"idempotent PATCH dropped is retried", "PATCH", true, []step{{drop: true}, {status: 200}}, 200, 2},
		{"PUT dropped is retried", "PUT", false, []step{{drop: true}, {status: 200}}, 200, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{steps: tc.steps}
			srv := httptest.NewServer(s)
			defer srv.Close()
			var waits []time.Duration
			var mu sync.Mutex
			tr := New(srv.Client().Transport, Options{MaxRetries: 3, Sleep: recordSleep(&waits, &mu)})
			ctx := context.Background()
			if tc.idempotent {
				ctx = WithIdempotent(ctx)
			}
			req, _ := http.NewRequestWithContext(ctx, tc.method, srv.URL+"/x", strings.NewReader(`{"a":1}`))
			resp, err := tr.RoundTrip(req)
			if tc.wantStatus == 0 {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got status %d, want an error", resp.StatusCode)
				}
			} else {
				if err != nil {
					t.Fatalf("RoundTrip: %v", err)
				}
				resp.Body.Close()
				if resp.StatusCode != tc.wantStatus {
					t.Errorf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
				}
			}
			if got := s.count(); got != tc.wantCalls {
				t.Errorf("server saw %d requests, want %d", got, tc.wantCalls)
			}
			for i, b := range s.bodies {
				if tc.method != "GET" && b != `{"a":1}` {
					t.Errorf("attempt %d body = %q, want the original body re-sent", i, b)
				}
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	s := &scripted{steps: []step{{status: 429, retryAfter: "2"}, {status: 200}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	var waits []time.Duration
	var mu sync.Mutex
	tr := New(srv.Client().Transport, Options{Sleep: recordSleep(&waits, &mu), WaitScale: 0.5})
	req, _ := http.NewRequest("GET", srv.URL, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(waits) != 1 || waits[0] < time.Second || waits[0] > 1200*time.Millisecond {
		t.Fatalf("waits = %v, want one of about 2 s × 0.5", waits)
	}
}

func TestMaxElapsedStopsLongWaits(t *testing.T) {
	s := &scripted{steps: []step{{status: 429, retryAfter: "3600"}, {status: 200}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	tr := New(srv.Client().Transport, Options{MaxElapsed: time.Second})
	req, _ := http.NewRequest("GET", srv.URL, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || s.count() != 1 {
		t.Fatalf("status %d after %d requests, want the 429 at once", resp.StatusCode, s.count())
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	s := &scripted{steps: []step{{status: 503, retryAfter: "30"}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	tr := New(srv.Client().Transport, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for s.count() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	_, err := tr.RoundTrip(req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{"0", 0, true},
		{"0.25", 250 * time.Millisecond, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tc := range tests {
		got, ok := ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// windowServer allows limit requests per window and answers 429 beyond,
// announcing the budget like Procore does.
type windowServer struct {
	mu      sync.Mutex
	limit   int
	window  time.Duration
	start   time.Time
	used    int
	served  int
	limited int
}

func (s *windowServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := time.Now()
	if now.Sub(s.start) >= s.window {
		s.start = now.Truncate(s.window)
		s.used = 0
	}
	reset := s.start.Add(s.window)
	s.used++
	over := s.used > s.limit
	if over {
		s.limited++
	} else {
		s.served++
	}
	rem := max(s.limit-s.used, 0)
	s.mu.Unlock()
	w.Header().Set("X-Rate-Limit-Limit", strconv.Itoa(s.limit))
	w.Header().Set("X-Rate-Limit-Remaining", strconv.Itoa(rem))
	// Whole seconds, rounded up, as the real header is.
	w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(reset.Add(time.Second-1).Unix(), 10))
	if over {
		w.WriteHeader(429)
		return
	}
	w.WriteHeader(200)
}

func TestPacingAvoids429(t *testing.T) {
	ws := &windowServer{limit: 8, window: time.Second}
	srv := httptest.NewServer(ws)
	defer srv.Close()
	tr := New(srv.Client().Transport, Options{Pace: true, MaxRetries: -1})
	// Learn the budget, then hammer from several goroutines.
	var wg sync.WaitGroup
	var errs atomic.Int32
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				req, _ := http.NewRequest("GET", srv.URL, nil)
				resp, err := tr.RoundTrip(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if errs.Load() > 0 || ws.limited > 0 || ws.served != 20 {
		t.Fatalf("served %d, limited %d, errors %d; want 20 served, none limited", ws.served, ws.limited, errs.Load())
	}
	if rl := tr.RateLimit(); !rl.Known || rl.Limit != 8 {
		t.Errorf("RateLimit() = %+v, want the announced limit 8", rl)
	}
}

// fakeClock is a clock that only moves when the transport sleeps on it,
// so that pacing's waits are asserted exactly, whatever the machine's load.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

// observeBudget feeds the transport one answer announcing a budget.
func observeBudget(tr *Transport, limit, remaining int, reset time.Time) {
	h := http.Header{}
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Rate-Limit-Reset", strconv.FormatFloat(float64(reset.UnixNano())/1e9, 'f', 3, 64))
	tr.inflight = 1
	tr.observe(&http.Response{StatusCode: 200, Header: h})
}

func TestPacingSpreadsALowBudget(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)}
	tr := New(nil, Options{Pace: true, Sleep: clock.Sleep, Now: clock.Now})
	// 5 of 100 left, the window ends in 0.4 s: four requests may go, one
	// every 0.1 s (the reserve of one stays in hand).
	observeBudget(tr, 100, 5, clock.Now().Add(400*time.Millisecond))
	for i := 0; i < 4; i++ {
		if err := tr.pace(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}
	if !slices.Equal(clock.waits, want) {
		t.Fatalf("waits %v, want %v: the 0.1 s share of the window between four requests", clock.waits, want)
	}
	if rl := tr.RateLimit(); rl.Remaining != 1 {
		t.Errorf("remaining %d after four requests, want the reserve of 1", rl.Remaining)
	}
	// The fifth waits for the window to end (plus the second the reset is
	// rounded to, plus jitter under 0.2 s).
	clock.waits = nil
	if err := tr.pace(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(clock.waits) != 1 || clock.waits[0] < 1100*time.Millisecond || clock.waits[0] >= 1300*time.Millisecond {
		t.Fatalf("waits %v, want one wait of 0.1 s left in the window + 1 s (+ jitter)", clock.waits)
	}
}

func TestPacingWaitIsBounded(t *testing.T) {
	tests := []struct {
		name      string
		limit     int
		remaining int
		resetIn   time.Duration
	}{
		{"budget spent, reset in three hours", 100, 0, 3 * time.Hour},
		{"budget spent, reset in the year 2199", 100, 0, time.Date(2199, 1, 1, 0, 0, 0, 0, time.UTC).Sub(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC))},
		{"low budget spread over a far reset", 100, 3, 24 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{now: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)}
			tr := New(nil, Options{Pace: true, Sleep: clock.Sleep, Now: clock.Now, MaxPaceWait: 5 * time.Minute})
			observeBudget(tr, tc.limit, tc.remaining, clock.Now().Add(tc.resetIn))
			var err error
			for i := 0; i < 5 && err == nil; i++ {
				err = tr.pace(context.Background())
			}
			var pe *PaceError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *PaceError", err)
			}
			for _, w := range clock.waits {
				if w > 5*time.Minute {
					t.Errorf("waited %v, more than the 5 min bound", w)
				}
			}
			for _, want := range []string{"rate limit", "at most 5m0s", "run again after"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

func TestAbsurdAnnouncedTimes(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	for _, v := range []string{"1e30", "9223372036854775807", "Inf"} {
		d, ok := ParseRetryAfter(v, now)
		if !ok || d <= 0 {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want a long positive delay, not a wrapped one", v, d, ok)
		}
	}
	for _, v := range []string{"NaN", "-Inf", "1e30", "-5", "9223372036854775807"} {
		if at, ok := parseUnix(v); ok {
			t.Errorf("parseUnix(%q) = %v, want it refused", v, at)
		}
	}
}
