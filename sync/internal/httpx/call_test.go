package httpx

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// answer is one scripted reply of callServer.
type answer struct {
	status int
	body   string
}

// seen is what callServer recorded of one request.
type seen struct {
	method, uri, body        string
	accept, ctype, extra, id string
}

// callServer answers the n-th request with answers[n], repeating the last,
// and records every request.
type callServer struct {
	mu      sync.Mutex
	answers []answer
	got     []seen
}

func (s *callServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	a := s.answers[min(len(s.got), len(s.answers)-1)]
	s.got = append(s.got, seen{method: r.Method, uri: r.URL.RequestURI(), body: string(b),
		accept: r.Header.Get("Accept"), ctype: r.Header.Get("Content-Type"),
		extra: r.Header.Get("X-Extra"), id: r.Header.Get("X-Send")})
	s.mu.Unlock()
	w.Header().Set("X-Answer", strconv.Itoa(a.status))
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func TestCall(t *testing.T) {
	big := `{"error":"` + strings.Repeat("x", MaxErrorBody) + `"}`
	tests := []struct {
		name    string
		method  string
		url     string // "/…" is below Base; "ABS/…" is the server URL + "/…"
		body    any
		noOut   bool
		answers []answer
		// want
		reads     int
		wantOut   string
		status    int // of the *CallError; -1: no *CallError expected
		malformed bool
		errBody   string
		wantURI   string
	}{
		{name: "GET decodes", method: "GET", url: "/v1/me?x=1", answers: []answer{{200, `{"name":"ana"}`}},
			reads: 1, wantOut: "ana", status: -1, wantURI: "/v1/me?x=1"},
		{name: "full URL sent as given", method: "GET", url: "ABS/next?page=2", answers: []answer{{200, `{"name":"bo"}`}},
			reads: 1, wantOut: "bo", status: -1, wantURI: "/next?page=2"},
		{name: "POST with body, no out", method: "POST", url: "/users", body: map[string]int{"a": 1}, noOut: true,
			answers: []answer{{201, `ignored`}}, reads: 1, status: -1, wantURI: "/users"},
		{name: "error status keeps the body", method: "POST", url: "/users?q=1", body: map[string]int{"a": 1},
			answers: []answer{{422, `{"errors":"taken"}`}}, reads: 1, status: 422, errBody: `{"errors":"taken"}`, wantURI: "/users?q=1"},
		{name: "error body is bounded", method: "GET", url: "/big", answers: []answer{{500, big}},
			reads: 1, status: 500, errBody: big[:MaxErrorBody], wantURI: "/big"},
		{name: "malformed GET is read again until it decodes", method: "GET", url: "/me",
			answers: []answer{{200, `{"name":`}, {200, `{"name":"cy"}`}}, reads: 2, wantOut: "cy", status: -1, wantURI: "/me"},
		{name: "malformed GET gives up after MaxMalformedReads", method: "GET", url: "/me",
			answers: []answer{{200, `{"name":`}}, reads: MaxMalformedReads, status: 200, malformed: true, wantURI: "/me"},
		{name: "malformed answer to a write is not sent again", method: "PATCH", url: "/me", body: map[string]int{},
			answers: []answer{{200, `nope`}}, reads: 1, status: 200, malformed: true, wantURI: "/me"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &callServer{answers: tc.answers}
			srv := httptest.NewServer(s)
			defer srv.Close()
			sends := 0
			ep := Endpoint{HC: srv.Client(), Base: srv.URL, Header: func(h http.Header) {
				sends++
				h.Set("X-Send", strconv.Itoa(sends))
			}}
			u := strings.Replace(tc.url, "ABS", srv.URL, 1)
			var out struct{ Name string }
			var dst any = &out
			if tc.noOut {
				dst = nil
			}
			h, err := ep.Call(context.Background(), tc.method, u, tc.body, http.Header{"X-Extra": {"e"}}, dst)

			if len(s.got) != tc.reads {
				t.Fatalf("server saw %d requests, want %d", len(s.got), tc.reads)
			}
			for i, g := range s.got {
				if g.method != tc.method || g.uri != tc.wantURI || g.accept != "application/json" || g.extra != "e" {
					t.Errorf("request %d = %+v, want %s %s with Accept and X-Extra", i, g, tc.method, tc.wantURI)
				}
				if g.id != strconv.Itoa(i+1) {
					t.Errorf("request %d carried X-Send %q: Endpoint.Header must run for every send", i, g.id)
				}
				if wantCT := tc.body != nil; (g.ctype == "application/json") != wantCT {
					t.Errorf("request %d Content-Type %q with body %v", i, g.ctype, tc.body)
				}
				if tc.body != nil && !strings.HasPrefix(g.body, "{") {
					t.Errorf("request %d body %q, want JSON", i, g.body)
				}
			}
			if h.Get("X-Answer") == "" {
				t.Errorf("answer header not returned: %v", h)
			}
			var ce *CallError
			if tc.status == -1 {
				if err != nil {
					t.Fatalf("Call: %v", err)
				}
				if out.Name != tc.wantOut {
					t.Errorf("decoded %q, want %q", out.Name, tc.wantOut)
				}
				return
			}
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T), want *CallError", err, err)
			}
			if ce.Status != tc.status || ce.Malformed != tc.malformed || ce.Request != tc.method+" "+tc.wantURI {
				t.Errorf("CallError = %+v, want status %d malformed %v request %q", ce, tc.status, tc.malformed, tc.method+" "+tc.wantURI)
			}
			if ce.Header.Get("X-Answer") != strconv.Itoa(tc.status) {
				t.Errorf("CallError.Header = %v", ce.Header)
			}
			if tc.malformed && ce.Err == nil {
				t.Error("a malformed answer must carry the decode error")
			}
			if string(ce.Body) != tc.errBody {
				t.Errorf("CallError.Body = %.80q…, want %.80q… (%d vs %d bytes)", ce.Body, tc.errBody, len(ce.Body), len(tc.errBody))
			}
			if !tc.malformed {
				resp := ce.Response()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tc.status || string(b) != tc.errBody {
					t.Errorf("Response() = %d %.80q", resp.StatusCode, b)
				}
			}
		})
	}
}

