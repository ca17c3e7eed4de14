package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
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
	// key is where the record lives in store.
	key string
	// loginCmd is the sign-in command hints name.
	loginCmd string
	log      *slog.Logger
	client   *http.Client
	// renew obtains a new token; rt is the refresh token (user method).
	renew func(ctx context.Context, rt string) (*oauth2.Token, error)
	// rec is the stored record (user method); its token fields are updated
	// on every refresh.
	rec *Record

	mu      sync.Mutex
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

// A *TokenSource is what auth.Transport renews after a 401.
var _ Invalidator = (*TokenSource)(nil)

// InvalidateToken makes the next Token call renew the access token, when
// the service answered 401 to a token that looked valid (revoked, or a clock
// that disagrees). It acts only if access is still the current token, so
// that many requests failing with the same 401 cause a single renewal.
func (s *TokenSource) InvalidateToken(access string) {
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
		s.stamp(tok)
		s.tok, s.invalid, s.margin = tok, false, earlyMargin(time.Duration(tok.ExpiresIn)*time.Second)
		s.log.Debug("auth: client credentials token obtained", "provider", string(s.provider), "expiry", tok.Expiry)
		return nil
	}
	// Another procsync process may have rotated the pair since we loaded
	// it; its refresh token is the only live one.
	if s.adoptStored() {
		return nil
	}
	rt := s.rec.RefreshToken
	if rt == "" {
		return &NotSignedInError{Provider: s.provider, Reason: "the access token expired and the stored sign-in has no refresh token", Command: s.loginCmd}
	}
	s.log.Debug("auth: refreshing the access token", "provider", string(s.provider))
	tok, err := s.renew(ctx, rt)
	var pe *ProviderError
	if err != nil && errors.As(err, &pe) && pe.Code == "invalid_grant" {
		// Another process may have rotated the pair between our look at
		// the store and the refresh: its pair is the live one.
		s.log.Debug("auth: refresh token refused, reading the store again", "provider", string(s.provider))
		if s.adoptStored() {
			return nil
		}
		if s.rec.RefreshToken != rt {
			rt = s.rec.RefreshToken
			tok, err = s.renew(ctx, rt)
		}
	}
	if err != nil {
		if errors.As(err, &pe) && (pe.Code == "invalid_grant" || pe.Status == http.StatusUnauthorized) {
			return &NotSignedInError{Provider: s.provider, Reason: "the provider no longer accepts the stored sign-in (expired or revoked)", Err: err, Command: s.loginCmd}
		}
		return err
	}
	s.stamp(tok)
	if tok.RefreshToken == "" {
		// Microsoft may leave the refresh token out; the old one stays valid then.
		tok.RefreshToken = rt
	}
	s.tok, s.invalid = tok, false
	s.margin = earlyMargin(time.Duration(tok.ExpiresIn) * time.Second)
	return s.save()
}

// adoptStored reads the store and, when another process has stored a
// different refresh token, takes its pair. It reports whether that pair's
// access token is fresh, so that no refresh is needed.
func (s *TokenSource) adoptStored() bool {
	stored, err := s.store.Load(s.key)
	if err != nil || stored.RefreshToken == "" || stored.RefreshToken == s.rec.RefreshToken {
		return false
	}
	if stored.APIURL != "" && !strings.EqualFold(stored.APIURL, s.rec.APIURL) {
		// Signed in again for another API host meanwhile: not ours to use.
		return false
	}
	s.log.Debug("auth: adopting tokens rotated by another process", "provider", string(s.provider))
	if stored.APIURL == "" {
		stored.APIURL = s.rec.APIURL
	}
	s.rec = stored
	t := stored.token()
	if s.tok == nil || t.AccessToken != s.tok.AccessToken {
		s.tok, s.invalid = t, false
		return s.fresh(t)
	}
	return false
}

