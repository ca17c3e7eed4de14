package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"procsync/sync/engine"
	"procsync/sync/graph"
	"procsync/sync/internal/httpx"
	"procsync/sync/procore"
	"procsync/sync/provision"
	"procsync/sync/roster"
	"procsync/sync/sim"
	"procsync/sync/store"
)

var fast = httpx.Options{WaitScale: 0.001, MaxRetries: 20, BaseDelay: time.Millisecond}

type fixture struct {
	srv *sim.Server
	st  *store.Store
	dir string
	d   engine.Deps
}

func newFixture(t *testing.T, brakes engine.Brakes) *fixture {
	t.Helper()
	srv, err := sim.Start(sim.Options{Seed: 11, Members: 60})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	f := simFixture(t, srv, graph.WithRetry(fast), procore.WithRetry(fast))
	f.d.Apply = engine.ApplySettings{ProjectIDs: []int64{sim.ProjectHQ}, PermissionTemplateID: sim.TemplateStandard, IsEmployee: true}
	f.d.Brakes = brakes
	return f
}

// simFixture wires an engine to srv as `procsync --auto` is wired with
// app-only credentials: both clients (with the given options), a journal
// in a fresh state directory, a report mailed to it@contoso.com, no
// brakes, over engine.BaseHTTPClient. Callers change what their test is about.
func simFixture(tb testing.TB, srv *sim.Server, gopt graph.Option, popt procore.Option) *fixture {
	tb.Helper()
	f := urlFixture(tb, srv.URL, gopt, popt)
	f.srv = srv
	return f
}

// urlFixture is simFixture for a simulator at url, in this process or not
// (BenchmarkRunApart); the fixture's srv is nil.
func urlFixture(tb testing.TB, url string, gopt graph.Option, popt procore.Option) *fixture {
	tb.Helper()
	srv := &struct{ URL string }{url}
	gc := clientcredentials.Config{
		ClientID: sim.GraphClientID, ClientSecret: sim.GraphClientSecret,
		TokenURL: srv.URL + "/identity/" + sim.TenantID + "/oauth2/v2.0/token",
		Scopes:   []string{"https://graph.microsoft.com/.default"},
	}
	pcc := clientcredentials.Config{ClientID: sim.ProcoreClientID, ClientSecret: sim.ProcoreClientSecret, TokenURL: srv.URL + "/procore-login/oauth/token"}
	dir := tb.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	var gopts []graph.Option
	var popts []procore.Option
	if gopt != nil {
		gopts = append(gopts, gopt)
	}
	if popt != nil {
		popts = append(popts, popt)
	}
	// The token requests and the API calls go over the production base
	// transport (its connection pool, its time bounds), as in procsync.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, engine.BaseHTTPClient())
	return &fixture{st: st, dir: dir, d: engine.Deps{
		Graph:    graph.New(gc.Client(ctx), srv.URL+"/graph", gopts...),
		Procore:  procore.New(pcc.Client(ctx), srv.URL+"/procore", sim.CompanyID, popts...),
		Store:    st,
		Rules:    roster.Rules{AllowedDomains: []string{sim.Domain}, Reactivate: true},
		Snapshot: provision.SnapshotOptions{NamePrefixes: []string{"License – Microsoft", "License – Office"}},
		Apply:    engine.ApplySettings{IsEmployee: true},
		Report: engine.ReportSettings{To: []string{"it@contoso.com"}, From: sim.AdminUPN, Subject: "procsync test",
			Send: "changes", AppOnly: true},
		Brakes:      engine.Brakes{MaxCreates: -1, MaxDeactivations: -1, MaxReactivations: -1},
		Environment: "production", CompanyName: sim.CompanyName, CompanyID: sim.CompanyID,
		ApprovedBy: sim.GraphClientID, Mode: store.ModeAuto, StateDir: dir,
	}}
}

func (f *fixture) engine(t *testing.T) *engine.Engine {
	t.Helper()
	e, err := engine.New(f.d)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func procoreWrites(s *sim.Sim) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Service == "procore" && r.Method != http.MethodGet && !strings.Contains(r.Path, "/procore-login/") {
			n++
		}
	}
	return n
}

