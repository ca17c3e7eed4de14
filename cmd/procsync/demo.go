package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"procsync/cmd/procsync/config"
	"procsync/sync/sim"
)

// demoHeader marks files written by --write-config, so that a later demo
// may replace them but never an admin's real config.
const demoHeader = "procsync demo config: points at the simulated tenant"

// DemoOptions are the inputs of `procsync demo`.
type DemoOptions struct {
	IO *IOStreams
	// Serve is the loopback address to serve the simulated tenant on.
	Serve string
	// WriteConfig, if set, is where the printed config is also saved.
	WriteConfig string
	// Users is the number of license-group members the tenant holds.
	Users int
	// Seed makes the generated tenant reproducible.
	Seed int64
	// Ready, if set, is called with the running server once the config is
	// printed (tests use it to reach the server).
	Ready func(*sim.Server)

	// Auto runs the headless flow against the simulator instead of the TUI.
	Auto   bool
	DryRun bool
	JSON   bool
	// Browser shows the simulator's consent page in the real browser
	// instead of approving sign-ins in-process.
	Browser bool
	// URLFile, if set, receives the in-process simulator's URL, so that
	// end-to-end tests can inspect what the demo did (hidden flag).
	URLFile string
	// Factory gives the TUI and --auto their logger and state directory.
	Factory *Factory
}

