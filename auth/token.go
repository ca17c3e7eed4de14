package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"procsync/internal/safetext"
)

// tokenJSON is a token endpoint's answer, success or error (RFC 6749 5.1, 5.2).
type tokenJSON struct {
	AccessToken      string      `json:"access_token"`
	TokenType        string      `json:"token_type"`
	RefreshToken     string      `json:"refresh_token"`
	ExpiresIn        json.Number `json:"expires_in"`
	IDToken          string      `json:"id_token"`
	Error            string      `json:"error"`
	ErrorDescription string      `json:"error_description"`
}

// postToken POSTs a form to a token endpoint and decodes the answer. Errors
// carry the provider's error code and description, never the request (it
// holds codes, secrets or refresh tokens) nor a raw body (it may hold tokens).
func postToken(ctx context.Context, client *http.Client, op, tokenURL string, form url.Values) (*oauth2.Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, redactURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: read answer: %w", op, err)
	}
	var tj tokenJSON
	jsonErr := json.Unmarshal(body, &tj)
	if jsonErr != nil {
		if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" || ct == "text/plain" {
			if v, err := url.ParseQuery(string(body)); err == nil {
				tj = tokenJSON{AccessToken: v.Get("access_token"), TokenType: v.Get("token_type"), RefreshToken: v.Get("refresh_token"),
					ExpiresIn: json.Number(v.Get("expires_in")), Error: v.Get("error"), ErrorDescription: v.Get("error_description")}
				jsonErr = nil
			}
		}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 || tj.Error != "" {
		code := tj.Error
		if code == "" {
			code = http.StatusText(resp.StatusCode)
		}
		return nil, &ProviderError{Op: op, Code: safetext.Line(code), Description: safetext.Text(tj.ErrorDescription), Status: resp.StatusCode}
	}
	if jsonErr != nil {
		return nil, fmt.Errorf("%s: %d answer is not JSON (%s)", op, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if tj.AccessToken == "" {
		return nil, fmt.Errorf("%s: the answer has no access_token", op)
	}
	tok := &oauth2.Token{AccessToken: tj.AccessToken, TokenType: tj.TokenType, RefreshToken: tj.RefreshToken}
	if n, err := tj.ExpiresIn.Int64(); err == nil && n > 0 {
		tok.Expiry = time.Now().Add(time.Duration(n) * time.Second)
		tok.ExpiresIn = n
	}
	if tj.IDToken != "" {
		tok = tok.WithExtra(map[string]any{"id_token": tj.IDToken})
	}
	return tok, nil
}

// redactURLError drops the URL from a transport error: token endpoints do
// not carry secrets in URLs, but callers of this helper might one day.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, redactQuery(ue.URL), ue.Err)
	}
	return err
}

func redactQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(url)"
	}
	u.RawQuery = ""
	return u.String()
}

// convertError turns oauth2's RetrieveError into a ProviderError, whose
// message has the code and description but not the body.
func convertError(op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		pe := &ProviderError{Op: op, Code: safetext.Line(re.ErrorCode), Description: safetext.Text(re.ErrorDescription)}
		if re.Response != nil {
			pe.Status = re.Response.StatusCode
		}
		if pe.Code == "" && re.Response != nil {
			pe.Code = http.StatusText(re.Response.StatusCode)
		}
		return pe
	}
	return fmt.Errorf("%s: %w", op, redactURLError(err))
}

// jwtClaims decodes the claims (payload) of the JWT raw into v, reporting
// whether raw was a JWT with a JSON payload. The signature is not checked:
// callers only display what they read (a name), never trust it.
func jwtClaims(raw string, v any) bool {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// idTokenName reads the display name out of an id token's claims. The token
// came straight from the token endpoint over TLS, and the name is only shown,
// never trusted, so the signature is not checked.
func idTokenName(tok *oauth2.Token) string {
	raw, _ := tok.Extra("id_token").(string)
	var c struct {
		Name              string `json:"name"`
		PreferredUsername string `json:"preferred_username"`
	}
	if !jwtClaims(raw, &c) {
		return ""
	}
	switch {
	case c.Name != "" && c.PreferredUsername != "":
		return c.Name + " <" + c.PreferredUsername + ">"
	case c.PreferredUsername != "":
		return c.PreferredUsername
	}
	return c.Name
}

func httpClient(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return http.DefaultClient
}
