package ui

import (
	"fmt"

	"procsync/sync/roster"
)

// updateWrites lists what an update row writes, one field a line, old →
// new: the names when they change, then each mapped field that differs
// (provision sends exactly these).
func updateWrites(a *roster.Action, uid string) []string {
	var out []string
	if u := a.User; u == nil || a.FirstName != u.FirstName || a.LastName != u.LastName {
		if u != nil {
			out = append(out, uid+fmt.Sprintf("first_name %q → %q, last_name %q → %q", u.FirstName, a.FirstName, u.LastName, a.LastName))
		} else {
			out = append(out, uid+fmt.Sprintf("first_name %q, last_name %q", a.FirstName, a.LastName))
		}
	}
	for _, c := range a.Attributes {
		out = append(out, uid+c.String()+" (Entra "+c.Entra+", [map])")
	}
	return out
}
