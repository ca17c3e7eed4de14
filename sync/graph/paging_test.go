package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// linkServer answers every GET of /v1.0/groups with one group and the
// nextLink that next returns for the request's "p" parameter.
func linkServer(t *testing.T, next func(base, p string) string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) > 50 {
			// The client under test loops: fail loudly rather than spin.
			http.Error(w, "too many requests in this test", http.StatusTeapot)
			return
		}
		link := next(srv.URL, r.URL.Query().Get("p"))
		body := `{"value":[{"id":"g","displayName":"License – E3"}]`
		if link != "" {
			body += fmt.Sprintf(`,"@odata.nextLink":%q`, link)
		}
		fmt.Fprint(w, body+"}")
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestNextLinkCycleStops covers issue 14 item 6 for Graph: a nextLink that
// leads back to a page already read (A→A, A→B→A, A→B→C→B) ends the listing
// with an error naming the loop, after one request per distinct page.
func TestNextLinkCycleStops(t *testing.T) {
	tests := []struct {
		name  string
		links map[string]string // page → its nextLink's page
		reqs  int64
	}{
		{"self", map[string]string{"": "a", "a": "a"}, 2},
		{"A→B→A", map[string]string{"": "a", "a": "b", "b": "a"}, 3},
		{"back to the first page", map[string]string{"": "a", "a": "first"}, 2},
		{"A→B→C→B", map[string]string{"": "a", "a": "b", "b": "c", "c": "b"}, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := linkServer(t, func(base, p string) string {
				nx, ok := tc.links[p]
				if !ok {
					return ""
				}
				if nx == "first" {
					// Exactly the URL the client asked for first.
					return base + "/v1.0/groups?" + query("$filter", PrefixFilter([]string{"License"}), "$select", "id,displayName", "$top", "999")
				}
				return base + "/v1.0/groups?p=" + nx
			})
			c := New(srv.Client(), srv.URL)
			_, err := c.GroupsByPrefix(context.Background(), []string{"License"})
			var ge *Error
			if !errors.As(err, &ge) || !strings.Contains(ge.Message, "already read") {
				t.Fatalf("err = %v, want a *graph.Error about a page already read", err)
			}
			if got := n.Load(); got != tc.reqs {
				t.Errorf("%d requests, want %d (one per distinct page)", got, tc.reqs)
			}
		})
	}
}

// TestNextLinkToForeignHostRefused covers issue 15: a nextLink to another
// host is never followed, because the request would carry the bearer
// token there. The foreign server must see no request at all.
func TestNextLinkToForeignHostRefused(t *testing.T) {
	var foreign atomic.Int64
	var auth atomic.Value
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreign.Add(1)
		auth.Store(r.Header.Get("Authorization"))
		fmt.Fprint(w, `{"value":[]}`)
	}))
	defer evil.Close()
	for _, link := range []string{
		evil.URL + "/v1.0/groups?p=2",
		// Same host name, another port.
		strings.Replace(evil.URL, "127.0.0.1", "localhost", 1) + "/v1.0/groups",
	} {
		srv, _ := linkServer(t, func(base, p string) string {
			if p == "" {
				return link
			}
			return ""
		})
		hc := &http.Client{Transport: bearerRT{"secret-token"}}
		c := New(hc, srv.URL)
		_, err := c.GroupsByPrefix(context.Background(), []string{"License"})
		if err == nil || !strings.Contains(err.Error(), "another host") {
			t.Errorf("nextLink %s: err = %v, want a refusal naming another host", link, err)
		}
	}
	if n := foreign.Load(); n != 0 {
		t.Fatalf("the foreign host got %d requests (Authorization %q)", n, auth.Load())
	}
}

// bearerRT adds a bearer token to every request, as auth's transport does.
type bearerRT struct{ tok string }

func (b bearerRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.tok)
	return http.DefaultTransport.RoundTrip(r)
}

// TestServerErrorTextIsCleaned covers issue 14 item 11 for Graph: the
// code, message and request id of an error answer come from the server
// and are cleaned of terminal escapes when parsed.
func TestServerErrorTextIsCleaned(t *testing.T) {
	for _, body := range []string{
		`{"error":{"code":"Bad\u001b[2JCode","message":"denied \u001b]52;c;ZWNobyBwd25lZA==\u0007now\u001b[31m red","innerError":{"request-id":"r\u001b[1m-1"}}}`,
		"plain \x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ text",
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, body)
		}))
		c := New(srv.Client(), srv.URL, WithMaxRetries(-1))
		_, err := c.SubscribedSKUs(context.Background())
		srv.Close()
		if err == nil {
			t.Fatal("no error")
		}
		if strings.ContainsAny(err.Error(), "\x1b\x07") {
			t.Errorf("error text keeps escapes: %q", err)
		}
		if !strings.Contains(err.Error(), "LicenseAssignment.Read.All") {
			t.Errorf("403 does not name the permission: %q", err)
		}
	}
}

// TestUploadURLChecked: an uploadUrl that is not http(s) with a host is
// refused before any byte is sent, and the draft is deleted.
func TestUploadURLChecked(t *testing.T) {
	for _, bad := range []string{"ftp://files.example/up", "/relative/up", ""} {
		var deleted, puts atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.Method == http.MethodPut:
				puts.Add(1)
			case r.Method == http.MethodDelete:
				deleted.Add(1)
				w.WriteHeader(http.StatusNoContent)
			case strings.HasSuffix(r.URL.Path, "/createUploadSession"):
				w.WriteHeader(http.StatusCreated)
				fmt.Fprintf(w, `{"uploadUrl":%q}`, bad)
			case strings.HasSuffix(r.URL.Path, "/messages"):
				w.WriteHeader(http.StatusCreated)
				fmt.Fprint(w, `{"id":"m1"}`)
			default:
				http.NotFound(w, r)
			}
		}))
		c := New(srv.Client(), srv.URL)
		err := c.SendMail(context.Background(), "", Message{Subject: "s", HTML: "x", To: []string{"a@b.c"},
			Attachments: []Attachment{{Name: "r.zip", Data: make([]byte, MaxInlineAttachment)}}})
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), "unusable uploadUrl") {
			t.Errorf("uploadUrl %q: err = %v", bad, err)
		}
		if puts.Load() != 0 || deleted.Load() != 1 {
			t.Errorf("uploadUrl %q: %d PUTs, %d draft deletions", bad, puts.Load(), deleted.Load())
		}
	}
}
