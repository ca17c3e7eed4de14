package config

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
)

// Values are the few settings a new config file is written with; the rest
// of the file is defaults and comments.
type Values struct {
	// Header is an optional comment placed at the top (without "#").
	Header          string
	Tenant          string
	GraphClientID   string
	Cloud           string // "" means DefaultCloud
	GraphAPIURL     string // optional override
	GraphLoginURL   string // optional override
	Environment     string // "" means DefaultEnvironment
	CompanyID       int64
	ProcoreClientID string
	RedirectURI     string // "" means DefaultRedirectURI
	ProcoreAPIURL   string // optional override
	ProcoreLoginURL string // optional override
	ReportTo        []string
	ReportFrom      string // optional: the mailbox app-only runs send as
	MaxCreates      int    // 0 means DefaultMaxCreates
}

var commented = template.Must(template.New("config").Funcs(template.FuncMap{
	"q":       Quote,
	"qs":      quoteList,
	"comment": commentLines,
}).Parse(`{{with .Header}}{{comment .}}
{{end}}# procsync configuration. Reference: README.md ("Configuration").
# Secrets never go in this file: set them in the environment instead,
#   PROCSYNC_GRAPH_CLIENT_SECRET    Entra app client secret (headless app-only runs)
#   PROCSYNC_PROCORE_CLIENT_SECRET  Procore app client secret

[graph]
tenant = {{q .Tenant}}   # tenant id or domain
client_id = {{q .GraphClientID}}   # app registration (public client for sign-in)
cloud = {{q .Cloud}}   # global | usgov | usgov-dod | china
{{if .GraphAPIURL}}api_url = {{q .GraphAPIURL}}
{{else}}# api_url = "https://graph.microsoft.com"   # overrides the cloud's Graph host
{{end}}{{if .GraphLoginURL}}login_url = {{q .GraphLoginURL}}
{{else}}# login_url = "https://login.microsoftonline.com"   # overrides the cloud's sign-in host
{{end}}
[groups]
# License groups are chosen by display-name prefix, by the licenses they assign, or by id.
name_prefixes = ["License – Microsoft", "License – Office"]
# skus = ["SPE_E3", "SPE_E5", "SPE_F1"]   # groups that assign these licenses (part numbers)
# ids = ["00000000-0000-0000-0000-000000000000"]
nested = false            # read members of nested groups too (group licenses do not flow through them)
include_guests = false
include_disabled = false
# allowed_domains = ["contoso.com"]   # only these address domains are provisioned
# exclude = ["svc-*@contoso.com"]     # address patterns never provisioned

[match]
email_attribute = "mail"  # mail (falls back to userPrincipalName) | userPrincipalName

[procore]
environment = {{q .Environment}}   # production | sandbox | monthly | federal
company_id = {{.CompanyID}}
client_id = {{q .ProcoreClientID}}
redirect_uri = {{q .RedirectURI}}   # must be registered on the Procore app
{{if .ProcoreAPIURL}}api_url = {{q .ProcoreAPIURL}}
{{else}}# api_url = "https://api.procore.com"     # overrides the environment's API host
{{end}}{{if .ProcoreLoginURL}}login_url = {{q .ProcoreLoginURL}}
{{else}}# login_url = "https://login.procore.com" # overrides the environment's sign-in host
{{end}}# project_ids = [5678]          # also add new users to these projects
# permission_template_id = 42    # project permission template for them
is_employee = true
reactivate = true         # reactivate inactive Procore users who are licensed again
update_names = false      # correct first/last names that differ from Entra ID
offboard = "report"       # report | deactivate (users no longer in any license group)
# batches_in_flight = 4   # write batches (1,000 users each; the first, alone, 100) sent at once, 1 to 8

[report]
{{if .ReportTo}}to = {{qs .ReportTo}}
{{else}}# to = ["it@contoso.com"]
{{end}}{{if .ReportFrom}}from = {{q .ReportFrom}}   # mailbox to send as (required for app-only sending)
{{else}}# from = "procsync@contoso.com"   # mailbox to send as (required for app-only sending)
{{end}}
subject = "procsync: Procore users provisioned"
send = "changes"          # changes | always | never

[auto]
# Brakes for headless runs: refuse the whole run above these counts.
max_creates = {{.MaxCreates}}
max_deactivations = 5
max_reactivations = 10   # former users given their access back
# updates = false        # also approve update rows that change [map] fields

# [map]
# Entra user property = Procore user field, written on creates and kept in
# step through update rows (an empty Entra value never blanks Procore's).
# jobTitle = "job_title"
# mobilePhone = "mobile_phone"

# Projects by group: members of a license group are added to Procore
# projects. One [[projects]] table per rule; repeat it for more.
# [[projects]]
# group = "License – Microsoft 365 E3"   # a license group's display name or object id
# project_id = 5678                       # or project_ids = [5678, 5679]
# permission_template_id = 42             # 0 or left out: the project's default
`))

// Commented renders a complete, commented configuration file from v. Every
// key of the schema appears, set or commented out, so the file documents
// itself.
func Commented(v Values) []byte {
	if v.Cloud == "" {
		v.Cloud = DefaultCloud
	}
	if v.Environment == "" {
		v.Environment = DefaultEnvironment
	}
	if v.RedirectURI == "" {
		v.RedirectURI = DefaultRedirectURI
	}
	if v.MaxCreates == 0 {
		v.MaxCreates = DefaultMaxCreates
	}
	var b bytes.Buffer
	if err := commented.Execute(&b, v); err != nil {
		// The template is fixed and its inputs are plain values, so this
		// is a programming error.
		panic(fmt.Sprintf("config: render template: %v", err))
	}
	return b.Bytes()
}

// Quote returns s as a TOML basic string. Go's %q is not TOML: it emits
// \x escapes that TOML rejects.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func commentLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight("# "+l, " ")
	}
	return strings.Join(lines, "\n")
}
