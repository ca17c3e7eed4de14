package main

import (
	"context"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"

	"procsync/auth"
	"procsync/sync/graph"
	"procsync/sync/procore"
	"procsync/ui"
)

// SandboxOptions are the inputs of `procsync sandbox`.
type SandboxOptions struct {
	Factory *Factory
}

// NewCmdSandbox builds `procsync sandbox`. runF replaces the run function in
// tests.
func NewCmdSandbox(f *Factory, runF func(context.Context, *SandboxOptions) error) *cobra.Command {
	opts := &SandboxOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Explore the Procore company and the license groups in the terminal UI",
		Long: `Open the explorer: a safe place to learn a Procore company and the directory
before touching production, with the same sign-in as procsync itself.

  Procore     companies → projects (active, inactive, all) → project users;
              each company's users (active and inactive), permission
              templates and vendors; the selected object as JSON
  Graph       the license groups the configured rules select (and which rule
              matched), their members, the subscribed SKUs and their units
  Console     ':' sends a GET to either API: 'graph /v1.0/me' or
              'procore /rest/v1.0/me'; up and down recall earlier ones

Writes (create a test user, deactivate or reactivate one, add one to a
project) are allowed only when procore.environment is "sandbox" or "monthly",
each after a confirmation. Against production the explorer opens read-only,
says so in a red banner, and the write keys are absent.`,
		Example: `  procsync sandbox
  procsync sandbox --config ./sandbox.toml
  procsync demo        # then press e: the explorer against the simulated tenant`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSandbox(cmd.Context(), opts)
		},
	}
	return cmd
}

func runSandbox(ctx context.Context, opts *SandboxOptions) error {
	f := opts.Factory
	cfg, dir, tokens, err := openState(f)
	if err != nil {
		return err
	}
	s := newSession(cfg, dir, tokens, quietLogger(f)).withLoginFlags(f)
	defer s.close()
	b := newTUIBackend(s, auth.DefaultOpener, auth.ShouldUseDeviceCode(), false)
	return ui.Run(ctx, b, ui.Options{AltScreen: true, Explorer: newExplorerBackend(b), Sandbox: true})
}

// explorerWritable reports whether the explorer may write: only in
// Procore's sandbox and monthly environments, and in the demo (whose
// simulator is a sandbox by construction).
func explorerWritable(b *tuiBackend) bool {
	return b.demo || !b.s.cfg.Procore.IsProduction()
}

// newExplorerBackend wires the explorer to the session's clients. They are
// built on first use, after sign-in; companies other than the configured
// one get their own client over the same token source.
func newExplorerBackend(b *tuiBackend) *clientExplorer {
	c := &explorerClients{b: b, byCompany: map[int64]*procore.Client{}}
	g := b.s.cfg.Groups
	return &clientExplorer{
		Procore:      c.procore,
		Graph:        c.graph,
		NamePrefixes: g.NamePrefixes,
		SKUs:         g.SKUs,
		GroupIDs:     g.IDs,
		Nested:       g.Nested,
		AllowWrites:  explorerWritable(b),
	}
}

// explorerClients connects the session on the first explorer read and
// caches one Procore client per company.
type explorerClients struct {
	b         *tuiBackend
	mu        sync.Mutex
	byCompany map[int64]*procore.Client
}

func (c *explorerClients) procore(ctx context.Context, companyID int64) (*procore.Client, error) {
	if err := c.b.connect(ctx); err != nil {
		return nil, err
	}
	s := c.b.s
	if companyID == 0 || companyID == s.cfg.Procore.CompanyID {
		return s.procore, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	pc := c.byCompany[companyID]
	if pc == nil {
		// Background: the client outlives the read that created it. It
		// sends through the session's bounded base transport.
		bg := context.WithValue(context.Background(), oauth2.HTTPClient, s.base)
		pc = procore.New(auth.HTTPClient(bg, s.procoreTS, s.cfg.Procore.APIURL()), s.cfg.Procore.APIURL(), companyID)
		c.byCompany[companyID] = pc
	}
	return pc, nil
}

func (c *explorerClients) graph(ctx context.Context) (*graph.Client, error) {
	if err := c.b.connect(ctx); err != nil {
		return nil, err
	}
	return c.b.s.graph, nil
}
