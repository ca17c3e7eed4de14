package provision_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"procsync/sync/procore"
	"procsync/sync/provision"
	"procsync/sync/roster"
	"procsync/sync/sim"
)

// attrMap maps a title, a mobile phone and a country; department and fax
// are in the tenant but not mapped, so they must never be read or written.
var attrMap = roster.NewMapping(map[string]string{
	"jobTitle": "job_title", "mobilePhone": "mobile_phone", "country": "country_code",
})

// attrTenant holds Ana (in Procore, in step) and Ben (new), both with
// values in unmapped properties and fields.
func attrTenant() (*sim.Tenant, *sim.User, *sim.ProcoreUser) {
	t := sim.NewTenant(19)
	t.AddGroup(gE3, sim.SkuM365E3)
	ana := t.AddUser(&sim.User{GivenName: "Ana", Surname: "Ruiz", DisplayName: "Ana Ruiz", UserPrincipalName: "ana@contoso.com",
		Mail: "ana@contoso.com", AccountEnabled: true, JobTitle: "Engineer", MobilePhone: "+1 555 0100",
		Department: "Field", Country: "United States"}, gE3)
	t.AddUser(&sim.User{GivenName: "Ben", Surname: "Okafor", DisplayName: "Ben Okafor", UserPrincipalName: "ben@contoso.com",
		Mail: "ben@contoso.com", AccountEnabled: true, JobTitle: "Foreman", Department: "Yard", Country: "de"}, gE3)
	pu := t.AddProcoreUser(&sim.ProcoreUser{FirstName: "Ana", LastName: "Ruiz", Email: "ana@contoso.com", IsActive: true,
		JobTitle: "Engineer", MobilePhone: "+1 555 0100", FaxNumber: "+1 555 0199", City: "Austin"})
	return t, ana, pu
}

func attrPlan(t *testing.T, src provision.Sources, r roster.Rules) roster.Plan {
	t.Helper()
	snap, err := provision.TakeSnapshot(context.Background(), src, provision.SnapshotOptions{NamePrefixes: licensePrefixes, Map: r.Map})
	if err != nil {
		t.Fatal(err)
	}
	return roster.Diff(snap, r)
}

