package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"procsync/sync/roster"
)

// TestUpdateDetailsShowOldToNew: the details of an update row that
// changes a mapped field list that field old → new and write no names;
// one that also renames lists the names old → new too.
func TestUpdateDetailsShowOldToNew(t *testing.T) {
	mb := roster.Member{ID: "e1", GivenName: "Ana", Surname: "Ruiz", DisplayName: "Ana Ruiz", Mail: "ana@contoso.com",
		UserPrincipalName: "ana@contoso.com", AccountEnabled: true, UserType: "Member", Groups: []string{"License – Microsoft E3"},
		Attributes: map[string]string{"jobTitle": "Senior Engineer"}}
	pu := roster.ProcoreUser{ID: 7, FirstName: "Ana", LastName: "Ruiz", Email: "ana@contoso.com", IsActive: true,
		Attributes: map[string]string{"job_title": "Engineer"}}
	for _, tt := range []struct {
		name        string
		rules       roster.Rules
		surname     string
		want, never []string
	}{
		{name: "title only", rules: roster.Rules{Map: roster.NewMapping(map[string]string{"jobTitle": "job_title"})},
			want:  []string{`Procore user #7: job_title "Engineer" → "Senior Engineer" (Entra jobTitle, [map])`},
			never: []string{"first_name"}},
		{name: "title and names", rules: roster.Rules{Map: roster.NewMapping(map[string]string{"jobTitle": "job_title"}), UpdateNames: true},
			surname: "Ruiz-Díaz",
			want: []string{`Procore user #7: first_name "Ana" → "Ana", last_name "Ruiz" → "Ruiz-Díaz"`,
				`Procore user #7: job_title "Engineer" → "Senior Engineer"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := mb
			if tt.surname != "" {
				m.Surname = tt.surname
			}
			snap := &roster.Snapshot{Members: []roster.Member{m}, Users: []roster.ProcoreUser{pu}}
			plan := roster.Diff(snap, tt.rules)
			if plan.Actions[0].Kind != roster.KindUpdate {
				t.Fatalf("plan %+v, want one update", plan.Actions)
			}
			r := newReview(snap, plan)
			r.focus = panePlan
			text := ansi.Strip(strings.Join(r.detailLines(200, NewUserSettings{}), "\n"))
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("details lack %q:\n%s", w, text)
				}
			}
			writes := strings.Join(actionWrites(&plan.Actions[0], &plan, NewUserSettings{}), "\n")
			for _, n := range tt.never {
				if strings.Contains(writes, n) {
					t.Errorf("writes %q hold %q", writes, n)
				}
			}
		})
	}
}
