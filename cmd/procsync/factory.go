package main

import (
	"io"
	"log/slog"
	"os"

	"github.com/charmbracelet/x/term"

	"procsync/auth"
	"procsync/cmd/procsync/config"
)

// IOStreams are a command's standard streams, injected so that tests can
// drive commands with buffers and pretend to be a terminal.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
}

// SystemIO returns the process's streams, noting which are terminals.
func SystemIO() *IOStreams {
	return &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  term.IsTerminal(os.Stdin.Fd()),
		stdoutTTY: term.IsTerminal(os.Stdout.Fd()),
		stderrTTY: term.IsTerminal(os.Stderr.Fd()),
	}
}

// IsStdinTTY reports whether a person can answer prompts on In.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether Out is read by a person rather than a program.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether progress lines on ErrOut reach a person.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetTTY overrides terminal detection, for tests.
func (s *IOStreams) SetTTY(stdin, stdout bool) { s.stdinTTY, s.stdoutTTY = stdin, stdout }

// Factory carries what commands share: the streams and the global flags'
// values, resolved lazily so that `procsync version` works with no config.
type Factory struct {
	IO *IOStreams

	// Global flag values, bound by the root command.
	ConfigFlag   string
	StateDirFlag string
	LogFormat    string
	LogLevel     string

	// Logger writes to IO.ErrOut in the chosen format; set before any
	// command runs.
	Logger *slog.Logger
}

// NewFactory returns a Factory over io with a default logger.
func NewFactory(io *IOStreams) *Factory {
	return &Factory{
		IO:        io,
		LogFormat: "text",
		LogLevel:  "info",
		Logger:    slog.New(slog.NewTextHandler(io.ErrOut, nil)),
	}
}

// ConfigPath resolves the config file path from --config, $PROCSYNC_CONFIG
// or the user config directory.
func (f *Factory) ConfigPath() (string, error) { return config.Find(f.ConfigFlag) }

// Config loads and validates the configuration file.
func (f *Factory) Config() (*config.Config, error) {
	path, err := f.ConfigPath()
	if err != nil {
		return nil, err
	}
	return config.Load(path)
}

// StateDir resolves the state directory from --state-dir,
// $PROCSYNC_STATE_DIR or the platform default.
func (f *Factory) StateDir() (string, error) { return config.StateDir(f.StateDirFlag) }

// OpenState reads the config, resolves the state directory and opens the
// token store in it (see openState).
func (f *Factory) OpenState() (*config.Config, string, auth.Store, error) { return openState(f) }

// Log returns the logger the global flags chose. Commands hold it as a
// function, f.Log, because the flags are parsed after the commands are built.
func (f *Factory) Log() *slog.Logger { return f.Logger }

// LoginHints renders the --config and --state-dir flags given, for hints
// that name a command to run (see loginFlags).
func (f *Factory) LoginHints() string { return loginFlags(f) }

// fixedState returns a state opener that hands out cfg, dir and tokens as
// they are: the demo's simulated tenant instead of the global flags' files.
func fixedState(cfg *config.Config, dir string, tokens auth.Store) func() (*config.Config, string, auth.Store, error) {
	return func() (*config.Config, string, auth.Store, error) { return cfg, dir, tokens, nil }
}
