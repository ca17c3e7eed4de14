// Package config loads and validates procsync's TOML configuration file.
//
// The file holds no secrets: client secrets come only from the environment
// variables named by GraphSecretEnv and ProcoreSecretEnv, so that a config
// file can be shared, committed or pasted into a ticket without leaking
// credentials. Every error the loader returns names the key and the line it
// is about, because the person reading it is an IT admin with the file open
// in an editor.
package config

import (
	"slices"
	"strings"
)

// Environment variables read by procsync's configuration.
const (
	// ConfigEnv names the config file when --config is not given.
	ConfigEnv = "PROCSYNC_CONFIG"
	// StateDirEnv names the state directory when --state-dir is not given.
	StateDirEnv = "PROCSYNC_STATE_DIR"
	// GraphSecretEnv holds the Entra app registration's client secret for
	// app-only (headless) use.
	GraphSecretEnv = "PROCSYNC_GRAPH_CLIENT_SECRET"
	// ProcoreSecretEnv holds the Procore app's client secret.
	ProcoreSecretEnv = "PROCSYNC_PROCORE_CLIENT_SECRET"
)

// Defaults applied to keys the file leaves out.
const (
	DefaultCloud          = "global"
	DefaultEnvironment    = "production"
	DefaultRedirectURI    = "http://localhost:8765/callback"
	DefaultEmailAttribute = "mail"
	DefaultOffboard       = "report"
	DefaultSubject        = "procsync: Procore users provisioned"
	DefaultSend           = "changes"
	DefaultMaxCreates     = 50
	DefaultMaxDeactivate  = 5
	// DefaultMaxReactivate bounds reactivations in a headless run: each one
	// gives a former user their access (and a seat) back, so a group
	// restored by mistake must not bring back dozens unseen.
	DefaultMaxReactivate = 10
	// OOBRedirectURI makes Procore show the authorization code on a page to
	// paste back, for sign-ins over SSH where no browser can reach loopback.
	OOBRedirectURI = "urn:ietf:wg:oauth:2.0:oob"
)

// DefaultNamePrefixes select the license groups when the file sets none of
// groups.name_prefixes, groups.skus and groups.ids. The dash is an en dash,
// as in the group names the tenants this tool was built for use.
var DefaultNamePrefixes = []string{"License – Microsoft", "License – Office"}

// Hosts is a pair of base URLs (scheme and host, no trailing slash) for one
// provider: where to sign in and where to call the API.
type Hosts struct {
	Login string
	API   string
}

// GraphClouds maps graph.cloud values to the national cloud's hosts.
// Tokens of one cloud do not work in another, so the pair always moves together.
var GraphClouds = map[string]Hosts{
	"global":    {Login: "https://login.microsoftonline.com", API: "https://graph.microsoft.com"},
	"usgov":     {Login: "https://login.microsoftonline.us", API: "https://graph.microsoft.us"},
	"usgov-dod": {Login: "https://login.microsoftonline.us", API: "https://dod-graph.microsoft.us"},
	"china":     {Login: "https://login.chinacloudapi.cn", API: "https://microsoftgraph.chinacloudapi.cn"},
}

// ProcoreEnvironments maps procore.environment values to Procore's hosts.
var ProcoreEnvironments = map[string]Hosts{
	"production": {Login: "https://login.procore.com", API: "https://api.procore.com"},
	"sandbox":    {Login: "https://login-sandbox.procore.com", API: "https://sandbox.procore.com"},
	"monthly":    {Login: "https://login-sandbox-monthly.procore.com", API: "https://api-monthly.procore.com"},
	"federal":    {Login: "https://login.procoregov.com", API: "https://api.procoregov.com"},
}

// Enumerations accepted by the file, in the order error messages list them.
var (
	Clouds          = []string{"global", "usgov", "usgov-dod", "china"}
	Environments    = []string{"production", "sandbox", "monthly", "federal"}
	EmailAttributes = []string{"mail", "userPrincipalName"}
	OffboardModes   = []string{"report", "deactivate"}
	SendModes       = []string{"changes", "always", "never"}
)

