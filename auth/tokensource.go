package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	gosync "sync"
	"time"

	"golang.org/x/oauth2"
)

// Method says how a TokenSource obtains its tokens.
type Method string

// The methods. User tokens come from an interactive login and are renewed
// with the stored refresh token; app tokens come from client credentials.
const (
	MethodUser Method = "user"
	MethodApp  Method = "app-only"
)

// refreshTimeout bounds one refresh. A refresh runs detached from the
// caller's context: cancelling it after the refresh token has been sent
// would lose the rotated pair, and with it the sign-in.
const refreshTimeout = 30 * time.Second

// TokenSource is an oauth2.TokenSource for one provider. It renews expiring
// access tokens transparently, saves every rotated refresh token to the
// store before handing out the new access token, and serialises renewals,
// so a refresh token is never sent twice by this process. It is safe for
// concurrent use.
type TokenSource struct {
	provider Provider
	method   Method
	store    Store
	log      *slog.Logger
	client   *http.Client
	// renew obtains a new token; rt is the refresh token (user method).
	renew func(ctx context.Context, rt string) (*oauth2.Token, error)
	// rec is the stored record (user method); its token fields are updated
	// on every refresh.
	rec *Record

	mu      gosync.Mutex
	tok     *oauth2.Token
	margin  time.Duration
	invalid bool
	// unsaved is set when a rotated pair could not be saved: the next
	// Token call retries the save before handing the token out.
	unsaved bool
	now     func() time.Time
}

// Provider returns the provider the tokens are for.
func (s *TokenSource) Provider() Provider { return s.provider }

// Method says whether the tokens act for a signed-in user or for the app.
func (s *TokenSource) Method() Method { return s.method }

// Token returns a valid access token, renewing it first when it expires
// within a safety margin or was invalidated.
func (s *TokenSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unsaved {
		if err := s.save(); err != nil {
			return nil, err
		}
	}
	if s.tok != nil && !s.invalid && s.fresh(s.tok) {
		return copyToken(s.tok), nil
	}
	if err := s.renewLocked(); err != nil {
		return nil, err
	}
	return copyToken(s.tok), nil
}

// invalidateToken makes the next Token call renew the access token, when
// the service answered 401 to a token that looked valid (revoked, or a clock
// that disagrees). It acts only if access is still the current token, so
// that many requests failing with the same 401 cause a single renewal.
func (s *TokenSource) invalidateToken(access string) {
	s.mu.Lock()
	if s.tok != nil && s.tok.AccessToken == access {
		s.invalid = true
	}
	s.mu.Unlock()
}

func (s *TokenSource) fresh(t *oauth2.Token) bool {
	if t.AccessToken == "" {
		return false
	}
	return t.Expiry.IsZero() || s.now().Add(s.margin).Before(t.Expiry)
}

// earlyMargin renews 30 s before expiry, or at three quarters of a short
// lifetime, so that a request never leaves with a token about to die.
func earlyMargin(lifetime time.Duration) time.Duration {
	const m = 30 * time.Second
	if lifetime > 0 && lifetime/4 < m {
		return lifetime / 4
	}
	return m
}

func copyToken(t *oauth2.Token) *oauth2.Token {
	c := *t
	return &c
}

func (s *TokenSource) renewLocked() error {
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), oauth2.HTTPClient, s.client), refreshTimeout)
	defer cancel()
	if s.method == MethodApp {
		tok, err := s.renew(ctx, "")
		if err != nil {
			return err
		}
		s.tok, s.invalid, s.margin = tok, false, earlyMargin(time.Duration(tok.ExpiresIn)*time.Second)
		s.log.Debug("auth: client credentials token obtained", "provider", string(s.provider), "expiry", tok.Expiry)
		return nil
	}
	// Another procsync process may have rotated the pair since we loaded
	// it; its refresh token is the only live one.
	if stored, err := s.store.Load(string(s.provider)); err == nil && stored.RefreshToken != "" && stored.RefreshToken != s.rec.RefreshToken {
		s.log.Debug("auth: adopting tokens rotated by another process", "provider", string(s.provider))
		s.rec = stored
		t := stored.token()
		if s.tok == nil || t.AccessToken != s.tok.AccessToken {
			s.tok, s.invalid = t, false
			if s.fresh(t) {
				return nil
			}
		}
	}
	rt := s.rec.RefreshToken
	if rt == "" {
		return &NotSignedInError{Provider: s.provider, Reason: "the access token expired and the stored sign-in has no refresh token"}
	}
	s.log.Debug("auth: refreshing the access token", "provider", string(s.provider))
	tok, err := s.renew(ctx, rt)
	if err != nil {
		var pe *ProviderError
		if errors.As(err, &pe) && (pe.Code == "invalid_grant" || pe.Status == http.StatusUnauthorized) {
			return &NotSignedInError{Provider: s.provider, Reason: "the provider no longer accepts the stored sign-in (expired or revoked)", Err: err}
		}
		return err
	}
	if tok.RefreshToken == "" {
		// Microsoft may leave the refresh token out; the old one stays valid then.
		tok.RefreshToken = rt
	}
	s.tok, s.invalid = tok, false
	s.margin = earlyMargin(time.Duration(tok.ExpiresIn) * time.Second)
	return s.save()
}

