package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"procsync/sync/graph"
	"procsync/sync/procore"
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

// ClientExplorer implements ExplorerBackend over procsync's own Procore and
// Graph clients, so that the explorer sends exactly the requests a sync
// would.
type ClientExplorer struct {
	// Procore returns the client acting for companyID (connecting first if
	// needed).
	Procore func(ctx context.Context, companyID int64) (*procore.Client, error)
	// Graph returns the Graph client.
	Graph func(ctx context.Context) (*graph.Client, error)
	// NamePrefixes, SKUs and GroupIDs are the configured license-group rules.
	NamePrefixes, SKUs, GroupIDs []string
	// Nested reads transitive members, as the sync does.
	Nested bool
	// AllowWrites enables the write methods (sandbox, monthly, demo).
	AllowWrites bool
}

// Writable implements ExplorerBackend.
func (c *ClientExplorer) Writable() bool { return c.AllowWrites }

func jsonOf(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(fmt.Sprintf("%q", err.Error()))
	}
	return b
}

// Companies implements ExplorerBackend.
func (c *ClientExplorer) Companies(ctx context.Context) ([]ExplorerItem, error) {
	pc, err := c.Procore(ctx, 0)
	if err != nil {
		return nil, err
	}
	cs, err := pc.Companies(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ExplorerItem, len(cs))
	for i, co := range cs {
		out[i] = ExplorerItem{ID: co.ID, Label: co.Name, Note: fmt.Sprintf("#%d", co.ID), Inactive: !co.IsActive, JSON: jsonOf(co)}
	}
	return out, nil
}

// Projects implements ExplorerBackend.
func (c *ClientExplorer) Projects(ctx context.Context, companyID int64, status string) ([]ExplorerItem, error) {
	pc, err := c.Procore(ctx, companyID)
	if err != nil {
		return nil, err
	}
	ps, err := pc.Projects(ctx, status)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(ps, func(a, b int) bool { return strings.ToLower(ps[a].Name) < strings.ToLower(ps[b].Name) })
	out := make([]ExplorerItem, len(ps))
	for i, p := range ps {
		note := fmt.Sprintf("#%d", p.ID)
		if p.ProjectNumber != "" {
			note = p.ProjectNumber + " " + note
		}
		if !p.Active {
			note += " inactive"
		}
		out[i] = ExplorerItem{ID: p.ID, Label: p.Name, Note: note, Inactive: !p.Active, JSON: jsonOf(p)}
	}
	return out, nil
}

// ProjectUsers implements ExplorerBackend.
func (c *ClientExplorer) ProjectUsers(ctx context.Context, companyID, projectID int64) ([]ExplorerItem, error) {
	pc, err := c.Procore(ctx, companyID)
	if err != nil {
		return nil, err
	}
	us, err := pc.ProjectUsers(ctx, projectID)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(us, func(a, b int) bool {
		return strings.ToLower(us[a].EmailAddress) < strings.ToLower(us[b].EmailAddress)
	})
	out := make([]ExplorerItem, len(us))
	for i, u := range us {
		note := u.Name
		if !u.IsActive {
			note += " (inactive)"
		}
		out[i] = ExplorerItem{ID: u.ID, Label: u.EmailAddress, Note: note, Email: u.EmailAddress, Inactive: !u.IsActive, JSON: jsonOf(u)}
	}
	return out, nil
}

// userItem is a company user as a tree row.
func userItem(u procore.User) ExplorerItem {
	note := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if !u.IsActive {
		note += " (inactive)"
	}
	return ExplorerItem{ID: u.ID, Label: u.EmailAddress, Note: note, Email: u.EmailAddress, Inactive: !u.IsActive, JSON: jsonOf(u)}
}

// CompanyUsers implements ExplorerBackend: active users first, then
// inactive, each by address.
func (c *ClientExplorer) CompanyUsers(ctx context.Context, companyID int64) ([]ExplorerItem, error) {
	pc, err := c.Procore(ctx, companyID)
	if err != nil {
		return nil, err
	}
	us, err := pc.Users(ctx, nil)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(us, func(a, b int) bool {
		if us[a].IsActive != us[b].IsActive {
			return us[a].IsActive
		}
		return strings.ToLower(us[a].EmailAddress) < strings.ToLower(us[b].EmailAddress)
	})
	out := make([]ExplorerItem, len(us))
	for i, u := range us {
		out[i] = userItem(u)
	}
	return out, nil
}

