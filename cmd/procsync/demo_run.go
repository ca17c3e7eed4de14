package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"procsync/auth"
	"procsync/cmd/procsync/config"
	"procsync/sync/sim"
	"procsync/ui"
)

// demoInteractive runs the TUI (or, with --auto, the headless run) against
// an in-process simulator. Everything between procsync and the simulator is
// real: HTTP on loopback, the OAuth code flows, the journal.
func demoInteractive(ctx context.Context, opts *DemoOptions) error {
	f := opts.Factory
	redirect, err := freeLoopbackRedirect()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	srv, err := sim.Start(sim.Options{
		Seed:                opts.Seed,
		Members:             opts.Users,
		ProcoreHourlyLimit:  3600,
		ProcoreRedirectURIs: []string{redirect},
		ConsentPage:         opts.Browser,
		// Graph's documented budget for the tenant's size (see demo.go):
		// realistic, and far above what the demo's reads spend.
		GraphResourceUnits: sim.GraphResourceUnitsAuto,
	})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer srv.Close()
	if opts.URLFile != "" {
		if err := os.WriteFile(opts.URLFile, []byte(srv.URL+"\n"), 0o600); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}

	cfg, err := config.Parse(demoConfigFor(srv, redirect), "demo config")
	if err != nil {
		return fmt.Errorf("demo: the generated config is invalid (a bug): %w", err)
	}
	// The simulator's published demo secrets: Procore's code flow needs
	// its client secret; the headless run uses client credentials for both.
	cfg.Procore.ClientSecret = sim.ProcoreClientSecret
	if opts.Auto {
		cfg.Graph.ClientSecret = sim.GraphClientSecret
	}

	dir, temporary, err := demoStateDir(f)
	if err != nil {
		return err
	}
	if temporary && !opts.Auto {
		defer os.RemoveAll(dir)
	}
	// Demo tokens never go to the OS keyring.
	tokens := &auth.FileStore{Path: filepath.Join(dir, "tokens.json")}

	if opts.Auto {
		if temporary {
			f.Logger.Info("demo state directory (journal and reports)", "path", dir)
		}
		return runAuto(ctx, &AutoOptions{IO: f.IO, State: fixedState(cfg, dir, tokens), Logger: f.Log, Hints: f.LoginHints, DryRun: opts.DryRun, JSON: opts.JSON})
	}

	opener := inProcessBrowser
	if opts.Browser {
		opener = auth.DefaultOpener
	}
	s := newSession(cfg, dir, tokens, quietLogger(f))
	// The demo shows every view of the explorer, the tenant's SKUs
	// included, so it asks for the licence permission a real config asks
	// for only with groups.skus.
	s.auths.Graph.LicenseRead = true
	defer s.close()
	b := newTUIBackend(s, opener, false, true)
	return ui.Run(ctx, b, ui.Options{AltScreen: true, Explorer: newExplorerBackend(b)})
}

// demoConfigFor renders the demo config with the redirect URI registered
// for this run.
func demoConfigFor(srv *sim.Server, redirect string) []byte {
	v := demoValues(srv)
	v.RedirectURI = redirect
	return config.Commented(v)
}

// demoStateDir is --state-dir or $PROCSYNC_STATE_DIR when given, else a
// fresh temporary directory (reported as temporary).
func demoStateDir(f *Factory) (string, bool, error) {
	if f.StateDirFlag != "" || os.Getenv(config.StateDirEnv) != "" {
		dir, err := f.StateDir()
		return dir, false, err
	}
	dir, err := os.MkdirTemp("", "procsync-demo-")
	if err != nil {
		return "", false, fmt.Errorf("demo: state directory: %w", err)
	}
	return dir, true, nil
}

// freeLoopbackRedirect picks a free port for the demo's Procore redirect
// URI. Real Procore apps register one fixed URI; the simulator registers
// this one for the run, so two demos can run side by side.
func freeLoopbackRedirect() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return fmt.Sprintf("http://localhost:%d/callback", port), nil
}

// inProcessBrowser plays the browser for the demo: it follows the
// authorize redirect (the simulator approves at once) to procsync's own
// loopback callback. Only loopback URLs are fetched.
func inProcessBrowser(rawURL string) error {
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	if h := req.URL.Hostname(); !config.IsLoopbackHost(h) {
		return fmt.Errorf("demo: refusing to open %s: not a loopback address", h)
	}
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	return nil
}

// quietLogger keeps log lines off the TUI's screen: the TUI shows errors
// in its status line, and stderr is the same terminal.
func quietLogger(f *Factory) *slog.Logger {
	if f.LogLevel == "debug" {
		return f.Logger
	}
	return discardLogger
}

var discardLogger = slog.New(slog.DiscardHandler)
