package auth

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"procsync/sync/sim"
)

// TestLicenseScopeOnlyWithSKUs (issue 13.2): the Graph sign-in asks for
// LicenseAssignment.Read.All only when the config selects groups by
// licence, and status names the missing permission and where to grant it
// when the sign-in lacks it but groups.skus is configured.
func TestLicenseScopeOnlyWithSKUs(t *testing.T) {
	srv := startSim(t, sim.Options{})
	scopes := func(licence bool) (string, *FileStore, GraphConfig) {
		cfg := simGraphConfig(srv)
		cfg.LicenseRead = licence
		store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
		var out strings.Builder
		if err := LoginGraph(context.Background(), cfg, store, LoginOptions{Out: &out, Opener: followOpener(t, make(chan string, 1)), Timeout: 20 * time.Second}); err != nil {
			t.Fatal(err)
		}
		au, err := url.Parse(regexp.MustCompile(`http://\S+/authorize\?\S+`).FindString(out.String()))
		if err != nil {
			t.Fatal(err)
		}
		return au.Query().Get("scope"), store, cfg
	}
	without, store, cfg := scopes(false)
	if strings.Contains(without, LicenseScope) {
		t.Errorf("without groups.skus the sign-in asks for %q", without)
	}
	// Signed in without it, then groups.skus is configured: status says
	// so. A refresh meanwhile asks only for what the sign-in was granted:
	// the identity platform refuses a refresh for scopes never consented.
	cfg.LicenseRead = true
	srv.Sim.ExpireTokens("graph")
	var mu sync.Mutex
	var refreshScope []string
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/token") {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			if f, err := url.ParseQuery(string(b)); err == nil && f.Get("grant_type") == "refresh_token" {
				mu.Lock()
				refreshScope = append(refreshScope, f.Get("scope"))
				mu.Unlock()
			}
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: rt})
	info, err := GraphStatus(ctx, cfg, store)
	if err != nil || !info.SignedIn || info.Problem != "" {
		t.Fatalf("status = %+v, %v", info, err)
	}
	if len(refreshScope) != 1 || strings.Contains(refreshScope[0], LicenseScope) {
		t.Errorf("refresh scopes = %q, want one refresh without %s", refreshScope, LicenseScope)
	}
	for _, want := range []string{LicenseScope, "docs/setup.md#graph-licenseassignment-read-all", "groups.skus", "procsync login graph"} {
		if !strings.Contains(info.String(), want) {
			t.Errorf("status does not mention %q:\n%s", want, info)
		}
	}
	with, store, cfg := scopes(true)
	if !slices.Contains(strings.Fields(with), LicenseScope) {
		t.Errorf("with groups.skus the sign-in asks for %q", with)
	}
	if info, err := GraphStatus(context.Background(), cfg, store); err != nil || info.Warning != "" {
		t.Errorf("status after a sign-in with the permission = %+v, %v", info, err)
	}
}

// TestGrants reads delegated (scp) and application (roles) permissions.
func TestGrants(t *testing.T) {
	tests := []struct {
		token string
		want  bool
	}{
		{fakeJWT(`{"scp":"User.Read.All LicenseAssignment.Read.All"}`), true},
		{fakeJWT(`{"scp":"User.Read.All Mail.Send"}`), false},
		{fakeJWT(`{"roles":["GroupMember.Read.All","Organization.Read.All"]}`), true},
		{fakeJWT(`{"roles":["GroupMember.Read.All"]}`), false},
		{"opaque-token", true}, // cannot tell: not reported
	}
	for _, tt := range tests {
		if got := grants(tt.token, LicenseScopeAlternatives); got != tt.want {
			t.Errorf("grants(%s) = %v, want %v", tt.token, got, tt.want)
		}
	}
}
