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
)

// Info is what `procsync status` shows for one provider.
type Info struct {
	Provider Provider
	// SignedIn is true when a token could be obtained.
	SignedIn bool
	// Method is MethodUser or MethodApp.
	Method Method
	// Account is who the tokens act as: "Megan Bowen <megan.bowen@contoso.com>"
	// for a user, the app's name or client id for app-only access.
	Account string
	// Tenant is the Entra tenant (Graph only).
	Tenant string
	// Company is the Procore company, "Name (id)" when Procore told us the
	// name (Procore only).
	Company string
	// Environment is the cloud or Procore zone: "global", "production",
	// "sandbox", "simulator (127.0.0.1:PORT)", ...
	Environment string
	// Expiry is when the current access token expires.
	Expiry time.Time
	// Store is Store.Kind().
	Store string
	// Problem explains why SignedIn is false, or what could not be checked.
	Problem string
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
	if !i.Expiry.IsZero() {
		line("token", "expires "+i.Expiry.Local().Format("2006-01-02 15:04:05 MST"))
	}
	line("store", i.Store)
	line("problem", i.Problem)
	return b.String()
}

// GraphStatus reports the Graph sign-in: it obtains a token (renewing it if
// needed) and asks /v1.0/me who the user is; for app-only access it shows the
// app's name from the token, or its client id. Not being signed in is not
// an error: it is reported in Info.Problem. The HTTP client comes from ctx
// (oauth2.HTTPClient).
func GraphStatus(ctx context.Context, cfg GraphConfig, store Store) (*Info, error) {
	info := &Info{Provider: Graph, Tenant: cfg.Tenant, Environment: GraphEnvironment(cfg.LoginURL), Store: store.Kind()}
	ts, err := GraphTokenSource(ctx, cfg, store)
	tok, err := statusToken(info, ts, err)
	if err != nil {
		return statusProblem(info, err)
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
	if err := getJSON(ctx, ts, trimURL(cfg.APIURL)+"/v1.0/me?$select=displayName,userPrincipalName", nil, &me); err != nil {
		info.Problem = "could not read /me: " + err.Error()
		return info, nil
	}
	info.Account = me.DisplayName + " <" + me.UserPrincipalName + ">"
	return info, nil
}

// ProcoreStatus reports the Procore sign-in: the user from /rest/v1.0/me and
// the company name from /rest/v1.0/companies.
func ProcoreStatus(ctx context.Context, cfg ProcoreConfig, store Store) (*Info, error) {
	info := &Info{Provider: Procore, Environment: ProcoreEnvironment(cfg.LoginURL), Store: store.Kind()}
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
	api := trimURL(cfg.APIURL)
	if err := getJSON(ctx, ts, api+"/rest/v1.0/me", hdr, &me); err != nil {
		info.Problem = "could not read /rest/v1.0/me: " + err.Error()
	} else if me.Name != "" {
		info.Account = me.Name + " <" + me.Login + ">"
	} else {
		info.Account = me.Login
	}
	var companies []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	if err := getJSON(ctx, ts, api+"/rest/v1.0/companies", hdr, &companies); err == nil {
		found := false
		for _, c := range companies {
			if c.ID == cfg.CompanyID {
				info.Company, found = fmt.Sprintf("%s (%d)", c.Name, c.ID), true
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

// getJSON GETs url with ts and decodes a 2xx JSON answer into v.
func getJSON(ctx context.Context, ts *TokenSource, u string, hdr http.Header, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Accept", "application/json")
	resp, err := HTTPClient(ctx, ts).Do(req)
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

// LogoutGraph removes the stored Graph sign-in. The identity platform has no
// endpoint that revokes one refresh token (revokeSignInSessions would end
// all of the user's sessions), so the tokens are only forgotten.
func LogoutGraph(ctx context.Context, store Store) error {
	if err := store.Delete(string(Graph)); err != nil {
		return fmt.Errorf("graph: logout: %w", err)
	}
	return nil
}

// LogoutProcore revokes the stored Procore tokens (refresh and access) at
// {login}/oauth/revoke and removes them from the store. The tokens are removed even when the
// revocation fails; the error then says so.
func LogoutProcore(ctx context.Context, cfg ProcoreConfig, store Store) error {
	rec, err := store.Load(string(Procore))
	if errors.Is(err, ErrNoToken) {
		return nil
	}
	var revokeErr error
	if err == nil && cfg.LoginURL != "" {
		// The refresh token first: revoking it ends the grant, whereas a
		// revoked access token alone would leave a usable refresh token.
		for _, tok := range []string{rec.RefreshToken, rec.AccessToken} {
			if tok != "" {
				revokeErr = errors.Join(revokeErr, revoke(ctx, cfg, tok))
			}
		}
	}
	if derr := store.Delete(string(Procore)); derr != nil {
		return fmt.Errorf("procore: logout: %w", derr)
	}
	if revokeErr != nil {
		return fmt.Errorf("procore: logout: the tokens were removed here, but revoking them at Procore failed: %w", revokeErr)
	}
	return nil
}

func revoke(ctx context.Context, cfg ProcoreConfig, token string) error {
	if err := checkEndpoint(cfg.LoginURL); err != nil {
		return err
	}
	form := url.Values{"token": {token}, "client_id": {cfg.ClientID}}
	if cfg.ClientSecret != "" {
		form.Set("client_secret", cfg.ClientSecret)
	}
	u := trimURL(cfg.LoginURL) + "/oauth/revoke"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client, _ := ctx.Value(oauth2.HTTPClient).(*http.Client)
	resp, err := httpClient(client).Do(req)
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
