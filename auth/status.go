package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"procsync/internal/safetext"
)

// Info is what `procsync status` shows for one provider.
type Info struct {
	Provider Provider `json:"provider"`
	// SignedIn is true when a token could be obtained.
	SignedIn bool `json:"signed_in"`
	// Method is MethodUser or MethodApp.
	Method Method `json:"method,omitempty"`
	// Account is who the tokens act as: "Megan Bowen <megan.bowen@contoso.com>"
	// for a user, the app's name or client id for app-only access.
	Account string `json:"account,omitempty"`
	// Tenant is the Entra tenant (Graph only).
	Tenant string `json:"tenant,omitempty"`
	// Company is the Procore company, "Name (id)" when Procore told us the
	// name (Procore only).
	Company string `json:"company,omitempty"`
	// Environment is the cloud or Procore zone: "global", "production",
	// "sandbox", "simulator (127.0.0.1:PORT)", ...
	Environment string `json:"environment"`
	// APIHost is the API host the tokens are sent to (and bound to).
	APIHost string `json:"api_host"`
	// Expiry is when the current access token expires.
	Expiry time.Time `json:"expiry,omitzero"`
	// Store is Store.Kind().
	Store string `json:"store"`
	// Problem explains why SignedIn is false, or what could not be checked.
	Problem string `json:"problem,omitempty"`
	// Warning names a permission the config needs that the sign-in lacks.
	Warning string `json:"warning,omitempty"`
}

// String renders Info for a terminal, one "key: value" per line.
func (i *Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:\n", i.Provider)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "  %-12s %s\n", k+":", v)
		}
	}
	if i.SignedIn {
		line("signed in", fmt.Sprintf("as %s (%s)", i.Account, i.Method))
	} else {
		line("signed in", "no")
	}
	line("tenant", i.Tenant)
	line("company", i.Company)
	line("environment", i.Environment)
	line("api", i.APIHost)
	if !i.Expiry.IsZero() {
		line("token", "expires "+i.Expiry.Local().Format("2006-01-02 15:04:05 MST"))
	}
	line("store", i.Store)
	line("problem", i.Problem)
	line("warning", i.Warning)
	return b.String()
}

// GraphStatus reports the Graph sign-in: it obtains a token (renewing it if
// needed) and asks /v1.0/me who the user is; for app-only access it shows the
// app's name from the token, or its client id. Not being signed in is not
// an error: it is reported in Info.Problem. The HTTP client comes from ctx
// (oauth2.HTTPClient).
func GraphStatus(ctx context.Context, cfg GraphConfig, store Store) (*Info, error) {
	info := &Info{Provider: Graph, Tenant: cfg.Tenant, Environment: GraphEnvironment(cfg.LoginURL), APIHost: hostOf(cfg.APIURL), Store: store.Kind()}
	ts, err := GraphTokenSource(ctx, cfg, store)
	tok, err := statusToken(info, ts, err)
	if err != nil {
		return statusProblem(info, err)
	}
	if cfg.LicenseRead && !grants(tok.AccessToken, LicenseScopeAlternatives) {
		info.Warning = fmt.Sprintf("groups.skus is configured, but this sign-in was not granted %s, which reading the tenant's licences needs (see %s); grant it, then run `%s`",
			LicenseScope, LicenseScopeDocs, cfg.loginCommand())
		if ts.Method() == MethodApp {
			info.Warning = fmt.Sprintf("groups.skus is configured, but the app was not granted the application permission %s, which reading the tenant's licences needs; grant it with admin consent (see %s)",
				LicenseScope, LicenseScopeDocs)
		}
	}
	if ts.Method() == MethodApp {
		info.Account = appName(tok.AccessToken)
		if info.Account == "" {
			info.Account = "app " + cfg.ClientID
		}
		return info, nil
	}
	if ts.rec != nil {
		info.Account = ts.rec.Account
	}
	var me struct {
		DisplayName       string `json:"displayName"`
		UserPrincipalName string `json:"userPrincipalName"`
	}
	if err := getJSON(ctx, ts, cfg.APIURL, "/v1.0/me?$select=displayName,userPrincipalName", nil, &me); err != nil {
		info.Problem = "could not read /me: " + err.Error()
		return info, nil
	}
	info.Account = safetext.Line(me.DisplayName) + " <" + safetext.Line(me.UserPrincipalName) + ">"
	return info, nil
}

