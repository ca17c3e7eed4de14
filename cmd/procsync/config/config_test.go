package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// minimal is the smallest valid file: the four required values.
const minimal = `[graph]
tenant = "contoso.onmicrosoft.com"
client_id = "11111111-2222-3333-4444-555555555555"

[procore]
company_id = 1234
client_id = "pc-client"
`

func TestParseMinimalAppliesDefaults(t *testing.T) {
	cfg, err := Parse([]byte(minimal), "config.toml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"graph.cloud", cfg.Graph.Cloud, "global"},
		{"graph api", cfg.Graph.APIURL(), "https://graph.microsoft.com"},
		{"graph login", cfg.Graph.LoginURL(), "https://login.microsoftonline.com"},
		{"graph scope", cfg.Graph.Scope(), "https://graph.microsoft.com/.default"},
		{"procore.environment", cfg.Procore.Environment, "production"},
		{"procore api", cfg.Procore.APIURL(), "https://api.procore.com"},
		{"procore login", cfg.Procore.LoginURL(), "https://login.procore.com"},
		{"procore.redirect_uri", cfg.Procore.RedirectURI, DefaultRedirectURI},
		{"procore.is_employee", cfg.Procore.IsEmployee, true},
		{"procore.reactivate", cfg.Procore.Reactivate, true},
		{"procore.update_names", cfg.Procore.UpdateNames, false},
		{"procore.offboard", cfg.Procore.Offboard, "report"},
		{"production", cfg.Procore.IsProduction(), true},
		{"match.email_attribute", cfg.Match.EmailAttribute, "mail"},
		{"report.send", cfg.Report.Send, "changes"},
		{"report.subject", cfg.Report.Subject, DefaultSubject},
		{"auto.max_creates", cfg.Auto.MaxCreates, 50},
		{"auto.max_deactivations", cfg.Auto.MaxDeactivations, 5},
		{"auto.max_reactivations", cfg.Auto.MaxReactivations, 10},
		{"groups.name_prefixes", strings.Join(cfg.Groups.NamePrefixes, "|"), "License – Microsoft|License – Office"},
		{"groups.nested", cfg.Groups.Nested, false},
		{"path", cfg.Path, "config.toml"},
		{"company", cfg.Procore.CompanyID, int64(1234)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseFullFile(t *testing.T) {
	src := `[graph]
tenant = "contoso.onmicrosoft.com"
client_id = "c"
cloud = "usgov"
[groups]
skus = ["SPE_E3"]
ids = ["6FD2C87F-B296-42F0-B197-1E91E994B900"]
nested = true
include_guests = true
include_disabled = true
allowed_domains = ["contoso.com", "contoso.co.uk"]
exclude = ["svc-*@contoso.com"]
[match]
email_attribute = "userPrincipalName"
[procore]
environment = "sandbox"
company_id = 7
client_id = "p"
redirect_uri = "urn:ietf:wg:oauth:2.0:oob"
project_ids = [1, 2]
permission_template_id = 42
is_employee = false
reactivate = false
update_names = true
offboard = "deactivate"
[report]
to = ["it@contoso.com", "ops@contoso.com"]
from = "procsync@contoso.com"
subject = "hello"
send = "always"
[auto]
max_creates = 0
max_deactivations = 0
`
	cfg, err := Parse([]byte(src), "full.toml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(cfg.Groups.NamePrefixes) != 0 {
		t.Errorf("name_prefixes defaulted next to explicit skus/ids: %q", cfg.Groups.NamePrefixes)
	}
	if !cfg.Groups.Nested || !cfg.Groups.IncludeGuests || !cfg.Groups.IncludeDisabled || cfg.Procore.IsEmployee || cfg.Procore.Reactivate || !cfg.Procore.UpdateNames {
		t.Errorf("booleans not decoded: %+v %+v", cfg.Groups, cfg.Procore)
	}
	if !slices.Equal(cfg.Procore.ProjectIDs, []int64{1, 2}) || cfg.Procore.PermissionTemplateID != 42 {
		t.Errorf("projects = %v template = %d", cfg.Procore.ProjectIDs, cfg.Procore.PermissionTemplateID)
	}
	if cfg.Procore.IsProduction() {
		t.Error("sandbox reported as production")
	}
	if cfg.Auto.MaxCreates != 0 || cfg.Report.Send != "always" || cfg.Match.EmailAttribute != "userPrincipalName" {
		t.Errorf("values not decoded: %+v %+v %+v", cfg.Auto, cfg.Report, cfg.Match)
	}
	if got := cfg.Graph.Scope(); got != "https://graph.microsoft.us/.default" {
		t.Errorf("usgov scope = %q", got)
	}
}

func TestPresetsAndOverrides(t *testing.T) {
	tests := []struct {
		name       string
		graph      string // lines added to [graph]
		procore    string // lines added to [procore]
		graphAPI   string
		graphLogin string
		pcAPI      string
		pcLogin    string
		production bool
	}{
		{"global/production", ``, ``, "https://graph.microsoft.com", "https://login.microsoftonline.com", "https://api.procore.com", "https://login.procore.com", true},
		{"usgov/sandbox", `cloud = "usgov"`, `environment = "sandbox"`, "https://graph.microsoft.us", "https://login.microsoftonline.us", "https://sandbox.procore.com", "https://login-sandbox.procore.com", false},
		{"dod/monthly", `cloud = "usgov-dod"`, `environment = "monthly"`, "https://dod-graph.microsoft.us", "https://login.microsoftonline.us", "https://api-monthly.procore.com", "https://login-sandbox-monthly.procore.com", false},
		{"china/federal", `cloud = "china"`, `environment = "federal"`, "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn", "https://api.procoregov.com", "https://login.procoregov.com", true},
		{"overrides win", "cloud = \"china\"\napi_url = \"http://127.0.0.1:9999/graph/\"\nlogin_url = \"http://localhost:9999/identity\"",
			"environment = \"production\"\napi_url = \"http://[::1]:9999/procore\"\nlogin_url = \"https://proxy.example.com/pl\"",
			"http://127.0.0.1:9999/graph", "http://localhost:9999/identity", "http://[::1]:9999/procore", "https://proxy.example.com/pl", true},
		{"sandbox on loopback (the simulator)", ``, "environment = \"sandbox\"\napi_url = \"http://127.0.0.1:9999/procore\"\nlogin_url = \"http://localhost:9999/pl\"",
			"https://graph.microsoft.com", "https://login.microsoftonline.com", "http://127.0.0.1:9999/procore", "http://localhost:9999/pl", false},
		{"sandbox on the monthly hosts", ``, "environment = \"sandbox\"\napi_url = \"https://API-monthly.procore.com:443/\"",
			"https://graph.microsoft.com", "https://login.microsoftonline.com", "https://API-monthly.procore.com:443", "https://login-sandbox.procore.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(minimal, "[graph]\n", "[graph]\n"+tt.graph+"\n", 1)
			src = strings.Replace(src, "[procore]\n", "[procore]\n"+tt.procore+"\n", 1)
			cfg, err := Parse([]byte(src), "c.toml")
			if err != nil {
				t.Fatalf("Parse: %v\n%s", err, src)
			}
			for _, c := range [][2]string{
				{cfg.Graph.APIURL(), tt.graphAPI}, {cfg.Graph.LoginURL(), tt.graphLogin},
				{cfg.Procore.APIURL(), tt.pcAPI}, {cfg.Procore.LoginURL(), tt.pcLogin},
			} {
				if c[0] != c[1] {
					t.Errorf("got %q, want %q", c[0], c[1])
				}
			}
			if cloud := GraphClouds[cfg.Graph.Cloud].API; cfg.Graph.Scope() != cloud+"/.default" {
				t.Errorf("scope %q follows the override, want the cloud's %q", cfg.Graph.Scope(), cloud)
			}
			if cfg.Procore.IsProduction() != tt.production {
				t.Errorf("IsProduction = %v", !tt.production)
			}
		})
	}
}

// TestErrorsNameKeyAndLine checks each message as the admin reads it: the
// file, the line, the key and what is wrong.
func TestErrorsNameKeyAndLine(t *testing.T) {
	tests := []struct {
		name string
		src  string
		line int
		key  string
		want string // substring of the message
	}{
		{"unknown key", minimal + "colour = \"blue\"\n", 8, "procore.colour", "unknown key"},
		{"unknown key suggestion", strings.Replace(minimal, "company_id", "compnay_id", 1), 6, "procore.compnay_id", "did you mean company_id?"},
		{"unknown table", minimal + "\n[grpahs]\nx = 1\n", 9, "grpahs", "unknown key"},
		{"unknown key exact case", strings.Replace(minimal, "tenant", "Tenant", 1), 2, "graph.Tenant", "did you mean tenant?"},
		{"wrong type string", strings.Replace(minimal, `"pc-client"`, `42`, 1), 7, "procore.client_id", "must be a string, not an integer"},
		{"wrong type int", strings.Replace(minimal, "1234", `"1234"`, 1), 6, "procore.company_id", "must be an integer, not a string"},
		{"wrong type bool", minimal + "is_employee = \"yes\"\n", 8, "procore.is_employee", "must be true or false"},
		{"wrong type array", minimal + "project_ids = [1, \"2\"]\n", 8, "procore.project_ids", "must be an array of integers"},
		{"float", minimal + "[auto]\nmax_creates = 1.5\n", 9, "auto.max_creates", "not a float"},
		{"table as value", minimal + "[match]\nemail_attribute = { a = 1 }\n", 9, "match.email_attribute", "must be a string, not a table"},
		{"value as table", "report = 3\n" + minimal, 1, "report", "must be a table, not an integer"},
		{"bad enum", strings.Replace(minimal, "[graph]\n", "[graph]\ncloud = \"europe\"\n", 1), 2, "graph.cloud", `"europe" is not one of global, usgov, usgov-dod, china`},
		{"enum case hint", minimal + "environment = \"Sandbox\"\n", 8, "procore.environment", `did you mean "sandbox"?`},
		{"bad enum offboard", minimal + "offboard = \"delete\"\n", 8, "procore.offboard", "report, deactivate"},
		{"bad enum send", minimal + "[report]\nsend = \"weekly\"\n", 9, "report.send", "changes, always, never"},
		{"bad enum attribute", minimal + "[match]\nemail_attribute = \"upn\"\n", 9, "match.email_attribute", "mail, userPrincipalName"},
		{"missing tenant", strings.Replace(minimal, "tenant = \"contoso.onmicrosoft.com\"\n", "", 1), 1, "graph.tenant", "required value missing in [graph]"},
		{"missing company", strings.Replace(minimal, "company_id = 1234\n", "", 1), 5, "procore.company_id", "required value missing in [procore]"},
		{"missing procore client", strings.Replace(minimal, "client_id = \"pc-client\"\n", "", 1), 5, "procore.client_id", "required value missing"},
		{"missing graph client", strings.Replace(minimal, "client_id = \"11111111-2222-3333-4444-555555555555\"\n", "", 1), 1, "graph.client_id", "required value missing"},
		{"missing table", "[graph]\ntenant = \"t\"\nclient_id = \"c\"\n", 0, "procore.company_id", "the file has no [procore] table"},
		{"http non-loopback", minimal + "api_url = \"http://api.procore.com\"\n", 8, "procore.api_url", "must use https"},
		{"http lookalike", strings.Replace(minimal, "[graph]\n", "[graph]\nlogin_url = \"http://127.0.0.1.evil.com/x\"\n", 1), 2, "graph.login_url", "must use https"},
		{"ftp", minimal + "login_url = \"ftp://localhost/\"\n", 8, "procore.login_url", "must be an https URL"},
		{"relative url", strings.Replace(minimal, "[graph]\n", "[graph]\napi_url = \"graph.microsoft.com\"\n", 1), 2, "graph.api_url", "not an absolute URL"},
		{"url with query", minimal + "api_url = \"https://api.procore.com/?x=1\"\n", 8, "procore.api_url", "without credentials, query or fragment"},
		{"redirect https", minimal + "redirect_uri = \"https://example.com/cb\"\n", 8, "procore.redirect_uri", "http loopback URL"},
		{"redirect bad port", minimal + "redirect_uri = \"http://localhost:99999/cb\"\n", 8, "procore.redirect_uri", "http loopback URL"},
		{"report to", minimal + "[report]\nto = [\"it@contoso.com\", \"Ana <ana@contoso.com>\"]\n", 9, "report.to", `entry 2 ("Ana <ana@contoso.com>") is not an email address`},
		{"report to no dot", minimal + "[report]\nto = [\"root@localhost\"]\n", 9, "report.to", "not an email address"},
		{"report from", minimal + "[report]\nfrom = \"nobody\"\n", 9, "report.from", "not an email address"},
		{"empty subject", minimal + "[report]\nsubject = \" \"\n", 9, "report.subject", "must not be empty"},
		{"negative brake", minimal + "\n\n[auto]\nmax_creates = -1\n", 11, "auto.max_creates", "must be 0 or more, not -1"},
		{"negative deactivations", minimal + "[auto]\nmax_deactivations = -3\n", 9, "auto.max_deactivations", "must be 0 or more"},
		{"negative reactivations", minimal + "[auto]\nmax_reactivations = -1\n", 9, "auto.max_reactivations", "must be 0 or more"},
		{"too many batches in flight", minimal + "batches_in_flight = 20\n", 8, "procore.batches_in_flight", "must be from 1 to 8"},
		{"sandbox label, production api", minimal + "environment = \"sandbox\"\napi_url = \"https://api.procore.com\"\n", 9, "procore.api_url",
			`host "api.procore.com" is not a Procore sandbox host or loopback, but procore.environment is "sandbox"`},
		{"monthly label, production login", minimal + "environment = \"monthly\"\n\nlogin_url = \"https://login.procore.com/\"\n", 10, "procore.login_url",
			`host "login.procore.com" is not a Procore sandbox host or loopback, but procore.environment is "monthly"`},
		{"sandbox label, unknown host", minimal + "environment = \"sandbox\"\napi_url = \"https://procore-proxy.corp.example\"\n", 9, "procore.api_url",
			`set environment = "production"`},
		{"sandbox label, lookalike host", minimal + "environment = \"sandbox\"\napi_url = \"https://sandbox.procore.com.evil.example\"\n", 9, "procore.api_url",
			"is not a Procore sandbox host"},
		{"company zero", strings.Replace(minimal, "1234", "0", 1), 6, "procore.company_id", "positive company id"},
		{"project id", minimal + "project_ids = [5, -1]\n", 8, "procore.project_ids", "entry 2 (-1) is not a project id"},
		{"group id", minimal + "[groups]\nids = [\"abc\"]\n", 9, "groups.ids", "not a group object id"},
		{"domain", minimal + "[groups]\nallowed_domains = [\"@contoso.com\"]\n", 9, "groups.allowed_domains", "not a domain"},
		{"pattern", minimal + "[groups]\nexclude = [\"[a-\"]\n", 9, "groups.exclude", "not a valid pattern"},
		{"empty prefix", minimal + "[groups]\nname_prefixes = [\"\"]\n", 9, "groups.name_prefixes", "would match every group"},
		{"tenant chars", strings.Replace(minimal, "contoso.onmicrosoft.com", "contoso/../x", 1), 2, "graph.tenant", "not a tenant id or domain"},
		{"client id space", strings.Replace(minimal, "pc-client", "pc client", 1), 7, "procore.client_id", "contains spaces"},
		{"graph secret", strings.Replace(minimal, "[graph]\n", "[graph]\nclient_secret = \"s3cr3t-value\"\n", 1), 2, "graph.client_secret", "set the environment variable PROCSYNC_GRAPH_CLIENT_SECRET"},
		{"procore secret", minimal + "client_secret = \"s3cr3t-value\"\n", 8, "procore.client_secret", "PROCSYNC_PROCORE_CLIENT_SECRET"},
		{"dotted key", minimal + "\n\n[auto]\n" + "\n", 0, "", ""}, // valid: checked below as a control
		{"syntax error", minimal + "[report\n", 8, "", "expected"},
		{"duplicate key", minimal + "company_id = 5\n", 8, "", "already been defined"},
		{"inline table", "graph = { tenant = \"t\", client_id = \"c\", cluod = \"x\" }\n[procore]\ncompany_id = 1\nclient_id = \"p\"\n", 1, "graph.cluod", "did you mean cloud?"},
		{"dotted top-level key", minimal + "\n[report]\nauto.max_creates = -5\n", 10, "report.auto.max_creates", "unknown key"},
		{"array of tables", minimal + "[[report]]\nto = []\n", 8, "report", "must be a table, not an array of tables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src), "conf.toml")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("control case failed: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tt.src)
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %T is not config.Errors: %v", err, err)
			}
			e := errs[0]
			if e.Line != tt.line || (tt.key != "" && e.Key != tt.key) || !strings.Contains(e.Msg, tt.want) {
				t.Errorf("got line %d key %q msg %q\nwant line %d key %q msg containing %q", e.Line, e.Key, e.Msg, tt.line, tt.key, tt.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "conf.toml") || (tt.key != "" && !strings.Contains(msg, tt.key)) {
				t.Errorf("message %q lacks file or key", msg)
			}
			if tt.line > 0 && !strings.Contains(msg, ":"+strconv.Itoa(tt.line)+":") {
				t.Errorf("message %q lacks line %d", msg, tt.line)
			}
			if strings.Contains(msg, "s3cr3t") {
				t.Errorf("message leaks the secret: %q", msg)
			}
			if !IsConfigError(err) {
				t.Error("IsConfigError = false")
			}
		})
	}
}

