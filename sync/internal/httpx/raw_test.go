package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
)

func TestRawGet(t *testing.T) {
	var got []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r)
		w.Header().Set("X-Request-Id", "req-1")
		switch r.URL.Path {
		case "/api/missing":
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"errors":"not found"}`))
		case "/api/big":
			w.Write([]byte(strings.Repeat("x", 100)))
		default:
			w.Write([]byte(`{"id":7}`))
		}
	}))
	defer srv.Close()
	// A server that is gone: the request is sent and no answer arrives.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	base := srv.URL + "/api"
	tests := []struct {
		name   string
		ctx    context.Context
		base   string
		path   string
		max    int64
		status int
		body   string
		uri    string // request URI the server must see; "" = no request
		errIs  error
		noAns  bool
	}{
		{name: "ok", base: base, path: "/me?x=1", status: 200, body: `{"id":7}`, uri: "/api/me?x=1"},
		{name: "error status is an answer", base: base, path: "/missing", status: 404, body: `{"errors":"not found"}`, uri: "/api/missing"},
		{name: "body cut at max", base: base, path: "/big", max: 10, status: 200, body: "xxxxxxxxxx", uri: "/api/big"},
		{name: "relative path", base: base, path: "me", errIs: ErrRawPath},
		{name: "empty path", base: base, path: "", errIs: ErrRawPath},
		{name: "other host", base: base, path: "//evil.example/x", errIs: ErrRawPath},
		{name: "userinfo", base: base, path: "@evil.example/x", errIs: ErrRawPath},
		{name: "base with a user", base: strings.Replace(srv.URL, "://", "://u@", 1), path: "/me", errIs: ErrOtherHost},
		{name: "no answer", base: gone.URL, path: "/me", noAns: true},
		{name: "cancelled", ctx: cancelled, base: base, path: "/me", errIs: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			max := tt.max
			if max == 0 {
				max = 1 << 20
			}
			hdr := http.Header{"Accept": {"application/json"}, "X-Company": {"42"}}
			n := len(got)
			status, h, body, err := RawGet(ctx, srv.Client(), tt.base, tt.path, hdr, max)
			switch {
			case tt.errIs != nil:
				if !errors.Is(err, tt.errIs) {
					t.Fatalf("err = %v, want %v", err, tt.errIs)
				}
			case tt.noAns:
				var na *NoAnswerError
				if !errors.As(err, &na) || !errors.Is(err, syscall.ECONNREFUSED) {
					t.Fatalf("err = %T %v, want *NoAnswerError wrapping ECONNREFUSED", err, err)
				}
				if strings.Contains(err.Error(), gone.URL) {
					t.Errorf("err %q repeats the URL", err)
				}
			default:
				if err != nil || status != tt.status || string(body) != tt.body || h.Get("X-Request-Id") != "req-1" {
					t.Fatalf("= %d %q %v (request id %q), want %d %q", status, body, err, h.Get("X-Request-Id"), tt.status, tt.body)
				}
			}
			if tt.uri == "" {
				if len(got) != n {
					t.Fatalf("sent %d requests, want none", len(got)-n)
				}
				return
			}
			if len(got) != n+1 {
				t.Fatalf("sent %d requests, want 1", len(got)-n)
			}
			r := got[n]
			if r.Method != http.MethodGet || r.URL.RequestURI() != tt.uri ||
				r.Header.Get("Accept") != "application/json" || r.Header.Get("X-Company") != "42" {
				t.Errorf("sent %s %s with headers %v", r.Method, r.URL.RequestURI(), r.Header)
			}
		})
	}
}
