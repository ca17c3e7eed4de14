package graph

import (
	"slices"
	"strings"
)

// SetupDoc is the document whose anchors a 403 points at.
const SetupDoc = "docs/setup.md"

// Permission is a Graph permission a call needs, with the setup anchor
// that says how to grant it.
type Permission struct {
	// Names are the permissions that each suffice, the least privileged
	// first, e.g. LicenseAssignment.Read.All, Organization.Read.All.
	Names []string
	// Anchor is the docs/setup.md anchor, without "#".
	Anchor string
}

// String names the permission and its alternatives, e.g.
// "LicenseAssignment.Read.All (or Organization.Read.All or Directory.Read.All)".
func (p Permission) String() string {
	if len(p.Names) < 2 {
		return strings.Join(p.Names, "")
	}
	return p.Names[0] + " (or " + strings.Join(p.Names[1:], " or ") + ")"
}

// Where returns the place to read how to grant the permission, e.g.
// "docs/setup.md#graph-licenseassignment-read-all".
func (p Permission) Where() string { return SetupDoc + "#" + p.Anchor }

// The permissions procsync's calls need, by the setup anchor that explains
// each (the anchors exist in docs/setup.md; a test checks that).
var (
	PermGroups = Permission{[]string{"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All"}, "graph-groupmember-read-all"}
	PermUsers  = Permission{[]string{"User.Read.All", "Directory.Read.All"}, "graph-user-read-all"}
	PermMe     = Permission{[]string{"User.Read", "User.Read.All"}, "graph-user-read-all"}
	PermSKUs   = Permission{[]string{"LicenseAssignment.Read.All", "Organization.Read.All", "Directory.Read.All"}, "graph-licenseassignment-read-all"}
	PermSend   = Permission{[]string{"Mail.Send"}, "graph-mail-send"}
	PermDrafts = Permission{[]string{"Mail.ReadWrite"}, "graph-mail-readwrite"}
)

// Permissions lists every permission procsync may need, for docs checks.
var Permissions = []Permission{PermGroups, PermUsers, PermMe, PermSKUs, PermSend, PermDrafts}

// permissionFor names the permission a request needs, from its method and
// path ("GET /v1.0/subscribedSkus?…", with or without a prefix before the
// version, as a simulator or a proxy adds one). ok is false for a request
// it does not know.
func permissionFor(request string) (Permission, bool) {
	method, path, _ := strings.Cut(request, " ")
	path, _, _ = strings.Cut(path, "?")
	for _, v := range []string{"/v1.0/", "/beta/"} {
		if i := strings.Index(path, v); i >= 0 {
			path = path[i+len(v):]
			break
		}
	}
	seg := strings.Split(strings.Trim(path, "/"), "/")
	last := seg[len(seg)-1]
	switch {
	case seg[0] == "subscribedSkus":
		return PermSKUs, true
	case seg[0] == "groups":
		return PermGroups, true
	case last == "sendMail" || last == "send":
		return PermSend, true
	case slices.Contains(seg, "messages"):
		// Drafts, their attachments and upload sessions.
		return PermDrafts, true
	case seg[0] == "me" && method == "GET":
		return PermMe, true
	case seg[0] == "users" && method == "GET":
		return PermUsers, true
	}
	return Permission{}, false
}
