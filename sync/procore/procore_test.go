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

	"procsync/sync/internal/httpx"
)

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		hdr    string
		want   string
	}{
		{"field errors", 422, `{"errors":{"email_address":["has already been taken"]}}`, "7f3c",
			"procore: create user ana@contoso.com: 422 email_address has already been taken (request 7f3c)"},
		{"message", 403, `{"message":"App is not connected to this company"}`, "",
			"procore: create user ana@contoso.com: 403 App is not connected to this company. " +
				"creating, changing, reactivating or deactivating company users needs Admin on the company Directory tool " +
				"(changing an email address needs Directory Admin too); see docs/setup.md#procore-directory-admin"},
		{"not json", 502, `<html>bad gateway</html>`, "",
			"procore: create user ana@contoso.com: 502 <html>bad gateway</html>"},
		{"empty", 500, ``, "r1", "procore: create user ana@contoso.com: 500 Internal Server Error (request r1)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.hdr != "" {
					w.Header().Set("X-Request-Id", tc.hdr)
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			c := New(srv.Client(), srv.URL, 1, WithRetry(retryFast))
			_, err := c.CreateUser(context.Background(), UserInput{EmailAddress: "ana@contoso.com", LastName: "Diaz"})
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant  %s", err, tc.want)
			}
		})
	}
}

// pagedUsers serves n users at a clamped page size, with or without the
// Total header, and counts requests and missing company headers.
type pagedUsers struct {
	n, maxPer int
	noTotal   bool
	mu        sync.Mutex
	requests  int
	noCompany int
}

func (p *pagedUsers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests++
	if r.Header.Get("Procore-Company-Id") != "42" {
		p.noCompany++
	}
	p.mu.Unlock()
	n := p.n
	if r.URL.Path == "/rest/v1.0/companies/42/users/inactive" {
		n = p.n / 10
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	per = min(per, p.maxPer)
	w.Header().Set("Per-Page", strconv.Itoa(per))
	if !p.noTotal {
		w.Header().Set("Total", strconv.Itoa(n))
	}
	if page*per < n {
		w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?page=%d&per_page=%d>; rel="next"`, r.Host, r.URL.Path, page+1, per))
	}
	users := []User{}
	base := int64(0)
	if n != p.n {
		base = 1_000_000
	}
	for i := (page - 1) * per; i < min(page*per, n); i++ {
		users = append(users, User{ID: base + int64(i), IsActive: base == 0})
	}
	json.NewEncoder(w).Encode(users)
}

func TestUsersReadsEverything(t *testing.T) {
	tests := []struct {
		name    string
		noTotal bool
		conc    int
	}{
		{"parallel with Total", false, 6},
		{"following Link", true, 6},
		{"sequential", false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &pagedUsers{n: 5000, maxPer: 300, noTotal: tc.noTotal}
			srv := httptest.NewServer(p)
			defer srv.Close()
			c := New(srv.Client(), srv.URL, 42, WithConcurrency(tc.conc))
			us, err := c.Users(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[int64]bool{}
			for _, u := range us {
				if seen[u.ID] {
					t.Fatalf("user %d twice", u.ID)
				}
				seen[u.ID] = true
			}
			if len(us) != 5500 {
				t.Fatalf("read %d users, want 5500", len(us))
			}
			// 17 pages active + 2 inactive is the minimum.
			if p.requests != 19 || p.noCompany != 0 {
				t.Errorf("%d requests (%d without company header), want 19 (0)", p.requests, p.noCompany)
			}
		})
	}
}

func TestFormatErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"boom"`, "boom"},
		{`["a","b"]`, "a; b"},
		{`{"last_name":["can't be blank"],"email_address":["is invalid","is taken"]}`,
			"email_address is invalid; email_address is taken; last_name can't be blank"},
		{`null`, ""},
	}
	for _, tc := range tests {
		if got := FormatErrors(json.RawMessage(tc.in)); got != tc.want {
			t.Errorf("FormatErrors(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// retryFast keeps retry waits tiny in tests.
var retryFast = httpx.Options{WaitScale: 0.001}

func TestShortReadIsAnError(t *testing.T) {
	var requests int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		w.Header().Set("Total", "3")
		w.Header().Set("Per-Page", "1000")
		fmt.Fprint(w, `[{"id":1},{"id":2}]`)
	}))
	defer srv.Close()
	c := New(srv.Client(), srv.URL, 42)
	_, err := c.Vendors(context.Background())
	want := "procore: list vendors: read 2 entries but the server reports 3 (the list changed during the read); try again"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	if requests != 2 {
		t.Errorf("%d requests, want 2 (one fresh read before giving up)", requests)
	}
}

func TestLinkToAnotherHostIsRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<http://example.invalid/rest/v1.0/x?page=2>; rel="next"`)
		fmt.Fprint(w, `[{"id":1}]`)
	}))
	defer srv.Close()
	c := New(srv.Client(), srv.URL, 42, WithConcurrency(1))
	_, err := c.Vendors(context.Background())
	if err == nil || !strings.Contains(err.Error(), "another host") {
		t.Fatalf("err = %v, want a refusal to follow the link", err)
	}
}