// PermissionTemplates implements ExplorerBackend.
func (c *ClientExplorer) PermissionTemplates(ctx context.Context, companyID int64) ([]ExplorerItem, error) {
	pc, err := c.Procore(ctx, companyID)
	if err != nil {
		return nil, err
	}
	ts, err := pc.PermissionTemplates(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ExplorerItem, len(ts))
	for i, t := range ts {
		note := fmt.Sprintf("#%d", t.ID)
		if t.ProjectSpecific {
			note += " project-specific"
		}
		out[i] = ExplorerItem{ID: t.ID, Label: t.Name, Note: note, JSON: jsonOf(t)}
	}
	return out, nil
}

// Vendors implements ExplorerBackend.
func (c *ClientExplorer) Vendors(ctx context.Context, companyID int64) ([]ExplorerItem, error) {
	pc, err := c.Procore(ctx, companyID)
	if err != nil {
		return nil, err
	}
	vs, err := pc.Vendors(ctx)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(vs, func(a, b int) bool { return strings.ToLower(vs[a].Name) < strings.ToLower(vs[b].Name) })
	out := make([]ExplorerItem, len(vs))
	for i, v := range vs {
		out[i] = ExplorerItem{ID: v.ID, Label: v.Name, Note: fmt.Sprintf("#%d", v.ID), JSON: jsonOf(v)}
	}
	return out, nil
}

// LicenseGroups implements ExplorerBackend with the same three rules the
// snapshot uses; a group matched by two rules is listed once, under the
// first.
func (c *ClientExplorer) LicenseGroups(ctx context.Context) ([]ExplorerItem, error) {
	gc, err := c.Graph(ctx)
	if err != nil {
		return nil, err
	}
	var all []graph.MatchedGroup
	for _, step := range []struct {
		kind string
		fn   func() ([]graph.MatchedGroup, error)
	}{
		{"prefix", func() ([]graph.MatchedGroup, error) { return gc.GroupsByPrefix(ctx, c.NamePrefixes) }},
		{"sku", func() ([]graph.MatchedGroup, error) { return gc.GroupsBySKU(ctx, c.SKUs) }},
		{"id", func() ([]graph.MatchedGroup, error) { return gc.GroupsByID(ctx, c.GroupIDs) }},
	} {
		gs, err := step.fn()
		if err != nil {
			return nil, err
		}
		for i := range gs {
			gs[i].MatchedBy = step.kind + " " + gs[i].MatchedBy
		}
		all = append(all, gs...)
	}
	seen := map[string]bool{}
	out := make([]ExplorerItem, 0, len(all))
	for _, g := range all {
		if seen[g.ID] {
			continue
		}
		seen[g.ID] = true
		out = append(out, ExplorerItem{Key: g.ID, Label: g.DisplayName, Note: "matched by " + g.MatchedBy,
			JSON: jsonOf(struct {
				graph.Group
				MatchedBy string `json:"matchedBy"`
			}{g.Group, g.MatchedBy})})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Label < out[b].Label })
	return out, nil
}

// GroupMembers implements ExplorerBackend.
func (c *ClientExplorer) GroupMembers(ctx context.Context, groupID, groupName string) ([]ExplorerItem, error) {
	gc, err := c.Graph(ctx)
	if err != nil {
		return nil, err
	}
	us, err := gc.Members(ctx, graph.Group{ID: groupID, DisplayName: groupName}, c.Nested, nil)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(us, func(a, b int) bool {
		return strings.ToLower(us[a].UserPrincipalName) < strings.ToLower(us[b].UserPrincipalName)
	})
	out := make([]ExplorerItem, len(us))
	for i, u := range us {
		note := u.DisplayName
		if !u.AccountEnabled {
			note += " (disabled)"
		}
		if strings.EqualFold(u.UserType, "Guest") {
			note += " (guest)"
		}
		addr := u.Mail
		if addr == "" {
			addr = u.UserPrincipalName
		}
		out[i] = ExplorerItem{Key: u.ID, Label: addr, Note: note, Email: addr, Inactive: !u.AccountEnabled, JSON: jsonOf(u)}
	}
	return out, nil
}

