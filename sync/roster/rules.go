package roster

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// The values of Rules.EmailAttribute.
const (
	EmailAttributeMail = "mail"
	EmailAttributeUPN  = "userPrincipalName"
)

// The values of Rules.Offboard.
const (
	OffboardReport     = "report"
	OffboardDeactivate = "deactivate"
)

// Rules are the parts of the configuration that decide what Diff plans. The
// config file's [groups], [match] and [procore] keys map onto them one to one.
// The zero value is the safe default: members only, enabled accounts only,
// every domain, match on mail, no reactivation, no name updates, offboarding
// only reported.
type Rules struct {
	// IncludeGuests plans guests (userType Guest) like members.
	IncludeGuests bool
	// IncludeDisabled plans disabled accounts (accountEnabled false).
	IncludeDisabled bool
	// AllowedDomains limits creation to addresses in these domains (exact,
	// case-insensitive). Empty allows every domain but also turns
	// offboarding off: without it procsync cannot tell employees from
	// subcontractors.
	AllowedDomains []string
	// Exclude holds glob patterns (path.Match syntax) on the member's
	// address, matched case-insensitively; a match excludes the member and
	// protects a Procore user with that address from offboarding.
	Exclude []string
	// EmailAttribute is the member attribute tried first for the address:
	// EmailAttributeMail (the default when empty) or EmailAttributeUPN. The
	// other one is the fallback.
	EmailAttribute string
	// Reactivate plans reactivation of inactive Procore users; without it
	// they are excluded with a reason.
	Reactivate bool
	// UpdateNames plans name updates of active Procore users whose names
	// differ from Entra ID's; without it they are in sync with a note.
	UpdateNames bool
	// Offboard is OffboardReport (the default when empty: list only) or
	// OffboardDeactivate (offboard actions may be approved and applied).
	Offboard string
	// Map copies Entra properties to Procore fields on creates and, when
	// they differ, through update actions; nil maps nothing.
	Map Mapping
	// AutoUpdates lets --auto approve update actions that change mapped
	// fields (auto.updates); name-only updates follow UpdateNames.
	AutoUpdates bool
	// Projects are the [[projects]] rules: members of a license group
	// added to Procore projects (project_add rows).
	Projects []ProjectRule
}

// Validate reports the first rule an operator must fix, naming the config
// key, so that a bad value stops the run before Diff silently works around it.
func (r Rules) Validate() error {
	switch r.EmailAttribute {
	case "", EmailAttributeMail, EmailAttributeUPN:
	default:
		return fmt.Errorf("rules: match.email_attribute %q: want %q or %q", r.EmailAttribute, EmailAttributeMail, EmailAttributeUPN)
	}
	switch r.Offboard {
	case "", OffboardReport, OffboardDeactivate:
	default:
		return fmt.Errorf("rules: procore.offboard %q: want %q or %q", r.Offboard, OffboardReport, OffboardDeactivate)
	}
	for _, d := range r.AllowedDomains {
		nd := normalizeDomain(d)
		if _, problem := normalizeAddress("x@" + nd); nd == "" || problem != "" {
			return fmt.Errorf("rules: groups.allowed_domains %q is not a domain name", d)
		}
	}
	for _, p := range r.Exclude {
		if _, err := path.Match(strings.ToLower(p), ""); err != nil {
			return fmt.Errorf("rules: groups.exclude pattern %q: %w", p, err)
		}
	}
	return errors.Join(r.Map.Validate(), validateProjects(r.Projects))
}

// emailAttribute is the effective attribute: an unknown value falls back to
// mail, the documented default (Validate rejects it up front).
func (r Rules) emailAttribute() string {
	if r.EmailAttribute == EmailAttributeUPN {
		return EmailAttributeUPN
	}
	return EmailAttributeMail
}

// deactivates reports whether offboard actions may be applied. Anything but
// an exact "deactivate" means report only, so a typo never deactivates.
func (r Rules) deactivates() bool { return r.Offboard == OffboardDeactivate }