func TestSyncUsersBatchesAndRetries(t *testing.T) {
	tests := []struct {
		name      string
		users     int
		noOrigin  int // index of an entry without origin_id, or -1
		wantCalls int
		wantErr   bool
	}{
		// 2,500 entries → 3 batches; the first answer is lost once and the
		// batch is repeated because every entry carries an origin_id.
		{"repeatable", 2500, -1, 4, false},
		// One entry without id or origin_id: the lost answer is not
		// repeated, and the error stops the run.
		{"not repeatable", 2500, 10, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu      sync.Mutex
				sizes   []int
				dropped bool
			)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var body struct {
					Updates []SyncUser `json:"updates"`
				}
				json.NewDecoder(r.Body).Decode(&body)
				mu.Lock()
				sizes = append(sizes, len(body.Updates))
				first := !dropped
				dropped = true
				mu.Unlock()
				if first {
					c, _, _ := http.NewResponseController(w).Hijack()
					c.Close()
					return
				}
				out := map[string]any{"entities": body.Updates[:len(body.Updates)-1],
					"errors": []any{map[string]any{"email_address": body.Updates[len(body.Updates)-1].EmailAddress,
						"errors": map[string][]string{"email_address": {"is invalid"}}}}}
				json.NewEncoder(w).Encode(out)
			}))
			defer srv.Close()
			c := New(srv.Client(), srv.URL, 42, WithRetry(retryFast))
			us := make([]SyncUser, tc.users)
			for i := range us {
				us[i].EmailAddress = fmt.Sprintf("u%d@contoso.com", i)
				us[i].LastName = "X"
				if i != tc.noOrigin {
					us[i].OriginID = fmt.Sprintf("oid-%d", i)
				}
			}
			res, err := c.SyncUsers(context.Background(), us)
			mu.Lock()
			defer mu.Unlock()
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if len(sizes) != tc.wantCalls {
				t.Fatalf("batches sent %v, want %d requests", sizes, tc.wantCalls)
			}
			for _, n := range sizes {
				if n > MaxSyncBatch {
					t.Fatalf("batch of %d", n)
				}
			}
			if !tc.wantErr {
				if len(res.Entities) != 2497 || len(res.Errors) != 3 || res.Errors[0].Message() != "email_address is invalid" {
					t.Fatalf("result: %d entities, errors %+v", len(res.Entities), res.Errors)
				}
			}
		})
	}
}

// FuzzDecoders feeds arbitrary bytes to the decoders of Procore answers:
// they may refuse, never panic.
func FuzzDecoders(f *testing.F) {
	for _, s := range []string{`{"errors":{"email_address":["has already been taken"]}}`, `"x"`, `[1,"a",{"b":[2]}]`,
		`[{"id":1,"employee_id":7,"origin_id":null,"vendor":{"id":2,"name":"V"},"created_at":"2024-01-02T03:04:05Z"}]`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		FormatErrors(json.RawMessage(b))
		var us []User
		_ = json.Unmarshal(b, &us)
		var se SyncError
		_ = json.Unmarshal(b, &se)
		linkNext(string(b))
	})
}
