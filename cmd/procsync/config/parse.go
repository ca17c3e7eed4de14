package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"net/url"
	"os"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// kind is the TOML shape a key must have.
type kind int

const (
	kTable kind = iota
	kString
	kInt
	kBool
	kStrings
	kInts
)

func (k kind) String() string {
	return [...]string{"a table", "a string", "an integer", "true or false", "an array of strings", "an array of integers"}[k]
}

// schema lists every key the file may hold. Keys are in toml.Key.String()
// form, so a quoted key such as "graph.tenant" (one piece with a dot) never
// matches graph.tenant.
var schema = map[string]kind{
	"graph":                          kTable,
	"graph.tenant":                   kString,
	"graph.client_id":                kString,
	"graph.cloud":                    kString,
	"graph.api_url":                  kString,
	"graph.login_url":                kString,
	"groups":                         kTable,
	"groups.name_prefixes":           kStrings,
	"groups.skus":                    kStrings,
	"groups.ids":                     kStrings,
	"groups.nested":                  kBool,
	"groups.include_guests":          kBool,
	"groups.include_disabled":        kBool,
	"groups.allowed_domains":         kStrings,
	"groups.exclude":                 kStrings,
	"match":                          kTable,
	"match.email_attribute":          kString,
	"procore":                        kTable,
	"procore.environment":            kString,
	"procore.company_id":             kInt,
	"procore.client_id":              kString,
	"procore.redirect_uri":           kString,
	"procore.api_url":                kString,
	"procore.login_url":              kString,
	"procore.project_ids":            kInts,
	"procore.permission_template_id": kInt,
	"procore.is_employee":            kBool,
	"procore.reactivate":             kBool,
	"procore.update_names":           kBool,
	"procore.offboard":               kString,
	"report":                         kTable,
	"report.to":                      kStrings,
	"report.from":                    kString,
	"report.subject":                 kString,
	"report.send":                    kString,
	"auto":                           kTable,
	"auto.max_creates":               kInt,
	"auto.max_deactivations":         kInt,
	"auto.max_reactivations":         kInt,
}

// secretKeys are refused with a pointer to the environment variable, since
// a secret in a file ends up in backups, tickets and screenshots.
var secretKeys = map[string]string{
	"graph.client_secret":   GraphSecretEnv,
	"procore.client_secret": ProcoreSecretEnv,
}

// Load reads and validates the file at path and takes the client secrets
// from the environment.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("config: %w at %s (run `procsync init` to write one, or pass --config): %w", ErrNoConfig, path, err)
		}
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	cfg, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	cfg.Graph.ClientSecret = os.Getenv(GraphSecretEnv)
	cfg.Procore.ClientSecret = os.Getenv(ProcoreSecretEnv)
	return cfg, nil
}

// Parse validates data as a procsync configuration named name (used in
// error messages) and returns it with defaults applied. It reads no
// environment variables. A non-nil error is an Errors listing every
// problem found.
func Parse(data []byte, name string) (*Config, error) {
	p := &parser{name: name, data: data}
	var raw map[string]any
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&raw)
	if err != nil {
		return nil, Errors{p.fromDecodeError(err)}
	}
	p.raw = raw
	p.checkShape(md.Keys())
	if len(p.errs) > 0 {
		return nil, p.errs
	}

	cfg := Default()
	cfg.Path = name
	md, err = toml.NewDecoder(bytes.NewReader(data)).Decode(cfg)
	if err != nil {
		// The shape check should have caught every type problem; this is
		// the library's own wording for anything it did not foresee.
		return nil, Errors{p.fromDecodeError(err)}
	}
	for _, k := range md.Undecoded() {
		p.add(k, "unknown key")
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	cfg.applyGroupDefault()
	p.validate(cfg)
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return cfg, nil
}

type parser struct {
	name string
	data []byte
	raw  map[string]any
	errs Errors
}

func (p *parser) fromDecodeError(err error) *Error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		// The library's line is one too far when the error sits on a
		// newline; the byte offset is exact.
		line := pe.Position.Line
		if s := pe.Position.Start; s >= 0 && s <= len(p.data) && pe.Position.Len > 0 {
			line = bytes.Count(p.data[:s], []byte("\n")) + 1
		}
		return &Error{File: p.name, Line: line, Msg: "syntax error: " + pe.Message}
	}
	return &Error{File: p.name, Msg: err.Error()}
}

// add records a problem at key k, locating its line.
func (p *parser) add(k toml.Key, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.name, Line: p.line(k), Key: k.String(), Msg: fmt.Sprintf(format, args...)})
}

// checkShape reports unknown keys, secrets and values of the wrong type,
// in file order. Children of a reported key are skipped: one mistake, one
// message.
func (p *parser) checkShape(keys []toml.Key) {
	var bad []toml.Key
	for _, k := range keys {
		if slices.ContainsFunc(bad, func(b toml.Key) bool { return hasPrefix(k, b) }) {
			continue
		}
		ks := k.String()
		if env, ok := secretKeys[ks]; ok {
			// Never echo the value: it is a secret.
			p.add(k, "secrets are not read from the config file; remove this key and set the environment variable %s", env)
			bad = append(bad, k)
			continue
		}
		want, ok := schema[ks]
		if !ok {
			msg := "unknown key"
			if s := suggest(k); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			p.add(k, "%s", msg)
			bad = append(bad, k)
			continue
		}
		v := lookup(p.raw, k)
		if got := typeName(v); !fits(want, v) {
			p.add(k, "must be %s, not %s", want, got)
			bad = append(bad, k)
			continue
		}
		if want != kTable {
			// A leaf's children (keys of an inline table in an array) were
			// already covered by the type check.
			bad = append(bad, k)
		}
	}
}

