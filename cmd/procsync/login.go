package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// authSetup loads what every sign-in command needs: config, token store and
// the providers named on the command line (none means both).
func authSetup(f *Factory, args []string) (auth.Configs, auth.Store, []auth.Provider, error) {
	cfgs, store, ps, _, err := authSetupConfig(f, args)
	return cfgs, store, ps, err
}

// authSetupConfig is authSetup that also returns the loaded config.
func authSetupConfig(f *Factory, args []string) (auth.Configs, auth.Store, []auth.Provider, *config.Config, error) {
	var arg string
	if len(args) > 0 {
		arg = args[0]
	}
	ps, err := auth.Providers(arg)
	if err != nil {
		return auth.Configs{}, nil, nil, nil, &FlagError{Err: err}
	}
	cfg, _, store, err := openState(f)
	if err != nil {
		return auth.Configs{}, nil, nil, nil, err
	}
	return authConfigs(cfg, loginFlags(f)), store, ps, cfg, nil
}

// providerArg accepts at most one provider name; more is a usage mistake
// (exit 2), like any other bad argument.
func providerArg(cmd *cobra.Command, args []string) error {
	if err := cobra.MaximumNArgs(1)(cmd, args); err != nil {
		return &FlagError{Err: err}
	}
	return nil
}

// NewCmdLogin builds `procsync login [graph|procore] [--device-code]`.
func NewCmdLogin(f *Factory) *cobra.Command {
	var deviceCode bool
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
			cfgs, store, ps, err := authSetup(f, args)
			if err != nil {
				return err
			}
			opts := auth.LoginOptions{
				Out:       f.IO.ErrOut,
				In:        f.IO.In,
				NoBrowser: deviceCode || auth.ShouldUseDeviceCode(),
				Logger:    f.Logger,
			}
			for _, p := range ps {
				if err := cfgs.Login(cmd.Context(), p, store, opts); err != nil {
					return fmt.Errorf("login %s: %w", p, err)
				}
				info, err := cfgs.Status(cmd.Context(), p, store)
				if err != nil {
					return fmt.Errorf("login %s: signed in, but reading the account failed: %w", p, err)
				}
				fmt.Fprint(f.IO.Out, info)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&deviceCode, "device-code", false, "sign in without a local browser (Graph device code, Procore paste-code)")
	return cmd
}

// NewCmdLogout builds `procsync logout [graph|procore]`.
func NewCmdLogout(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:       "logout [graph|procore]",
		Short:     "Forget the stored tokens (and revoke Procore's)",
		Args:      providerArg,
		ValidArgs: []string{"graph", "procore"},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfgs, store, ps, err := authSetup(f, args)
			if err != nil {
				return err
			}
			for _, p := range ps {
				if err := cfgs.Logout(cmd.Context(), p, store); err != nil {
					return fmt.Errorf("logout %s: %w", p, err)
				}
				fmt.Fprintf(f.IO.Out, "%s: signed out\n", p)
			}
			return nil
		},
	}
}

// NewCmdStatus builds `procsync status`.
func NewCmdStatus(f *Factory) *cobra.Command {
	var asJSON bool
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
			return runStatus(cmd.Context(), f, args, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object keyed by provider on stdout")
	return cmd
}

// runStatus prints each provider's sign-in, as text or as JSON.
func runStatus(ctx context.Context, f *Factory, args []string, asJSON bool) error {
	cfgs, store, ps, cfg, err := authSetupConfig(f, args)
	if err != nil {
		return err
	}
	var missing []error
	infos := map[auth.Provider]*auth.Info{}
	for _, p := range ps {
		hint := fmt.Sprintf("run `procsync login %s%s`", p, loginFlags(f))
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
		case asJSON:
		case err != nil:
			fmt.Fprintf(f.IO.Out, "%s: not signed in (%s)\n", p, hint)
		default:
			fmt.Fprint(f.IO.Out, info)
		}
	}
	if asJSON {
		enc := json.NewEncoder(f.IO.Out)
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
	label := cfg.Procore.Environment
	if cfg.Procore.IsProduction() && label != "production" && label != "federal" {
		label = "production"
	}
	switch where {
	case "", "production", "sandbox", "monthly sandbox", "federal":
		return label
	}
	if host, ok := strings.CutPrefix(where, "simulator ("); ok {
		where = "simulator at " + strings.TrimSuffix(host, ")")
	}
	return label + " (" + where + ")"
}
