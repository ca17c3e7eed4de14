package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"
)

// TestDeviceCodePolling drives the polling loop through scripted token
// endpoint answers and checks the intervals it waited.
func TestDeviceCodePolling(t *testing.T) {
	pending := `400 {"error":"authorization_pending","error_description":"AADSTS70016: pending"}`
	ok := `200 {"access_token":"at-device-123","refresh_token":"rt-device-456","token_type":"Bearer","expires_in":3600}`
	tests := []struct {
		name      string
		interval  int
		expiresIn int
		answers   []string
		wantWaits []int // seconds
		wantErr   string
	}{
		{"approved after pending", 2, 900, []string{pending, pending, ok}, []int{2, 2, 2}, ""},
		{"slow_down adds five seconds", 1, 900, []string{pending, `400 {"error":"slow_down"}`, pending, ok}, []int{1, 1, 6, 6}, ""},
		{"declined", 1, 900, []string{pending, `400 {"error":"authorization_declined","error_description":"AADSTS70000: declined"}`}, []int{1, 1}, "declined"},
		{"expired at the server", 1, 900, []string{`400 {"error":"expired_token","error_description":"AADSTS70019: expired"}`}, []int{1}, "expired"},
		{"expired locally", 5, 12, []string{pending, pending, pending}, []int{5, 5}, "expired"},
		{"no interval means five", 0, 900, []string{ok}, []int{5}, ""},
		{"unexpected error", 1, 900, []string{`400 {"error":"invalid_client","error_description":"AADSTS7000218: bad"}`}, []int{1}, "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu gosync.Mutex
			polls := 0
			mux := http.NewServeMux()
			mux.HandleFunc("POST /t/oauth2/v2.0/devicecode", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, `{"device_code":"dc-secret-789","user_code":"ABCD1234","verification_uri":"https://microsoft.com/devicelogin","expires_in":%d,"interval":%d,"message":"To sign in, enter ABCD1234."}`, tt.expiresIn, tt.interval)
			})
			mux.HandleFunc("POST /t/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				if r.FormValue("device_code") != "dc-secret-789" || r.FormValue("grant_type") != "urn:ietf:params:oauth:grant-type:device_code" {
					t.Errorf("poll form = %v", r.Form)
				}
				a := tt.answers[min(polls, len(tt.answers)-1)]
				polls++
				var status int
				var body string
				fmt.Sscanf(a, "%d", &status)
				body = a[strings.Index(a, " ")+1:]
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				io.WriteString(w, body)
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			var waits []int
			var out strings.Builder
			store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
			// An older install's entry for this config, under the
			// provider-only key: a successful sign-in replaces it.
			if err := store.Save("graph", &Record{Provider: Graph, RefreshToken: "rt-legacy", LoginURL: srv.URL, Tenant: "t", ClientID: "c"}); err != nil {
				t.Fatal(err)
			}
			err := LoginGraph(context.Background(), GraphConfig{LoginURL: srv.URL, Tenant: "t", ClientID: "c"}, store, LoginOptions{
				Out: &out, NoBrowser: true,
				wait: func(_ context.Context, d time.Duration) error { waits = append(waits, int(d/time.Second)); return nil },
			})
			if fmt.Sprint(waits) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("waited %v s, want %v", waits, tt.wantWaits)
			}
			if !strings.Contains(out.String(), "To sign in, enter ABCD1234.") {
				t.Errorf("instructions not printed: %q", out.String())
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				if _, lerr := loadProvider(store, Graph); lerr == nil {
					t.Error("a failed sign-in stored tokens")
				}
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
	}
}
