package main

import (
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
)

// NewCmdRoot builds the command tree. Only commands that work are
// registered.
func NewCmdRoot(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "procsync",
		Short: "Provision Procore users from Microsoft Entra ID license groups",
		Long: `procsync provisions Procore users from Microsoft Entra ID license groups.

Procore has no SCIM and no automatic provisioning from Entra ID, so licensed
people have to be created in the Procore directory by hand. procsync reads the
license groups through Microsoft Graph, compares them with the Procore company
directory and creates the missing users.`,
		Example: `  procsync init                       # write a config file
  procsync demo                       # run the simulated tenant and print a config for it
  procsync version`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return setupLogging(f)
		},
	}
	cmd.SetIn(f.IO.In)
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.SetVersionTemplate("{{.Version}}\n")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &FlagError{Err: err} })

	pf := cmd.PersistentFlags()
	pf.StringVar(&f.ConfigFlag, "config", "", "config file (default $PROCSYNC_CONFIG, else <user config dir>/procsync/config.toml)")
	pf.StringVar(&f.StateDirFlag, "state-dir", "", "state directory for tokens, journal and reports (default $PROCSYNC_STATE_DIR, else the platform's state dir)")
	pf.StringVar(&f.LogFormat, "log-format", "text", "log format on stderr: text or json")
	pf.StringVar(&f.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	_ = cmd.RegisterFlagCompletionFunc("log-format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("log-level", cobra.FixedCompletions([]string{"debug", "info", "warn", "error"}, cobra.ShellCompDirectiveNoFileComp))

	cmd.AddCommand(
		NewCmdVersion(f, nil),
		NewCmdInit(f, nil),
		NewCmdDemo(f, nil),
		NewCmdLogin(f),
		NewCmdLogout(f),
		NewCmdStatus(f),
		NewCmdHistory(f),
	)
	return cmd
}

// setupLogging validates the log flags and builds the logger. Logs always
// go to stderr so that stdout stays clean for data (configs, JSON).
func setupLogging(f *Factory) error {
	var level slog.Level
	switch strings.ToLower(f.LogLevel) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return flagErrorf("invalid --log-level %q: use debug, info, warn or error", f.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch f.LogFormat {
	case "text":
		f.Logger = slog.New(slog.NewTextHandler(f.IO.ErrOut, opts))
	case "json":
		f.Logger = slog.New(slog.NewJSONHandler(f.IO.ErrOut, opts))
	default:
		return flagErrorf("invalid --log-format %q: use text or json", f.LogFormat)
	}
	return nil
}

// noArgs rejects positional arguments as a usage error (exit 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return flagErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}
