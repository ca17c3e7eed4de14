package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"procsync/internal/safetext"
	"procsync/sync/roster"
	"procsync/sync/store"
)

// IgnoreOptions are the inputs of `procsync ignore` and `procsync unignore`.
type IgnoreOptions struct {
	IO *IOStreams
	// StateDir resolves the state directory that holds the journal.
	StateDir func() (string, error)
	// Actor names who runs the command, for the journal.
	Actor func() string
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	Address string
	Reason  string
	// List prints the ignore list instead of changing it; All adds the
	// entries that were un-ignored (the history).
	List bool
	All  bool
	JSON bool
	// Remove takes Address off the list (`procsync unignore`).
	Remove bool
}

// NewCmdIgnore builds `procsync ignore EMAIL --reason TEXT` and
// `procsync ignore --list`. runF, when not nil, replaces runIgnore.
func NewCmdIgnore(f *Factory, runF func(context.Context, *IgnoreOptions) error) *cobra.Command {
	opts := &IgnoreOptions{IO: f.IO, StateDir: f.StateDir, Actor: cliActor}
	cmd := &cobra.Command{
		Use:   "ignore EMAIL --reason TEXT | ignore --list",
		Short: "Tell procsync to leave a person alone, with a reason",
		Long: `Put the person with address EMAIL on the ignore list, kept in the journal with
who (the OS user) and why: every later plan, in the TUI and in --auto, shows
them as excluded with "ignored by <who>: <why>" and never creates, reactivates
or updates them. The reason is required. procsync unignore EMAIL takes them off
the list again; the list keeps the history.

--list prints the people ignored now (--all adds the ones un-ignored since).`,
		Example: `  procsync ignore auditor@contoso.com --reason "external auditor, has a Procore login of their own"
  procsync ignore --list
  procsync ignore --list --all --json
  procsync unignore auditor@contoso.com`,
		Args: func(cmd *cobra.Command, args []string) error {
			if opts.List {
				if len(args) > 0 || opts.Reason != "" {
					return flagErrorf("ignore --list takes no EMAIL and no --reason")
				}
				return nil
			}
			if opts.All || opts.JSON {
				return flagErrorf("--all and --json go with --list")
			}
			if len(args) != 1 {
				return flagErrorf("ignore takes one EMAIL (or --list), got %d arguments", len(args))
			}
			if opts.Reason == "" {
				return flagErrorf("ignore: --reason is required: say why procsync should leave %s alone", args[0])
			}
			return setAddress(opts, args[0])
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runIgnore(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why procsync should leave the person alone (required)")
	cmd.Flags().BoolVar(&opts.List, "list", false, "print the ignore list")
	cmd.Flags().BoolVar(&opts.All, "all", false, "with --list: also the people un-ignored since")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "with --list: print JSON")
	return cmd
}

// NewCmdUnignore builds `procsync unignore EMAIL`. runF, when not nil,
// replaces runIgnore.
func NewCmdUnignore(f *Factory, runF func(context.Context, *IgnoreOptions) error) *cobra.Command {
	opts := &IgnoreOptions{IO: f.IO, StateDir: f.StateDir, Actor: cliActor, Remove: true}
	cmd := &cobra.Command{
		Use:   "unignore EMAIL",
		Short: "Take a person off the ignore list",
		Long: `Take the person with address EMAIL off the ignore list: the next plan treats
them like anybody else. The journal keeps the entry with who un-ignored it and
when (procsync ignore --list --all).`,
		Example: `  procsync unignore auditor@contoso.com`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return flagErrorf("unignore takes one EMAIL, got %d arguments", len(args))
			}
			return setAddress(opts, args[0])
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runIgnore(cmd.Context(), opts)
		},
	}
	return cmd
}

func setAddress(opts *IgnoreOptions, arg string) error {
	addr, ok := roster.NormalizeAddress(arg)
	if !ok {
		return flagErrorf("%q is not an email address", arg)
	}
	opts.Address = addr
	return nil
}

