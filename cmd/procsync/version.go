package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// VersionOptions are the inputs of `procsync version`.
type VersionOptions struct {
	IO *IOStreams
}

// NewCmdVersion builds `procsync version`. runF, when not nil, replaces
// runVersion (tests).
func NewCmdVersion(f *Factory, runF func(context.Context, *VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IO}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runVersion(cmd.Context(), opts)
		},
	}
}

// runVersion prints the version line.
func runVersion(_ context.Context, opts *VersionOptions) error {
	_, err := fmt.Fprintln(opts.IO.Out, versionString())
	return err
}

// versionString is "procsync 1.2.3 (commit abc1234, go1.26.8 linux/amd64)".
// Without -ldflags stamping (go run, go install), it falls back to the
// module version recorded in the binary.
func versionString() string {
	v := version
	if v == "dev" {
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	return fmt.Sprintf("procsync %s (commit %s, %s %s/%s)", v, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
