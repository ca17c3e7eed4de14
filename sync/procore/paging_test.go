package procore

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"procsync/sync/internal/httpx"
)

// hostilePages answers a listing with whatever headers pages returns for
// the page asked; after 50 requests it answers 500, so that a client that
// does not stop on its own still ends (and the test sees how many it sent).
type hostilePages struct {
	pages func(base string, page int) (hdr map[string]string, items int)

	mu       sync.Mutex
	requests int
}

func (h *hostilePages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.requests++
	n := h.requests
	h.mu.Unlock()
	if n > 50 {
		http.Error(w, `{"message":"test server: too many requests"}`, http.StatusInternalServerError)
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	// base keeps the request's other parameters, as Procore's links do.
	q := r.URL.Query()
	q.Del("page")
	q.Del("per_page")
	base := "http://" + r.Host + r.URL.Path + "?" + q.Encode()
	hdr, items := h.pages(base, page)
	for k, v := range hdr {
		w.Header().Set(k, v)
	}
	vendors := make([]Vendor, items)
	for i := range vendors {
		vendors[i] = Vendor{ID: int64(page*1000 + i)}
	}
	_ = json.NewEncoder(w).Encode(vendors)
}

func (h *hostilePages) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.requests
}

func hostileClient(t *testing.T, h *hostilePages, opts ...Option) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	opts = append([]Option{WithRetry(httpx.Options{WaitScale: 0.001, MaxRetries: -1})}, opts...)
	return New(srv.Client(), srv.URL, 42, opts...)
}

// TestPagingLinkCycles: a Link rel="next" back to a page already read (the
// page itself, or A→B→A) stops the read with an error naming the loop,
// after as many requests as there are distinct pages.
func TestPagingLinkCycles(t *testing.T) {
	next := func(base string, page int) string {
		return fmt.Sprintf(`<%s&page=%d&per_page=2>; rel="next"`, base, page)
	}
	tests := []struct {
		name     string
		link     func(page int) int // the page that page links to
		requests int
	}{
		{"to itself", func(page int) int { return max(page, 2) }, 2},
		{"A to B to A", func(page int) int { return map[int]int{1: 2, 2: 3, 3: 2}[page] }, 3},
		{"back to the first page", func(page int) int { return map[int]int{1: 2, 2: 1}[page] }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &hostilePages{pages: func(base string, page int) (map[string]string, int) {
				return map[string]string{"Per-Page": "2", "Link": next(base, tt.link(page))}, 2
			}}
			c := hostileClient(t, h, WithPerPage(2))
			_, err := c.Vendors(context.Background())
			if err == nil || !strings.Contains(err.Error(), "links back to a page already read") {
				t.Fatalf("err = %v, want the loop named", err)
			}
			if got := h.count(); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
		})
	}
}

// TestPagingAbsurdHeaders: paging headers that are not plausible counts
// neither panic nor allocate by them: a Total beyond MaxListEntries (or
// one that would take more than maxPages requests) is refused after the
// first page; a negative Total or an absurd Per-Page counts as unknown.
func TestPagingAbsurdHeaders(t *testing.T) {
	tests := []struct {
		name, total, per string
		wantErr          string
		wantUsers        int
	}{
		{"max int64 total, one a page", "9223372036854775807", "1", "more than 1000000 entries", 0},
		{"a million, one a page", "1000000", "1", "more than 20000 requests", 0},
		{"beyond int64", "99999999999999999999999", "1", "", 3},
		{"negative total", "-5", "1000", "", 3},
		{"max int64 per page", "3", "9223372036854775807", "", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &hostilePages{pages: func(base string, page int) (map[string]string, int) {
				if page > 1 {
					return map[string]string{"Total": tt.total, "Per-Page": tt.per}, 0
				}
				return map[string]string{"Total": tt.total, "Per-Page": tt.per}, 3
			}}
			c := hostileClient(t, h)
			us, err := c.Vendors(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if got := h.count(); got != 1 {
					t.Errorf("%d requests, want only the first page", got)
				}
				return
			}
			if err != nil || len(us) != tt.wantUsers {
				t.Fatalf("read %d users, err %v; want %d", len(us), err, tt.wantUsers)
			}
		})
	}
}

// TestPagingKeepsLinksOnTheAPIHost: a next link to another host is not
// followed, so that the bearer token does not go there.
func TestPagingKeepsLinksOnTheAPIHost(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the other host got %s", r.URL)
	}))
	defer other.Close()
	h := &hostilePages{pages: func(_ string, page int) (map[string]string, int) {
		return map[string]string{"Link": fmt.Sprintf(`<%s/rest/v1.0/companies/42/users?page=%d>; rel="next"`, other.URL, page+1)}, 2
	}}
	c := hostileClient(t, h)
	if _, err := c.Vendors(context.Background()); err == nil || !strings.Contains(err.Error(), "another host") {
		t.Fatalf("err = %v", err)
	}
}

// TestPageSize: procsync asks for DefaultPerPage (1,000) and never more
// than MaxPerPage (2,000), Procore's recommended ceiling.
func TestPageSize(t *testing.T) {
	for _, tt := range []struct {
		opts []Option
		want string
	}{
		{nil, "1000"},
		{[]Option{WithPerPage(10000)}, "2000"},
		{[]Option{WithPerPage(500)}, "500"},
	} {
		var mu sync.Mutex
		var asked []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			asked = append(asked, r.URL.Query().Get("per_page"))
			mu.Unlock()
			fmt.Fprint(w, `[]`)
		}))
		c := New(srv.Client(), srv.URL, 42, tt.opts...)
		if _, err := c.Vendors(context.Background()); err != nil {
			t.Fatal(err)
		}
		srv.Close()
		mu.Lock()
		if len(asked) != 1 || asked[0] != tt.want {
			t.Errorf("per_page asked: %v, want %s", asked, tt.want)
		}
		mu.Unlock()
	}
}

// TestTransientStatusesAreRetried: Procore answers 408 when a page takes
// too long to build and documents 500 and 502 as transient; one such
// answer does not fail a directory read.
func TestTransientStatusesAreRetried(t *testing.T) {
	for _, status := range []int{http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			var mu sync.Mutex
			failed := false
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				first := !failed
				failed = true
				mu.Unlock()
				if first {
					w.WriteHeader(status)
					fmt.Fprint(w, `{"message":"try again"}`)
					return
				}
				w.Header().Set("Total", "1")
				w.Header().Set("Per-Page", "1000")
				fmt.Fprint(w, `[{"id":1}]`)
			}))
			defer srv.Close()
			c := New(srv.Client(), srv.URL, 42, WithRetry(httpx.Options{WaitScale: 0.001, MaxRetries: 2, BaseDelay: time.Millisecond}))
			if vs, err := c.Vendors(context.Background()); err != nil || len(vs) != 1 {
				t.Fatalf("vendors = %v, %v; want the page after one retry", vs, err)
			}
		})
	}
}
