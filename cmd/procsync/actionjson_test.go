package main

import (
	"encoding/json"
	"strings"
	"testing"

	"procsync/sync/engine"
	"procsync/sync/roster"
)

// TestAutoJSONProjectAdd: --auto --json counts project_add rows in plan and
// gives a project_add action its project_id, and only that kind.
func TestAutoJSONProjectAdd(t *testing.T) {
	res := &engine.AutoResult{
		Plan: engine.PlanCounts{Create: 1, ProjectAdd: 2},
		Actions: []roster.Record{
			{Kind: roster.KindCreate, Address: "nia@contoso.com", Status: roster.StatusDone, ProcoreID: 7},
			{Kind: roster.KindProjectAdd, Address: "nia@contoso.com", Status: roster.StatusDone, ProcoreID: 7, ProjectID: 5500102},
		},
	}
	b, err := json.Marshal(autoJSONOf(res))
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, want := range []string{`"project_add":2`, `"kind":"project_add","email":"nia@contoso.com"`, `"project_id":5500102`} {
		if !strings.Contains(out, want) {
			t.Errorf("--json lacks %s:\n%s", want, out)
		}
	}
	if strings.Count(out, `"project_id"`) != 1 {
		t.Errorf("project_id on other kinds too:\n%s", out)
	}
}
