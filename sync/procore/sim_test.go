package procore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"procsync/sync/internal/httpx"
	"procsync/sync/procore"
	"procsync/sync/sim"
)

func simClient(t *testing.T, opts sim.Options) (*procore.Client, *sim.Server) {
	t.Helper()
	srv, err := sim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cc := clientcredentials.Config{
		ClientID: sim.ProcoreClientID, ClientSecret: sim.ProcoreClientSecret,
		TokenURL: srv.URL + "/procore-login/oauth/token",
	}
	return procore.New(cc.Client(context.Background()), srv.URL+"/procore", sim.CompanyID,
		procore.WithRetry(httpx.Options{WaitScale: 0.001})), srv
}

func TestAgainstSimulator(t *testing.T) {
	c, srv := simClient(t, sim.Options{Seed: 5, Members: 150})
	ctx := context.Background()
	yes, no := true, false

	cs, err := c.Companies(ctx)
	if err != nil || len(cs) != 1 || cs[0].ID != sim.CompanyID {
		t.Fatalf("companies = %+v, %v", cs, err)
	}
	ps, err := c.Projects(ctx, "Active")
	if err != nil || len(ps) == 0 {
		t.Fatalf("projects = %+v, %v", ps, err)
	}
	for _, p := range ps {
		if !p.Active {
			t.Errorf("inactive project %q in the Active filter", p.Name)
		}
	}
	ts, err := c.PermissionTemplates(ctx)
	if err != nil || len(ts) == 0 {
		t.Fatalf("templates = %+v, %v", ts, err)
	}
	if _, err := c.Vendors(ctx); err != nil {
		t.Fatal(err)
	}

	before, err := c.Users(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(srv.Sim.ProcoreUsers()); len(before) != want {
		t.Fatalf("Users read %d, the simulator holds %d", len(before), want)
	}

	// Create, then the duplicate is refused with a conflict the caller can
	// branch on, in words the operator understands.
	u, err := c.CreateUser(ctx, procore.UserInput{EmailAddress: "ana.new@contoso.com", FirstName: "Ana", LastName: "Diaz", IsEmployee: &yes})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateUser(ctx, procore.UserInput{EmailAddress: "ana.new@contoso.com", LastName: "Diaz"})
	if !procore.IsConflict(err) || !strings.HasPrefix(err.Error(), "procore: create user ana.new@contoso.com: 4") {
		t.Fatalf("duplicate create: err = %v", err)
	}

	// Deactivate through PATCH (which must carry email_address and
	// last_name), reactivate through Procore's own endpoint.
	if _, err := c.UpdateUser(ctx, u.ID, procore.UserInput{IsActive: &no}); err == nil {
		t.Fatal("UpdateUser sent a body without email_address and last_name")
	}
	if _, err := c.UpdateUser(ctx, u.ID, procore.UserInput{EmailAddress: u.EmailAddress, LastName: u.LastName, IsActive: &no}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetUser(ctx, u.ID)
	if err != nil || got.IsActive {
		t.Fatalf("after deactivation: %+v, %v", got, err)
	}
	if r, err := c.ReactivateUser(ctx, u.ID); err != nil || !r.IsActive {
		t.Fatalf("reactivate = %+v, %v", r, err)
	}
	if got, _ := c.GetUser(ctx, u.ID); !got.IsActive {
		t.Fatal("reactivation did not take")
	}

	// Sync with origin ids twice: the second run updates, never duplicates.
	batch := make([]procore.SyncUser, 1200)
	for i := range batch {
		batch[i].EmailAddress = fmt.Sprintf("sync%04d@contoso.com", i)
		batch[i].LastName = "Sync"
		batch[i].OriginID = fmt.Sprintf("entra-%04d", i)
	}
	batch[7].EmailAddress = "not an address"
	for round := 0; round < 2; round++ {
		res, err := c.SyncUsers(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Entities) != 1199 || len(res.Errors) != 1 || res.Errors[0].Input.OriginID != "entra-0007" {
			t.Fatalf("round %d: %d entities, errors %+v", round, len(res.Entities), res.Errors)
		}
		// What Apply reads of each entity is decoded.
		if e := res.Entities[1198]; e.ID == 0 || e.EmailAddress != "sync1199@contoso.com" || e.LastName != "Sync" || string(e.OriginID) != "entra-1199" || !e.IsActive {
			t.Fatalf("round %d: last entity %+v", round, e)
		}
	}
	after, err := c.Users(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before)+1+1199 {
		t.Fatalf("%d users after, want %d", len(after), len(before)+1200)
	}

	if err := c.AddToProject(ctx, ps[0].ID, u.ID, sim.TemplateStandard); err != nil {
		t.Fatal(err)
	}
	res, err := c.BulkAddToProjects(ctx, []procore.ProjectAssignment{
		{UserID: u.ID, ProjectID: ps[1].ID, PermissionTemplateID: sim.TemplateStandard},
		{UserID: 1, ProjectID: ps[1].ID},
	})
	if err != nil || len(res.Added) != 1 || len(res.Failed) != 1 || res.Failed[0].UserID != 1 || res.Failed[0].Reason == "" || len(res.Unanswered) != 0 {
		t.Fatalf("bulk add = %+v, %v", res, err)
	}
	pus, err := c.ProjectUsers(ctx, ps[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, pu := range pus {
		found = found || pu.ID == u.ID
	}
	if !found {
		t.Fatalf("user %d not among project users after bulk add", u.ID)
	}

	for _, r := range srv.Sim.Requests() {
		if strings.HasPrefix(r.Path, "/procore/rest/") && r.Header.Get("Procore-Company-Id") != fmt.Sprint(sim.CompanyID) {
			t.Errorf("%s %s without the company header", r.Method, r.Path)
		}
	}
	if v := srv.Sim.Violations(); len(v) > 0 {
		t.Errorf("violations: %q", v)
	}
	if rl := c.RateLimit(); !rl.Known || rl.Limit == 0 {
		t.Errorf("RateLimit() = %+v, want the announced budget", rl)
	}
}
