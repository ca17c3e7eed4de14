package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"procsync/auth"
	"procsync/cmd/procsync/config"
)

// authConfigs maps the loaded config onto auth's own settings. Secrets come
// only from the environment (config.Load put them there). flags are the
// --config/--state-dir flags given (loginFlags), repeated in every hint to
// sign in so that the hint signs in to this config, not the default one.
func authConfigs(cfg *config.Config, flags string) auth.Configs {
	return auth.Configs{
		Graph: auth.GraphConfig{
			LoginURL:     cfg.Graph.LoginURL(),
			APIURL:       cfg.Graph.APIURL(),
			Tenant:       cfg.Graph.Tenant,
			ClientID:     cfg.Graph.ClientID,
			ClientSecret: cfg.Graph.ClientSecret,
			// Least privilege: the licence permission only when the
			// config selects groups by licence.
			LicenseRead:  len(cfg.Groups.SKUs) > 0,
			LoginCommand: "procsync login graph" + flags,
		},
		Procore: auth.ProcoreConfig{
			LoginURL:     cfg.Procore.LoginURL(),
			APIURL:       cfg.Procore.APIURL(),
			ClientID:     cfg.Procore.ClientID,
			ClientSecret: cfg.Procore.ClientSecret,
			RedirectURI:  cfg.Procore.RedirectURI,
			CompanyID:    cfg.Procore.CompanyID,
			LoginCommand: "procsync login procore" + flags,
		},
	}
}

// loginFlags renders the --config and --state-dir flags given on the
// command line (" --config X --state-dir Y", or "" when neither was), for
// hints that name a command to run.
func loginFlags(f *Factory) string {
	var b strings.Builder
	if f.ConfigFlag != "" {
		b.WriteString(" --config " + hintArg(f.ConfigFlag))
	}
	if f.StateDirFlag != "" {
		b.WriteString(" --state-dir " + hintArg(f.StateDirFlag))
	}
	return b.String()
}

// hintArg quotes a flag value for a POSIX shell only when it holds
// anything but plain path characters, so that common hints stay readable.
func hintArg(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,") == "" {
		return s
	}
	return shellQuote(s)
}

// authState returns the loader of what every sign-in command needs: the
// sign-in settings of the config, the token store and the config itself.
func authState(f *Factory) func() (auth.Configs, auth.Store, *config.Config, error) {
	return func() (auth.Configs, auth.Store, *config.Config, error) {
		cfg, _, store, err := openState(f)
		if err != nil {
			return auth.Configs{}, nil, nil, err
		}
		return authConfigs(cfg, loginFlags(f)), store, cfg, nil
	}
}

// providerArg accepts at most one provider name; more is a usage mistake
// (exit 2), like any other bad argument.
func providerArg(cmd *cobra.Command, args []string) error {
	if err := cobra.MaximumNArgs(1)(cmd, args); err != nil {
		return &FlagError{Err: err}
	}
	return nil
}

// providers maps the optional provider argument onto the providers to act
// on (none means both); an unknown name is a usage mistake.
func providers(args []string) ([]auth.Provider, error) {
	var arg string
	if len(args) > 0 {
		arg = args[0]
	}
	ps, err := auth.Providers(arg)
	if err != nil {
		return nil, &FlagError{Err: err}
	}
	return ps, nil
}

// LoginOptions are the inputs of `procsync login`.
type LoginOptions struct {
	IO *IOStreams
	// Auth loads the sign-in settings, the token store and the config.
	Auth func() (auth.Configs, auth.Store, *config.Config, error)
	// Logger returns the logger the global flags chose.
	Logger func() *slog.Logger
	// Opener opens the sign-in page in a browser.
	Opener func(url string) error

	// Providers are the providers to sign in to, from the argument.
	Providers []auth.Provider
	// DeviceCode forces the flows that need no local browser.
	DeviceCode bool
}

