package config

import (
	"procsync/sync/roster"
)

// Rules maps the [groups], [match] and [procore] keys that decide what the
// diff plans onto roster.Rules. It is the one mapping: Parse validates
// through it, so a value the engine would refuse is a config error located
// at its key and line, not a failure at run time.
func (c *Config) Rules() roster.Rules {
	return roster.Rules{
		IncludeGuests:   c.Groups.IncludeGuests,
		IncludeDisabled: c.Groups.IncludeDisabled,
		AllowedDomains:  c.Groups.AllowedDomains,
		Exclude:         c.Groups.Exclude,
		EmailAttribute:  c.Match.EmailAttribute,
		Reactivate:      c.Procore.Reactivate,
		UpdateNames:     c.Procore.UpdateNames,
		Offboard:        c.Procore.Offboard,
		Map:             roster.NewMapping(c.Map),
		AutoUpdates:     c.Auto.Updates,
		Projects:        c.projectRules(),
	}
}

// rulesAccept reports whether roster.Rules.Validate accepts r, a Rules
// holding one value: Validate stops at the first problem and names no
// entry, so each value is checked alone to report every bad one at its key.
func rulesAccept(r roster.Rules) bool { return r.Validate() == nil }

// checkRules runs Rules.Validate on the whole mapping once the per-key
// checks passed, so that the loader never accepts what the engine refuses.
// The per-key checks call Validate too; this catches a rule added to
// Validate later without a located check here.
func (p *parser) checkRules(c *Config) {
	if err := c.Rules().Validate(); err != nil {
		p.errs = append(p.errs, &Error{File: p.name, Msg: err.Error()})
	}
}
