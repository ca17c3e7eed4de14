package auth

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// Provider names one of the two services procsync signs in to.
type Provider string

// The providers. Their string values are the arguments of `procsync login`.
const (
	Graph   Provider = "graph"
	Procore Provider = "procore"
)

// ParseProvider turns a command-line argument into a Provider.
func ParseProvider(s string) (Provider, error) {
	switch p := Provider(strings.ToLower(strings.TrimSpace(s))); p {
	case Graph, Procore:
		return p, nil
	}
	return "", fmt.Errorf("unknown provider %q: want graph or procore", s)
}

// DefaultGraphScopes are the delegated scopes an interactive Graph sign-in
// asks for: offline_access returns a refresh token, openid and profile
// identify the signed-in user, and the rest are what a run needs.
var DefaultGraphScopes = []string{
	"offline_access", "openid", "profile",
	"GroupMember.Read.All", "User.Read.All", "Mail.Send",
}

// OOBRedirectURI is Procore's out-of-band redirect URI: Procore shows the code
// on a page and the operator pastes it into the terminal.
const OOBRedirectURI = "urn:ietf:wg:oauth:2.0:oob"

// GraphConfig is what auth needs to know about the Entra app registration
// and the cloud it lives in. The lead maps procsync's config file onto it.
type GraphConfig struct {
	// LoginURL is the identity platform host, e.g. https://login.microsoftonline.com.
	LoginURL string
	// APIURL is the Graph host, e.g. https://graph.microsoft.com. App-only
	// tokens are requested for "{APIURL}/.default".
	APIURL string
	// Tenant is the tenant id or domain.
	Tenant string
	// ClientID is the app registration's application (client) id.
	ClientID string
	// ClientSecret comes from PROCSYNC_GRAPH_CLIENT_SECRET and may be empty.
	// When set, GraphTokenSource uses app-only client credentials. It is
	// never sent in the delegated flows: the app is a public client there.
	ClientSecret string
	// Scopes overrides DefaultGraphScopes for the delegated flows.
	Scopes []string
	// LicenseRead is set when the config selects groups by licence
	// (groups.skus): GET /subscribedSkus needs LicenseScope, so the
	// delegated sign-in asks for it and Status checks that it was granted.
	// Without it the scope is not asked for: least privilege.
	LicenseRead bool
	// LoginCommand is the command that signs in with this config, for
	// hints; empty means "procsync login graph".
	LoginCommand string
}

// LicenseScope is the permission GET /subscribedSkus needs. Microsoft also
// accepts Organization.Read.All or Directory.Read.All (LicenseScopeAlternatives).
const LicenseScope = "LicenseAssignment.Read.All"

// LicenseScopeAlternatives are the permissions that also allow reading the
// tenant's subscribed SKUs.
var LicenseScopeAlternatives = []string{LicenseScope, "Organization.Read.All", "Directory.Read.All"}

// LicenseScopeDocs is where docs/setup.md explains how to grant LicenseScope.
const LicenseScopeDocs = "docs/setup.md#graph-licenseassignment-read-all"

// ProcoreConfig is what auth needs to know about the Procore app and the
// company it works in.
type ProcoreConfig struct {
	// LoginURL is the Procore login host, e.g. https://login.procore.com.
	LoginURL string
	// APIURL is the Procore API host, e.g. https://api.procore.com.
	APIURL string
	// ClientID and ClientSecret are the Procore app's credentials (the
	// secret comes from PROCSYNC_PROCORE_CLIENT_SECRET). Procore needs the
	// secret for every grant, interactive ones included.
	ClientID     string
	ClientSecret string
	// RedirectURI is the registered loopback redirect, for example
	// http://localhost:8765/callback. Procore matches it exactly, so its
	// port is fixed.
	RedirectURI string
	// CompanyID is sent as Procore-Company-Id and shown by Status.
	CompanyID int64
	// LoginCommand is the command that signs in with this config, for
	// hints; empty means "procsync login procore".
	LoginCommand string
}

func (c GraphConfig) validate() error {
	var missing []string
	if c.LoginURL == "" {
		missing = append(missing, "login url")
	}
	if c.Tenant == "" {
		missing = append(missing, "tenant")
	}
	if c.ClientID == "" {
		missing = append(missing, "client id")
	}
	if len(missing) > 0 {
		return fmt.Errorf("graph: config is missing %s", strings.Join(missing, ", "))
	}
	for _, u := range []string{c.LoginURL, c.APIURL} {
		if err := checkEndpoint(u); err != nil {
			return fmt.Errorf("graph: %w", err)
		}
	}
	return nil
}

