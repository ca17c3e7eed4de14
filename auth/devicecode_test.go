package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestDeviceCodePolling drives x/oauth2's polling through scripted
// identity platform answers, inside a synctest bubble: the ticker runs on
// the bubble's clock, so the test checks the intervals between polls
// without sleeping through them. The endpoints are served in-process, with
// no network, so that nothing outside the bubble holds its clock back.
func TestDeviceCodePolling(t *testing.T) {
	pending := `400 {"error":"authorization_pending","error_description":"AADSTS70016: pending"}`
	ok := `200 {"access_token":"at-device-123","refresh_token":"rt-device-456","token_type":"Bearer","expires_in":3600}`
	tests := []struct {
		name       string
		interval   int
		expiresIn  int
		deviceCode string // the /devicecode answer; empty means a good one
		answers    []string
		wantWaits  []int // seconds between polls
		wantErr    []string
	}{
		{"approved after pending", 2, 900, "", []string{pending, pending, ok}, []int{2, 2, 2}, nil},
		{"slow_down adds five seconds", 1, 900, "", []string{pending, `400 {"error":"slow_down"}`, pending, ok}, []int{1, 1, 6, 6}, nil},
		{"declined", 1, 900, "", []string{pending, `400 {"error":"authorization_declined","error_description":"AADSTS70000: declined"}`}, []int{1, 1},
			[]string{"the sign-in was declined", "AADSTS70000: declined"}},
		{"expired at the server", 1, 900, "", []string{`400 {"error":"expired_token","error_description":"AADSTS70019: expired"}`}, []int{1},
			[]string{"the code expired", "AADSTS70019"}},
		{"expired locally", 5, 12, "", []string{pending, pending, pending}, []int{5, 5}, []string{"the code expired", "run the login again"}},
		{"no interval means five", 0, 900, "", []string{ok}, []int{5}, nil},
		{"unexpected error", 1, 900, "", []string{`400 {"error":"invalid_client","error_description":"AADSTS7000218: bad"}`}, []int{1},
			[]string{"400 invalid_client", "AADSTS7000218: bad"}},
		{"devicecode refused", 1, 900, `400 {"error":"unauthorized_client","error_description":"AADSTS700016: Application with identifier 'c' was not found"}`, nil, nil,
			[]string{"graph: device code sign-in: 400 unauthorized_client: AADSTS700016"}},
		{"devicecode malformed", 1, 900, `200 {"user_code":"ABCD1234"}`, nil, nil, []string{"malformed /devicecode answer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				var polls []time.Duration
				mux := http.NewServeMux()
				mux.HandleFunc("POST /t/oauth2/v2.0/devicecode", func(w http.ResponseWriter, r *http.Request) {
					if tt.deviceCode != "" {
						scripted(w, tt.deviceCode)
						return
					}
					fmt.Fprintf(w, `{"device_code":"dc-secret-789","user_code":"ABCD1234","verification_uri":"https://microsoft.com/devicelogin","expires_in":%d,"interval":%d,"message":"To sign in, enter ABCD1234."}`, tt.expiresIn, tt.interval)
				})
				mux.HandleFunc("POST /t/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
					if r.FormValue("device_code") != "dc-secret-789" || r.FormValue("grant_type") != "urn:ietf:params:oauth:grant-type:device_code" || r.FormValue("client_id") != "c" {
						t.Errorf("poll form = %v", r.Form)
					}
					scripted(w, tt.answers[min(len(polls), len(tt.answers)-1)])
					polls = append(polls, time.Since(start))
				})
				var out strings.Builder
				store := &FileStore{Path: filepath.Join(dir, "tokens.json")}
				// An older install's entry for this config, under the
				// provider-only key: a successful sign-in replaces it.
				if err := store.Save("graph", &Record{Provider: Graph, RefreshToken: "rt-legacy", LoginURL: "https://login.test", Tenant: "t", ClientID: "c"}); err != nil {
					t.Fatal(err)
				}
				err := LoginGraph(context.Background(), GraphConfig{LoginURL: "https://login.test", Tenant: "t", ClientID: "c"}, store, LoginOptions{
					Out: &out, NoBrowser: true, HTTPClient: &http.Client{Transport: serveInProcess{mux}},
				})
				var waits []int
				for i, p := range polls {
					prev := time.Duration(0)
					if i > 0 {
						prev = polls[i-1]
					}
					waits = append(waits, int((p-prev)/time.Second))
				}
				if fmt.Sprint(waits) != fmt.Sprint(tt.wantWaits) {
					t.Errorf("waited %v s, want %v", waits, tt.wantWaits)
				}
				if tt.deviceCode == "" && !strings.Contains(out.String(), "open the page https://microsoft.com/devicelogin and enter the code ABCD1234") {
					t.Errorf("the code and URL were not printed: %q", out.String())
				}
				if tt.wantErr != nil {
					for _, want := range tt.wantErr {
						if err == nil || !strings.Contains(err.Error(), want) {
							t.Errorf("err = %v, want %q", err, want)
						}
					}
					if _, lerr := loadProvider(store, Graph); lerr == nil {
						t.Error("a failed sign-in stored tokens")
					}
					assertNoSecrets(t, fmt.Sprint(err), "dc-secret-789")
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if r, err := loadProvider(store, Graph); err != nil || r.RefreshToken != "rt-device-456" {
					t.Errorf("stored %v, %v", r, err)
				}
				if _, err := store.Load("graph"); !errors.Is(err, ErrNoToken) {
					t.Errorf("the legacy entry outlived the new sign-in: %v", err)
				}
				assertNoSecrets(t, out.String(), "dc-secret-789", "at-device-123", "rt-device-456")
			})
		})
	}
}

// scripted writes an answer written as "STATUS JSON".
func scripted(w http.ResponseWriter, answer string) {
	status, body, _ := strings.Cut(answer, " ")
	code, _ := strconv.Atoi(status)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	io.WriteString(w, body)
}

// serveInProcess answers requests with h on the caller's goroutine.
type serveInProcess struct{ h http.Handler }

func (s serveInProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}
