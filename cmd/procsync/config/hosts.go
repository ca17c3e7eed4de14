package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// sandboxEnvironments are the procore.environment values whose writes
// never reach a live company directory.
var sandboxEnvironments = []string{"sandbox", "monthly"}

// IsSandboxURL reports whether raw's host is one of Procore's sandbox hosts
// (the sign-in and API hosts of the sandbox and monthly presets) or a
// loopback address (the simulator, a local proxy): the only hosts where
// writes cannot reach real people's accounts.
func IsSandboxURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if IsLoopbackHost(host) {
		return true
	}
	for _, env := range sandboxEnvironments {
		h := ProcoreEnvironments[env]
		for _, known := range []string{h.API, h.Login} {
			if k, err := url.Parse(known); err == nil && k.Hostname() == host {
				return true
			}
		}
	}
	return false
}

// sandboxHosts refuses a sandbox label over overrides that point
// elsewhere: `environment = "sandbox"` with api_url at the production host
// would skip the typed confirmation and enable the explorer's writes
// against a live directory. The label and the hosts must agree.
func (p *parser) sandboxHosts(c Procore) {
	if !slices.Contains(sandboxEnvironments, c.Environment) {
		return
	}
	for _, o := range []struct{ key, v string }{
		{"procore.api_url", c.APIURLOverride},
		{"procore.login_url", c.LoginURLOverride},
	} {
		if o.v == "" || CheckURL(o.v) != nil || IsSandboxURL(o.v) {
			// Unset, already reported as a bad URL, or a sandbox host.
			continue
		}
		u, _ := url.Parse(o.v)
		p.add(toml.Key(strings.Split(o.key, ".")),
			"host %q is not a Procore sandbox host or loopback, but procore.environment is %q: "+
				"a sandbox label must not point at a live Procore; set environment = \"production\" "+
				"(or \"federal\") if this host is one, or use the %s preset's hosts (%s, %s)",
			u.Host, c.Environment, c.Environment,
			strings.TrimPrefix(ProcoreEnvironments[c.Environment].API, "https://"),
			strings.TrimPrefix(ProcoreEnvironments[c.Environment].Login, "https://"))
	}
}

// CheckURL reports why raw is not acceptable as a service base URL: it
// must be absolute, https unless its host is a loopback address, and carry
// no query, fragment or credentials.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%q is not an absolute URL such as \"https://graph.microsoft.com\"", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return fmt.Errorf("%q must be a base URL without credentials, query or fragment", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q must use https (http is allowed only for 127.0.0.0/8, ::1 and localhost)", raw)
	}
	return fmt.Errorf("%q must be an https URL (http only for loopback addresses)", raw)
}

// IsLoopbackHost reports whether host (no port) is localhost or a loopback
// IP address (127.0.0.0/8, ::1).
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}
