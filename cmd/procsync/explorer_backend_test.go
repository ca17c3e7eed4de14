package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"procsync/sync/graph"
	"procsync/sync/procore"
	"procsync/sync/sim"
	"procsync/ui"
)

// simExplorer starts the simulator and an explorer backend over procsync's
// real clients, signed in with the simulator's client credentials.
func simExplorer(t *testing.T, writable bool) (*clientExplorer, *sim.Server) {
	t.Helper()
	srv, err := sim.Start(sim.Options{Seed: 1, Members: 60})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	pcc := clientcredentials.Config{ClientID: sim.ProcoreClientID, ClientSecret: sim.ProcoreClientSecret,
		TokenURL: srv.ProcoreLoginURL() + "/oauth/token"}
	gcc := clientcredentials.Config{ClientID: sim.GraphClientID, ClientSecret: sim.GraphClientSecret,
		TokenURL: srv.GraphLoginURL() + "/" + sim.TenantID + "/oauth2/v2.0/token",
		Scopes:   []string{"https://graph.microsoft.com/.default"}}
	ctx := context.Background()
	pc := procore.New(pcc.Client(ctx), srv.ProcoreAPIURL(), sim.CompanyID, procore.WithWaitScale(0.001))
	gc := graph.New(gcc.Client(ctx), srv.GraphAPIURL(), graph.WithWaitScale(0.001))
	ce := &clientExplorer{
		Procore: func(ctx context.Context, id int64) (*procore.Client, error) {
			if id != 0 && id != sim.CompanyID {
				return nil, fmt.Errorf("unexpected company %d", id)
			}
			return pc, nil
		},
		Graph:        func(context.Context) (*graph.Client, error) { return gc, nil },
		NamePrefixes: []string{"License –"},
		AllowWrites:  writable,
	}
	return ce, srv
}

// TestExplorerVendorsFromProcore: the explorer lists the company's vendors
// from GET /rest/v1.0/vendors?company_id=… (there is no vendors path under
// /companies/{id}; the simulator answers that with 404, as Procore does).
func TestExplorerVendorsFromProcore(t *testing.T) {
	ce, srv := simExplorer(t, false)
	items, err := ce.Vendors(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(srv.Sim.Tenant().Vendors); len(items) != want || want == 0 {
		t.Fatalf("%d vendors listed, the company has %d", len(items), want)
	}
}

// TestExplorerBackendRefusesWrites: a read-only backend refuses every
// write itself, whatever the UI does, and sends nothing.
func TestExplorerBackendRefusesWrites(t *testing.T) {
	ce, srv := simExplorer(t, false)
	ctx := context.Background()
	if _, err := ce.CreateUser(ctx, sim.CompanyID, ui.NewUser{Email: "x@contoso.com", FirstName: "X", LastName: "Y"}); err != ui.ErrReadOnly {
		t.Errorf("read-only CreateUser error = %v, want ErrReadOnly", err)
	}
	if _, err := ce.SetUserActive(ctx, sim.CompanyID, 1, false); err != ui.ErrReadOnly {
		t.Errorf("read-only SetUserActive error = %v, want ErrReadOnly", err)
	}
	if err := ce.AddToProject(ctx, sim.CompanyID, 1, 1, 0); err != ui.ErrReadOnly {
		t.Errorf("read-only AddToProject error = %v, want ErrReadOnly", err)
	}
	for _, r := range srv.Sim.Requests() {
		if r.Method != "GET" && !strings.Contains(r.Path, "oauth") {
			t.Errorf("read-only backend sent %s %s", r.Method, r.Path)
		}
	}
}

// TestExplorerLicenseGroupsAsSnapshot: the explorer resolves the license
// groups with the snapshot's own rules, so each group names the rule in
// the snapshot's words and an empty selection is the snapshot's error.
func TestExplorerLicenseGroupsAsSnapshot(t *testing.T) {
	ce, _ := simExplorer(t, false)
	items, err := ce.LicenseGroups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(items) == 0 {
		t.Fatal("no license groups listed")
	}
	for _, it := range items {
		if want := `matched by name prefix "License –"`; it.Note != want {
			t.Errorf("group %s: note %q, want %q", it.Label, it.Note, want)
		}
	}
	ce.NamePrefixes = nil
	if _, err := ce.LicenseGroups(context.Background()); err == nil || !strings.Contains(err.Error(), "no license groups match") {
		t.Errorf("an empty selection gave %v, want the snapshot's no-license-groups error", err)
	}
}