// NewCmdLogin builds `procsync login [graph|procore] [--device-code]`.
// runF, when not nil, replaces runLogin (tests).
func NewCmdLogin(f *Factory, runF func(context.Context, *LoginOptions) error) *cobra.Command {
	opts := &LoginOptions{IO: f.IO, Auth: authState(f), Logger: f.Log, Opener: auth.DefaultOpener}
	cmd := &cobra.Command{
		Use:   "login [graph|procore]",
		Short: "Sign in to Microsoft Graph and Procore in the browser",
		Long: `Sign in to Microsoft Graph and to Procore (both when no provider is named).

The sign-in URL is printed and opened in the browser; the answer comes back to a
listener on 127.0.0.1. Over SSH or without a browser, Graph uses the device code
flow and Procore shows a code to paste (--device-code forces this).

Tokens are kept in the OS keyring, or in a 0600 file in the state directory where
no keyring answers (set PROCSYNC_TOKEN_STORE=file to choose the file).`,
		Example: `  procsync login
  procsync login graph --device-code
  procsync login procore`,
		Args:      providerArg,
		ValidArgs: []string{"graph", "procore"},
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Providers, err = providers(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runLogin(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DeviceCode, "device-code", false, "sign in without a local browser (Graph device code, Procore paste-code)")
	return cmd
}

// runLogin signs in to each provider and shows the account.
func runLogin(ctx context.Context, opts *LoginOptions) error {
	cfgs, store, _, err := opts.Auth()
	if err != nil {
		return err
	}
	lo := auth.LoginOptions{
		Out:       opts.IO.ErrOut,
		In:        opts.IO.In,
		Opener:    opts.Opener,
		NoBrowser: opts.DeviceCode || auth.ShouldUseDeviceCode(),
		Logger:    opts.Logger(),
	}
	for _, p := range opts.Providers {
		if err := cfgs.Login(ctx, p, store, lo); err != nil {
			return fmt.Errorf("login %s: %w", p, err)
		}
		info, err := cfgs.Status(ctx, p, store)
		if err != nil {
			return fmt.Errorf("login %s: signed in, but reading the account failed: %w", p, err)
		}
		fmt.Fprint(opts.IO.Out, info)
	}
	return nil
}

// LogoutOptions are the inputs of `procsync logout`.
type LogoutOptions struct {
	IO *IOStreams
	// Auth loads the sign-in settings, the token store and the config.
	Auth func() (auth.Configs, auth.Store, *config.Config, error)

	// Providers are the providers to sign out of, from the argument.
	Providers []auth.Provider
}

// NewCmdLogout builds `procsync logout [graph|procore]`. runF, when not
// nil, replaces runLogout (tests).
func NewCmdLogout(f *Factory, runF func(context.Context, *LogoutOptions) error) *cobra.Command {
	opts := &LogoutOptions{IO: f.IO, Auth: authState(f)}
	return &cobra.Command{
		Use:       "logout [graph|procore]",
		Short:     "Forget the stored tokens (and revoke Procore's)",
		Args:      providerArg,
		ValidArgs: []string{"graph", "procore"},
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Providers, err = providers(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runLogout(cmd.Context(), opts)
		},
	}
}

// runLogout forgets each provider's tokens.
func runLogout(ctx context.Context, opts *LogoutOptions) error {
	cfgs, store, _, err := opts.Auth()
	if err != nil {
		return err
	}
	for _, p := range opts.Providers {
		if err := cfgs.Logout(ctx, p, store); err != nil {
			return fmt.Errorf("logout %s: %w", p, err)
		}
		fmt.Fprintf(opts.IO.Out, "%s: signed out\n", p)
	}
	return nil
}

// StatusOptions are the inputs of `procsync status`.
type StatusOptions struct {
	IO *IOStreams
	// Auth loads the sign-in settings, the token store and the config.
	Auth func() (auth.Configs, auth.Store, *config.Config, error)
	// Hints renders the --config/--state-dir flags repeated in the hint to
	// sign in.
	Hints func() string

	// Providers are the providers to show, from the argument.
	Providers []auth.Provider
	// JSON prints one JSON object keyed by provider.
	JSON bool
}

// NewCmdStatus builds `procsync status`. runF, when not nil, replaces
// runStatus (tests).
func NewCmdStatus(f *Factory, runF func(context.Context, *StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO, Auth: authState(f), Hints: f.LoginHints}
	cmd := &cobra.Command{
		Use:   "status [graph|procore]",
		Short: "Show who is signed in where, and which token store is used",
		Long: `Show, per provider: the account signed in (or the app for app-only
credentials), the tenant or company, the environment, the API host the tokens
are bound to, when the token expires and where tokens are stored. With --json,
one JSON object keyed by provider. Exits 4 when a provider is not signed in.`,
		Args:      providerArg,
		ValidArgs: []string{"graph", "procore"},
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Providers, err = providers(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runStatus(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object keyed by provider on stdout")
	return cmd
}

// runStatus prints each provider's sign-in, as text or as JSON.
func runStatus(ctx context.Context, opts *StatusOptions) error {
	cfgs, store, cfg, err := opts.Auth()
	if err != nil {
		return err
	}
	var missing []error
	infos := map[auth.Provider]*auth.Info{}
	for _, p := range opts.Providers {
		hint := fmt.Sprintf("run `procsync login %s%s`", p, opts.Hints())
		info, err := cfgs.Status(ctx, p, store)
		if err != nil {
			if !errors.Is(err, auth.ErrNotSignedIn) {
				return fmt.Errorf("status %s: %w", p, err)
			}
			info = &auth.Info{Provider: p, Problem: "not signed in: " + hint, Store: store.Kind()}
		}
		if p == auth.Procore {
			// Say what the TUI and the report say: a config is production
			// by its hosts, not only by its label.
			info.Environment = procoreEnvironmentLabel(cfg, info.Environment)
		}
		infos[p] = info
		if !info.SignedIn {
			missing = append(missing, fmt.Errorf("%s: not signed in: %s", p, hint))
		}
		switch {
		case opts.JSON:
		case err != nil:
			fmt.Fprintf(opts.IO.Out, "%s: not signed in (%s)\n", p, hint)
		default:
			fmt.Fprint(opts.IO.Out, info)
		}
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(infos); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		return &ExitError{Code: exitSignIn, Err: errors.Join(missing...)}
	}
	return nil
}

// procoreEnvironmentLabel is the environment as the TUI's header shows it
// ("production", "sandbox", …), followed by where the hosts really are when
// that says more (a simulator, a proxy).
func procoreEnvironmentLabel(cfg *config.Config, where string) string {
	label := cfg.Procore.Label()
	switch where {
	case "", "production", "sandbox", "monthly sandbox", "federal":
		return label
	}
	if host, ok := strings.CutPrefix(where, "simulator ("); ok {
		where = "simulator at " + strings.TrimSuffix(host, ")")
	}
	return label + " (" + where + ")"
}