// runIgnore changes or prints the ignore list. A change is one short
// journal transaction under the state directory's lock, like every journal
// write; it takes effect at the next snapshot.
func runIgnore(ctx context.Context, opts *IgnoreOptions) error {
	dir, err := opts.StateDir()
	if err != nil {
		return err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if opts.List {
		// Listing must not create a journal (or the state directory).
		if _, err := os.Stat(filepath.Join(dir, store.FileName)); errors.Is(err, fs.ErrNotExist) {
			if opts.JSON {
				return writeJSON(opts.IO.Out, []ignoreJSON{})
			}
			fmt.Fprintf(opts.IO.Out, "Nobody is ignored (no journal yet in %s).\n", dir)
			return nil
		}
	} else {
		lock, err := store.Lock(dir)
		if err != nil {
			return &ExitError{Code: exitError, Err: err}
		}
		defer lock.Unlock()
	}
	st, err := store.Open(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	out := opts.IO.Out
	switch {
	case opts.List:
		list, err := st.Ignores(ctx, opts.All)
		if err != nil {
			return err
		}
		if opts.JSON {
			return writeJSON(out, ignoreJSONOf(list))
		}
		printIgnores(out, list, st.Path())
		return nil
	case opts.Remove:
		removed, err := st.RemoveIgnore(ctx, opts.Address, "", opts.Actor(), now())
		if errors.Is(err, store.ErrNotFound) {
			return &ExitError{Code: exitError, Err: fmt.Errorf("unignore: %s is not on the ignore list (procsync ignore --list shows it)", opts.Address)}
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s is no longer ignored (was: %s); the next plan includes them.\n", opts.Address, safetext.Line(removed[0].Reason))
		return nil
	}
	e, err := st.AddIgnore(ctx, roster.Ignore{Address: opts.Address, By: opts.Actor(), Reason: opts.Reason}, now())
	if errors.Is(err, store.ErrAlreadyIgnored) {
		fmt.Fprintf(out, "%s is already ignored (by %s: %s).\n", opts.Address, safetext.Line(e.By), safetext.Line(e.Reason))
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Ignored %s: every plan shows them as excluded (%s).\n", opts.Address, roster.IgnoredReason(&e.Ignore))
	return nil
}

// ignoreJSON is one entry of `ignore --list --json`.
type ignoreJSON struct {
	Email     string `json:"email"`
	EntraID   string `json:"entra_id"`
	Reason    string `json:"reason"`
	By        string `json:"by"`
	At        string `json:"at"`
	RemovedAt string `json:"removed_at,omitempty"`
	RemovedBy string `json:"removed_by,omitempty"`
}

func ignoreJSONOf(list []store.IgnoreEntry) []ignoreJSON {
	out := make([]ignoreJSON, 0, len(list))
	for _, e := range list {
		j := ignoreJSON{Email: safetext.Line(e.Address), EntraID: safetext.Line(e.EntraID), Reason: safetext.Line(e.Reason),
			By: safetext.Line(e.By), At: e.At.UTC().Format(time.RFC3339)}
		if !e.Active() {
			j.RemovedAt, j.RemovedBy = e.RemovedAt.UTC().Format(time.RFC3339), safetext.Line(e.RemovedBy)
		}
		out = append(out, j)
	}
	return out
}

func printIgnores(w io.Writer, list []store.IgnoreEntry, path string) {
	if len(list) == 0 {
		fmt.Fprintf(w, "Nobody is ignored (%s).\n", path)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tSINCE\tBY\tREASON\tREMOVED")
	for _, e := range list {
		removed := ""
		if !e.Active() {
			removed = e.RemovedAt.Local().Format("2006-01-02 15:04") + " by " + safetext.Line(e.RemovedBy)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", safetext.Line(cmp.Or(e.Address, e.EntraID)), e.At.Local().Format("2006-01-02 15:04"),
			safetext.Line(e.By), safetext.Line(e.Reason), removed)
	}
	tw.Flush()
}