// stamp sets the expiry of a new token from its lifetime on the source's
// clock, so that expiry and the freshness check read the same clock.
func (s *TokenSource) stamp(tok *oauth2.Token) {
	if tok.ExpiresIn > 0 {
		tok.Expiry = s.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
}

// save writes the current pair to the store. It runs before the new access
// token is returned: for Procore the old refresh token is already dead.
func (s *TokenSource) save() error {
	rec := *s.rec
	rec.AccessToken, rec.RefreshToken, rec.TokenType, rec.Expiry = s.tok.AccessToken, s.tok.RefreshToken, s.tok.TokenType, s.tok.Expiry
	rec.SavedAt = s.now()
	if err := s.store.Save(s.key, &rec); err != nil {
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
	return &TokenSource{provider: p, method: m, store: store, log: slog.Default(), client: tokenClient(client), now: time.Now, margin: earlyMargin(0)}
}

// userSource builds a user-method source from a stored record.
func userSource(ctx context.Context, p Provider, store Store, key string, rec *Record, renew func(context.Context, string) (*oauth2.Token, error)) *TokenSource {
	s := newSource(ctx, p, MethodUser, store)
	s.key, s.rec, s.renew = key, rec, renew
	s.loginCmd = "procsync login " + string(p)
	s.tok = rec.token()
	if !rec.SavedAt.IsZero() && rec.Expiry.After(rec.SavedAt) {
		s.margin = earlyMargin(rec.Expiry.Sub(rec.SavedAt))
	}
	return s
}

// recordQuery says which stored sign-in a config wants.
type recordQuery struct {
	provider                           Provider
	key                                string
	loginURL, apiURL, tenant, clientID string
	command                            string
}

func (c GraphConfig) recordQuery() recordQuery {
	return recordQuery{provider: Graph, key: c.storeKey(), loginURL: trimURL(c.LoginURL), apiURL: trimURL(c.APIURL), tenant: c.Tenant, clientID: c.ClientID, command: c.loginCommand()}
}

func (c ProcoreConfig) recordQuery() recordQuery {
	return recordQuery{provider: Procore, key: c.storeKey(), loginURL: trimURL(c.LoginURL), apiURL: trimURL(c.APIURL), clientID: c.ClientID, command: c.loginCommand()}
}

func (q recordQuery) notSignedIn(reason string) *NotSignedInError {
	return &NotSignedInError{Provider: q.provider, Reason: reason, Command: q.command}
}

// loadRecord reads this config's stored sign-in and checks that it was
// issued by the configured endpoint for the configured app and API host.
// A record under the provider-only key of older installs is used (and moved
// to the config's key) when it belongs to this config.
func loadRecord(store Store, q recordQuery) (*Record, error) {
	rec, err := store.Load(q.key)
	if errors.Is(err, ErrNoToken) {
		rec, err = migrateLegacy(store, q)
	}
	if errors.Is(err, ErrNoToken) {
		e := q.notSignedIn("no stored sign-in for " + hostOf(q.loginURL) + " in " + store.Kind())
		e.absent = true
		return nil, e
	}
	if err != nil {
		return nil, fmt.Errorf("%s: read the stored sign-in: %w", q.provider, err)
	}
	if reason := q.mismatch(rec); reason != "" {
		e := q.notSignedIn(reason)
		e.absent = true
		return nil, e
	}
	if rec.APIURL == "" {
		// A record from before the API host was stored: bind it to the
		// host it is used with now.
		rec.APIURL = q.apiURL
	} else if !strings.EqualFold(rec.APIURL, q.apiURL) {
		return nil, q.notSignedIn(fmt.Sprintf("the stored sign-in was made for the API at %s, but the config now uses %s; the tokens are not sent there. If %s is right, sign in for it",
			hostOf(rec.APIURL), hostOf(q.apiURL), hostOf(q.apiURL)))
	}
	return rec, nil
}

// mismatch says why rec does not belong to the config, or "".
func (q recordQuery) mismatch(rec *Record) string {
	switch {
	case !strings.EqualFold(rec.LoginURL, q.loginURL):
		return fmt.Sprintf("the stored sign-in is for %s, the config uses %s", rec.LoginURL, q.loginURL)
	case q.tenant != "" && !strings.EqualFold(rec.Tenant, q.tenant):
		return fmt.Sprintf("the stored sign-in is for tenant %s, the config uses %s", rec.Tenant, q.tenant)
	case rec.ClientID != q.clientID:
		return fmt.Sprintf("the stored sign-in is for client id %s, the config uses %s", rec.ClientID, q.clientID)
	}
	return ""
}

// migrateLegacy moves a record stored under the provider name alone (how
// procsync stored sign-ins before keying them per config) to q's key, when
// it belongs to q's config. A legacy record of another config stays where
// it is, and this config is simply not signed in.
func migrateLegacy(store Store, q recordQuery) (*Record, error) {
	rec, err := store.Load(string(q.provider))
	if err != nil {
		return nil, err
	}
	if q.mismatch(rec) != "" {
		return nil, ErrNoToken
	}
	if rec.APIURL == "" {
		rec.APIURL = q.apiURL
	}
	if err := store.Save(q.key, rec); err != nil {
		return nil, fmt.Errorf("%s: move the stored sign-in to its per-config entry: %w", q.provider, err)
	}
	if err := store.Delete(string(q.provider)); err != nil {
		slog.Debug("auth: could not remove the old token entry", "provider", string(q.provider), "err", err)
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
			return tok, credentialsError(Graph, cfg.loginCommand(), err)
		}
		s.loginCmd = cfg.loginCommand()
		return s, nil
	}
	q := cfg.recordQuery()
	rec, err := loadRecord(store, q)
	if err != nil {
		return nil, err
	}
	var s *TokenSource
	s = userSource(ctx, Graph, store, q.key, rec, func(ctx context.Context, rt string) (*oauth2.Token, error) {
		return postToken(ctx, s.client, "graph: refresh the access token", tokenURL, url.Values{
			"grant_type": {"refresh_token"}, "client_id": {cfg.ClientID}, "refresh_token": {rt},
			"scope": {strings.Join(refreshScopes(s.rec, cfg), " ")},
		})
	})
	s.loginCmd = q.command
	return s, nil
}

// refreshScopes are the scopes a Graph refresh asks for: those of the
// sign-in. A config that now wants more (groups.skus added the licence
// permission) keeps working with what was granted; status says what is
// missing and that a new sign-in grants it.
func refreshScopes(rec *Record, cfg GraphConfig) []string {
	if len(rec.Scopes) > 0 {
		return rec.Scopes
	}
	// A record from before procsync stored the scopes: it asked for the
	// defaults (or the config's explicit list).
	if len(cfg.Scopes) > 0 {
		return cfg.Scopes
	}
	return DefaultGraphScopes
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
	q := cfg.recordQuery()
	rec, err := loadRecord(store, q)
	if err == nil {
		var s *TokenSource
		s = userSource(ctx, Procore, store, q.key, rec, func(ctx context.Context, rt string) (*oauth2.Token, error) {
			return postToken(ctx, s.client, "procore: refresh the access token", tokenURL, url.Values{
				"grant_type": {"refresh_token"}, "client_id": {cfg.ClientID},
				"client_secret": {cfg.ClientSecret}, "refresh_token": {rt},
			})
		})
		s.loginCmd = q.command
		return s, nil
	}
	// Only the absence of this config's user sign-in lets the service
	// account step in: a sign-in made for another API host is refused
	// loudly rather than replaced silently.
	var nsi *NotSignedInError
	if !errors.As(err, &nsi) || !nsi.absent || cfg.ClientSecret == "" {
		return nil, err
	}
	s := newSource(ctx, Procore, MethodApp, store)
	s.renew = func(ctx context.Context, _ string) (*oauth2.Token, error) {
		tok, err := postToken(ctx, s.client, "procore: client credentials", tokenURL, url.Values{
			"grant_type": {"client_credentials"}, "client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret},
		})
		return tok, credentialsError(Procore, cfg.loginCommand(), err)
	}
	s.loginCmd = cfg.loginCommand()
	return s, nil
}

// credentialsError marks rejected client credentials as a sign-in problem
// (exit code 4), naming the fix.
func credentialsError(p Provider, command string, err error) error {
	var pe *ProviderError
	if errors.As(err, &pe) && (pe.Status == http.StatusUnauthorized || pe.Status == http.StatusBadRequest) {
		reason := "the client credentials were rejected"
		if p == Procore {
			reason += " (headless use needs a Developer Managed Service Account installed in the company)"
		}
		return &NotSignedInError{Provider: p, Reason: reason, Err: err, Command: command}
	}
	return err
}
