package httpx

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// RateLimit is the last rate-limit budget a server announced.
type RateLimit struct {
	// Limit is the size of the window's budget (X-Rate-Limit-Limit).
	Limit int
	// Remaining is what is left of it, as far as this process knows: the
	// server's figure less the requests sent since.
	Remaining int
	// Reset is when the window's budget is restored (X-Rate-Limit-Reset).
	Reset time.Time
	// Known reports whether the server has sent the headers at all.
	Known bool
}

// RateLimit returns the last budget the server announced, less the requests
// sent since.
func (t *Transport) RateLimit() RateLimit {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.budget
}

// observe records the rate-limit headers of a response.
func (t *Transport) observe(resp *http.Response) {
	t.mu.Lock()
	t.inflight--
	others := t.inflight
	t.mu.Unlock()
	if resp == nil {
		return
	}
	h := resp.Header
	rem, err1 := strconv.Atoi(h.Get("X-Rate-Limit-Remaining"))
	reset, ok := parseUnix(h.Get("X-Rate-Limit-Reset"))
	if err1 != nil || !ok {
		return
	}
	limit, err := strconv.Atoi(h.Get("X-Rate-Limit-Limit"))
	if err != nil {
		limit = 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	b := &t.budget
	switch {
	case !b.Known || t.guessed || reset.After(b.Reset):
		// A new window (or the first one seen): the server's word counts,
		// less the requests still in flight, which it may not have
		// counted yet.
		b.Limit, b.Remaining, b.Reset, b.Known = limit, rem-others, reset, true
		t.guessed = false
	case reset.Equal(b.Reset):
		// Answers arrive out of order; the smaller figure is the later one
		// or includes requests this process has already counted.
		if rem-others < b.Remaining {
			b.Remaining = rem - others
		}
		if limit > 0 {
			b.Limit = limit
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		b.Remaining = 0
	}
}

// PaceError fails a request when rate-limit pacing would have to wait
// longer than Options.MaxPaceWait: the server says the account's budget
// is spent until a time too far away to wait for in one run.
type PaceError struct {
	// Reset is when the server says the budget returns.
	Reset time.Time
	// Wait is how long pacing would have waited; Max the bound it crossed.
	Wait, Max time.Duration
}

// Error says when to try again and why procsync did not wait.
func (e *PaceError) Error() string {
	return fmt.Sprintf("rate limit: the server's request budget for this account is spent until %s (%s from now); "+
		"procsync waits at most %s for it, so the run stops here: another app using the same account may be "+
		"spending the budget; run again after that time",
		e.Reset.UTC().Format("2006-01-02 15:04:05 MST"), e.Wait.Round(time.Second), e.Max)
}

// pace waits, when pacing is on and the budget of the current window is
// spent (keeping PaceReserve in hand), until the window resets, then counts
// the request against the budget. When the budget runs low it spreads the
// rest over the time left, so that steady work never meets a 429. No wait
// is longer than MaxPaceWait: one that would be fails with a *PaceError.
func (t *Transport) pace(ctx context.Context) error {
	if !t.opts.Pace {
		return nil
	}
	for {
		t.mu.Lock()
		b := &t.budget
		now := t.opts.Now()
		if !b.Known {
			t.mu.Unlock()
			return nil
		}
		if !now.Before(b.Reset) {
			// The window is over; the next answer brings the new one.
			// Until then assume the full limit again.
			t.refill(now)
		}
		if b.Remaining > t.opts.PaceReserve {
			// In the last tenth of the budget, spread what is left over
			// the time left, so that a long job slows down instead of
			// stopping dead (Procore's hourly limit).
			if left := b.Remaining - t.opts.PaceReserve; b.Limit > 0 && b.Remaining <= b.Limit/10 && !t.guessed {
				if now.Before(t.nextSend) {
					wait := t.nextSend.Sub(now)
					reset := b.Reset
					t.mu.Unlock()
					if err := t.wait(ctx, wait, reset); err != nil {
						return err
					}
					continue
				}
				t.nextSend = now.Add(b.Reset.Sub(now) / time.Duration(left))
			}
			b.Remaining--
			t.mu.Unlock()
			return nil
		}
		// Wait until the window resets. The reset is announced in whole
		// seconds, which may be rounded down, so allow one more; jitter
		// keeps parallel requests from all returning at once.
		wait := b.Reset.Sub(now) + time.Second + rand.N(200*time.Millisecond)
		reset := b.Reset
		t.mu.Unlock()
		if err := t.wait(ctx, wait, reset); err != nil {
			return err
		}
		t.mu.Lock()
		if now := t.opts.Now(); !now.Before(t.budget.Reset) {
			t.refill(now)
		}
		t.mu.Unlock()
	}
}

// wait sleeps d for pacing unless d is beyond MaxPaceWait: a reset the
// server puts hours (or centuries) away must not hang a scheduled run.
func (t *Transport) wait(ctx context.Context, d time.Duration, reset time.Time) error {
	if d > t.opts.MaxPaceWait || d < 0 {
		return &PaceError{Reset: reset, Wait: d, Max: t.opts.MaxPaceWait}
	}
	return t.opts.Sleep(ctx, d)
}

// refill assumes, once a window is over, that the full limit is available
// again until the server says otherwise. Called with t.mu held.
func (t *Transport) refill(now time.Time) {
	if t.budget.Limit > 0 {
		t.budget.Remaining = t.budget.Limit
	} else {
		// No announced limit: allow one request to learn the new budget.
		t.budget.Remaining = t.opts.PaceReserve + 1
	}
	t.budget.Reset = now.Add(time.Second)
	t.guessed = true
}
