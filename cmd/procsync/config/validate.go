package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"procsync/sync/roster"
)

// validate checks values once their types are known to be right.
func (p *parser) validate(c *Config) {
	key := func(s string) toml.Key { return toml.Key(strings.Split(s, ".")) }

	p.required(c.Graph.Tenant != "", "graph.tenant", `the tenant id or domain, e.g. tenant = "contoso.onmicrosoft.com"`)
	if c.Graph.Tenant != "" && !validTenant(c.Graph.Tenant) {
		p.add(key("graph.tenant"), "%q is not a tenant id or domain (letters, digits, dots and dashes only)", c.Graph.Tenant)
	}
	p.required(c.Graph.ClientID != "", "graph.client_id", "the application (client) id of the Entra app registration")
	p.token("graph.client_id", c.Graph.ClientID)
	p.enum("graph.cloud", c.Graph.Cloud, Clouds)
	p.url("graph.api_url", c.Graph.APIURLOverride)
	p.url("graph.login_url", c.Graph.LoginURLOverride)

	for i, s := range c.Groups.NamePrefixes {
		if strings.TrimSpace(s) == "" {
			p.add(key("groups.name_prefixes"), "entry %d is empty: an empty prefix would match every group", i+1)
		}
	}
	for i, s := range c.Groups.SKUs {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, " '\t") {
			p.add(key("groups.skus"), "entry %d (%q) is not a SKU part number such as \"SPE_E3\" or a skuId", i+1, s)
		}
	}
	for i, s := range c.Groups.IDs {
		if !IsGUID(s) {
			p.add(key("groups.ids"), "entry %d (%q) is not a group object id (a GUID)", i+1, s)
		}
	}
	for i, s := range c.Groups.AllowedDomains {
		if !validDomain(s) || !rulesAccept(roster.Rules{AllowedDomains: []string{s}}) {
			p.add(key("groups.allowed_domains"), "entry %d (%q) is not a domain such as \"contoso.com\"", i+1, s)
		}
	}
	for i, s := range c.Groups.Exclude {
		if s == "" || !rulesAccept(roster.Rules{Exclude: []string{s}}) {
			p.add(key("groups.exclude"), "entry %d (%q) is not a valid pattern (use * and ?, e.g. \"svc-*@contoso.com\")", i+1, s)
		}
	}
	p.enum("match.email_attribute", c.Match.EmailAttribute, EmailAttributes)

	p.enum("procore.environment", c.Procore.Environment, Environments)
	hasCompany := p.md.IsDefined("procore", "company_id")
	p.required(hasCompany, "procore.company_id", "the Procore company id, a number shown in the company's URLs")
	if hasCompany && c.Procore.CompanyID <= 0 {
		p.add(key("procore.company_id"), "must be a positive company id, not %d", c.Procore.CompanyID)
	}
	p.required(c.Procore.ClientID != "", "procore.client_id", "the client id of the Procore app")
	p.token("procore.client_id", c.Procore.ClientID)
	p.redirect("procore.redirect_uri", c.Procore.RedirectURI)
	p.url("procore.api_url", c.Procore.APIURLOverride)
	p.url("procore.login_url", c.Procore.LoginURLOverride)
	p.sandboxHosts(c.Procore)
	for i, id := range c.Procore.ProjectIDs {
		if id <= 0 {
			p.add(key("procore.project_ids"), "entry %d (%d) is not a project id", i+1, id)
		}
	}
	if c.Procore.PermissionTemplateID < 0 {
		p.add(key("procore.permission_template_id"), "must be a permission template id or 0 for none, not %d", c.Procore.PermissionTemplateID)
	}
	p.enum("procore.offboard", c.Procore.Offboard, OffboardModes)

	for i, s := range c.Report.To {
		if !validAddress(s) {
			p.add(key("report.to"), "entry %d (%q) is not an email address such as \"it@contoso.com\"", i+1, s)
		}
	}
	if c.Report.From != "" && !validAddress(c.Report.From) {
		p.add(key("report.from"), "%q is not an email address such as \"procsync@contoso.com\"", c.Report.From)
	}
	if strings.TrimSpace(c.Report.Subject) == "" {
		p.add(key("report.subject"), "must not be empty")
	}
	p.enum("report.send", c.Report.Send, SendModes)

	if c.Procore.BatchesInFlight < 0 || c.Procore.BatchesInFlight > MaxBatchesInFlight {
		p.add(key("procore.batches_in_flight"), "must be from 1 to %d (0 or absent: the default), not %d", MaxBatchesInFlight, c.Procore.BatchesInFlight)
	}
	if c.Auto.MaxCreates < 0 {
		p.add(key("auto.max_creates"), "must be 0 or more, not %d", c.Auto.MaxCreates)
	}
	if c.Auto.MaxDeactivations < 0 {
		p.add(key("auto.max_deactivations"), "must be 0 or more, not %d", c.Auto.MaxDeactivations)
	}
	if c.Auto.MaxReactivations < 0 {
		p.add(key("auto.max_reactivations"), "must be 0 or more, not %d", c.Auto.MaxReactivations)
	}
	p.mapping(c.Map)
}