// SubscribedSKUs implements ExplorerBackend.
func (c *ClientExplorer) SubscribedSKUs(ctx context.Context) ([]ExplorerItem, error) {
	gc, err := c.Graph(ctx)
	if err != nil {
		return nil, err
	}
	ss, err := gc.SubscribedSKUs(ctx)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(ss, func(a, b int) bool { return ss[a].SKUPartNumber < ss[b].SKUPartNumber })
	out := make([]ExplorerItem, len(ss))
	for i, s := range ss {
		out[i] = ExplorerItem{Key: s.SKUID, Label: s.SKUPartNumber,
			Note: fmt.Sprintf("%s of %s units used", thousands(s.ConsumedUnits), thousands(s.PrepaidUnits.Enabled)), JSON: jsonOf(s)}
	}
	return out, nil
}

// Get implements ExplorerBackend. The console speaks for the configured
// company (company 0).
func (c *ClientExplorer) Get(ctx context.Context, api, path string) (*ConsoleResponse, error) {
	var (
		status int
		h      http.Header
		body   []byte
		err    error
	)
	r := &ConsoleResponse{API: api, Path: path}
	switch api {
	case APIGraph:
		gc, gerr := c.Graph(ctx)
		if gerr != nil {
			return nil, gerr
		}
		status, h, body, err = gc.Get(ctx, path)
		if h != nil {
			r.RequestID = h.Get("request-id")
			if ra := h.Get("Retry-After"); ra != "" {
				r.RateLimit = "retry after " + ra + "s"
			}
		}
	case APIProcore:
		pc, perr := c.Procore(ctx, 0)
		if perr != nil {
			return nil, perr
		}
		status, h, body, err = pc.Get(ctx, path)
		if h != nil {
			r.RequestID = procore.RequestID(h)
			r.RateLimit = procoreBudget(h)
		}
	default:
		return nil, fmt.Errorf("console: unknown API %q: use graph or procore", api)
	}
	if err != nil {
		return nil, err
	}
	r.Status, r.Body = status, body
	return r, nil
}

// procoreBudget formats Procore's rate-limit headers as "remaining of
// limit, resets at 15:04:05 UTC".
func procoreBudget(h http.Header) string {
	lim, rem := h.Get("X-Rate-Limit-Limit"), h.Get("X-Rate-Limit-Remaining")
	if lim == "" && rem == "" {
		return ""
	}
	s := rem + " of " + lim + " left"
	if reset, err := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64); err == nil && reset > 0 {
		s += ", resets " + time.Unix(reset, 0).UTC().Format("15:04:05") + " UTC"
	}
	return s
}

// CreateUser implements ExplorerBackend through the plain create endpoint:
// a test user has no Entra object, so no origin_id.
func (c *ClientExplorer) CreateUser(ctx context.Context, companyID int64, u NewUser) (ExplorerItem, error) {
	if !c.AllowWrites {
		return ExplorerItem{}, ErrReadOnly
	}
	pc, err := c.Procore(ctx, companyID)
	if err != nil {
		return ExplorerItem{}, err
	}
	got, err := pc.CreateUser(ctx, procore.UserInput{EmailAddress: u.Email, FirstName: u.FirstName, LastName: u.LastName})
	if err != nil {
		return ExplorerItem{}, err
	}
	return userItem(*got), nil
}

// SetUserActive implements ExplorerBackend.
func (c *ClientExplorer) SetUserActive(ctx context.Context, companyID, userID int64, active bool) (ExplorerItem, error) {
	if !c.AllowWrites {
		return ExplorerItem{}, ErrReadOnly
	}
	pc, err := c.Procore(ctx, companyID)
	if err != nil {
		return ExplorerItem{}, err
	}
	var got *procore.User
	if active {
		// Procore reactivates through its own endpoint.
		got, err = pc.ReactivateUser(ctx, userID)
	} else {
		// A PATCH of the user must carry its email_address and last_name.
		var cur *procore.User
		if cur, err = pc.GetUser(ctx, userID); err == nil {
			got, err = pc.UpdateUser(ctx, userID, procore.UserInput{EmailAddress: cur.EmailAddress, LastName: cur.LastName, IsActive: &active})
		}
	}
	if err != nil {
		return ExplorerItem{}, err
	}
	return userItem(*got), nil
}

// AddToProject implements ExplorerBackend.
func (c *ClientExplorer) AddToProject(ctx context.Context, companyID, projectID, userID, templateID int64) error {
	if !c.AllowWrites {
		return ErrReadOnly
	}
	pc, err := c.Procore(ctx, companyID)
	if err != nil {
		return err
	}
	return pc.AddToProject(ctx, projectID, userID, templateID)
}