func TestCallFailsWithoutAnswer(t *testing.T) {
	// A port that was listening a moment ago: the connection is refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	l.Close()

	s := &callServer{answers: []answer{{200, `{}`}}}
	live := httptest.NewServer(s)
	defer live.Close()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name string
		ep   Endpoint
		ctx  context.Context
		body any
		// want
		callErr bool
		is      error
	}{
		{name: "connection refused", ep: Endpoint{HC: http.DefaultClient, Base: base}, ctx: context.Background(), callErr: true},
		{name: "context ended", ep: Endpoint{HC: live.Client(), Base: live.URL}, ctx: canceled, is: context.Canceled},
		{name: "body does not encode", ep: Endpoint{HC: live.Client(), Base: live.URL}, ctx: context.Background(), body: make(chan int)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.ep.Call(tc.ctx, http.MethodPost, "/x", tc.body, nil, nil)
			if err == nil {
				t.Fatal("no error")
			}
			var ce *CallError
			if errors.As(err, &ce) != tc.callErr {
				t.Fatalf("error %v (%T): *CallError %v, want %v", err, err, !tc.callErr, tc.callErr)
			}
			if tc.callErr {
				var ue *url.Error
				if ce.Status != 0 || ce.Err == nil || errors.As(ce.Err, &ue) || ce.Request != "POST /x" || ce.Response() != nil {
					t.Errorf("CallError = %+v (Err %T): want status 0 and the bare transport error", ce, ce.Err)
				}
				if strings.Contains(err.Error(), base) {
					t.Errorf("error %q repeats the URL", err)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v, want %v", err, tc.is)
			}
		})
	}
	if len(s.got) != 0 {
		t.Errorf("the live server saw %d requests; nothing should have been sent", len(s.got))
	}
}

func TestOptionPlumbing(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		// want
		maxRetries int
		waitScale  float64
	}{
		{name: "setters", opts: []Option{MaxRetries(3), WaitScale(0.5)}, maxRetries: 3, waitScale: 0.5},
		{name: "Replace drops what was set before", opts: []Option{WaitScale(0.5), MaxRetries(9), Replace(Options{MaxRetries: 2})},
			maxRetries: 2},
		{name: "setters after Replace change it", opts: []Option{Replace(Options{MaxRetries: 2}), WaitScale(0.1)},
			maxRetries: 2, waitScale: 0.1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o Options
			for _, f := range tc.opts {
				f(&o)
			}
			if o.MaxRetries != tc.maxRetries || o.WaitScale != tc.waitScale {
				t.Errorf("got MaxRetries %d WaitScale %v, want %d %v", o.MaxRetries, o.WaitScale, tc.maxRetries, tc.waitScale)
			}
		})
	}
}