// save writes the current pair to the store. It runs before the new access
// token is returned: for Procore the old refresh token is already dead.
func (s *TokenSource) save() error {
	rec := *s.rec
	rec.AccessToken, rec.RefreshToken, rec.TokenType, rec.Expiry = s.tok.AccessToken, s.tok.RefreshToken, s.tok.TokenType, s.tok.Expiry
	rec.SavedAt = s.now()
	if err := s.store.Save(string(s.provider), &rec); err != nil {
		s.unsaved = true
		return fmt.Errorf("%s: save the renewed tokens to %s: %w", s.provider, s.store.Kind(), err)
	}
	s.unsaved = false
	s.rec = &rec
	s.log.Debug("auth: renewed tokens saved", "provider", string(s.provider), "store", s.store.Kind(), "expiry", rec.Expiry)
	return nil
}

// newSource returns a token source of method m for p, with the HTTP client
// for the token endpoint taken from ctx (oauth2.HTTPClient).
func newSource(ctx context.Context, p Provider, m Method, store Store) *TokenSource {
	client, _ := ctx.Value(oauth2.HTTPClient).(*http.Client)
	return &TokenSource{provider: p, method: m, store: store, log: slog.Default(), client: httpClient(client), now: time.Now, margin: earlyMargin(0)}
}

// userSource builds a user-method source from a stored record.
func userSource(ctx context.Context, p Provider, store Store, rec *Record, renew func(context.Context, string) (*oauth2.Token, error)) *TokenSource {
	s := newSource(ctx, p, MethodUser, store)
	s.rec, s.renew = rec, renew
	s.tok = rec.token()
	if !rec.SavedAt.IsZero() && rec.Expiry.After(rec.SavedAt) {
		s.margin = earlyMargin(rec.Expiry.Sub(rec.SavedAt))
	}
	return s
}

// loadRecord reads the stored sign-in of p and checks that it was issued by
// the configured endpoint for the configured app.
func loadRecord(store Store, p Provider, loginURL, tenant, clientID string) (*Record, error) {
	rec, err := store.Load(string(p))
	if errors.Is(err, ErrNoToken) {
		return nil, &NotSignedInError{Provider: p, Reason: "no stored sign-in in " + store.Kind()}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: read the stored sign-in: %w", p, err)
	}
	switch {
	case !strings.EqualFold(rec.LoginURL, trimURL(loginURL)):
		return nil, &NotSignedInError{Provider: p, Reason: fmt.Sprintf("the stored sign-in is for %s, the config uses %s", rec.LoginURL, trimURL(loginURL))}
	case tenant != "" && !strings.EqualFold(rec.Tenant, tenant):
		return nil, &NotSignedInError{Provider: p, Reason: fmt.Sprintf("the stored sign-in is for tenant %s, the config uses %s", rec.Tenant, tenant)}
	case rec.ClientID != clientID:
		return nil, &NotSignedInError{Provider: p, Reason: fmt.Sprintf("the stored sign-in is for client id %s, the config uses %s", rec.ClientID, clientID)}
	}
	return rec, nil
}

