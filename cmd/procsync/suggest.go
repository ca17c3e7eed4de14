package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"procsync/cmd/procsync/config"
)

// unknownCommand builds the usage error for a mistyped command, with
// cobra's own suggestions ("statsu" → "status").
func unknownCommand(cmd *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, cmd.CommandPath())
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return &FlagError{Err: errors.New(msg)}
}

// flagError wraps a flag parsing error as a usage error and, for an
// unknown flag, suggests the closest flag the command has ("--dryrun" →
// "--dry-run"), as the config checker does for keys.
func flagError(cmd *cobra.Command, err error) error {
	const prefix = "unknown flag: --"
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, prefix); ok {
		if s := closestFlag(cmd, name); s != "" {
			return &FlagError{Err: fmt.Errorf("%w (did you mean --%s?)", err, s)}
		}
	}
	return &FlagError{Err: err}
}

// closestFlag returns the name of cmd's flag nearest to name, or "" when
// none is close: equal once dashes are ignored, or within an edit distance
// of 2.
func closestFlag(cmd *cobra.Command, name string) string {
	best, bestD := "", 3
	squash := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "") }
	visit := func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		d := config.Distance(squash(name), squash(f.Name))
		if d < bestD || (d == bestD && f.Name < best) {
			best, bestD = f.Name, d
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	return best
}
