package auth

import (
	"context"
	"fmt"
)

// Configs bundles both providers' settings, for the commands that take an
// optional provider argument (login, logout, status).
type Configs struct {
	Graph   GraphConfig
	Procore ProcoreConfig
}

// Providers turns the optional argument of login/logout/status into the
// providers to act on: both when arg is empty, in the order graph, procore.
func Providers(arg string) ([]Provider, error) {
	if arg == "" {
		return []Provider{Graph, Procore}, nil
	}
	p, err := ParseProvider(arg)
	if err != nil {
		return nil, err
	}
	return []Provider{p}, nil
}

// Login signs in to p; see LoginGraph and LoginProcore.
func (c Configs) Login(ctx context.Context, p Provider, store Store, opts LoginOptions) error {
	switch p {
	case Graph:
		return LoginGraph(ctx, c.Graph, store, opts)
	case Procore:
		return LoginProcore(ctx, c.Procore, store, opts)
	}
	return fmt.Errorf("login: unknown provider %q", p)
}

// Logout forgets (and for Procore revokes) the stored sign-in of p.
func (c Configs) Logout(ctx context.Context, p Provider, store Store) error {
	switch p {
	case Graph:
		return LogoutGraph(ctx, c.Graph, store)
	case Procore:
		return LogoutProcore(ctx, c.Procore, store)
	}
	return fmt.Errorf("logout: unknown provider %q", p)
}

// Status reports the sign-in of p; see GraphStatus and ProcoreStatus.
func (c Configs) Status(ctx context.Context, p Provider, store Store) (*Info, error) {
	switch p {
	case Graph:
		return GraphStatus(ctx, c.Graph, store)
	case Procore:
		return ProcoreStatus(ctx, c.Procore, store)
	}
	return nil, fmt.Errorf("status: unknown provider %q", p)
}
