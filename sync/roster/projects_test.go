package roster

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// projectSnapshot: license groups A (id ga) and B; members of A who are
// new, existing, already on project 100, inactive (reactivated), a guest
// (excluded) and in conflict; a member of B only.
func projectSnapshot() *Snapshot {
	const a, b = "License – A", "License – B"
	guest := member("m5", "Gus", "Guest", "gus@contoso.com", "", a)
	guest.UserType = "Guest"
	return &Snapshot{
		Groups: []Group{{ID: "ga", DisplayName: a}, {ID: "gb", DisplayName: b}},
		Members: []Member{
			member("m1", "Nia", "New", "nia@contoso.com", "", a),
			member("m2", "Eve", "Existing", "eve@contoso.com", "", a, b),
			member("m3", "Ola", "Onproject", "ola@contoso.com", "", a),
			member("m4", "Bo", "Bonly", "bo@contoso.com", "", b),
			guest,
			member("m6", "Ina", "Inactive", "ina@contoso.com", "", a),
			member("m7", "Cy", "Conflict", "cy@contoso.com", "", a),
		},
		Users: []ProcoreUser{
			puser(11, "Eve", "Existing", "eve@contoso.com", true),
			puser(12, "Ola", "Onproject", "ola@contoso.com", true),
			puser(13, "Bo", "Bonly", "bo@contoso.com", true),
			puser(14, "Gus", "Guest", "gus@contoso.com", true),
			puser(15, "Ina", "Inactive", "ina@contoso.com", false),
			puser(16, "Cy", "Conflict", "cy@contoso.com", true),
			puser(17, "Cy", "Conflict", "CY@contoso.com", true),
		},
		Projects: []ProjectDirectory{{ProjectID: 100, UserIDs: []int64{12}}, {ProjectID: 200}},
	}
}

var projectRules = Rules{Reactivate: true, Projects: []ProjectRule{
	// By id, in another case; then the same group by name, whose project
	// 100 must not add anyone a second time.
	{Group: "GA", ProjectIDs: []int64{100, 200}, PermissionTemplateID: 7},
	{Group: "license – a", ProjectIDs: []int64{100, 300}},
}}

// TestDiffProjectAdds: a rule adds exactly its group's members who are or
// will be Procore users (creates, reactivations, people in sync) to each
// project they are not on yet, once per person and project, and the rows
// are approved by --auto's rule.
func TestDiffProjectAdds(t *testing.T) {
	p := Diff(projectSnapshot(), projectRules)
	p.ApproveAuto(projectRules)
	type row struct {
		member           string
		user, project    int64
		template         int64
		create, approved bool
	}
	var got []row
	for _, a := range p.Actions {
		if a.Kind != KindProjectAdd {
			continue
		}
		r := row{member: a.Member.ID, project: a.Project.ProjectID, template: a.Project.PermissionTemplateID, create: a.User == nil, approved: a.Approved}
		if a.User != nil {
			r.user = a.User.ID
		}
		if a.Project.Group != "License – A" || !strings.Contains(a.Reason, fmt.Sprintf("add to project %d", r.project)) {
			t.Errorf("%s project %d: group %q, reason %q", r.member, r.project, a.Project.Group, a.Reason)
		}
		if rec := RecordOf(&a, StatusPlanned); rec.ProjectID != r.project || rec.Kind != KindProjectAdd {
			t.Errorf("%s: record %+v does not carry project %d", r.member, rec, r.project)
		}
		got = append(got, r)
	}
	want := []row{
		{member: "m2", user: 11, project: 100, template: 7, approved: true},
		{member: "m2", user: 11, project: 200, template: 7, approved: true},
		{member: "m2", user: 11, project: 300, approved: true},
		{member: "m6", user: 15, project: 100, template: 7, approved: true},
		{member: "m6", user: 15, project: 200, template: 7, approved: true},
		{member: "m6", user: 15, project: 300, approved: true},
		{member: "m1", project: 100, template: 7, create: true, approved: true},
		{member: "m1", project: 200, template: 7, create: true, approved: true},
		{member: "m1", project: 300, create: true, approved: true},
		{member: "m3", user: 12, project: 200, template: 7, approved: true},
		{member: "m3", user: 12, project: 300, approved: true},
	}
	key := func(r row) string { return fmt.Sprintf("%s/%d", r.member, r.project) }
	slices.SortFunc(got, func(a, b row) int { return strings.Compare(key(a), key(b)) })
	slices.SortFunc(want, func(a, b row) int { return strings.Compare(key(a), key(b)) })
	if !slices.Equal(got, want) {
		t.Errorf("project_add rows:\n got %+v\nwant %+v\n%s", got, want, dumpPlan(p))
	}
	if p.Counts[KindProjectAdd] != len(want) {
		t.Errorf("Counts[project_add] = %d, want %d", p.Counts[KindProjectAdd], len(want))
	}
	// Rows sort after the user writes and before conflicts.
	last := -1
	for i, a := range p.Actions {
		if kindRank(a.Kind) < last {
			t.Fatalf("action %d (%s) is out of kind order", i, a.Kind)
		}
		last = kindRank(a.Kind)
		// One person's rows by project.
		if i > 0 && a.Kind == KindProjectAdd && p.Actions[i-1].Kind == KindProjectAdd && p.Actions[i-1].Address == a.Address &&
			p.Actions[i-1].Project.ProjectID > a.Project.ProjectID {
			t.Errorf("%s: project %d listed before %d", a.Address, p.Actions[i-1].Project.ProjectID, a.Project.ProjectID)
		}
	}
}