// offboardMode is the effective Offboard value.
func (r Rules) offboardMode() string {
	if r.deactivates() {
		return OffboardDeactivate
	}
	return OffboardReport
}

// errBadPattern marks an exclude pattern path.Match cannot parse.
var errBadPattern = errors.New("malformed pattern")

// compiledRules is Rules prepared for Diff's inner loop.
type compiledRules struct {
	Rules
	attr    string
	domains map[string]bool
	// sortedDomains is the canonical form for the fingerprint.
	sortedDomains []string
	patterns      []pattern
}

type pattern struct {
	raw, lower string
	bad        bool
	// simple says the pattern has at most one '*' and no other
	// metacharacter, so that match can use prefix and suffix instead of
	// path.Match (which Diff would otherwise run for every address).
	simple         bool
	prefix, suffix string
	star           bool
}

// match reports whether the normalised address matches the pattern, with
// path.Match's semantics ('*' matches any run of non-'/' bytes).
func (p *pattern) match(addr string) bool {
	if !p.simple {
		ok, _ := path.Match(p.lower, addr)
		return ok
	}
	if !p.star {
		return addr == p.prefix
	}
	return len(addr) >= len(p.prefix)+len(p.suffix) &&
		strings.HasPrefix(addr, p.prefix) && strings.HasSuffix(addr, p.suffix) &&
		strings.IndexByte(addr[len(p.prefix):len(addr)-len(p.suffix)], '/') < 0
}

func compilePattern(raw string) pattern {
	lp := strings.ToLower(strings.TrimSpace(raw))
	_, err := path.Match(lp, "")
	p := pattern{raw: raw, lower: lp, bad: err != nil}
	if !p.bad && !strings.ContainsAny(lp, "?[\\") && strings.Count(lp, "*") <= 1 {
		p.simple = true
		p.prefix, p.suffix, p.star = strings.Cut(lp, "*")
	}
	return p
}

func (r Rules) compile() *compiledRules {
	c := &compiledRules{Rules: r, attr: r.emailAttribute()}
	if len(r.AllowedDomains) > 0 {
		c.domains = make(map[string]bool, len(r.AllowedDomains))
		for _, d := range r.AllowedDomains {
			if nd := normalizeDomain(d); nd != "" {
				c.domains[nd] = true
			}
		}
		for d := range c.domains {
			c.sortedDomains = append(c.sortedDomains, d)
		}
		slices.Sort(c.sortedDomains)
		// A list of nothing but blanks still means "restricted": an
		// operator who wrote allowed_domains wanted a restriction, so
		// nobody's domain is allowed rather than everybody's.
		if c.domains == nil {
			c.domains = map[string]bool{}
		}
	}
	for _, p := range r.Exclude {
		c.patterns = append(c.patterns, compilePattern(p))
	}
	return c
}

// restricted reports whether allowed_domains is set.
func (c *compiledRules) restricted() bool { return c.domains != nil }

// domainAllowed reports whether the address's domain may be provisioned.
func (c *compiledRules) domainAllowed(addr string) bool {
	if c.domains == nil {
		return true
	}
	return c.domains[domainOf(addr)]
}

// excludedBy returns the reason an exclude pattern gives for addr, or "".
// A malformed pattern excludes everybody: it was meant to keep someone out,
// and failing closed keeps a typo from provisioning service accounts.
func (c *compiledRules) excludedBy(addr string) string {
	for i := range c.patterns {
		p := &c.patterns[i]
		if p.bad {
			return fmt.Sprintf("exclude pattern %q is %v, so every address is excluded until it is fixed", p.raw, errBadPattern)
		}
		if p.match(addr) {
			return fmt.Sprintf("address %s matches exclude pattern %q", addr, p.raw)
		}
	}
	return ""
}

// normalizeDomain trims and lower-cases an allowed_domains entry and drops a
// leading "@", which admins often write.
func normalizeDomain(d string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
}

// domainOf returns the part of a normalised address after the "@".
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}
