package main

import (
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"procsync/auth"
	"procsync/ui"
)

// NewCmdRoot builds the command tree. Only commands that work are
// registered.
func NewCmdRoot(f *Factory) *cobra.Command {
	auto := &AutoOptions{}
	var runAutoFlag bool
	cmd := &cobra.Command{
		Use:   "procsync",
		Short: "Provision Procore users from Microsoft Entra ID license groups",
		Long: `procsync provisions Procore users from Microsoft Entra ID license groups.

Procore has no SCIM and no automatic provisioning from Entra ID, so licensed
people have to be created in the Procore directory by hand. procsync reads the
license groups through Microsoft Graph, compares them with the Procore company
directory and creates the missing users.

Run without a command, procsync opens the terminal UI: sign in, review the
plan, approve, apply, send the report. With --auto it runs headless for
schedulers (cron, systemd, Kubernetes): it approves every create and
reactivation, refuses the whole run when a brake (auto.max_creates,
auto.max_deactivations, auto.max_reactivations) is exceeded, and exits with
  0 done (or nothing to do)   1 a run error or a failed action
  2 usage or config error     3 a brake refused the plan (or, with --dry-run,
                                would refuse it), nothing applied
  4 not signed in / credentials rejected
Another run holding the state directory's lock makes it exit 1 at once.`,
		Example: `  procsync demo                       # try it all against a simulated tenant
  procsync init                       # write a config file
  procsync login                      # sign in to Graph and Procore
  procsync                            # review and apply in the terminal UI
  procsync --auto --dry-run --json    # what a scheduled run would do`,
		Args: func(cmd *cobra.Command, args []string) error {
			// The root runs the TUI, so a stray word is a mistyped command.
			if len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if !runAutoFlag && (auto.DryRun || auto.JSON) {
				return flagErrorf("--dry-run and --json go with --auto")
			}
			cfg, dir, tokens, err := openState(f)
			if err != nil {
				return err
			}
			if runAutoFlag {
				return runAuto(cmd.Context(), f, cfg, dir, tokens, *auto)
			}
			s := newSession(cfg, dir, tokens, quietLogger(f)).withLoginFlags(f)
			defer s.close()
			b := newTUIBackend(s, auth.DefaultOpener, auth.ShouldUseDeviceCode(), false)
			return ui.Run(cmd.Context(), b, ui.Options{AltScreen: true, Explorer: newExplorerBackend(b)})
		},
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
	cmd.SetFlagErrorFunc(flagError)
	cmd.SuggestionsMinimumDistance = 2

	fl := cmd.Flags()
	fl.BoolVar(&runAutoFlag, "auto", false, "run headless: snapshot, plan, apply within the brakes, report")
	fl.BoolVar(&auto.DryRun, "dry-run", false, "with --auto: plan only; every action is reported as planned and nothing is written")
	fl.BoolVar(&auto.JSON, "json", false, "with --auto: print exactly one JSON object on stdout (logs stay on stderr)")

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
		NewCmdSandbox(f, nil),
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
	// auth logs through slog's default logger (token sources outlive any
	// one call that could carry a logger): point it at the same stream,
	// format and level, so that --log-level debug shows the sign-in too.
	slog.SetDefault(f.Logger)
	return nil
}

// noArgs rejects positional arguments as a usage error (exit 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return flagErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}
