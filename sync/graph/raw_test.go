package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	var got []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r)
		w.Header().Set("request-id", "g-1")
		if r.URL.Path == "/v1.0/nope" {
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"error":{"code":"Authorization_RequestDenied"}}`))
			return
		}
		w.Write([]byte(`{"value":[]}`))
	}))
	defer srv.Close()
	c := New(srv.Client(), srv.URL)
	tests := []struct {
		path   string
		status int
		body   string
		errSub string
	}{
		{"/v1.0/groups?$top=1", 200, `{"value":[]}`, ""},
		{"/v1.0/nope", 403, `{"error":{"code":"Authorization_RequestDenied"}}`, ""},
		{"v1.0/me", 0, "", "must start with a single /"},
		{"//evil.example/v1.0/me", 0, "", "must start with a single /"},
	}
	for _, tt := range tests {
		n := len(got)
		status, h, body, err := c.Get(context.Background(), tt.path)
		if tt.errSub != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errSub) || len(got) != n {
				t.Errorf("Get(%q) = %v, want error %q and no request", tt.path, err, tt.errSub)
			}
			continue
		}
		if err != nil || status != tt.status || string(body) != tt.body || h.Get("request-id") != "g-1" {
			t.Errorf("Get(%q) = %d %q %v, want %d %q", tt.path, status, body, err, tt.status, tt.body)
			continue
		}
		r := got[len(got)-1]
		if r.Header.Get("client-request-id") == "" || r.URL.RequestURI() != tt.path {
			t.Errorf("Get(%q) sent %s without client-request-id or to %s", tt.path, r.Method, r.URL.RequestURI())
		}
	}
}