// ProcoreStatus reports the Procore sign-in: the user from /rest/v1.0/me and
// the company name from /rest/v1.0/companies.
func ProcoreStatus(ctx context.Context, cfg ProcoreConfig, store Store) (*Info, error) {
	info := &Info{Provider: Procore, Environment: ProcoreEnvironment(cfg.LoginURL), APIHost: hostOf(cfg.APIURL), Store: store.Kind()}
	if cfg.CompanyID != 0 {
		info.Company = strconv.FormatInt(cfg.CompanyID, 10)
	}
	ts, err := ProcoreTokenSource(ctx, cfg, store)
	if _, err := statusToken(info, ts, err); err != nil {
		return statusProblem(info, err)
	}
	hdr := http.Header{}
	if cfg.CompanyID != 0 {
		hdr.Set("Procore-Company-Id", info.Company)
	}
	var me struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
		Name  string `json:"name"`
	}
	mePath := "/rest/v1.0/me"
	if cfg.CompanyID != 0 {
		// /me names the user only when a company (or project) is given.
		mePath += "?company_id=" + info.Company
	}
	if err := getJSON(ctx, ts, cfg.APIURL, mePath, hdr, &me); err != nil {
		info.Problem = "could not read /rest/v1.0/me: " + err.Error()
	} else if me.Name != "" {
		info.Account = safetext.Line(me.Name) + " <" + safetext.Line(me.Login) + ">"
	} else {
		info.Account = safetext.Line(me.Login)
	}
	var companies []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	if err := getJSON(ctx, ts, cfg.APIURL, "/rest/v1.0/companies", hdr, &companies); err == nil {
		found := false
		for _, c := range companies {
			if c.ID == cfg.CompanyID {
				info.Company, found = fmt.Sprintf("%s (%d)", safetext.Line(c.Name), c.ID), true
			}
		}
		if !found && cfg.CompanyID != 0 && info.Problem == "" {
			info.Problem = fmt.Sprintf("company %d is not among the companies this sign-in can see (is the app installed in it?)", cfg.CompanyID)
		}
	}
	return info, nil
}

// statusToken obtains a token from ts (renewing it if needed) and records
// the sign-in method, that the user is signed in and when the token expires.
// err is the error of building ts, passed through so that both providers'
// status share one path to statusProblem.
func statusToken(info *Info, ts *TokenSource, err error) (*oauth2.Token, error) {
	if err != nil {
		return nil, err
	}
	info.Method = ts.Method()
	tok, err := ts.Token()
	if err != nil {
		return nil, err
	}
	info.SignedIn, info.Expiry = true, tok.Expiry
	return tok, nil
}

// statusProblem reports err in info.Problem when it is one an operator fixes
// by signing in (not signed in, or the provider refused the token); any
// other error is returned.
func statusProblem(info *Info, err error) (*Info, error) {
	if errors.Is(err, ErrNotSignedIn) {
		info.Problem = err.Error()
		return info, nil
	}
	var pe *ProviderError
	if errors.As(err, &pe) {
		info.Problem = err.Error()
		return info, nil
	}
	return info, err
}

// getJSON GETs api+path with ts and decodes a 2xx JSON answer into v.
func getJSON(ctx context.Context, ts *TokenSource, api, path string, hdr http.Header, v any) error {
	api = trimURL(api)
	u := api + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Accept", "application/json")
	resp, err := HTTPClient(ctx, ts, api).Do(req)
	if err != nil {
		return redactURLError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: %s", redactQuery(u), resp.Status)
	}
	return json.Unmarshal(body, v)
}

// AppName names the app a TokenSource's app-only tokens act as: "app NAME
// (CLIENT ID)" from the access token's app_displayname when Graph put it
// there, else "app CLIENT ID". History and the report show it instead of a
// bare GUID.
func AppName(ts *TokenSource, clientID string) string {
	if ts != nil {
		if tok, err := ts.Token(); err == nil {
			var c struct {
				App string `json:"app_displayname"`
			}
			if jwtClaims(tok.AccessToken, &c) && c.App != "" {
				return "app " + safetext.Line(c.App) + " (" + clientID + ")"
			}
		}
	}
	return "app " + clientID
}