// Config is a loaded, validated configuration with defaults applied.
type Config struct {
	// Path is the file the configuration came from (the name given to Parse).
	Path    string  `toml:"-"`
	Graph   Graph   `toml:"graph"`
	Groups  Groups  `toml:"groups"`
	Match   Match   `toml:"match"`
	Procore Procore `toml:"procore"`
	Report  Report  `toml:"report"`
	Auto    Auto    `toml:"auto"`
	// Map is the [map] table: Entra user property → Procore user field
	// (see mapping.go).
	Map map[string]string `toml:"map"`
	// Projects are the [[projects]] rules (projects.go).
	Projects []ProjectRule `toml:"projects"`
}

// Graph is the [graph] table: the Entra tenant and app registration.
type Graph struct {
	Tenant   string `toml:"tenant"`
	ClientID string `toml:"client_id"`
	Cloud    string `toml:"cloud"`
	// APIURLOverride and LoginURLOverride replace the cloud's hosts (for
	// the simulator or a proxy); use APIURL and LoginURL to read the result.
	APIURLOverride   string `toml:"api_url"`
	LoginURLOverride string `toml:"login_url"`
	// ClientSecret comes from GraphSecretEnv, never from the file.
	ClientSecret string `toml:"-"`
}

// APIURL returns the Graph base URL (without /v1.0): the override if set,
// else the cloud's host.
func (g Graph) APIURL() string {
	if g.APIURLOverride != "" {
		return strings.TrimRight(g.APIURLOverride, "/")
	}
	return GraphClouds[g.cloud()].API
}

// LoginURL returns the identity platform base URL (without the tenant):
// the override if set, else the cloud's host.
func (g Graph) LoginURL() string {
	if g.LoginURLOverride != "" {
		return strings.TrimRight(g.LoginURLOverride, "/")
	}
	return GraphClouds[g.cloud()].Login
}

// Scope returns the app-only ".default" scope of the cloud's Graph
// resource. It ignores api_url: an override moves where requests go (the
// simulator, a proxy), not which resource the token is for.
func (g Graph) Scope() string { return GraphClouds[g.cloud()].API + "/.default" }

func (g Graph) cloud() string {
	if g.Cloud == "" {
		return DefaultCloud
	}
	return g.Cloud
}

// Groups is the [groups] table: which license groups are read and who in
// them is eligible.
type Groups struct {
	NamePrefixes    []string `toml:"name_prefixes"`
	SKUs            []string `toml:"skus"`
	IDs             []string `toml:"ids"`
	Nested          bool     `toml:"nested"`
	IncludeGuests   bool     `toml:"include_guests"`
	IncludeDisabled bool     `toml:"include_disabled"`
	AllowedDomains  []string `toml:"allowed_domains"`
	// Exclude holds path.Match patterns compared with the lower-cased address.
	Exclude []string `toml:"exclude"`
}

// Match is the [match] table.
type Match struct {
	// EmailAttribute is "mail" (falling back to userPrincipalName when mail
	// is null) or "userPrincipalName".
	EmailAttribute string `toml:"email_attribute"`
}

// Procore is the [procore] table: the company, the app and what to write.
type Procore struct {
	Environment      string `toml:"environment"`
	CompanyID        int64  `toml:"company_id"`
	ClientID         string `toml:"client_id"`
	RedirectURI      string `toml:"redirect_uri"`
	APIURLOverride   string `toml:"api_url"`
	LoginURLOverride string `toml:"login_url"`
	// ProjectIDs are the projects new users are added to.
	ProjectIDs []int64 `toml:"project_ids"`
	// PermissionTemplateID is used when adding to projects; 0 means none.
	PermissionTemplateID int64  `toml:"permission_template_id"`
	IsEmployee           bool   `toml:"is_employee"`
	Reactivate           bool   `toml:"reactivate"`
	UpdateNames          bool   `toml:"update_names"`
	Offboard             string `toml:"offboard"`
	// BatchesInFlight bounds the write batches sent at once; 0 is the
	// engine's default.
	BatchesInFlight int `toml:"batches_in_flight"`
	// ClientSecret comes from ProcoreSecretEnv, never from the file.
	ClientSecret string `toml:"-"`
}

