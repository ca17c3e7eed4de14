package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"procsync/auth"
	"procsync/ui"
)

// RootOptions are the inputs of `procsync` itself: the TUI, or with --auto
// the headless run, whose options it embeds (the TUI opens the same state
// and gives the same sign-in hints).
type RootOptions struct {
	AutoOptions
	// Auto selects the headless run (--auto).
	Auto bool
	// TUILogger returns the logger of the TUI's session: quiet unless
	// --log-level debug, because stderr is the TUI's own screen.
	TUILogger func() *slog.Logger
	// Opener opens the sign-in page in a browser.
	Opener func(url string) error
}

// NewCmdRoot builds the command tree. Only commands that work are
// registered. runF, when not nil, replaces the root's run function (tests
// use it to check that the flags fill RootOptions); the subcommands get
// none.
func NewCmdRoot(f *Factory, runF func(context.Context, *RootOptions) error) *cobra.Command {
	opts := &RootOptions{
		AutoOptions: AutoOptions{IO: f.IO, State: f.OpenState, Logger: f.Log, Hints: f.LoginHints},
		TUILogger:   func() *slog.Logger { return quietLogger(f) },
		Opener:      auth.DefaultOpener,
	}
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
schedulers (cron, systemd, Kubernetes): it approves every create,
reactivation and project addition (and the updates of mapped fields when
auto.updates is set), refuses the whole run when a brake (auto.max_creates,
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
			if !opts.Auto && (opts.DryRun || opts.JSON) {
				return flagErrorf("--dry-run and --json go with --auto")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRoot(cmd.Context(), opts)
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
	fl.BoolVar(&opts.Auto, "auto", false, "run headless: snapshot, plan, apply within the brakes, report")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "with --auto: plan only; every action is reported as planned and nothing is written")
	fl.BoolVar(&opts.JSON, "json", false, "with --auto: print exactly one JSON object on stdout (logs stay on stderr)")

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
		NewCmdLogin(f, nil),
		NewCmdLogout(f, nil),
		NewCmdStatus(f, nil),
		NewCmdHistory(f, nil),
		NewCmdLink(f, nil),
		NewCmdIgnore(f, nil),
		NewCmdUnignore(f, nil),
	)
	return cmd
}

// runRoot runs the headless run with --auto, else the TUI.
func runRoot(ctx context.Context, opts *RootOptions) error {
	if opts.Auto {
		return runAuto(ctx, &opts.AutoOptions)
	}
	cfg, dir, tokens, err := opts.State()
	if err != nil {
		return err
	}
	s := newSession(cfg, dir, tokens, opts.TUILogger()).withHints(opts.Hints())
	defer s.close()
	b := newTUIBackend(s, opts.Opener, auth.ShouldUseDeviceCode(), false)
	return ui.Run(ctx, b, ui.Options{AltScreen: true, Explorer: newExplorerBackend(b)})
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
