package sim

import (
	"fmt"
	"testing"
)

// TestProcoreSyncLinksOriginID checks the sync endpoint as provision.Link
// uses it: an entry with only id and origin_id (the spec requires no other
// field in a sync entry) writes origin_id on that existing user, which the
// directory listing then shows; repeating it is harmless; an origin_id that
// another user holds is refused per entry (origin_id is unique within a
// company) and changes nothing; an unknown id is refused.
func TestProcoreSyncLinksOriginID(t *testing.T) {
	srv := start(t, Options{Seed: 6, Members: 30})
	tok := procoreAppToken(t, srv)
	sync := fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users/sync", srv.URL, CompanyID)
	users := srv.Sim.ProcoreUsers()
	var a, b ProcoreUser
	n := 0
	for _, u := range users {
		if u.OriginID == "" {
			if n == 0 {
				a = u
			} else {
				b = u
			}
			if n++; n == 2 {
				break
			}
		}
	}
	if n < 2 {
		t.Fatal("the seed has no two users without origin_id")
	}
	const origin = "687c6b66-662a-4d49-a360-a550d2a303b9"
	send := func(updates ...map[string]any) (entities, errs []any) {
		r := do(t, "PATCH", sync, procoreH(tok), map[string]any{"updates": updates})
		if r.status != 200 {
			t.Fatalf("sync: %d %s", r.status, r.body)
		}
		m := r.json(t)
		return m["entities"].([]any), m["errors"].([]any)
	}
	for range 2 {
		ent, errs := send(map[string]any{"id": a.ID, "origin_id": origin})
		if len(ent) != 1 || len(errs) != 0 || ent[0].(map[string]any)["origin_id"] != origin {
			t.Fatalf("link: entities %v errors %v", ent, errs)
		}
	}
	got, _ := srv.Sim.ProcoreUser(a.ID)
	if got.OriginID != origin || got.Email != a.Email || got.LastName != a.LastName {
		t.Fatalf("after the link: %+v", got)
	}
	if len(srv.Sim.Created()) != 0 {
		t.Fatal("a link created a user")
	}
	found := false
	for _, u := range do(t, "GET", fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users?per_page=1000", srv.URL, CompanyID), procoreH(tok), nil).list(t) {
		if int64(u["id"].(float64)) == a.ID {
			found = u["origin_id"] == origin
		}
	}
	if !found {
		t.Error("the listing does not show the written origin_id")
	}

	ent, errs := send(map[string]any{"id": b.ID, "origin_id": origin})
	if len(ent) != 0 || len(errs) != 1 || errs[0].(map[string]any)["errors"].(map[string]any)["origin_id"] == nil {
		t.Fatalf("taken origin_id: entities %v errors %v", ent, errs)
	}
	if got, _ := srv.Sim.ProcoreUser(b.ID); got.OriginID != "" {
		t.Errorf("refused entry wrote origin_id %q", got.OriginID)
	}
	if _, errs := send(map[string]any{"id": 999999, "origin_id": "x"}); len(errs) != 1 {
		t.Error("unknown id was not refused")
	}
}