// APIURL returns the Procore API base URL (without /rest): the override if
// set, else the environment's host.
func (p Procore) APIURL() string {
	if p.APIURLOverride != "" {
		return strings.TrimRight(p.APIURLOverride, "/")
	}
	return ProcoreEnvironments[p.environment()].API
}

// LoginURL returns the Procore login base URL (without /oauth): the
// override if set, else the environment's host.
func (p Procore) LoginURL() string {
	if p.LoginURLOverride != "" {
		return strings.TrimRight(p.LoginURLOverride, "/")
	}
	return ProcoreEnvironments[p.environment()].Login
}

// IsProduction reports whether writes may reach real people's accounts. It
// is the one place that decides it: the TUI's typed confirmation, the
// explorer's write switch and the report's subject all follow it. A config
// is production when its label says so (production and federal hold live
// company directories) or when either effective Procore host, api_url or
// login_url, is not one of Procore's sandbox hosts or loopback: a label is
// only a word, the hosts are where the writes go. An api_url override keeps
// a "production" label's answer, so pointing it at a proxy stays guarded.
func (p Procore) IsProduction() bool {
	e := p.environment()
	if e == "production" || e == "federal" {
		return true
	}
	return !IsSandboxURL(p.APIURL()) || !IsSandboxURL(p.LoginURL())
}

// Label is the environment to show and record: the label, except that a
// config whose hosts make it production (IsProduction) is "production"
// whatever its label says.
func (p Procore) Label() string {
	e := p.environment()
	if p.IsProduction() && e != "production" && e != "federal" {
		return "production"
	}
	return e
}

func (p Procore) environment() string {
	if p.Environment == "" {
		return DefaultEnvironment
	}
	return p.Environment
}

// Report is the [report] table.
type Report struct {
	// To lists the recipients; when empty, reports are only saved in the
	// state directory.
	To      []string `toml:"to"`
	From    string   `toml:"from"`
	Subject string   `toml:"subject"`
	Send    string   `toml:"send"`
}

// Auto is the [auto] table: the brakes of a headless run.
type Auto struct {
	MaxCreates       int `toml:"max_creates"`
	MaxDeactivations int `toml:"max_deactivations"`
	MaxReactivations int `toml:"max_reactivations"`
	// Updates lets a headless run approve update rows that change mapped
	// fields ([map]); off, they wait for an operator.
	Updates bool `toml:"updates"`
}

// Default returns a configuration holding every default and none of the
// required values.
func Default() *Config {
	return &Config{
		Graph:  Graph{Cloud: DefaultCloud},
		Match:  Match{EmailAttribute: DefaultEmailAttribute},
		Groups: Groups{},
		Procore: Procore{
			Environment: DefaultEnvironment,
			RedirectURI: DefaultRedirectURI,
			IsEmployee:  true,
			Reactivate:  true,
			Offboard:    DefaultOffboard,
		},
		Report: Report{Subject: DefaultSubject, Send: DefaultSend},
		Auto: Auto{MaxCreates: DefaultMaxCreates, MaxDeactivations: DefaultMaxDeactivate,
			MaxReactivations: DefaultMaxReactivate},
	}
}

// applyGroupDefault fills the name prefixes when no selector was given:
// adding the default prefixes next to explicit skus or ids would silently
// widen what the admin asked for.
func (c *Config) applyGroupDefault() {
	g := &c.Groups
	if len(g.NamePrefixes) == 0 && len(g.SKUs) == 0 && len(g.IDs) == 0 {
		g.NamePrefixes = slices.Clone(DefaultNamePrefixes)
	}
}