func (c ProcoreConfig) validate() error {
	var missing []string
	if c.LoginURL == "" {
		missing = append(missing, "login url")
	}
	if c.ClientID == "" {
		missing = append(missing, "client id")
	}
	if len(missing) > 0 {
		return fmt.Errorf("procore: config is missing %s", strings.Join(missing, ", "))
	}
	for _, u := range []string{c.LoginURL, c.APIURL} {
		if err := checkEndpoint(u); err != nil {
			return fmt.Errorf("procore: %w", err)
		}
	}
	return nil
}

// checkEndpoint refuses plain http to anything but loopback: tokens and
// secrets travel on these connections.
func checkEndpoint(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("endpoint %q: %w", raw, err)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("endpoint %s: plain http is allowed for loopback addresses only", raw)
	}
	return fmt.Errorf("endpoint %q: want an https URL", raw)
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func trimURL(s string) string { return strings.TrimRight(s, "/") }

func (c GraphConfig) scopes() []string {
	if len(c.Scopes) > 0 {
		return c.Scopes
	}
	if c.LicenseRead {
		return append(append([]string(nil), DefaultGraphScopes...), LicenseScope)
	}
	return DefaultGraphScopes
}

// storeKey is where this config's sign-in is stored: one entry per
// provider, tenant and login host (as gh keeps one per host), so that the
// demo's sign-in and a real tenant's, or two tenants', live side by side
// in one state directory.
func (c GraphConfig) storeKey() string {
	return "graph/" + strings.ToLower(c.Tenant) + "@" + strings.ToLower(hostOf(c.LoginURL))
}

func (c GraphConfig) loginCommand() string {
	if c.LoginCommand != "" {
		return c.LoginCommand
	}
	return "procsync login graph"
}

// storeKey is where this config's Procore sign-in is stored: per company
// and login host.
func (c ProcoreConfig) storeKey() string {
	return fmt.Sprintf("procore/%d@%s", c.CompanyID, strings.ToLower(hostOf(c.LoginURL)))
}

func (c ProcoreConfig) loginCommand() string {
	if c.LoginCommand != "" {
		return c.LoginCommand
	}
	return "procsync login procore"
}

func (c GraphConfig) tenantURL() string {
	return trimURL(c.LoginURL) + "/" + url.PathEscape(c.Tenant) + "/oauth2/v2.0"
}

// oauthConfig is the public-client configuration of the delegated flows:
// client id in the body and no secret.
func (c GraphConfig) oauthConfig(redirect string) *oauth2.Config {
	base := c.tenantURL()
	return &oauth2.Config{
		ClientID: c.ClientID,
		Endpoint: oauth2.Endpoint{
			AuthURL:       base + "/authorize",
			TokenURL:      base + "/token",
			DeviceAuthURL: base + "/devicecode",
			AuthStyle:     oauth2.AuthStyleInParams,
		},
		RedirectURL: redirect,
		Scopes:      c.scopes(),
	}
}

// appScope is the client-credentials scope: "{graph host}/.default". The
// scope names the Graph resource, not a network address: an api_url that
// points at a loopback proxy or the simulator still means the global Graph
// resource, whereas national clouds have resources of their own.
func (c GraphConfig) appScope() string {
	api := trimURL(c.APIURL)
	if u, err := url.Parse(api); api == "" || err != nil || isLoopbackHost(u.Hostname()) {
		api = "https://graph.microsoft.com"
	} else {
		api = u.Scheme + "://" + u.Host
	}
	return api + "/.default"
}

func (c ProcoreConfig) oauthConfig(redirect string) *oauth2.Config {
	base := trimURL(c.LoginURL) + "/oauth"
	return &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   base + "/authorize",
			TokenURL:  base + "/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: redirect,
	}
}

// GraphEnvironment names the national cloud a login URL belongs to, for
// Status: "global", "usgov", "china", or the host for anything else (a
// simulator or a custom override).
func GraphEnvironment(loginURL string) string {
	u, err := url.Parse(loginURL)
	if err != nil {
		return loginURL
	}
	switch strings.ToLower(u.Hostname()) {
	case "login.microsoftonline.com":
		return "global"
	case "login.microsoftonline.us":
		return "usgov"
	case "login.chinacloudapi.cn":
		return "china"
	}
	if isLoopbackHost(u.Hostname()) {
		return "simulator (" + u.Host + ")"
	}
	return u.Host
}

// ProcoreEnvironment names the Procore zone a login URL belongs to:
// "production", "sandbox", "monthly sandbox", "federal", or the host.
func ProcoreEnvironment(loginURL string) string {
	u, err := url.Parse(loginURL)
	if err != nil {
		return loginURL
	}
	switch strings.ToLower(u.Hostname()) {
	case "login.procore.com":
		return "production"
	case "login-sandbox.procore.com":
		return "sandbox"
	case "login-sandbox-monthly.procore.com":
		return "monthly sandbox"
	case "login.procoregov.com":
		return "federal"
	}
	if isLoopbackHost(u.Hostname()) {
		return "simulator (" + u.Host + ")"
	}
	return u.Host
}
