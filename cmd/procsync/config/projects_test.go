package config

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"procsync/sync/roster"
)

// TestProjectRulesParse maps [[projects]] tables onto roster's rules, with
// the rule's file, line and index as its source.
func TestProjectRulesParse(t *testing.T) {
	src := minimal + `
[[projects]]
group = "License – Microsoft 365 E3"
project_id = 5500101
permission_template_id = 310002

[[projects]]
group = "0f3b2c1a-1111-4222-8333-444455556666"
project_ids = [5500102, 5500104]
`
	cfg, err := Parse([]byte(src), "p.toml")
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Rules().Projects
	want := []roster.ProjectRule{
		{Group: "License – Microsoft 365 E3", ProjectIDs: []int64{5500101}, PermissionTemplateID: 310002, Source: "p.toml:9: projects[0]"},
		{Group: "0f3b2c1a-1111-4222-8333-444455556666", ProjectIDs: []int64{5500102, 5500104}, Source: "p.toml:14: projects[1]"},
	}
	if len(got) != len(want) {
		t.Fatalf("rules = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Group != w.Group || !slices.Equal(g.ProjectIDs, w.ProjectIDs) || g.PermissionTemplateID != w.PermissionTemplateID || g.Source != w.Source {
			t.Errorf("rule %d = %+v, want %+v", i, g, w)
		}
	}
	if err := cfg.Rules().Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// TestProjectRulesErrorsNameKeyAndLine: every problem in a [[projects]]
// table is reported at its element's key and the line that sets it (or
// the table's header when the key is missing).
func TestProjectRulesErrorsNameKeyAndLine(t *testing.T) {
	head := minimal + "permission_template_id = 7\nproject_ids = [900]\n" // lines 8 and 9, in [procore]
	tests := []struct {
		name, body string
		key        string
		line       int
		has        string
	}{
		{"unknown key", "[[projects]]\ngroup = \"License – A\"\nproject_id = 1\npermision_template_id = 2\n", "projects[0].permision_template_id", 4, "did you mean permission_template_id"},
		{"wrong type", "[[projects]]\ngroup = \"License – A\"\nproject_id = \"5\"\n", "projects[0].project_id", 3, "must be an integer, not a string"},
		{"no group", "[[projects]]\nproject_id = 5\n", "projects[0].group", 1, "required"},
		{"no project", "[[projects]]\ngroup = \"License – A\"\n", "projects[0].project_id", 1, "required"},
		{"both project keys", "[[projects]]\ngroup = \"License – A\"\nproject_id = 5\nproject_ids = [6]\n", "projects[0].project_ids", 4, "not both"},
		{"bad id", "[[projects]]\ngroup = \"License – A\"\nproject_ids = [5, -1]\n", "projects[0].project_ids", 3, "entry 2 (-1)"},
		{"negative template", "[[projects]]\ngroup = \"License – A\"\nproject_id = 5\npermission_template_id = -3\n", "projects[0].permission_template_id", 4, "0 for the project's default"},
		{"second element", "[[projects]]\ngroup = \"License – A\"\nproject_id = 5\n\n[[projects]]\ngroup = \"License – B\"\nproject_id = 0\n", "projects[1].project_id", 7, "positive project id"},
		{"templates disagree", "[[projects]]\ngroup = \"License – A\"\nproject_id = 5\npermission_template_id = 1\n\n[[projects]]\ngroup = \"License – B\"\nproject_id = 5\npermission_template_id = 2\n",
			"projects[1].permission_template_id", 9, "but 1 from projects[0].permission_template_id"},
		{"template disagrees with project_ids", "[[projects]]\ngroup = \"License – A\"\nproject_id = 900\n", "projects[0].permission_template_id", 1, "but 7 from procore.project_ids"},
		{"not a license group", "[[projects]]\ngroup = \"Project – O'Hare\"\nproject_id = 5\n", "projects[0].group", 2, "starts with none of groups.name_prefixes"},
		{"a table, not an array", "[projects]\ngroup = \"License – A\"\n", "projects", 1, "must be an array of tables, not a table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := head + "\n[groups]\nname_prefixes = [\"License – \"]\n\n" + tt.body
			// The body's line 1 is the file's line 14.
			_, err := Parse([]byte(src), "p.toml")
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Parse = %v, want config errors", err)
			}
			line := tt.line + 13
			for _, e := range es {
				if e.Key == tt.key && strings.Contains(e.Msg, tt.has) {
					if e.Line != line {
						t.Errorf("%s reported at line %d, want %d:\n%s", tt.key, e.Line, line, src)
					}
					return
				}
			}
			t.Errorf("no error at %s saying %q; got:\n%v", tt.key, tt.has, err)
		})
	}
}

// TestProjectGroupIDMustBeListed: with only groups.ids selecting the
// license groups, a rule's group id must be one of them.
func TestProjectGroupIDMustBeListed(t *testing.T) {
	src := minimal + `
[groups]
ids = ["0f3b2c1a-1111-4222-8333-444455556666"]

[[projects]]
group = "0F3B2C1A-1111-4222-8333-444455556666"
project_id = 5

[[projects]]
group = "9f3b2c1a-1111-4222-8333-444455556666"
project_id = 5
`
	_, err := Parse([]byte(src), "p.toml")
	if err == nil || !strings.Contains(err.Error(), "p.toml:17: projects[1].group:") || strings.Contains(err.Error(), "projects[0]") {
		t.Errorf("Parse = %v; want only projects[1].group refused at line 17", err)
	}
}
