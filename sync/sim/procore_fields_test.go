package sim

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestProcoreSyncProfileFields: a sync entry sets the profile fields, the
// entity and the directory listing return them as the spec names them, and
// an entry naming a field the endpoint does not have is refused by name
// without touching the user.
func TestProcoreSyncProfileFields(t *testing.T) {
	srv := start(t, Options{Seed: 6, Members: 30})
	tok := procoreAppToken(t, srv)
	sync := fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users/sync", srv.URL, CompanyID)
	target := srv.Sim.ProcoreUsers()[1]
	r := do(t, "PATCH", sync, procoreH(tok), map[string]any{"updates": []map[string]any{
		{"id": target.ID, "mobile_phone": "+1 555 0100", "country_code": "US", "zip": "78701"},
		{"id": target.ID, "job_title": "Lead", "jobTitle": "Lead", "phone": "x"},
	}})
	if r.status != 200 {
		t.Fatalf("sync: %d %s", r.status, r.body)
	}
	m := r.json(t)
	ent, errs := m["entities"].([]any), m["errors"].([]any)
	if len(ent) != 1 || len(errs) != 1 {
		t.Fatalf("entities %v errors %v, want one of each", ent, errs)
	}
	if e := ent[0].(map[string]any); e["mobile_phone"] != "+1 555 0100" || e["country_code"] != "US" || e["zip"] != "78701" || e["city"] != nil {
		t.Errorf("entity %v, want the fields set and city null", e)
	}
	fe := errs[0].(map[string]any)["errors"].(map[string]any)
	if fe["jobTitle"] == nil || fe["phone"] == nil || fe["job_title"] != nil {
		t.Errorf("errors %v, want jobTitle and phone refused by name", fe)
	}
	got, _ := srv.Sim.ProcoreUser(target.ID)
	if got.MobilePhone != "+1 555 0100" || got.JobTitle == "Lead" {
		t.Errorf("stored %+v: want the first entry applied and the refused one not", got)
	}
	list := do(t, "GET", fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users?per_page=1000", srv.URL, CompanyID), procoreH(tok), nil).list(t)
	found := false
	for _, u := range list {
		if u["id"].(float64) == float64(target.ID) {
			found = true
			if u["mobile_phone"] != "+1 555 0100" || u["country_code"] != "US" {
				t.Errorf("listing %v lacks the stored fields", u)
			}
		}
	}
	if !found {
		t.Errorf("user %d not in the listing", target.ID)
	}
}

// TestUpdateEntraUserChangesWhatGraphReturns: a test changes a member's
// title while the simulator serves, and the next read sees it.
func TestUpdateEntraUserChangesWhatGraphReturns(t *testing.T) {
	srv := start(t, Options{Seed: 6, Members: 30})
	u := srv.Sim.Tenant().Users[3]
	if !srv.Sim.UpdateEntraUser(u.ID, func(u *User) { u.JobTitle, u.MobilePhone = "Changed", "+44 20 0000" }) {
		t.Fatal("user not found")
	}
	if srv.Sim.UpdateEntraUser("no-such-id", func(*User) {}) {
		t.Error("an unknown id was found")
	}
	tok := appGraphToken(t, srv)
	got := do(t, "GET", srv.URL+"/graph/v1.0/users/"+u.ID+"?$select=id,jobTitle,mobilePhone", bearerH(tok), nil).json(t)
	if got["jobTitle"] != "Changed" || got["mobilePhone"] != "+44 20 0000" {
		t.Errorf("user %v, want the changed title and phone", got)
	}
}

// TestEntraUserEndpoint: scripts change a member over HTTP, by object id or
// userPrincipalName; an unknown property is refused by name.
func TestEntraUserEndpoint(t *testing.T) {
	srv := start(t, Options{Seed: 6, Members: 30})
	u := srv.Sim.Tenant().Users[4]
	r := do(t, "POST", srv.URL+"/_sim/entra_user", nil, url.Values{"id": {u.UserPrincipalName}, "jobTitle": {"Estimator"}, "businessPhones": {"+1 555 0142"}})
	if r.status != 204 {
		t.Fatalf("POST /_sim/entra_user: %d %s", r.status, r.body)
	}
	tok := appGraphToken(t, srv)
	got := do(t, "GET", srv.URL+"/graph/v1.0/users/"+u.ID+"?$select=id,jobTitle,businessPhones", bearerH(tok), nil).json(t)
	if got["jobTitle"] != "Estimator" || fmt.Sprint(got["businessPhones"]) != "[+1 555 0142]" {
		t.Errorf("user %v, want the new title and phone", got)
	}
	if r := do(t, "POST", srv.URL+"/_sim/entra_user", nil, url.Values{"id": {u.ID}, "mail": {"x@y"}}); r.status != 400 || !strings.Contains(string(r.body), `"mail"`) {
		t.Errorf("changing mail: %d %s, want 400 naming it", r.status, r.body)
	}
}
