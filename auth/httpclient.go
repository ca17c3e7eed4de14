package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// ErrRedirectRefused is matched (errors.Is) by the error of a request whose
// answer redirected somewhere a token or a secret must not follow.
var ErrRedirectRefused = errors.New("redirect refused")

// RedirectError says where a refused redirect came from and pointed to.
type RedirectError struct {
	// From is the URL that answered with the redirect (query removed).
	From string
	// To is where it pointed (query removed).
	To string
	// Allowed is the only origin token-carrying requests go to; empty for
	// the token endpoints, which follow no redirect at all.
	Allowed string
}

// Error implements error.
func (e *RedirectError) Error() string {
	if e.Allowed == "" {
		return fmt.Sprintf("refused a redirect from %s to %s: sign-in requests carry secrets and never follow redirects; check the login_url in the config", e.From, e.To)
	}
	return fmt.Sprintf("refused a redirect from %s to %s: the access token is only sent to %s; check the api_url in the config", e.From, e.To, e.Allowed)
}

// Is makes errors.Is(err, ErrRedirectRefused) true.
func (e *RedirectError) Is(target error) bool { return target == ErrRedirectRefused }

// origin returns "scheme://host[:port]" of raw in lower case, or "" when
// raw is not an absolute URL.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return originOf(u)
}

func originOf(u *url.URL) string {
	host := strings.ToLower(u.Host)
	scheme := strings.ToLower(u.Scheme)
	// An explicit default port names the same origin as none.
	if (scheme == "https" && strings.HasSuffix(host, ":443")) || (scheme == "http" && strings.HasSuffix(host, ":80")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	return scheme + "://" + host
}

// hostOf returns the host[:port] of raw for messages, or raw itself.
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}

// tokenClient returns a copy of c (nil: http.DefaultClient) that follows no
// redirect. Token, refresh, device code and revoke requests carry client
// secrets, codes and refresh tokens in their bodies, and Go re-sends the
// body of a 307/308 to wherever it points.
func tokenClient(c *http.Client) *http.Client {
	cc := *httpClient(c)
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		return &RedirectError{From: redactQuery(via[len(via)-1].URL.String()), To: redactQuery(req.URL.String())}
	}
	return &cc
}

// HTTPClient returns an *http.Client that authorises requests to apiBase
// with ts. The bearer token goes only to apiBase's scheme and host: the
// transport leaves it off any other request, and the client refuses
// redirects to another scheme or host (a *RedirectError), because Go would
// otherwise carry the request, and with it the token, to wherever a 302
// points, https→http included. An empty apiBase authorises nothing.
//
// When ts is an Invalidator (a *TokenSource is), a 401 answer invalidates
// the token it carried and the request is retried once with a renewed token
// (requests whose body cannot be replayed are not retried). This is
// procsync's only 401 retry: it lives here because only the layer that set
// the token knows which one the service refused. The base transport comes
// from ctx (oauth2.HTTPClient), else http.DefaultTransport.
func HTTPClient(ctx context.Context, ts oauth2.TokenSource, apiBase string) *http.Client {
	var base http.RoundTripper = http.DefaultTransport
	if c, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && c != nil && c.Transport != nil {
		base = c.Transport
	}
	allowed := origin(apiBase)
	return &http.Client{
		Transport: &Transport{Source: ts, Base: base, API: apiBase},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if allowed == "" || originOf(req.URL) != allowed {
				return &RedirectError{From: redactQuery(via[len(via)-1].URL.String()), To: redactQuery(req.URL.String()), Allowed: allowed}
			}
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		},
	}
}

// Invalidator is a token source that can be told the service refused one of
// its access tokens, so that its next Token call renews it. Renewing only
// when access is still the current token lets many requests failing with the
// same 401 cause a single renewal.
type Invalidator interface {
	InvalidateToken(access string)
}

// Transport is an http.RoundTripper that adds the bearer token to requests
// for the API host and retries once on 401 (see HTTPClient).
type Transport struct {
	// Source supplies the tokens; when it is an Invalidator, a 401 renews
	// the token and the request is sent once more.
	Source oauth2.TokenSource
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// API is the API base URL; only requests to its scheme and host get
	// the token. Empty means no request gets it.
	API string
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if allowed := origin(t.API); allowed == "" || originOf(req.URL) != allowed {
		// Not the API host: send as is, without the token.
		return base.RoundTrip(req)
	}
	tok, err := t.Source.Token()
	if err != nil {
		closeBody(req)
		return nil, err
	}
	r := req.Clone(req.Context())
	tok.SetAuthHeader(r)
	resp, err := base.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	ts, ok := t.Source.(Invalidator)
	if !ok || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
		return resp, nil
	}
	ts.InvalidateToken(tok.AccessToken)
	tok2, err := t.Source.Token()
	if err != nil {
		if errors.Is(err, ErrNotSignedIn) {
			resp.Body.Close()
			return nil, err
		}
		// Keep the service's 401 answer: it explains more than a failed
		// network round to the token endpoint would.
		return resp, nil
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	r2 := req.Clone(req.Context())
	if req.GetBody != nil {
		if r2.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	tok2.SetAuthHeader(r2)
	return base.RoundTrip(r2)
}

func closeBody(r *http.Request) {
	if r.Body != nil {
		r.Body.Close()
	}
}