// required records a missing value, pointing at the table it belongs in.
func (p *parser) required(ok bool, dotted, what string) {
	if ok {
		return
	}
	k := toml.Key(strings.Split(dotted, "."))
	table := k[:1]
	if _, has := p.raw[table[0]].(map[string]any); has {
		p.errs = append(p.errs, &Error{File: p.name, Line: p.line(table), Key: dotted,
			Msg: fmt.Sprintf("required value missing in [%s]: %s", table[0], what)})
	} else {
		p.errs = append(p.errs, &Error{File: p.name, Key: dotted,
			Msg: fmt.Sprintf("required value missing (the file has no [%s] table): %s", table[0], what)})
	}
}

func (p *parser) token(dotted, v string) {
	if v != "" && strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		p.add(toml.Key(strings.Split(dotted, ".")), "%q contains spaces or control characters", v)
	}
}

func (p *parser) enum(dotted, v string, allowed []string) {
	if slices.Contains(allowed, v) {
		return
	}
	msg := fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", "))
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			msg += fmt.Sprintf(" (did you mean %q?)", a)
		}
	}
	p.add(toml.Key(strings.Split(dotted, ".")), "%s", msg)
}

// url accepts https anywhere and http only on loopback, where no one can
// sit between procsync and the server (the simulator, a local proxy).
func (p *parser) url(dotted, v string) {
	if v == "" {
		return
	}
	if err := CheckURL(v); err != nil {
		p.add(toml.Key(strings.Split(dotted, ".")), "%v", err)
	}
}

func (p *parser) redirect(dotted, v string) {
	if v == OOBRedirectURI {
		return
	}
	u, err := url.Parse(v)
	if err == nil && u.Scheme == "http" && IsLoopbackHost(u.Hostname()) && u.User == nil && u.Fragment == "" {
		if port := u.Port(); port == "" || validPort(port) {
			return
		}
	}
	p.add(toml.Key(strings.Split(dotted, ".")),
		"%q must be an http loopback URL registered on the Procore app (e.g. %q) or %q", v, DefaultRedirectURI, OOBRedirectURI)
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && n < 65536
}

func validTenant(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-')
	}) && !strings.HasPrefix(s, ".") && !strings.HasSuffix(s, ".")
}

func validDomain(s string) bool {
	return strings.Contains(s, ".") && validTenant(s) && !strings.Contains(s, "..")
}

// IsGUID reports whether s has the 8-4-4-4-12 hex form of an Entra tenant
// or application id.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
				return false
			}
		}
	}
	return true
}

// validAddress accepts a bare address: Graph's recipients take an address,
// not a display-name form.
func validAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
}

// MaxBatchesInFlight bounds procore.batches_in_flight: more parallel
// writes would only meet Procore's spike limit sooner.
const MaxBatchesInFlight = 8