func TestAllErrorsReportedInFileOrder(t *testing.T) {
	src := "[graph]\ntenant = 1\nbogus = 2\n[procore]\ncompany_id = \"x\"\nclient_id = \"p\"\n"
	_, err := Parse([]byte(src), "c.toml")
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v", err)
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Key)
	}
	want := []string{"graph.tenant", "graph.bogus", "procore.company_id"}
	if !slices.Equal(got, want) {
		t.Errorf("keys = %q, want %q\n%v", got, want, err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(GraphSecretEnv, "graph-secret")
	t.Setenv(ProcoreSecretEnv, "procore-secret")
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Graph.ClientSecret != "graph-secret" || cfg.Procore.ClientSecret != "procore-secret" || cfg.Path != path {
		t.Errorf("secrets/path not applied: %q %q %q", cfg.Graph.ClientSecret, cfg.Procore.ClientSecret, cfg.Path)
	}

	_, err = Load(filepath.Join(dir, "missing.toml"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "procsync init") {
		t.Errorf("missing file error = %v", err)
	}
}

func TestFind(t *testing.T) {
	t.Setenv(ConfigEnv, "")
	def, err := Find("")
	if err != nil {
		t.Fatalf("Find: %v", err)
	}
	if !strings.HasSuffix(def, filepath.Join("procsync", "config.toml")) {
		t.Errorf("default = %q", def)
	}
	t.Setenv(ConfigEnv, "/env/config.toml")
	if got, _ := Find(""); got != "/env/config.toml" {
		t.Errorf("env: got %q", got)
	}
	if got, _ := Find("/flag.toml"); got != "/flag.toml" {
		t.Errorf("flag: got %q", got)
	}
}

func TestStateDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("XDG rules apply on Linux")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	tests := []struct {
		flag, env, xdg, want string
	}{
		{"/f", "/e", "/x", "/f"},
		{"", "/e", "/x", "/e"},
		{"", "", "/x", "/x/procsync"},
		{"", "", "relative", filepath.Join(home, ".local/state/procsync")},
		{"", "", "", filepath.Join(home, ".local/state/procsync")},
	}
	for _, tt := range tests {
		t.Setenv(StateDirEnv, tt.env)
		t.Setenv("XDG_STATE_HOME", tt.xdg)
		got, err := StateDir(tt.flag)
		if err != nil || got != tt.want {
			t.Errorf("StateDir(%q) env=%q xdg=%q = %q, %v; want %q", tt.flag, tt.env, tt.xdg, got, err, tt.want)
		}
	}
}

func BenchmarkParseCommented(b *testing.B) {
	data := Commented(Values{Tenant: "contoso.onmicrosoft.com", GraphClientID: "g", CompanyID: 1, ProcoreClientID: "p"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data, "bench.toml"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestProductionIsDecidedByHosts holds IsProduction to the hosts, not only
// the label: Parse refuses a sandbox label over production hosts, but a
// config built in code (or by a future loader) must still count as
// production.
func TestProductionIsDecidedByHosts(t *testing.T) {
	tests := []struct {
		name string
		p    Procore
		want bool
	}{
		{"sandbox preset", Procore{Environment: "sandbox"}, false},
		{"monthly preset", Procore{Environment: "monthly"}, false},
		{"sandbox label, production api", Procore{Environment: "sandbox", APIURLOverride: "https://api.procore.com"}, true},
		{"sandbox label, production login", Procore{Environment: "sandbox", LoginURLOverride: "https://login.procore.com"}, true},
		{"monthly label, unknown proxy", Procore{Environment: "monthly", APIURLOverride: "https://proxy.corp.example"}, true},
		{"sandbox label, loopback", Procore{Environment: "sandbox", APIURLOverride: "http://127.0.0.1:8080", LoginURLOverride: "http://[::1]:9"}, false},
		{"production label, loopback", Procore{Environment: "production", APIURLOverride: "http://127.0.0.1:8080", LoginURLOverride: "http://127.0.0.1:8080"}, true},
		{"federal label", Procore{Environment: "federal"}, true},
	}
	for _, tt := range tests {
		if got := tt.p.IsProduction(); got != tt.want {
			t.Errorf("%s: IsProduction() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
