// Command procsync provisions Procore users from Microsoft Entra ID license
// groups. This package is the command tree only: it parses flags, loads the
// configuration and wires the packages that do the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"procsync/cmd/procsync/config"
)

// Stamped at build time with -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = "unknown"
)

// Exit codes shared by every command; DESIGN.md documents them for --auto.
const (
	exitOK     = 0
	exitError  = 1
	exitUsage  = 2
	exitBrake  = 3
	exitSignIn = 4
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], SystemIO())
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, io *IOStreams) int {
	f := NewFactory(io)
	root := NewCmdRoot(f, nil)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	printError(io.ErrOut, cmd.CommandPath(), err)
	return exitCode(err)
}

// printError shows err once (cobra's own printing is silenced), pointing
// usage mistakes at the failing command's help.
func printError(w io.Writer, cmdPath string, err error) {
	var fe *FlagError
	if errors.As(err, &fe) {
		fmt.Fprintf(w, "procsync: %v\nRun '%s --help' for usage.\n", err, cmdPath)
		return
	}
	fmt.Fprintf(w, "procsync: %v\n", err)
}

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	var fe *FlagError
	var ee *ExitError
	switch {
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &fe), config.IsConfigError(err):
		return exitUsage
	}
	return exitError
}

// FlagError is a command-line usage mistake: a bad flag, a bad value, a
// wrong number of arguments. procsync exits with code 2 for it.
type FlagError struct{ Err error }

// Error returns the underlying message.
func (e *FlagError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *FlagError) Unwrap() error { return e.Err }

// flagErrorf builds a FlagError from a format.
func flagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ExitError carries a specific exit code (3: brake, 4: not signed in) with
// its message.
type ExitError struct {
	Code int
	Err  error
}

// Error returns the underlying message.
func (e *ExitError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ExitError) Unwrap() error { return e.Err }
