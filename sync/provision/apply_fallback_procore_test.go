package provision_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"procsync/sync/provision"
	"procsync/sync/roster"
	"procsync/sync/sim"
)

// TestApplyFallbackUsesProcoreContract: when the sync endpoint is refused
// (403) and users are written one request each, a reactivation goes to
// Procore's own endpoint, PATCH …/users/inactive/{id} (no body), and every
// PATCH …/users/{id} carries email_address and last_name, which Procore's
// spec requires in that body.
func TestApplyFallbackUsesProcoreContract(t *testing.T) {
	srv, pc := applySim(t, sim.Options{Seed: 3, Members: 40})
	srv.Sim.FailAlways("procore", "/users/sync", http.StatusForbidden)
	var inactive, active []sim.ProcoreUser
	for _, u := range srv.Sim.ProcoreUsers() {
		if u.IsActive {
			active = append(active, u)
		} else {
			inactive = append(inactive, u)
		}
	}
	if len(inactive) == 0 || len(active) < 2 {
		t.Fatalf("the tenant has %d inactive and %d active users", len(inactive), len(active))
	}
	user := func(u sim.ProcoreUser) *roster.ProcoreUser {
		return &roster.ProcoreUser{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email, IsActive: u.IsActive}
	}
	re, up, off := inactive[0], active[0], active[1]
	plan := &roster.Plan{Rules: roster.Rules{Reactivate: true, UpdateNames: true, Offboard: roster.OffboardDeactivate}, Actions: []roster.Action{
		{Kind: roster.KindReactivate, Address: strings.ToLower(re.Email), User: user(re), FirstName: re.FirstName, LastName: re.LastName, Approved: true},
		{Kind: roster.KindUpdate, Address: strings.ToLower(up.Email), User: user(up), FirstName: "Renamed", LastName: up.LastName, Approved: true},
		{Kind: roster.KindOffboard, Address: strings.ToLower(off.Email), User: user(off), Approved: true},
	}}
	res, err := provision.Apply(context.Background(), plan, provision.ApplyOptions{Procore: pc})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Fallback {
		t.Fatal("the sync endpoint's 403 did not switch to the fallback")
	}
	for _, r := range res.Results {
		if r.Status != roster.StatusDone {
			t.Errorf("action %d: %s %s", r.Index, r.Status, r.Error)
		}
	}
	byID := map[int64]sim.ProcoreUser{}
	for _, u := range srv.Sim.ProcoreUsers() {
		byID[u.ID] = u
	}
	if !byID[re.ID].IsActive || byID[up.ID].FirstName != "Renamed" || byID[off.ID].IsActive {
		t.Errorf("after apply: reactivated %+v, updated %+v, offboarded %+v", byID[re.ID], byID[up.ID], byID[off.ID])
	}

	reactivations := 0
	for _, r := range srv.Sim.Requests() {
		if r.Method != http.MethodPatch || !strings.HasPrefix(r.Path, "/procore/rest/") || strings.HasSuffix(r.Path, "/users/sync") {
			continue
		}
		if r.Path == fmt.Sprintf("/procore/rest/v1.0/companies/%d/users/inactive/%d", sim.CompanyID, re.ID) {
			reactivations++
			if strings.TrimSpace(r.Body) != "" {
				t.Errorf("reactivation sent a body: %s", r.Body)
			}
			continue
		}
		var body struct {
			User map[string]any `json:"user"`
		}
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
			t.Fatalf("%s %s: %v", r.Method, r.Path, err)
		}
		for _, k := range []string{"email_address", "last_name"} {
			if s, _ := body.User[k].(string); s == "" {
				t.Errorf("%s %s without %s: %s", r.Method, r.Path, k, r.Body)
			}
		}
		if r.Path == fmt.Sprintf("/procore/rest/v1.0/companies/%d/users/%d", sim.CompanyID, re.ID) {
			t.Errorf("reactivation through PATCH …/users/{id}: %s", r.Body)
		}
	}
	if reactivations != 1 {
		t.Errorf("%d requests to the reactivation endpoint, want 1", reactivations)
	}
	if v := srv.Sim.Violations(); len(v) > 0 {
		t.Errorf("simulator violations: %q", v)
	}
}
