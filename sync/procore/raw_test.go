package procore

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
		w.Header().Set("X-Request-Id", "req-1")
		w.Header().Set("X-Rate-Limit-Limit", "3600")
		w.Header().Set("X-Rate-Limit-Remaining", "3599")
		if r.URL.Path == "/rest/v1.0/missing" {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"errors":"not found"}`))
			return
		}
		w.Write([]byte(`{"id":7}`))
	}))
	defer srv.Close()
	c := New(srv.Client(), srv.URL, 42)
	tests := []struct {
		path   string
		status int
		body   string
		errSub string
	}{
		{"/rest/v1.0/me", 200, `{"id":7}`, ""},
		{"/rest/v1.0/missing", 404, `{"errors":"not found"}`, ""},
		{"rest/v1.0/me", 0, "", "must start with a single /"},
		{"//evil.example/x", 0, "", "must start with a single /"},
		{"@evil.example/x", 0, "", "must start with a single /"},
	}
	for _, tt := range tests {
		n := len(got)
		status, h, body, err := c.Get(context.Background(), tt.path)
		if tt.errSub != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errSub) || len(got) != n {
				t.Errorf("Get(%q) = %v (requests %d→%d), want error %q and no request", tt.path, err, n, len(got), tt.errSub)
			}
			continue
		}
		if err != nil || status != tt.status || string(body) != tt.body {
			t.Errorf("Get(%q) = %d %q %v, want %d %q", tt.path, status, body, err, tt.status, tt.body)
			continue
		}
		if RequestID(h) != "req-1" {
			t.Errorf("Get(%q) request id = %q", tt.path, RequestID(h))
		}
		if r := got[len(got)-1]; r.Header.Get("Procore-Company-Id") != "42" || r.Method != http.MethodGet {
			t.Errorf("Get(%q) sent %s with company %q", tt.path, r.Method, r.Header.Get("Procore-Company-Id"))
		}
	}
}