func hasPrefix(k, prefix toml.Key) bool {
	return len(k) > len(prefix) && slices.Equal(k[:len(prefix)], prefix)
}

// suggest returns the known key closest to k within its table, if any is
// close enough to be a likely typo.
func suggest(k toml.Key) string {
	parent := toml.Key(k[:len(k)-1]).String()
	best, bestD := "", 3
	for name := range schema {
		var cand string
		switch {
		case len(k) == 1 && !strings.Contains(name, "."):
			cand = name
		case len(k) == 2 && strings.HasPrefix(name, parent+"."):
			cand = strings.TrimPrefix(name, parent+".")
		default:
			continue
		}
		d := distance(strings.ToLower(k[len(k)-1]), cand)
		if d < bestD || (d == bestD && best != "" && cand < best) {
			best, bestD = cand, d
		}
	}
	return best
}

// distance is the Levenshtein distance, for typo suggestions only; long
// inputs are cut short since no key is longer than 30 bytes.
func distance(a, b string) int {
	if len(a) > 64 {
		return len(a)
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func lookup(m map[string]any, k toml.Key) any {
	var v any = m
	for _, piece := range k {
		t, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = t[piece]
	}
	return v
}

func fits(want kind, v any) bool {
	switch want {
	case kTable:
		_, ok := v.(map[string]any)
		return ok
	case kString:
		_, ok := v.(string)
		return ok
	case kInt:
		_, ok := v.(int64)
		return ok
	case kBool:
		_, ok := v.(bool)
		return ok
	case kStrings, kInts:
		arr, ok := v.([]any)
		if !ok {
			return false
		}
		elem := kString
		if want == kInts {
			elem = kInt
		}
		for _, e := range arr {
			if !fits(elem, e) {
				return false
			}
		}
		return true
	}
	return false
}

func typeName(v any) string {
	switch v := v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date/time"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	case []any:
		for _, e := range v {
			if _, ok := e.(string); !ok {
				return "an array holding " + typeName(e)
			}
		}
		return "an array of strings"
	}
	return fmt.Sprintf("%T", v)
}

// line finds the line where key k is defined, by decoding the document
// once more into a type built to fail exactly at k: the TOML library knows
// every key's position but only reports it in its errors.
func (p *parser) line(k toml.Key) int {
	if len(k) == 0 || p.raw == nil {
		return 0
	}
	target := reflect.New(probeType(k, p.raw))
	_, err := toml.NewDecoder(bytes.NewReader(p.data)).Decode(target.Interface())
	var pe toml.ParseError
	if errors.As(err, &pe) && pe.Message == errLocated.Error() && pe.LastKey == k.String() {
		return pe.Position.Line
	}
	return 0
}

// errLocated is recognised by its text: toml.ParseError does not unwrap.
var errLocated = errors.New("procsync: config key located")

// locator fails on decode, marking the key being decoded.
type locator struct{}

func (locator) UnmarshalTOML(any) error { return errLocated }

// ignored accepts any value, so that sibling keys bind to exact-name
// fields instead of case-insensitively to the locator.
type ignored struct{}

func (ignored) UnmarshalTOML(any) error { return nil }

var (
	locatorType = reflect.TypeFor[locator]()
	ignoredType = reflect.TypeFor[ignored]()
)

func probeType(k toml.Key, tree map[string]any) reflect.Type {
	names := make([]string, 0, len(tree))
	for name := range tree {
		names = append(names, name)
	}
	slices.Sort(names)
	fields := make([]reflect.StructField, 0, len(names))
	for i, name := range names {
		t := ignoredType
		if name == k[0] {
			t = locatorType
			if sub, ok := tree[name].(map[string]any); ok && len(k) > 1 {
				t = probeType(k[1:], sub)
			}
		}
		fields = append(fields, reflect.StructField{
			Name: "F" + strconv.Itoa(i),
			Type: t,
			Tag:  reflect.StructTag("toml:" + strconv.Quote(name)),
		})
	}
	return reflect.StructOf(fields)
}

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
		if !isGUID(s) {
			p.add(key("groups.ids"), "entry %d (%q) is not a group object id (a GUID)", i+1, s)
		}
	}
	for i, s := range c.Groups.AllowedDomains {
		if !validDomain(s) {
			p.add(key("groups.allowed_domains"), "entry %d (%q) is not a domain such as \"contoso.com\"", i+1, s)
		}
	}
	for i, s := range c.Groups.Exclude {
		if _, err := path.Match(s, ""); err != nil || s == "" {
			p.add(key("groups.exclude"), "entry %d (%q) is not a valid pattern (use * and ?, e.g. \"svc-*@contoso.com\")", i+1, s)
		}
	}
	p.enum("match.email_attribute", c.Match.EmailAttribute, EmailAttributes)

	p.enum("procore.environment", c.Procore.Environment, Environments)
	hasCompany := isDefined(p.raw, "procore", "company_id")
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

	if c.Auto.MaxCreates < 0 {
		p.add(key("auto.max_creates"), "must be 0 or more, not %d", c.Auto.MaxCreates)
	}
	if c.Auto.MaxDeactivations < 0 {
		p.add(key("auto.max_deactivations"), "must be 0 or more, not %d", c.Auto.MaxDeactivations)
	}
	if c.Auto.MaxReactivations < 0 {
		p.add(key("auto.max_reactivations"), "must be 0 or more, not %d", c.Auto.MaxReactivations)
	}
}

func isDefined(m map[string]any, k ...string) bool {
	return lookup(m, k) != nil
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

func isGUID(s string) bool {
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