// TestDiffProjectAddsDeterministic: the snapshot's order changes neither
// the plan nor its fingerprint; the rules and the projects' directories
// change the fingerprint.
func TestDiffProjectAddsDeterministic(t *testing.T) {
	base := Diff(projectSnapshot(), projectRules)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		s := projectSnapshot()
		rng.Shuffle(len(s.Members), func(i, j int) { s.Members[i], s.Members[j] = s.Members[j], s.Members[i] })
		rng.Shuffle(len(s.Users), func(i, j int) { s.Users[i], s.Users[j] = s.Users[j], s.Users[i] })
		p := Diff(s, projectRules)
		if p.Fingerprint != base.Fingerprint || dumpPlan(p) != dumpPlan(base) {
			t.Fatalf("permuted input changed the plan:\n%s\nvs\n%s", dumpPlan(p), dumpPlan(base))
		}
	}
	other := projectRules
	other.Projects = []ProjectRule{{Group: "ga", ProjectIDs: []int64{100, 200}, PermissionTemplateID: 8}}
	if Diff(projectSnapshot(), other).Fingerprint == base.Fingerprint {
		t.Error("another template kept the fingerprint")
	}
	s := projectSnapshot()
	s.Projects[1].UserIDs = []int64{11}
	if Diff(s, projectRules).Fingerprint == base.Fingerprint {
		t.Error("a project's directory changed the rows but not the fingerprint")
	}
	noRules := Rules{Reactivate: true}
	if p := Diff(projectSnapshot(), noRules); p.Counts[KindProjectAdd] != 0 {
		t.Errorf("without rules: %d project_add rows", p.Counts[KindProjectAdd])
	}
}

// TestValidateProjects: a rule without a group or a project, or with a bad
// id, is refused naming where it is configured.
func TestValidateProjects(t *testing.T) {
	for _, r := range []ProjectRule{
		{Group: " ", ProjectIDs: []int64{1}, Source: "c.toml:3: projects[0]"},
		{Group: "g", Source: "c.toml:3: projects[0]"},
		{Group: "g", ProjectIDs: []int64{0}, Source: "c.toml:3: projects[0]"},
		{Group: "g", ProjectIDs: []int64{1}, PermissionTemplateID: -1, Source: "c.toml:3: projects[0]"},
	} {
		err := Rules{Projects: []ProjectRule{r}}.Validate()
		if err == nil || !strings.Contains(err.Error(), "c.toml:3: projects[0]") {
			t.Errorf("Validate(%+v) = %v, want an error naming the rule", r, err)
		}
	}
}
