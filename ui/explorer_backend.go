package ui

import (
	"context"
	"errors"
)

// ExplorerBackend is what the sandbox explorer reads and writes. Every
// method may block and is called from a tea.Cmd. Implementations must
// refuse the write methods when Writable is false, whatever the UI does.
type ExplorerBackend interface {
	// Writable reports whether writes are allowed: only in a Procore
	// sandbox or monthly environment, or against the demo simulator.
	Writable() bool
	// Companies lists the Procore companies the signed-in user can see.
	Companies(ctx context.Context) ([]ExplorerItem, error)
	// Projects lists a company's projects; status is "Active", "Inactive"
	// or "All".
	Projects(ctx context.Context, companyID int64, status string) ([]ExplorerItem, error)
	// ProjectUsers lists a project's directory.
	ProjectUsers(ctx context.Context, companyID, projectID int64) ([]ExplorerItem, error)
	// CompanyUsers lists a company's users, active and inactive.
	CompanyUsers(ctx context.Context, companyID int64) ([]ExplorerItem, error)
	// PermissionTemplates lists a company's permission templates.
	PermissionTemplates(ctx context.Context, companyID int64) ([]ExplorerItem, error)
	// Vendors lists a company's vendors.
	Vendors(ctx context.Context, companyID int64) ([]ExplorerItem, error)
	// LicenseGroups resolves the configured license-group rules; Note
	// names the rule that matched each group.
	LicenseGroups(ctx context.Context) ([]ExplorerItem, error)
	// GroupMembers lists a group's user members.
	GroupMembers(ctx context.Context, groupID, groupName string) ([]ExplorerItem, error)
	// SubscribedSKUs lists the tenant's SKUs with consumed and prepaid units.
	SubscribedSKUs(ctx context.Context) ([]ExplorerItem, error)
	// Get sends one GET to api (APIGraph or APIProcore) at path and returns
	// the answer whatever its status.
	Get(ctx context.Context, api, path string) (*ConsoleResponse, error)
	// CreateUser creates a company user.
	CreateUser(ctx context.Context, companyID int64, u NewUser) (ExplorerItem, error)
	// SetUserActive deactivates (false) or reactivates (true) a company user.
	SetUserActive(ctx context.Context, companyID, userID int64, active bool) (ExplorerItem, error)
	// AddToProject adds a company user to a project with a permission
	// template (0: the project's default).
	AddToProject(ctx context.Context, companyID, projectID, userID, templateID int64) error
}

// API names accepted by ExplorerBackend.Get and typed in the console.
const (
	APIGraph   = "graph"
	APIProcore = "procore"
)

// ErrReadOnly is returned by the write methods of a read-only explorer.
var ErrReadOnly = errors.New("explorer: read-only: writes are allowed only in a Procore sandbox or monthly environment")

// ExplorerItem is one object of the explorer's tree.
type ExplorerItem struct {
	// ID is the Procore id (0 for Graph objects).
	ID int64
	// Key is the Graph object id or SKU id ("" for Procore objects).
	Key string
	// Label is the row's text; Note is shown dimmed after it.
	Label string
	Note  string
	// Email is a user's address, for confirmations.
	Email string
	// Inactive marks inactive users and projects.
	Inactive bool
	// JSON is the object as the client read it, for the detail pane.
	JSON []byte
}

// NewUser is the create-test-user form.
type NewUser struct {
	Email, FirstName, LastName string
}

// ConsoleResponse is the answer to a console GET.
type ConsoleResponse struct {
	API, Path string
	Status    int
	// RequestID is the service's request id, to quote to support.
	RequestID string
	// RateLimit is the budget the headers announced ("" when none).
	RateLimit string
	// Body is the raw body; the detail pane indents it when it is JSON.
	Body []byte
}