// syncEntries returns the entries of every users/sync request in the log.
func syncEntries(t *testing.T, s *sim.Sim) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range s.Requests() {
		if r.Method != "PATCH" || !strings.HasSuffix(r.Path, "/users/sync") {
			continue
		}
		var body struct {
			Updates []map[string]any `json:"updates"`
		}
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
			t.Fatalf("sync body %q: %v", r.Body, err)
		}
		out = append(out, body.Updates...)
	}
	return out
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestMappedAttributesCreateUpdateInSync is issue 19's done-when for the
// attribute mapping, against the simulator: Graph is asked for the mapped
// properties and no other extra one; a create carries the mapped fields
// that are set (a free-text country is not guessed at); a jobTitle changed
// in Entra makes exactly one update row with old → new, applied through
// users/sync with the changed field alone; the next plan is in sync; and
// no body ever holds a field outside the mapped set and what the endpoint
// requires.
func TestMappedAttributesCreateUpdateInSync(t *testing.T) {
	ten, ana, pu := attrTenant()
	srv := startSnapSim(t, sim.Options{Tenant: ten})
	src := simSources(t, srv.URL)
	rules := roster.Rules{Map: attrMap}
	ctx := context.Background()

	plan := attrPlan(t, src, rules)
	var selects []string
	for _, r := range srv.Sim.Requests() {
		if r.Service == "graph" && strings.Contains(r.Path, "/members") {
			q, _ := url.ParseQuery(r.Query)
			selects = append(selects, q.Get("$select"))
		}
	}
	if len(selects) == 0 {
		t.Fatal("no member read in the request log")
	}
	for _, sel := range selects {
		fields := strings.Split(sel, ",")
		for _, p := range []string{"jobTitle", "mobilePhone", "country"} {
			if !slices.Contains(fields, p) {
				t.Errorf("$select %q lacks the mapped %s", sel, p)
			}
		}
		for _, p := range []string{"department", "businessPhones", "city", "employeeId"} {
			if slices.Contains(fields, p) {
				t.Errorf("$select %q asks for the unmapped %s", sel, p)
			}
		}
	}
	if plan.Counts[roster.KindCreate] != 1 || plan.Counts[roster.KindInSync] != 1 || plan.Counts[roster.KindUpdate] != 0 {
		t.Fatalf("first plan counts %v, want one create (Ben) and one in_sync (Ana)", plan.Counts)
	}
	for _, a := range plan.Actions {
		if a.Kind == roster.KindInSync && !strings.Contains(a.Reason, `"United States" is not a two-letter ISO 3166 country code`) {
			t.Errorf("Ana's reason %q does not say her country is left alone", a.Reason)
		}
	}
	plan.Approve(nil)
	srv.Sim.ResetRequests()
	if _, err := provision.Apply(ctx, &plan, provision.ApplyOptions{Procore: src.Procore, IsEmployee: true}); err != nil {
		t.Fatal(err)
	}
	entries := syncEntries(t, srv.Sim)
	if len(entries) != 1 {
		t.Fatalf("create entries %v, want one", entries)
	}
	wantCreate := []string{"country_code", "email_address", "first_name", "is_active", "is_employee", "job_title", "last_name", "origin_id"}
	if got := keysOf(entries[0]); !slices.Equal(got, wantCreate) {
		t.Errorf("create entry keys %v, want %v (mapped fields that are set, plus what a create needs)", got, wantCreate)
	}
	if entries[0]["job_title"] != "Foreman" || entries[0]["country_code"] != "DE" {
		t.Errorf("create entry %v, want job_title Foreman and country_code DE", entries[0])
	}

	if !srv.Sim.UpdateEntraUser(ana.ID, func(u *sim.User) { u.JobTitle = "Senior Engineer" }) {
		t.Fatal("Ana is not in the simulated tenant")
	}
	plan = attrPlan(t, src, rules)
	var updates []roster.Action
	for _, a := range plan.Actions {
		if a.Kind == roster.KindUpdate {
			updates = append(updates, a)
		}
	}
	if len(updates) != 1 || plan.Counts[roster.KindInSync] != 1 {
		t.Fatalf("plan after the title change: %v, want one update (Ana) and Ben in sync", plan.Counts)
	}
	up := updates[0]
	want := []roster.AttributeChange{{Field: "job_title", Entra: "jobTitle", Old: "Engineer", New: "Senior Engineer"}}
	if up.User == nil || up.User.ID != pu.ID || !slices.Equal(up.Attributes, want) {
		t.Fatalf("update row %+v, want Ana's job_title Engineer → Senior Engineer", up)
	}
	if !strings.Contains(up.Reason, `job_title "Engineer" → "Senior Engineer"`) {
		t.Errorf("update reason %q does not show old → new", up.Reason)
	}
	plan.Approve(func(a *roster.Action) bool { return a.Kind == roster.KindUpdate })
	srv.Sim.ResetRequests()
	res, err := provision.Apply(ctx, &plan, provision.ApplyOptions{Procore: src.Procore, IsEmployee: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 1 || res.Results[0].Status != roster.StatusDone {
		t.Fatalf("update results %+v, want one done", res.Results)
	}
	entries = syncEntries(t, srv.Sim)
	if len(entries) != 1 {
		t.Fatalf("update entries %v, want one", entries)
	}
	if got := keysOf(entries[0]); !slices.Equal(got, []string{"id", "job_title"}) {
		t.Errorf("update entry keys %v, want [id job_title]: only the changed mapped field and the key", got)
	}
	for _, r := range srv.Sim.Requests() {
		if r.Service == "procore" && r.Method != "GET" && !strings.HasSuffix(r.Path, "/users/sync") && !strings.HasSuffix(r.Path, "/oauth/token") {
			t.Errorf("write outside users/sync: %s %s", r.Method, r.Path)
		}
	}
	got, _ := srv.Sim.ProcoreUser(pu.ID)
	if got.JobTitle != "Senior Engineer" || got.FaxNumber != "+1 555 0199" || got.City != "Austin" || got.MobilePhone != "+1 555 0100" {
		t.Errorf("Procore user after the update %+v: want the new title and every other field as it was", got)
	}

	plan = attrPlan(t, src, rules)
	if plan.Counts[roster.KindInSync] != 2 || plan.Counts[roster.KindUpdate] != 0 {
		t.Errorf("plan after the update: %v, want both in sync", plan.Counts)
	}
}

// TestEveryMappableFieldIsWritten holds the Procore client to the fields
// roster may plan: each one is set by UserInput.SetField and read back by
// User.Field from the answer's JSON.
func TestEveryMappableFieldIsWritten(t *testing.T) {
	for _, f := range roster.ProcoreFields {
		var in procore.UserInput
		if !in.SetField(f, "v") {
			t.Errorf("UserInput cannot write %s", f)
			continue
		}
		b, _ := json.Marshal(in)
		var u procore.User
		if err := json.Unmarshal(b, &u); err != nil {
			t.Fatal(err)
		}
		if v, ok := u.Field(f); !ok || v != "v" {
			t.Errorf("%s: body %s reads back as %q", f, b, v)
		}
	}
}
