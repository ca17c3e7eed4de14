package ui

import (
	"fmt"

	"procsync/sync/roster"
)

// projectAddWrites says what a project_add row writes: one membership,
// sent in a bulk add once the user exists (at once for an existing user,
// after the create for a new one).
func projectAddWrites(a *roster.Action, uid string) []string {
	p := a.Project
	if p == nil {
		return []string{"nothing: the row names no project"}
	}
	tmpl := "the project's default permission template"
	if p.PermissionTemplateID != 0 {
		tmpl = fmt.Sprintf("permission template %d", p.PermissionTemplateID)
	}
	who := uid
	if a.User == nil {
		who = "the new user, once its create is applied: "
	}
	return []string{
		fmt.Sprintf("%sadded to project %d with %s", who, p.ProjectID, tmpl),
		fmt.Sprintf("because of a [[projects]] rule on the group %q", p.Group),
	}
}