// GraphTokenSource returns the token source for Graph: app-only client
// credentials (scope "{APIURL}/.default") when cfg.ClientSecret is set,
// otherwise the delegated sign-in stored by LoginGraph. Without either it
// returns a *NotSignedInError. The HTTP client for the token endpoint is
// taken from ctx (oauth2.HTTPClient), as in golang.org/x/oauth2.
func GraphTokenSource(ctx context.Context, cfg GraphConfig, store Store) (*TokenSource, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	tokenURL := cfg.tenantURL() + "/token"
	if cfg.ClientSecret != "" {
		s := newSource(ctx, Graph, MethodApp, store)
		s.renew = func(ctx context.Context, _ string) (*oauth2.Token, error) {
			tok, err := postToken(ctx, s.client, "graph: client credentials", tokenURL, url.Values{
				"grant_type": {"client_credentials"}, "client_id": {cfg.ClientID},
				"client_secret": {cfg.ClientSecret}, "scope": {cfg.appScope()},
			})
			return tok, credentialsError(Graph, err)
		}
		return s, nil
	}
	rec, err := loadRecord(store, Graph, cfg.LoginURL, cfg.Tenant, cfg.ClientID)
	if err != nil {
		return nil, err
	}
	var s *TokenSource
	s = userSource(ctx, Graph, store, rec, func(ctx context.Context, rt string) (*oauth2.Token, error) {
		return postToken(ctx, s.client, "graph: refresh the access token", tokenURL, url.Values{
			"grant_type": {"refresh_token"}, "client_id": {cfg.ClientID}, "refresh_token": {rt},
			"scope": {strings.Join(cfg.scopes(), " ")},
		})
	})
	return s, nil
}

// ProcoreTokenSource returns the token source for Procore: the user sign-in
// stored by LoginProcore when there is one for this login host and app,
// otherwise client credentials (a Developer Managed Service Account
// installed in the company) when cfg.ClientSecret is set. Procore needs the
// secret for user sign-ins too, so a stored sign-in takes precedence.
func ProcoreTokenSource(ctx context.Context, cfg ProcoreConfig, store Store) (*TokenSource, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	tokenURL := trimURL(cfg.LoginURL) + "/oauth/token"
	rec, err := loadRecord(store, Procore, cfg.LoginURL, "", cfg.ClientID)
	if err == nil {
		var s *TokenSource
		s = userSource(ctx, Procore, store, rec, func(ctx context.Context, rt string) (*oauth2.Token, error) {
			return postToken(ctx, s.client, "procore: refresh the access token", tokenURL, url.Values{
				"grant_type": {"refresh_token"}, "client_id": {cfg.ClientID},
				"client_secret": {cfg.ClientSecret}, "refresh_token": {rt},
			})
		})
		return s, nil
	}
	if !errors.Is(err, ErrNotSignedIn) || cfg.ClientSecret == "" {
		return nil, err
	}
	s := newSource(ctx, Procore, MethodApp, store)
	s.renew = func(ctx context.Context, _ string) (*oauth2.Token, error) {
		tok, err := postToken(ctx, s.client, "procore: client credentials", tokenURL, url.Values{
			"grant_type": {"client_credentials"}, "client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret},
		})
		return tok, credentialsError(Procore, err)
	}
	return s, nil
}

// credentialsError marks rejected client credentials as a sign-in problem
// (exit code 4), naming the fix.
func credentialsError(p Provider, err error) error {
	var pe *ProviderError
	if errors.As(err, &pe) && (pe.Status == http.StatusUnauthorized || pe.Status == http.StatusBadRequest) {
		reason := "the client credentials were rejected"
		if p == Procore {
			reason += " (headless use needs a Developer Managed Service Account installed in the company)"
		}
		return &NotSignedInError{Provider: p, Reason: reason, Err: err}
	}
	return err
}

// HTTPClient returns an *http.Client that authorises every request with ts.
// When ts is a *TokenSource, a 401 answer invalidates the token it carried
// and the request is retried once with a renewed token (requests whose body
// cannot be replayed are not retried). The base transport comes from ctx
// (oauth2.HTTPClient), else http.DefaultTransport.
func HTTPClient(ctx context.Context, ts oauth2.TokenSource) *http.Client {
	var base http.RoundTripper = http.DefaultTransport
	if c, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && c != nil && c.Transport != nil {
		base = c.Transport
	}
	return &http.Client{Transport: &Transport{Source: ts, Base: base}}
}

// Transport is an http.RoundTripper that adds the bearer token and retries
// once on 401 (see HTTPClient).
type Transport struct {
	// Source supplies the tokens.
	Source oauth2.TokenSource
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
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
	ts, ok := t.Source.(*TokenSource)
	if !ok || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
		return resp, nil
	}
	ts.invalidateToken(tok.AccessToken)
	tok2, err := ts.Token()
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
