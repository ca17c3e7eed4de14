package httpx

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCallRefusesAnEndlessAnswer(t *testing.T) {
	var reads atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reads.Add(1)
		w.WriteHeader(200)
		// A JSON string that never ends (as far as the bound goes).
		io.WriteString(w, `{"value":"`)
		chunk := strings.Repeat("x", 1<<10)
		for i := 0; i < 64; i++ {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	ep := Endpoint{HC: srv.Client(), Base: srv.URL, MaxBody: 16 << 10}
	var out map[string]any
	_, err := ep.Call(context.Background(), http.MethodGet, "/v1.0/users?$top=999", nil, nil, &out)
	var ce *CallError
	if !errors.As(err, &ce) || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want a *CallError matching ErrTooLarge", err)
	}
	if !strings.Contains(err.Error(), "GET /v1.0/users?$top=999") || !strings.Contains(err.Error(), "16384 bytes") {
		t.Errorf("error %q does not name the request and the bound", err)
	}
	if n := reads.Load(); n != 1 {
		t.Errorf("the answer was read %d times; a too large answer is not a garbled one to read again", n)
	}
}

func TestDecodeJSONBound(t *testing.T) {
	if MaxBody != 32<<20 || size(MaxBody) != "32 MiB" {
		t.Errorf("MaxBody = %d (%s); SECURITY.md and the docs say 32 MiB", MaxBody, size(MaxBody))
	}
}

func TestDecodeJSONAtTheBound(t *testing.T) {
	body := `{"a":"` + strings.Repeat("x", 100) + `"}`
	var out map[string]string
	if err := decodeJSON(strings.NewReader(body), &out, int64(len(body))); err != nil || len(out["a"]) != 100 {
		t.Fatalf("a body of exactly the bound: %v", err)
	}
	if err := decodeJSON(strings.NewReader(body), &out, int64(len(body)-1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a body one byte over the bound: err = %v, want ErrTooLarge", err)
	}
}

// Answers are decoded as leniently as encoding/json did: a name in another
// case, invalid UTF-8 (replaced) and a repeated name (the last wins) do not
// fail a run; a null leaves the zero value; malformed JSON still fails.
func TestDecodeJSONLeniency(t *testing.T) {
	type user struct {
		Mail    string   `json:"mail"`
		Name    string   `json:"displayName"`
		Proxies []string `json:"proxyAddresses"`
		Enabled bool     `json:"accountEnabled"`
	}
	var u user
	body := "{\"Mail\":\"a@x.com\",\"displayName\":\"Ren\xe9\",\"accountEnabled\":false,\"accountEnabled\":true,\"proxyAddresses\":null,\"extra\":{\"n\":[1,2]}}"
	if err := DecodeJSON(strings.NewReader(body), &u); err != nil {
		t.Fatal(err)
	}
	if u.Mail != "a@x.com" || u.Name != "Ren\uFFFD" || !u.Enabled || u.Proxies != nil {
		t.Errorf("decoded %+v", u)
	}
	for _, bad := range []string{`{"mail":`, `{"mail":"a"}x`, `{"mail":1}`, `[1,]`} {
		if err := DecodeJSON(strings.NewReader(bad), &u); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestCallErrorTextIsSanitised(t *testing.T) {
	const osc52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
	const osc8 = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
	tests := []struct {
		name string
		err  *CallError
	}{
		{"error body", &CallError{Request: "GET /x", Status: 400, Body: []byte(`{"message":"bad ` + osc52 + osc8 + `"}`)}},
		{"transport error", &CallError{Request: "GET /x", Err: errors.New("reset by " + osc52)}},
		{"malformed answer", &CallError{Request: "GET /x", Status: 200, Malformed: true, Err: errors.New("invalid character " + osc8)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if s := tc.err.Error(); strings.ContainsAny(s, "\x1b\x07") {
				t.Errorf("Error() = %q carries terminal escape sequences", s)
			}
		})
	}
}

func TestBaseTransportBoundsEveryWait(t *testing.T) {
	g, ok := BaseTransport().(*stallGuard)
	if !ok {
		t.Fatalf("BaseTransport() is %T, want the stall guard over an *http.Transport", BaseTransport())
	}
	tr, ok := g.base.(*http.Transport)
	if !ok {
		t.Fatalf("base is %T, want *http.Transport", g.base)
	}
	if tr.ResponseHeaderTimeout <= 0 || tr.TLSHandshakeTimeout <= 0 || tr.DialContext == nil || g.idle <= 0 {
		t.Errorf("unbounded: header %v, TLS %v, dial set %v, body stall %v",
			tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout, tr.DialContext != nil, g.idle)
	}
	if tr.Proxy == nil {
		t.Error("the proxy from the environment is not honoured")
	}
}

func TestStalledBodyFails(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		io.WriteString(w, `{"value":[`)
		w.(http.Flusher).Flush()
		// Then nothing, until the test ends.
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	hc := &http.Client{Transport: &stallGuard{base: srv.Client().Transport, idle: 20 * time.Millisecond}}
	ep := Endpoint{HC: hc, Base: srv.URL}
	var out map[string]any
	_, err := ep.Call(context.Background(), http.MethodPost, "/slow", nil, nil, &out)
	if !errors.Is(err, ErrStalled) {
		t.Fatalf("err = %v, want ErrStalled", err)
	}
	if !strings.Contains(err.Error(), "POST /slow") {
		t.Errorf("error %q does not name the request", err)
	}
}