// NewCmdDemo builds `procsync demo`. runF replaces the run function in tests.
func NewCmdDemo(f *Factory, runF func(context.Context, *DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Try procsync against a built-in simulated tenant, with no accounts",
		Long: `Run procsync against a simulated tenant on loopback: the Microsoft identity
platform, Microsoft Graph and Procore (OAuth and REST API), with a seeded
construction company. No accounts and no internet are needed.

  procsync demo            opens the terminal UI; sign-in runs the real OAuth
                           code flow against the simulator, approved in-process
                           (--browser shows its consent page in your browser)
  procsync demo --auto     the headless run (--dry-run, --json as for --auto)
  procsync demo --serve A  serves only the simulator on A and prints a config
                           that points procsync (or curl) at it, until Ctrl-C

Unless --state-dir (or $PROCSYNC_STATE_DIR) is given, the demo keeps its
tokens, journal and reports in a fresh temporary directory, so it never touches
a real sign-in.`,
		Example: `  procsync demo
  procsync demo --users 2000
  procsync demo --auto --json
  procsync demo --serve 127.0.0.1:8080 --write-config ./demo.toml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Users < 1 {
				return flagErrorf("invalid --users %d: must be at least 1", opts.Users)
			}
			if opts.Serve != "" && (opts.Auto || opts.Browser) {
				return flagErrorf("--serve only serves the simulator; it cannot be combined with --auto or --browser")
			}
			if !opts.Auto && (opts.DryRun || opts.JSON) {
				return flagErrorf("--dry-run and --json go with --auto")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDemo(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Serve, "serve", "", "only serve the simulator on this loopback address (port 0 picks a free port) and print a config for it")
	fl.BoolVar(&opts.Auto, "auto", false, "run the headless flow against the simulator instead of the TUI")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "with --auto: plan only, write nothing")
	fl.BoolVar(&opts.JSON, "json", false, "with --auto: print one JSON object on stdout")
	fl.StringVar(&opts.URLFile, "sim-url-file", "", "write the simulator's URL to this file (for tests)")
	_ = fl.MarkHidden("sim-url-file")
	fl.BoolVar(&opts.Browser, "browser", false, "show the simulator's consent page in the real browser at sign-in")
	fl.StringVar(&opts.WriteConfig, "write-config", "", "also save the config to this file")
	fl.IntVar(&opts.Users, "users", sim.DefaultMembers, "license-group members in the simulated tenant")
	fl.Int64Var(&opts.Seed, "seed", 1, "seed of the generated tenant")
	return cmd
}

// runDemo runs the TUI or the headless run against an in-process simulator,
// or with --serve only serves the simulator.
func runDemo(ctx context.Context, opts *DemoOptions) error {
	if opts.Serve == "" {
		return demoInteractive(ctx, opts)
	}
	return demoServe(ctx, opts)
}

// checkLoopback refuses any address that is not loopback: the simulator
// hands out tokens for fixed, published credentials, so it must never be
// reachable from the network.
func checkLoopback(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", flagErrorf("invalid --serve %q: want HOST:PORT such as 127.0.0.1:8080", addr)
	}
	if host == "" {
		return "", flagErrorf("invalid --serve %q: refusing to serve on all interfaces; use 127.0.0.1:%s", addr, port)
	}
	if !config.IsLoopbackHost(host) {
		return "", flagErrorf("invalid --serve %q: %s is not a loopback address (use 127.0.0.1, ::1 or localhost)", addr, host)
	}
	if strings.EqualFold(host, "localhost") {
		// Bind the IPv4 loopback explicitly rather than whatever the
		// resolver returns for localhost.
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// demoServe serves the simulated tenant on opts.Serve and prints a config
// that points at it, until ctx ends.
func demoServe(ctx context.Context, opts *DemoOptions) error {
	addr, err := checkLoopback(opts.Serve)
	if err != nil {
		return err
	}
	srv, err := sim.StartAt(addr, sim.Options{
		Seed:    opts.Seed,
		Members: opts.Users,
		// Procore's historic hourly limit, so that the demo paces like the
		// real service.
		ProcoreHourlyLimit: 3600,
		// Graph's documented resource-unit budget for the tenant's size
		// (5,000 a 10 s for the default demo tenant). A snapshot spends a
		// few units a page, so procsync never waits on it; a script that
		// hammers the served simulator meets 429 TooManyRequests as it
		// would in a real tenant.
		GraphResourceUnits: sim.GraphResourceUnitsAuto,
	})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer srv.Close()

	cfg := demoConfig(srv)
	if opts.WriteConfig != "" {
		if err := writeDemoConfig(opts.WriteConfig, cfg); err != nil {
			return err
		}
	}
	if _, err := opts.IO.Out.Write(cfg); err != nil {
		return fmt.Errorf("demo: print config: %w", err)
	}
	fmt.Fprint(opts.IO.ErrOut, demoGuide(srv, opts.WriteConfig))
	if opts.Ready != nil {
		opts.Ready(srv)
	}

	<-ctx.Done()
	fmt.Fprintln(opts.IO.ErrOut, "procsync demo: stopping")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("demo: shut down: %w", err)
	}
	return nil
}

// demoConfig renders a complete config for the running simulator.
func demoConfig(srv *sim.Server) []byte {
	return config.Commented(demoValues(srv))
}

// demoValues are the config values that point procsync at srv.
func demoValues(srv *sim.Server) config.Values {
	return config.Values{
		Header: demoHeader + " at " + srv.URL + ".\n" +
			"Valid only while `procsync demo` runs. Secrets: see the export lines it printed.",
		Tenant:          sim.TenantID,
		GraphClientID:   sim.GraphClientID,
		GraphAPIURL:     srv.GraphAPIURL(),
		GraphLoginURL:   srv.GraphLoginURL(),
		Environment:     "sandbox",
		CompanyID:       sim.CompanyID,
		ProcoreClientID: sim.ProcoreClientID,
		RedirectURI:     sim.ProcoreRedirectURIs[0],
		ProcoreAPIURL:   srv.ProcoreAPIURL(),
		ProcoreLoginURL: srv.ProcoreLoginURL(),
		ReportTo:        []string{"it@" + sim.Domain},
		ReportFrom:      sim.AdminUPN,
		// Room for the default tenant's first run; a larger --users shows
		// the brake at work.
		MaxCreates: 100,
	}
}

// writeDemoConfig saves cfg, replacing only an earlier demo config.
func writeDemoConfig(path string, cfg []byte) error {
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return writeConfig(path, cfg, false)
	case err != nil:
		return fmt.Errorf("demo: %w", err)
	case !strings.Contains(firstLine(old), demoHeader):
		return fmt.Errorf("demo: %s exists and is not a demo config; refusing to overwrite it", path)
	}
	return writeConfig(path, cfg, true)
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}

// demoGuide tells a new user how to aim procsync, or curl, at the simulator.
// The secrets printed are the simulator's fixed demo values, not real ones.
func demoGuide(srv *sim.Server, saved string) string {
	var b strings.Builder
	u := srv.URL
	fmt.Fprintf(&b, "\nprocsync demo: simulated tenant serving at %s (Ctrl-C to stop)\n", u)
	fmt.Fprintf(&b, "  Entra sign-in  %s/%s/oauth2/v2.0/{authorize,token,devicecode}\n", srv.GraphLoginURL(), sim.TenantID)
	fmt.Fprintf(&b, "  Graph          %s/v1.0/...\n", srv.GraphAPIURL())
	fmt.Fprintf(&b, "  Procore login  %s/oauth/{authorize,token}\n", srv.ProcoreLoginURL())
	fmt.Fprintf(&b, "  Procore API    %s/rest/v1.0/...   (company %d, %s)\n", srv.ProcoreAPIURL(), sim.CompanyID, sim.CompanyName)
	fmt.Fprintf(&b, "  Inspection     %s/_sim/state, %s/_sim/requests\n\n", u, u)
	if saved != "" {
		fmt.Fprintf(&b, "The config above is saved in %s. Use it with:\n", saved)
		fmt.Fprintf(&b, "  export %s=%s\n", config.ConfigEnv, shellQuote(saved))
	} else {
		b.WriteString("The config above (stdout) points procsync at it; save it with --write-config PATH\nor by redirecting stdout, then:\n")
		fmt.Fprintf(&b, "  export %s=PATH\n", config.ConfigEnv)
	}
	fmt.Fprintf(&b, "  export %s=%s\n", config.GraphSecretEnv, shellQuote(sim.GraphClientSecret))
	fmt.Fprintf(&b, "  export %s=%s\n", config.ProcoreSecretEnv, shellQuote(sim.ProcoreClientSecret))
	b.WriteString("  (PowerShell: $env:NAME = 'value')\n\n")

	b.WriteString("Try it with curl (client credentials):\n")
	fmt.Fprintf(&b, "  TOKEN=$(curl -s -d grant_type=client_credentials -d client_id=%s -d client_secret=%s \\\n      %s/oauth/token | sed -n 's/.*\"access_token\": *\"\\([^\"]*\\)\".*/\\1/p')\n",
		sim.ProcoreClientID, sim.ProcoreClientSecret, srv.ProcoreLoginURL())
	fmt.Fprintf(&b, "  curl -si -H \"Authorization: Bearer $TOKEN\" -H 'Procore-Company-Id: %d' \\\n      '%s/rest/v1.0/companies/%d/users?per_page=50&page=1'\n",
		sim.CompanyID, srv.ProcoreAPIURL(), sim.CompanyID)
	fmt.Fprintf(&b, "  GTOKEN=$(curl -s -d grant_type=client_credentials -d client_id=%s --data-urlencode client_secret=%s \\\n      --data-urlencode scope=https://graph.microsoft.com/.default %s/%s/oauth2/v2.0/token \\\n      | sed -n 's/.*\"access_token\": *\"\\([^\"]*\\)\".*/\\1/p')\n",
		sim.GraphClientID, shellQuote(sim.GraphClientSecret), srv.GraphLoginURL(), sim.TenantID)
	fmt.Fprintf(&b, "  curl -s -G -H \"Authorization: Bearer $GTOKEN\" --data-urlencode '$select=id,displayName' \\\n      --data-urlencode '$top=5' '%s/v1.0/groups'\n\n", srv.GraphAPIURL())
	return b.String()
}

// shellQuote quotes s for POSIX shells.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
