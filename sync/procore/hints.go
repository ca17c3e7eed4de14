package procore

import (
	"net/http"
	"net/url"
	"strings"
)

// Setup anchors for the Procore permissions a 403 can be about. Each is a
// section of docs/setup.md that says what to grant and where in Procore.
const (
	// SetupAppAccess: the app (its Developer Managed Service Account, or
	// the signed-in user) installed in the company through App Management,
	// with access to the company and its projects.
	SetupAppAccess = "docs/setup.md#procore-app-access"
	// SetupDirectoryRead: Read Only (or higher) on the company Directory
	// tool, to list users, vendors and permission templates.
	SetupDirectoryRead = "docs/setup.md#procore-directory-read"
	// SetupDirectoryAdmin: Admin on the company Directory tool, to create,
	// update, reactivate and deactivate users (the sync endpoint too).
	SetupDirectoryAdmin = "docs/setup.md#procore-directory-admin"
	// SetupProjectDirectory: Admin on the Directory tool of every project
	// in procore.project_ids, to read and add project members.
	SetupProjectDirectory = "docs/setup.md#procore-project-directory"
)

// permissionHint says, for a 403 on method and rawURL, what the call needs
// and where to grant it. Procore's own 403 text does not say.
func permissionHint(method, rawURL string) string {
	p := rawURL
	if u, err := url.Parse(rawURL); err == nil {
		p = u.Path
	}
	// The API base may carry a path prefix; the templates start at /rest.
	if i := strings.Index(p, "/rest/"); i >= 0 {
		p = p[i:]
	}
	seg := strings.Split(strings.Trim(p, "/"), "/")
	// seg: rest, v1.x, then the resource.
	if len(seg) < 3 {
		return "check that the app is installed in the company and has access to it; see " + SetupAppAccess
	}
	res := seg[2:]
	switch {
	case res[0] == "me" || (res[0] == "companies" && len(res) == 1) || res[0] == "projects" && len(res) == 1:
		return "procsync's Procore account cannot see this company or its projects: install the app in the company (App Management) and give its account access; see " + SetupAppAccess
	case res[0] == "projects":
		return "this needs Admin on the Directory tool of the project (every project in procore.project_ids); see " + SetupProjectDirectory
	case res[0] == "companies" && len(res) >= 3 && res[2] == "users" && len(res) == 4 && res[3] == "bulk_add":
		return "adding users to projects needs Admin on the company Directory tool and on the Directory tool of every project in procore.project_ids; see " + SetupProjectDirectory
	case res[0] == "companies" && len(res) >= 3 && res[2] == "users" && method != http.MethodGet:
		return "creating, changing, reactivating or deactivating company users needs Admin on the company Directory tool (changing an email address needs Directory Admin too); see " + SetupDirectoryAdmin
	case res[0] == "vendors" || (res[0] == "companies" && len(res) >= 3):
		return "reading the company directory (users, vendors, permission templates) needs Read Only or higher on the company Directory tool; see " + SetupDirectoryRead
	}
	return "check that the app is installed in the company and has access to it; see " + SetupAppAccess
}
