package auth

import (
	"encoding/base64"
	"testing"

	"golang.org/x/oauth2"
)

// fakeJWT builds an unsigned JWT whose payload is claims, encoded as
// providers do (base64url without padding).
func fakeJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(claims)) + ".sig"
}

func TestJWTNames(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		app     string // appName(raw)
		idToken string // idTokenName of a token with id_token raw
	}{
		{"app and user names", fakeJWT(`{"app_displayname":"procsync","appid":"a-1","name":"Megan Bowen","preferred_username":"megan@contoso.com"}`),
			"app procsync", "Megan Bowen <megan@contoso.com>"},
		{"ids only", fakeJWT(`{"appid":"a-1","preferred_username":"megan@contoso.com"}`), "app a-1", "megan@contoso.com"},
		{"name only", fakeJWT(`{"name":"Megan Bowen"}`), "", "Megan Bowen"},
		{"padded payload", "h." + base64.URLEncoding.EncodeToString([]byte(`{"appid":"a-12"}`)) + ".s", "app a-12", ""},
		{"not a JWT", "opaque-token", "", ""},
		{"two parts", "a.b", "", ""},
		{"payload not base64", "a.!!!.c", "", ""},
		{"payload not JSON", "a." + base64.RawURLEncoding.EncodeToString([]byte("nope")) + ".c", "", ""},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := appName(tt.raw); got != tt.app {
				t.Errorf("appName = %q, want %q", got, tt.app)
			}
			tok := (&oauth2.Token{AccessToken: "x"}).WithExtra(map[string]any{"id_token": tt.raw})
			if got := idTokenName(tok); got != tt.idToken {
				t.Errorf("idTokenName = %q, want %q", got, tt.idToken)
			}
		})
	}
}
