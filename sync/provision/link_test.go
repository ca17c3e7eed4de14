package provision_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"procsync/sync/provision"
	"procsync/sync/roster"
	"procsync/sync/sim"
)

// linkTenant is a tenant whose Procore directory holds two users for one
// person (under the address and under an alias) and a third linked to
// somebody else.
func linkTenant() (*sim.Tenant, [3]int64) {
	t := sim.NewTenant(7)
	a := t.AddProcoreUser(&sim.ProcoreUser{FirstName: "Hiro", LastName: "Hernández", Email: "hiro@contoso.com", IsActive: true})
	b := t.AddProcoreUser(&sim.ProcoreUser{FirstName: "Hiro", LastName: "Hernández", Email: "hhernandez@contoso.com", IsActive: true})
	c := t.AddProcoreUser(&sim.ProcoreUser{FirstName: "Other", LastName: "Person", Email: "other@contoso.com", IsActive: true, OriginID: "11111111-1111-4111-8111-111111111111"})
	return t, [3]int64{a.ID, b.ID, c.ID}
}

var hiro = &roster.Member{ID: "687c6b66-662a-4d49-a360-a550d2a303b9", GivenName: "Hiro", Surname: "Hernández", Mail: "hiro@contoso.com"}

// TestLinkWritesOriginIDOnceAndJournals checks that Link writes the
// member's Entra id as the chosen user's origin_id with one sync request
// keyed by id (no email, no name), journals a link intent before and its
// done outcome after, and that a second Link sends nothing.
func TestLinkWritesOriginIDOnceAndJournals(t *testing.T) {
	ten, ids := linkTenant()
	srv, pc := applySim(t, sim.Options{Tenant: ten})
	st, runID := openJournal(t, t.TempDir())
	ctx := context.Background()
	srv.Sim.ResetRequests()

	u := &roster.ProcoreUser{ID: ids[0], Email: "hiro@contoso.com"}
	rec, err := provision.Link(ctx, pc, st.Journal(runID), provision.LinkRequest{Member: hiro, Address: "hiro@contoso.com", User: u, By: "admin@contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != roster.StatusDone || rec.Kind != roster.KindLink || rec.ProcoreID != ids[0] {
		t.Fatalf("record %+v, want a done link of user %d", rec, ids[0])
	}
	got, _ := srv.Sim.ProcoreUser(ids[0])
	if got.OriginID != hiro.ID {
		t.Fatalf("origin_id in Procore %q, want %q", got.OriginID, hiro.ID)
	}
	var writes []sim.Request
	for _, r := range srv.Sim.Requests() {
		if strings.HasPrefix(r.Path, "/procore/rest/") && r.Method != "GET" {
			writes = append(writes, r)
		}
	}
	if len(writes) != 1 || !strings.HasSuffix(writes[0].Path, "/users/sync") || writes[0].Method != "PATCH" {
		t.Fatalf("writes %v, want one PATCH users/sync", writes)
	}
	for _, must := range []string{`"id":`, `"origin_id":"` + hiro.ID + `"`} {
		if !strings.Contains(writes[0].Body, must) {
			t.Errorf("sync body %s lacks %s", writes[0].Body, must)
		}
	}
	for _, never := range []string{"email_address", "last_name", "is_active"} {
		if strings.Contains(writes[0].Body, never) {
			t.Errorf("sync body %s writes %s: a link writes origin_id only", writes[0].Body, never)
		}
	}
	run, err := st.Run(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Actions) != 1 || run.Actions[0].Kind != roster.KindLink || run.Actions[0].Status != roster.StatusDone ||
		!strings.Contains(run.Actions[0].Reason, "linked by admin@contoso.com") {
		t.Fatalf("journal %+v, want one done link by admin@contoso.com", run.Actions)
	}

	// Linked already: nothing is sent or journaled.
	srv.Sim.ResetRequests()
	u.OriginID = hiro.ID
	rec, err = provision.Link(ctx, pc, st.Journal(runID), provision.LinkRequest{Member: hiro, Address: "hiro@contoso.com", User: u})
	if err != nil || rec.Status != roster.StatusSkipped {
		t.Fatalf("second link: %+v, %v; want skipped", rec, err)
	}
	if n := len(srv.Sim.Requests()); n != 0 {
		t.Errorf("second link sent %d requests", n)
	}
}

// TestLinkRefusals checks what Link refuses: a user linked to somebody
// else (before any request), an origin_id another user holds and an unknown
// user (refused by Procore, journaled failed with the answer).
func TestLinkRefusals(t *testing.T) {
	ten, ids := linkTenant()
	srv, pc := applySim(t, sim.Options{Tenant: ten})
	st, runID := openJournal(t, t.TempDir())
	ctx := context.Background()
	j := st.Journal(runID)

	other := &roster.ProcoreUser{ID: ids[2], Email: "other@contoso.com", OriginID: "11111111-1111-4111-8111-111111111111"}
	if _, err := provision.Link(ctx, pc, j, provision.LinkRequest{Member: hiro, Address: "hiro@contoso.com", User: other}); !errors.Is(err, provision.ErrLinkedElsewhere) {
		t.Errorf("link to a user linked elsewhere: %v, want ErrLinkedElsewhere", err)
	}

	// The origin_id is taken by user ids[2] (its own Entra id).
	taken := &roster.Member{ID: "11111111-1111-4111-8111-111111111111", GivenName: "Other", Surname: "Person"}
	rec, err := provision.Link(ctx, pc, j, provision.LinkRequest{Member: taken, Address: "other@contoso.com", User: &roster.ProcoreUser{ID: ids[1]}})
	if err == nil || rec.Status != roster.StatusFailed || !strings.Contains(rec.Error, "origin_id") {
		t.Errorf("taken origin_id: %+v, %v; want failed naming origin_id", rec, err)
	}
	if got, _ := srv.Sim.ProcoreUser(ids[1]); got.OriginID != "" {
		t.Errorf("user %d got origin_id %q", ids[1], got.OriginID)
	}

	rec, err = provision.Link(ctx, pc, j, provision.LinkRequest{Member: hiro, Address: "hiro@contoso.com", User: &roster.ProcoreUser{ID: 999999}})
	if err == nil || rec.Status != roster.StatusFailed || !strings.Contains(rec.Error, "not found") {
		t.Errorf("unknown user: %+v, %v; want failed, not found", rec, err)
	}
	run, err := st.Run(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Actions) != 2 {
		t.Fatalf("journal holds %d actions, want the 2 refused by Procore", len(run.Actions))
	}
	for _, a := range run.Actions {
		if a.Status != roster.StatusFailed {
			t.Errorf("journal %+v, want failed", a)
		}
	}
}

// TestReconcileSettlesPendingLink: a link whose run died after the intent
// was pending is done when the user carries the member's origin_id, and
// failed (to be tried again) when not.
func TestReconcileSettlesPendingLink(t *testing.T) {
	ten, ids := linkTenant()
	_, pc := applySim(t, sim.Options{Tenant: ten})
	st, runID := openJournal(t, t.TempDir())
	ctx := context.Background()
	j := st.Journal(runID)
	other := &roster.Member{ID: "22222222-2222-4222-8222-222222222222"}
	jids, err := j.RecordIntents(ctx, []roster.Record{
		{Kind: roster.KindLink, Address: "hiro@contoso.com", EntraID: hiro.ID, ProcoreID: ids[0]},
		{Kind: roster.KindLink, Address: "hhernandez@contoso.com", EntraID: other.ID, ProcoreID: ids[1]},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.MarkPending(ctx, jids); err != nil {
		t.Fatal(err)
	}
	// The first request landed before the crash; the second never left.
	if _, err := pc.SetOriginID(ctx, ids[0], hiro.ID); err != nil {
		t.Fatal(err)
	}
	res, err := provision.Reconcile(ctx, st.Journal(0), pc, provision.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]roster.Status{}
	for _, r := range res.Resolved {
		got[r.Address] = r.Status
	}
	if got["hiro@contoso.com"] != roster.StatusDone || got["hhernandez@contoso.com"] != roster.StatusFailed {
		t.Errorf("reconciled %v, want the landed link done and the other failed", got)
	}
}