func TestRunAutoCreatesThenNothing(t *testing.T) {
	f := newFixture(t, engine.Brakes{MaxCreates: -1, MaxDeactivations: -1, MaxReactivations: -1})
	ctx := context.Background()
	res, err := f.engine(t).RunAuto(ctx, engine.AutoOptions{})
	if err != nil || failedOf(res) != 0 {
		t.Fatalf("first run: %d failed, %v", failedOf(res), err)
	}
	if res.Plan.Create == 0 {
		t.Fatal("the seeded tenant needs creates; the test proves nothing")
	}
	created := 0
	for _, a := range res.Actions {
		if a.Kind == roster.KindInSync {
			t.Errorf("in_sync action %s listed", a.Address)
		}
		if a.Kind == roster.KindCreate {
			if a.Status != roster.StatusDone || a.ProcoreID == 0 || a.EntraID == "" {
				t.Errorf("create %s: %+v", a.Address, a)
			}
			created++
			u, ok := f.srv.Sim.ProcoreUser(a.ProcoreID)
			if !ok || !strings.EqualFold(u.Email, a.Address) || u.OriginID != a.EntraID {
				t.Errorf("create %s: simulator holds %+v", a.Address, u)
			}
			if _, ok := f.srv.Sim.ProjectUsers(sim.ProjectHQ)[a.ProcoreID]; !ok {
				t.Errorf("create %s: not on project %d", a.Address, sim.ProjectHQ)
			}
		}
	}
	if created != res.Plan.Create || len(f.srv.Sim.Created()) != created {
		t.Errorf("created %d, planned %d, simulator created %d", created, res.Plan.Create, len(f.srv.Sim.Created()))
	}
	mails := f.srv.Sim.Mails()
	if len(mails) != 1 || !res.Report.Sent || res.Report.Path == "" {
		t.Fatalf("%d mails, report %+v", len(mails), res.Report)
	}
	if _, err := os.Stat(res.Report.Path); err != nil {
		t.Error(err)
	}
	for _, a := range res.Actions {
		if a.Kind == roster.KindCreate && !strings.Contains(mails[0].Content, a.Address) {
			t.Errorf("the mail does not list %s", a.Address)
		}
	}
	// The --json shape is cmd/procsync's: test/e2e decodeAuto checks its keys.

	t.Logf("first run: plan %+v, %d created", res.Plan, created)
	writes := procoreWrites(f.srv.Sim)
	res2, err := f.engine(t).RunAuto(ctx, engine.AutoOptions{})
	if err != nil || failedOf(res2) != 0 {
		t.Fatalf("second run: %d failed, %v", failedOf(res2), err)
	}
	if res2.Plan.Create != 0 || procoreWrites(f.srv.Sim) != writes || len(f.srv.Sim.Mails()) != 1 || res2.Report.Sent {
		t.Errorf("second run: plan %+v, %d new writes, %d mails", res2.Plan, procoreWrites(f.srv.Sim)-writes, len(f.srv.Sim.Mails()))
	}
}

func TestRunAutoBrakeAndDryRun(t *testing.T) {
	for _, tc := range []struct {
		name   string
		brakes engine.Brakes
		dry    bool
		status roster.Status
	}{
		{"brake", engine.Brakes{MaxCreates: 1, MaxDeactivations: 5, MaxReactivations: -1}, false, roster.StatusSkipped},
		// A dry run reports what the real run would meet: exit 3 too
		// (issue 17 item 1), with every action still only planned.
		{"dry run", engine.Brakes{MaxCreates: 1, MaxDeactivations: 5, MaxReactivations: -1}, true, roster.StatusPlanned},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.brakes)
			res, err := f.engine(t).RunAuto(context.Background(), engine.AutoOptions{DryRun: tc.dry})
			var be *engine.BrakeError
			if !errors.As(err, &be) || !strings.Contains(err.Error(), "auto.max_creates") {
				t.Errorf("err = %v, want a brake naming auto.max_creates", err)
			}
			if res.Brake == nil || res.Brake.WouldRefuse != tc.dry || res.Brake.MaxCreates != 1 {
				t.Errorf("brake object = %+v", res.Brake)
			}
			if n := procoreWrites(f.srv.Sim); n != 0 {
				t.Errorf("%d writes to Procore", n)
			}
			for _, a := range res.Actions {
				if a.Kind == roster.KindCreate && a.Status != tc.status {
					t.Errorf("%s: %s, want %s", a.Address, a.Status, tc.status)
				}
			}
			mails := f.srv.Sim.Mails()
			if tc.dry && len(mails) != 0 {
				t.Errorf("dry run sent %d mails", len(mails))
			}
			if !tc.dry && (len(mails) != 1 || !strings.Contains(mails[0].Content, "max_creates")) {
				t.Errorf("brake: %d mails, want one saying how to allow it", len(mails))
			}
			runs, _ := f.st.Runs(context.Background(), 0)
			if len(runs) != 1 || runs[0].DryRun != tc.dry {
				t.Errorf("journal runs %+v", runs)
			}
		})
	}
}

