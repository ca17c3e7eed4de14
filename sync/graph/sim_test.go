package graph_test

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"procsync/sync/graph"
	"procsync/sync/internal/httpx"
	"procsync/sync/sim"
)

func simClient(t *testing.T, opts sim.Options) (*graph.Client, *sim.Server) {
	t.Helper()
	srv, err := sim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cc := clientcredentials.Config{
		ClientID: sim.GraphClientID, ClientSecret: sim.GraphClientSecret,
		TokenURL: srv.URL + "/identity/" + sim.TenantID + "/oauth2/v2.0/token",
		Scopes:   []string{"https://graph.microsoft.com/.default"},
	}
	return graph.New(cc.Client(context.Background()), srv.URL+"/graph",
		graph.WithRetry(httpx.Options{WaitScale: 0.001})), srv
}

func TestAgainstSimulator(t *testing.T) {
	c, srv := simClient(t, sim.Options{Seed: 3, Members: 300})
	ctx := context.Background()

	gs, err := c.GroupsByPrefix(ctx, []string{"License – Microsoft", "License – Office"})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, g := range gs {
		names[g.DisplayName] = g.MatchedBy
	}
	want := map[string]string{
		sim.GroupE3: "License – Microsoft", sim.GroupE5: "License – Microsoft",
		sim.GroupF3: "License – Microsoft", sim.GroupE1: "License – Office",
	}
	if len(names) != len(want) {
		t.Fatalf("groups by prefix = %v, want %v", names, want)
	}
	for n, p := range want {
		if names[n] != p {
			t.Errorf("group %q matched by %q, want %q", n, names[n], p)
		}
	}

	// A quote in a prefix is escaped, not an injection or a 400.
	if _, err := c.GroupsByPrefix(ctx, []string{"Project – O'Hare"}); err != nil {
		t.Fatalf("prefix with a quote: %v", err)
	}

	bySKU, err := c.GroupsBySKU(ctx, []string{"spe_e3", "STANDARDPACK"})
	if err != nil {
		t.Fatal(err)
	}
	if len(bySKU) != 2 || bySKU[0].DisplayName != sim.GroupE3 || bySKU[0].MatchedBy != "spe_e3" || bySKU[1].DisplayName != sim.GroupE1 {
		t.Fatalf("groups by SKU = %+v", bySKU)
	}
	_, err = c.GroupsBySKU(ctx, []string{"NOPE"})
	if err == nil || !strings.Contains(err.Error(), "NOPE") || !strings.Contains(err.Error(), "SPE_E3") {
		t.Fatalf("unknown SKU error = %v", err)
	}

	byID, err := c.GroupsByID(ctx, []string{bySKU[0].ID})
	if err != nil || len(byID) != 1 || byID[0].DisplayName != sim.GroupE3 {
		t.Fatalf("groups by id = %+v, %v", byID, err)
	}
	_, err = c.GroupsByID(ctx, []string{"00000000-0000-4000-8000-000000000000"})
	if !graph.IsNotFound(err) {
		t.Fatalf("unknown id: err = %v, want a 404", err)
	}

	// The F3 group holds a nested group and devices: direct reads return
	// users only, transitive reads add the nested group's users.
	f3 := srv.Sim.Tenant().GroupByName(sim.GroupF3)
	direct, err := c.Members(ctx, graph.Group{ID: f3.ID, DisplayName: f3.DisplayName}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	trans, err := c.Members(ctx, graph.Group{ID: f3.ID, DisplayName: f3.DisplayName}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(direct) == 0 || len(trans) <= len(direct) {
		t.Fatalf("direct %d, transitive %d members: want more through nesting", len(direct), len(trans))
	}
	for _, u := range trans {
		if u.UserType == "" || u.UserPrincipalName == "" {
			t.Fatalf("member %+v lacks selected fields", u)
		}
	}

	if err := c.SendMail(ctx, sim.AdminUPN, graph.Message{Subject: "procsync report", HTML: "<p>hi</p>", To: []string{"it@contoso.com"}}); err != nil {
		t.Fatal(err)
	}
	mails := srv.Sim.Mails()
	if len(mails) != 1 || mails[0].Subject != "procsync report" || mails[0].To[0] != "it@contoso.com" || mails[0].ContentType != "HTML" {
		t.Fatalf("mails = %+v", mails)
	}
	if v := srv.Sim.Violations(); len(v) > 0 {
		t.Errorf("violations: %q", v)
	}
}
