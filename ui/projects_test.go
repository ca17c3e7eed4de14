package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"procsync/sync/roster"
)

// TestReviewShowsProjectAdds: a [[projects]] rule's rows are in the plan
// pane under their own label, `a` approves them with the creates, and the
// details say which project and template the row adds the person to.
func TestReviewShowsProjectAdds(t *testing.T) {
	snap := &roster.Snapshot{
		Groups: []roster.Group{{ID: "g1", DisplayName: "License – E3"}},
		Members: []roster.Member{
			{ID: "m1", GivenName: "Nia", Surname: "New", Mail: "nia@contoso.com", AccountEnabled: true, UserType: "Member", Groups: []string{"License – E3"}},
			{ID: "m2", GivenName: "Eve", Surname: "Old", Mail: "eve@contoso.com", AccountEnabled: true, UserType: "Member", Groups: []string{"License – E3"}},
		},
		Users:    []roster.ProcoreUser{{ID: 11, FirstName: "Eve", LastName: "Old", Email: "eve@contoso.com", IsActive: true}},
		Projects: []roster.ProjectDirectory{{ProjectID: 5500102}},
	}
	rules := roster.Rules{Projects: []roster.ProjectRule{{Group: "g1", ProjectIDs: []int64{5500102}, PermissionTemplateID: 310001}}}
	plan := roster.Diff(snap, rules)
	f := newFake(EnvSandbox)
	keys := DefaultKeyMap()
	keys.setScreen(screenReview, false)
	out := &outbox{}
	r := newReview(snap, plan)
	r.bind(Context{Header: f.hdr, Width: 120, Height: 34, Out: out}, &keys)

	r.Update(press("3"))
	v := ansi.Strip(r.View())
	if strings.Count(v, "[ ] to project") != 2 {
		t.Errorf("the plan pane does not show the two project_add rows:\n%s", v)
	}
	if s := ansi.Strip(r.summary()); !strings.Contains(s, "2 to project") {
		t.Errorf("the header's counts lack the project_add rows: %s", s)
	}
	r.Update(press("a"))
	if sent := out.drain(); len(sent) != 1 || !strings.Contains(sent[0].(statusMsg).text, "approved 1 create and 2 project additions") {
		t.Errorf("a told the root %v", sent)
	}
	var details []string
	for range plan.Actions {
		if a := &r.plan.Actions[r.panes[panePlan].current()]; a.Kind == roster.KindProjectAdd {
			details = append(details, ansi.Strip(strings.Join(r.detailLines(100, NewUserSettings{}), "\n")))
		}
		r.Update(press("j"))
	}
	if len(details) != 2 {
		t.Fatalf("found %d project_add rows by moving down the plan, want 2", len(details))
	}
	joined := strings.Join(details, "\n")
	for _, want := range []string{
		"Procore user #11: added to project 5500102 with permission template 310001",
		"the new user, once its create is applied: added to project 5500102",
		`[[projects]] rule on the group "License – E3"`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("details lack %q:\n%s", want, joined)
		}
	}
}