// TestRunAutoMembershipRetried: with bulk adds refused, the run creates the
// users, reports the memberships not added and exits 1; the next run adds
// them exactly once, reports them, and the first run's history says done.
func TestRunAutoMembershipRetried(t *testing.T) {
	f := newFixture(t, engine.Brakes{MaxCreates: -1, MaxDeactivations: -1, MaxReactivations: -1})
	ctx := context.Background()
	f.srv.Sim.FailAlways("procore", "bulk_add", http.StatusServiceUnavailable)
	res, err := f.engine(t).RunAuto(ctx, engine.AutoOptions{})
	if err == nil {
		t.Fatalf("first run: %d failed and no error; want the memberships not added", failedOf(res))
	}
	created := map[int64]bool{}
	for _, a := range res.Actions {
		if a.Kind == roster.KindCreate && a.Status == roster.StatusDone {
			created[a.ProcoreID] = true
		}
	}
	if len(created) == 0 {
		t.Fatal("nothing created; the test proves nothing")
	}
	html, err := os.ReadFile(res.Report.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), fmt.Sprintf("to project %d", sim.ProjectHQ)) {
		t.Error("the first report does not list the memberships not added")
	}
	first := res.Run.ID

	f.srv.Sim.ClearFaults()
	res, err = f.engine(t).RunAuto(ctx, engine.AutoOptions{})
	if err != nil || failedOf(res) != 0 {
		t.Fatalf("second run: %d failed, %v", failedOf(res), err)
	}
	members := f.srv.Sim.ProjectUsers(sim.ProjectHQ)
	for id := range created {
		if _, ok := members[id]; !ok {
			t.Errorf("user %d not on project %d after the second run", id, sim.ProjectHQ)
		}
	}
	ok := 0
	for _, r := range f.srv.Sim.Requests() {
		if strings.HasSuffix(r.Path, "/users/bulk_add") && r.Status == http.StatusOK {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("%d bulk adds succeeded, want exactly 1", ok)
	}
	rr := f.engine(t).ReportRun(res.Run)
	added := 0
	for _, row := range rr.Rows {
		if row.Kind == roster.KindProjectAdd && row.Status == roster.StatusDone {
			added++
		}
	}
	if added != len(created) {
		t.Errorf("second report lists %d memberships added, want %d", added, len(created))
	}
	d, err := f.st.Run(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range d.Actions {
		if a.Kind != roster.KindProjectAdd {
			continue
		}
		n++
		if a.Status != roster.StatusDone || !created[a.ProcoreID] || a.ProjectID != sim.ProjectHQ {
			t.Errorf("history of run %d: %s project %d %s user %d", first, a.Address, a.ProjectID, a.Status, a.ProcoreID)
		}
	}
	if n != len(created) {
		t.Errorf("history of run %d has %d memberships, want %d", first, n, len(created))
	}
}

// TestReportRunKeepsProcoreIDOfFailedAction: a reactivation that failed has
// no Procore id in its result, but the report (and its CSV) still names the
// Procore user it was about, as `--auto --json` does.
func TestReportRunKeepsProcoreIDOfFailedAction(t *testing.T) {
	f := newFixture(t, engine.Brakes{MaxCreates: -1, MaxDeactivations: -1, MaxReactivations: -1})
	plan := &roster.Plan{Actions: []roster.Action{{
		Kind: roster.KindReactivate, Address: "li@contoso.com", FirstName: "Li", LastName: "Wei",
		User: &roster.ProcoreUser{ID: 4410}, Approved: true,
	}}}
	run := &engine.Run{Plan: plan, Apply: &provision.ApplyResult{Results: []roster.Record{
		{Index: 0, Status: roster.StatusFailed, Error: "procore: reactivate li@contoso.com: 403"},
	}}}
	rr := f.engine(t).ReportRun(run)
	if len(rr.Rows) != 1 {
		t.Fatalf("rows %+v, want one", rr.Rows)
	}
	if r := rr.Rows[0]; r.Status != roster.StatusFailed || r.ProcoreID != 4410 || r.Error == "" {
		t.Errorf("row = %+v, want failed with Procore id 4410 and the error", r)
	}
}

// failedOf is how many of res's actions failed; -1 without a run.
func failedOf(res *engine.AutoResult) int {
	if res.Run == nil {
		return -1
	}
	return res.Run.Failed()
}

// TestReportNamesEarlierRuns: the mailed report sums up the runs before it
// in one line, from the journal.
func TestReportNamesEarlierRuns(t *testing.T) {
	f := newFixture(t, engine.Brakes{MaxCreates: -1, MaxDeactivations: -1, MaxReactivations: -1})
	f.d.Report.Send = "always"
	ctx := context.Background()
	first, err := f.engine(t).RunAuto(ctx, engine.AutoOptions{})
	if err != nil || first.Plan.Create == 0 {
		t.Fatalf("first run: %+v, %v", first.Plan, err)
	}
	if _, err := f.engine(t).RunAuto(ctx, engine.AutoOptions{}); err != nil {
		t.Fatal(err)
	}
	mails := f.srv.Sim.Mails()
	if len(mails) != 2 {
		t.Fatalf("%d mails, want 2", len(mails))
	}
	if strings.Contains(mails[0].Content, "Last 1 run") {
		t.Error("the first run's report names an earlier run")
	}
	want := fmt.Sprintf("Last 1 run (UTC): %s auto: %d created", first.Run.Started.UTC().Format("2 Jan 15:04"), first.Plan.Create)
	if !strings.Contains(mails[1].Content, want) {
		t.Errorf("the second run's report does not say %q", want)
	}
}