// appName reads app_displayname from a Graph access token. Graph tokens are
// JWTs today but Microsoft says not to rely on it, so this is best effort
// and only for display.
func appName(access string) string {
	var c struct {
		App   string `json:"app_displayname"`
		AppID string `json:"appid"`
	}
	if !jwtClaims(access, &c) {
		return ""
	}
	if c.App != "" {
		return "app " + c.App
	}
	if c.AppID != "" {
		return "app " + c.AppID
	}
	return ""
}

// grants reports whether the access token's scp (delegated) or roles
// (app-only) claims hold any of perms. A token that is not a JWT (Microsoft
// does not promise one) is taken as granting: only a missing permission
// that can be seen is reported.
func grants(access string, perms []string) bool {
	var c struct {
		Scp   string   `json:"scp"`
		Roles []string `json:"roles"`
	}
	if !jwtClaims(access, &c) {
		return true
	}
	granted := append(strings.Fields(c.Scp), c.Roles...)
	for _, g := range granted {
		for _, p := range perms {
			if strings.EqualFold(g, p) {
				return true
			}
		}
	}
	return false
}

// LogoutGraph removes this config's stored Graph sign-in. The identity
// platform has no endpoint that revokes one refresh token
// (revokeSignInSessions would end all of the user's sessions), so the
// tokens are only forgotten.
func LogoutGraph(ctx context.Context, cfg GraphConfig, store Store) error {
	q := cfg.recordQuery()
	if _, err := loadRecord(store, q); err != nil && !errors.Is(err, ErrNotSignedIn) {
		return fmt.Errorf("graph: logout: %w", err)
	}
	if err := store.Delete(q.key); err != nil {
		return fmt.Errorf("graph: logout: %w", err)
	}
	return nil
}

// LogoutProcore revokes this config's stored Procore tokens (refresh and
// access) and removes them from the store. They are revoked at the login
// host that issued them (the record's), never at whatever login_url the
// config says now: an edited config must not receive the tokens and the
// client secret. The tokens are removed even when the revocation fails;
// the error then says so.
func LogoutProcore(ctx context.Context, cfg ProcoreConfig, store Store) error {
	q := cfg.recordQuery()
	rec, err := store.Load(q.key)
	if errors.Is(err, ErrNoToken) {
		if rec, err = migrateLegacy(store, q); errors.Is(err, ErrNoToken) {
			return nil
		}
	}
	var revokeErr error
	if err == nil && rec.LoginURL != "" {
		// The secret goes along only to the app it belongs to.
		secret := ""
		if rec.ClientID == cfg.ClientID {
			secret = cfg.ClientSecret
		}
		// The refresh token first: revoking it ends the grant, whereas a
		// revoked access token alone would leave a usable refresh token.
		for _, tok := range []string{rec.RefreshToken, rec.AccessToken} {
			if tok != "" {
				revokeErr = errors.Join(revokeErr, revoke(ctx, rec.LoginURL, rec.ClientID, secret, tok))
			}
		}
	}
	if derr := store.Delete(q.key); derr != nil {
		return fmt.Errorf("procore: logout: %w", derr)
	}
	if revokeErr != nil {
		return fmt.Errorf("procore: logout: the tokens were removed here, but revoking them at %s failed: %w", hostOf(rec.LoginURL), revokeErr)
	}
	return nil
}

// revoke POSTs one token to {loginURL}/oauth/revoke, following no redirect.
func revoke(ctx context.Context, loginURL, clientID, secret, token string) error {
	if err := checkEndpoint(loginURL); err != nil {
		return err
	}
	form := url.Values{"token": {token}, "client_id": {clientID}}
	if secret != "" {
		form.Set("client_secret", secret)
	}
	u := trimURL(loginURL) + "/oauth/revoke"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client, _ := ctx.Value(oauth2.HTTPClient).(*http.Client)
	resp, err := tokenClient(client).Do(req)
	if err != nil {
		return redactURLError(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s", u, resp.Status)
	}
	return nil
}
