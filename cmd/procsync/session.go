package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"golang.org/x/oauth2"

	"procsync/auth"
	"procsync/cmd/procsync/config"
	"procsync/sync/engine"
	"procsync/sync/graph"
	"procsync/sync/procore"
	"procsync/sync/provision"
	"procsync/sync/store"
)

// session is everything one run needs, built from the config: token
// sources, API clients, the journal and the engine. Both faces (the TUI
// and --auto) build it the same way and then drive the same engine.
type session struct {
	cfg      *config.Config
	stateDir string
	tokens   auth.Store
	auths    auth.Configs
	logger   *slog.Logger

	graphTS, procoreTS *auth.TokenSource
	graph              *graph.Client
	procore            *procore.Client
	journal            *store.Store
	engine             *engine.Engine

	approvedBy  string
	companyName string

	// base is the client under every request of the session (set by
	// connect); clients built later (the explorer's) send through it too.
	base *http.Client
}

// openState reads the config, resolves the state directory and opens the
// token store in it: what every command that signs in or talks to the APIs
// needs first (the demo, whose state and tokens are its own, excepted).
func openState(f *Factory) (*config.Config, string, auth.Store, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, "", nil, err
	}
	dir, err := f.StateDir()
	if err != nil {
		return nil, "", nil, err
	}
	tokens, err := auth.OpenStore(dir)
	if err != nil {
		return nil, "", nil, err
	}
	return cfg, dir, tokens, nil
}

// newSession prepares a session without signing in; connect does that.
func newSession(cfg *config.Config, stateDir string, tokens auth.Store, logger *slog.Logger) *session {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &session{cfg: cfg, stateDir: stateDir, tokens: tokens, auths: authConfigs(cfg, ""), logger: logger}
}

// withLoginFlags makes the session's sign-in hints repeat the --config and
// --state-dir flags the command was given.
func (s *session) withLoginFlags(f *Factory) *session { return s.withHints(loginFlags(f)) }

// withHints makes the session's sign-in hints end in flags (see
// loginFlags).
func (s *session) withHints(flags string) *session {
	s.auths = authConfigs(s.cfg, flags)
	return s
}

// environment names the Procore environment for the header, the journal
// and the report. Whether it counts as production is the config's
// IsProduction, which also looks at the hosts: the TUI's typed
// confirmation, the explorer's write switch and the report's subject
// follow this name, so a sandbox label over a live host reads production.
func (s *session) environment() string { return s.cfg.Procore.Label() }

// connect obtains both token sources (an auth.ErrNotSignedIn error says
// which `procsync login` to run), builds the clients, finds out who
// approves and the company's name, opens the journal and builds the engine.
func (s *session) connect(ctx context.Context, mode store.Mode) error {
	var err error
	if c, _ := ctx.Value(oauth2.HTTPClient).(*http.Client); c != nil {
		s.base = c
	} else {
		// One bounded base transport under the API clients and the token
		// requests alike (see engine.BaseHTTPClient).
		s.base = engine.BaseHTTPClient()
		ctx = context.WithValue(ctx, oauth2.HTTPClient, s.base)
	}
	if s.graphTS, err = auth.GraphTokenSource(ctx, s.auths.Graph, s.tokens); err != nil {
		return err
	}
	if s.procoreTS, err = auth.ProcoreTokenSource(ctx, s.auths.Procore, s.tokens); err != nil {
		return err
	}
	// Each client carries its token to its own API host only, and refuses
	// redirects elsewhere.
	s.graph = graph.New(auth.HTTPClient(ctx, s.graphTS, s.cfg.Graph.APIURL()), s.cfg.Graph.APIURL())
	s.procore = procore.New(auth.HTTPClient(ctx, s.procoreTS, s.cfg.Procore.APIURL()), s.cfg.Procore.APIURL(), s.cfg.Procore.CompanyID)

	if s.graphTS.Method() == auth.MethodApp {
		s.approvedBy = auth.AppName(s.graphTS, s.cfg.Graph.ClientID)
	} else {
		me, err := s.graph.Me(ctx)
		if err != nil {
			return fmt.Errorf("find the signed-in Graph user: %w", err)
		}
		s.approvedBy = me.UserPrincipalName
	}
	s.companyName = s.lookupCompanyName(ctx)

	if s.journal == nil {
		if s.journal, err = store.Open(s.stateDir); err != nil {
			return err
		}
	}
	appOnlyMail := s.graphTS.Method() == auth.MethodApp
	s.engine, err = engine.New(engine.Deps{
		Graph:   s.graph,
		Procore: s.procore,
		Store:   s.journal,
		Rules:   s.cfg.Rules(),
		Snapshot: provision.SnapshotOptions{
			NamePrefixes: s.cfg.Groups.NamePrefixes,
			SKUs:         s.cfg.Groups.SKUs,
			GroupIDs:     s.cfg.Groups.IDs,
			Nested:       s.cfg.Groups.Nested,
		},
		Apply: engine.ApplySettings{
			ProjectIDs:           s.cfg.Procore.ProjectIDs,
			PermissionTemplateID: s.cfg.Procore.PermissionTemplateID,
			IsEmployee:           s.cfg.Procore.IsEmployee,
			InFlight:             s.cfg.Procore.BatchesInFlight,
		},
		Report: engine.ReportSettings{
			To: s.cfg.Report.To, From: s.cfg.Report.From, Subject: s.cfg.Report.Subject,
			Send: s.cfg.Report.Send, AppOnly: appOnlyMail,
		},
		Brakes: engine.Brakes{MaxCreates: s.cfg.Auto.MaxCreates, MaxDeactivations: s.cfg.Auto.MaxDeactivations,
			MaxReactivations: s.cfg.Auto.MaxReactivations},
		Environment: s.environment(),
		CompanyName: s.companyName,
		CompanyID:   s.cfg.Procore.CompanyID,
		ApprovedBy:  s.approvedBy,
		Mode:        mode,
		StateDir:    s.stateDir,
		Logger:      s.logger,
	})
	return err
}

// lookupCompanyName asks Procore for the company's name, for the header
// and the report. It is cosmetic: a failure falls back to the id.
func (s *session) lookupCompanyName(ctx context.Context) string {
	if cs, err := s.procore.Companies(ctx); err == nil {
		for _, c := range cs {
			if c.ID == s.cfg.Procore.CompanyID {
				return c.Name
			}
		}
	} else {
		s.logger.Debug("company name", "error", err)
	}
	return fmt.Sprintf("company %d", s.cfg.Procore.CompanyID)
}

// close releases the journal.
func (s *session) close() {
	if s.journal != nil {
		s.journal.Close()
		s.journal = nil
	}
}
