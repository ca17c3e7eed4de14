package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/spf13/cobra"

	"procsync/auth"
	"procsync/cmd/procsync/config"
	"procsync/internal/safetext"
	"procsync/sync/roster"
	"procsync/sync/store"
)

// LinkOptions are the inputs of `procsync link EMAIL PROCORE_ID`.
type LinkOptions struct {
	IO *IOStreams
	// State reads the config, resolves the state directory and opens the
	// token store.
	State func() (*config.Config, string, auth.Store, error)
	// Logger returns the logger the global flags chose.
	Logger func() *slog.Logger
	// Hints renders the --config/--state-dir flags for sign-in hints.
	Hints func() string
	// Actor names who runs the command, for the journal.
	Actor func() string

	Address   string
	ProcoreID int64
	// Yes confirms a link to a production company, which the command
	// otherwise refuses (it asks for nothing interactively).
	Yes bool
}

// NewCmdLink builds `procsync link`. runF, when not nil, replaces runLink.
func NewCmdLink(f *Factory, runF func(context.Context, *LinkOptions) error) *cobra.Command {
	opts := &LinkOptions{IO: f.IO, State: f.OpenState, Logger: f.Log, Hints: f.LoginHints, Actor: cliActor}
	cmd := &cobra.Command{
		Use:   "link EMAIL PROCORE_ID",
		Short: "Resolve a conflict: tell procsync which Procore user a member is",
		Long: `Link the license-group member with address EMAIL to the Procore user
PROCORE_ID: procsync writes the member's Entra object id as that user's
origin_id (through Procore's company users sync endpoint), journals it, and
from then on matches the member to that user first, so the conflict ("this
member matches different Procore users") does not come back.

The member is found by address (primary, userPrincipalName or alias) in a
fresh read of the license groups. The link is refused when PROCORE_ID is not
a user of the company or is already linked to somebody else. It asks nothing
interactively: a link to a production company needs --yes.`,
		Example: `  procsync link hiro.hernandez@contoso.com 1800077
  procsync link hiro.hernandez@contoso.com 1800077 --yes   # production`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return flagErrorf("link takes EMAIL and PROCORE_ID, got %d arguments", len(args))
			}
			addr, ok := roster.NormalizeAddress(args[0])
			if !ok {
				return flagErrorf("link: %q is not an email address", args[0])
			}
			id, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil || id <= 0 {
				return flagErrorf("link: PROCORE_ID %q is not a Procore user id (a positive number)", args[1])
			}
			opts.Address, opts.ProcoreID = addr, id
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runLink(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Yes, "yes", false, "confirm a link to a production Procore company")
	return cmd
}

// runLink signs in like --auto, reads both directories, checks the choice
// and writes the link, all under the state directory's lock.
func runLink(ctx context.Context, opts *LinkOptions) error {
	cfg, stateDir, tokens, err := opts.State()
	if err != nil {
		return err
	}
	if cfg.Procore.IsProduction() && !opts.Yes {
		return flagErrorf("link: company %d is a production Procore company (%s): add --yes to write origin_id there",
			cfg.Procore.CompanyID, cfg.Procore.Label())
	}
	lock, err := store.Lock(stateDir)
	if err != nil {
		var le *store.LockedError
		if errors.As(err, &le) {
			return &ExitError{Code: exitError, Err: err}
		}
		return err
	}
	defer lock.Unlock()

	s := newSession(cfg, stateDir, tokens, opts.Logger()).withHints(opts.Hints())
	defer s.close()
	if err := s.connect(ctx, store.ModeAuto); err != nil {
		return &ExitError{Code: runExitCode(err), Err: err}
	}
	snap, err := s.engine.Snapshot(ctx, nil)
	if err != nil {
		return &ExitError{Code: runExitCode(err), Err: err}
	}
	t, err := findLinkTarget(snap, s.engine.Plan(snap), opts.Address, opts.ProcoreID)
	if err != nil {
		return &ExitError{Code: exitError, Err: fmt.Errorf("link: %w", err)}
	}
	rec, err := s.linkInRun(ctx, store.ModeAuto, opts.Actor(), t)
	if err != nil {
		return &ExitError{Code: runExitCode(err), Err: err}
	}
	if rec.Status == roster.StatusSkipped {
		fmt.Fprintf(opts.IO.Out, "%s is already linked to Procore user %d; nothing to do.\n", t.address, t.user.ID)
		return nil
	}
	fmt.Fprintf(opts.IO.Out, "Linked %s to Procore user %d (%s): its origin_id is now %s; the next plan matches them by origin_id.\n",
		t.address, t.user.ID, safetext.Line(t.user.Email), t.member.ID)
	return nil
}
