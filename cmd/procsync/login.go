package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"procsync/auth"
	"procsync/cmd/procsync/config"
)

// authConfigs maps the loaded config onto auth's own settings. Secrets come
// only from the environment (config.Load put them there).
func authConfigs(cfg *config.Config) auth.Configs {
	return auth.Configs{
		Graph: auth.GraphConfig{
			LoginURL:     cfg.Graph.LoginURL(),
			APIURL:       cfg.Graph.APIURL(),
			Tenant:       cfg.Graph.Tenant,
			ClientID:     cfg.Graph.ClientID,
			ClientSecret: cfg.Graph.ClientSecret,
		},
		Procore: auth.ProcoreConfig{
			LoginURL:     cfg.Procore.LoginURL(),
			APIURL:       cfg.Procore.APIURL(),
			ClientID:     cfg.Procore.ClientID,
			ClientSecret: cfg.Procore.ClientSecret,
			RedirectURI:  cfg.Procore.RedirectURI,
			CompanyID:    cfg.Procore.CompanyID,
		},
	}
}

// authSetup loads what every sign-in command needs: config, token store and
// the providers named on the command line (none means both).
func authSetup(f *Factory, args []string) (auth.Configs, auth.Store, []auth.Provider, error) {
	var arg string
	if len(args) > 0 {
		arg = args[0]
	}
	ps, err := auth.Providers(arg)
	if err != nil {
		return auth.Configs{}, nil, nil, &FlagError{Err: err}
	}
	cfg, _, store, err := openState(f)
	if err != nil {
		return auth.Configs{}, nil, nil, err
	}
	return authConfigs(cfg), store, ps, nil
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
	return &cobra.Command{
		Use:   "status [graph|procore]",
		Short: "Show who is signed in where, and which token store is used",
		Long: `Show, per provider: the account signed in (or the app for app-only
credentials), the tenant or company, the environment, when the token expires and
where tokens are stored. Exits 4 when a provider is not signed in.`,
		Args:      providerArg,
		ValidArgs: []string{"graph", "procore"},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfgs, store, ps, err := authSetup(f, args)
			if err != nil {
				return err
			}
			var missing []error
			for _, p := range ps {
				info, err := cfgs.Status(cmd.Context(), p, store)
				if err != nil {
					if errors.Is(err, auth.ErrNotSignedIn) {
						fmt.Fprintf(f.IO.Out, "%s: not signed in (run `procsync login %s`)\n", p, p)
						missing = append(missing, err)
						continue
					}
					return fmt.Errorf("status %s: %w", p, err)
				}
				fmt.Fprint(f.IO.Out, info)
				if !info.SignedIn {
					missing = append(missing, fmt.Errorf("%s: not signed in: run `procsync login %s`", p, p))
				}
			}
			if len(missing) > 0 {
				return &ExitError{Code: exitSignIn, Err: errors.Join(missing...)}
			}
			return nil
		},
	}
}
