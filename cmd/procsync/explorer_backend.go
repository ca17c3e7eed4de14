package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"procsync/sync/graph"
	"procsync/sync/procore"
	"procsync/sync/provision"
	"procsync/ui"
)

// clientExplorer implements ui.ExplorerBackend over procsync's own Procore and
// Graph clients, so that the explorer sends exactly the requests a sync
// would.
type clientExplorer struct {
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

// Writable implements ui.ExplorerBackend.
func (c *clientExplorer) Writable() bool { return c.AllowWrites }

func jsonOf(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(fmt.Sprintf("%q", err.Error()))
	}
	return b
}

// Companies implements ui.ExplorerBackend.
func (c *clientExplorer) Companies(ctx context.Context) ([]ui.ExplorerItem, error) {
	pc, err := c.Procore(ctx, 0)
	if err != nil {
		return nil, err
	}
	cs, err := pc.Companies(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ui.ExplorerItem, len(cs))
	for i, co := range cs {
		out[i] = ui.ExplorerItem{ID: co.ID, Label: co.Name, Note: fmt.Sprintf("#%d", co.ID), Inactive: !co.IsActive, JSON: jsonOf(co)}
	}
	return out, nil
}

// Projects implements ui.ExplorerBackend.
func (c *clientExplorer) Projects(ctx context.Context, companyID int64, status string) ([]ui.ExplorerItem, error) {
	pc, err := c.Procore(ctx, companyID)
	if err != nil {
		return nil, err
	}
	ps, err := pc.Projects(ctx, status)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(ps, func(a, b int) bool { return strings.ToLower(ps[a].Name) < strings.ToLower(ps[b].Name) })
	out := make([]ui.ExplorerItem, len(ps))
	for i, p := range ps {
		note := fmt.Sprintf("#%d", p.ID)
		if p.ProjectNumber != "" {
			note = p.ProjectNumber + " " + note
		}
		if !p.Active {
			note += " inactive"
		}
		out[i] = ui.ExplorerItem{ID: p.ID, Label: p.Name, Note: note, Inactive: !p.Active, JSON: jsonOf(p)}
	}
	return out, nil
}

// ProjectUsers implements ui.ExplorerBackend.
func (c *clientExplorer) ProjectUsers(ctx context.Context, companyID, projectID int64) ([]ui.ExplorerItem, error) {
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
	out := make([]ui.ExplorerItem, len(us))
	for i, u := range us {
		note := u.Name
		if !u.IsActive {
			note += " (inactive)"
		}
		out[i] = ui.ExplorerItem{ID: u.ID, Label: u.EmailAddress, Note: note, Email: u.EmailAddress, Inactive: !u.IsActive, JSON: jsonOf(u)}
	}
	return out, nil
}

// userItem is a company user as a tree row.
func userItem(u procore.User) ui.ExplorerItem {
	note := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if !u.IsActive {
		note += " (inactive)"
	}
	return ui.ExplorerItem{ID: u.ID, Label: u.EmailAddress, Note: note, Email: u.EmailAddress, Inactive: !u.IsActive, JSON: jsonOf(u)}
}

// CompanyUsers implements ui.ExplorerBackend: active users first, then
// inactive, each by address.
func (c *clientExplorer) CompanyUsers(ctx context.Context, companyID int64) ([]ui.ExplorerItem, error) {
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
	out := make([]ui.ExplorerItem, len(us))
	for i, u := range us {
		out[i] = userItem(u)
	}
	return out, nil
}

// PermissionTemplates implements ui.ExplorerBackend.
func (c *clientExplorer) PermissionTemplates(ctx context.Context, companyID int64) ([]ui.ExplorerItem, error) {
	pc, err := c.Procore(ctx, companyID)
	if err != nil {
		return nil, err
	}
	ts, err := pc.PermissionTemplates(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ui.ExplorerItem, len(ts))
	for i, t := range ts {
		note := fmt.Sprintf("#%d", t.ID)
		if t.ProjectSpecific {
			note += " project-specific"
		}
		out[i] = ui.ExplorerItem{ID: t.ID, Label: t.Name, Note: note, JSON: jsonOf(t)}
	}
	return out, nil
}

// Vendors implements ui.ExplorerBackend.
func (c *clientExplorer) Vendors(ctx context.Context, companyID int64) ([]ui.ExplorerItem, error) {
	pc, err := c.Procore(ctx, companyID)
	if err != nil {
		return nil, err
	}
	vs, err := pc.Vendors(ctx)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(vs, func(a, b int) bool { return strings.ToLower(vs[a].Name) < strings.ToLower(vs[b].Name) })
	out := make([]ui.ExplorerItem, len(vs))
	for i, v := range vs {
		out[i] = ui.ExplorerItem{ID: v.ID, Label: v.Name, Note: fmt.Sprintf("#%d", v.ID), JSON: jsonOf(v)}
	}
	return out, nil
}

// LicenseGroups implements ui.ExplorerBackend with the snapshot's own
// group resolution (provision.ResolveGroups), so the explorer lists exactly the
// groups a sync would read, each under the first rule that matched it.
func (c *clientExplorer) LicenseGroups(ctx context.Context) ([]ui.ExplorerItem, error) {
	gc, err := c.Graph(ctx)
	if err != nil {
		return nil, err
	}
	gs, err := provision.ResolveGroups(ctx, gc, provision.SnapshotOptions{NamePrefixes: c.NamePrefixes, SKUs: c.SKUs, GroupIDs: c.GroupIDs})
	if err != nil {
		return nil, err
	}
	out := make([]ui.ExplorerItem, 0, len(gs))
	for _, g := range gs {
		out = append(out, ui.ExplorerItem{Key: g.ID, Label: g.DisplayName, Note: "matched by " + g.MatchedBy,
			JSON: jsonOf(struct {
				graph.Group
				MatchedBy string `json:"matchedBy"`
			}{g.Group, g.MatchedBy})})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Label < out[b].Label })
	return out, nil
}

// GroupMembers implements ui.ExplorerBackend.
func (c *clientExplorer) GroupMembers(ctx context.Context, groupID, groupName string) ([]ui.ExplorerItem, error) {
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
	out := make([]ui.ExplorerItem, len(us))
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
		out[i] = ui.ExplorerItem{Key: u.ID, Label: addr, Note: note, Email: addr, Inactive: !u.AccountEnabled, JSON: jsonOf(u)}
	}
	return out, nil
}

// SubscribedSKUs implements ui.ExplorerBackend.
func (c *clientExplorer) SubscribedSKUs(ctx context.Context) ([]ui.ExplorerItem, error) {
	gc, err := c.Graph(ctx)
	if err != nil {
		return nil, err
	}
	ss, err := gc.SubscribedSKUs(ctx)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(ss, func(a, b int) bool { return ss[a].SKUPartNumber < ss[b].SKUPartNumber })
	out := make([]ui.ExplorerItem, len(ss))
	for i, s := range ss {
		out[i] = ui.ExplorerItem{Key: s.SKUID, Label: s.SKUPartNumber,
			Note: fmt.Sprintf("%s of %s units used", ui.Thousands(s.ConsumedUnits), ui.Thousands(s.PrepaidUnits.Enabled)), JSON: jsonOf(s)}
	}
	return out, nil
}

// Get implements ui.ExplorerBackend. The console speaks for the configured
// company (company 0).
func (c *clientExplorer) Get(ctx context.Context, api, path string) (*ui.ConsoleResponse, error) {
	var (
		status int
		h      http.Header
		body   []byte
		err    error
	)
	r := &ui.ConsoleResponse{API: api, Path: path}
	switch api {
	case ui.APIGraph:
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
	case ui.APIProcore:
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

// CreateUser implements ui.ExplorerBackend through the plain create endpoint:
// a test user has no Entra object, so no origin_id.
func (c *clientExplorer) CreateUser(ctx context.Context, companyID int64, u ui.NewUser) (ui.ExplorerItem, error) {
	if !c.AllowWrites {
		return ui.ExplorerItem{}, ui.ErrReadOnly
	}
	pc, err := c.Procore(ctx, companyID)
	if err != nil {
		return ui.ExplorerItem{}, err
	}
	got, err := pc.CreateUser(ctx, procore.UserInput{EmailAddress: u.Email, FirstName: u.FirstName, LastName: u.LastName})
	if err != nil {
		return ui.ExplorerItem{}, err
	}
	return userItem(*got), nil
}

// SetUserActive implements ui.ExplorerBackend.
func (c *clientExplorer) SetUserActive(ctx context.Context, companyID, userID int64, active bool) (ui.ExplorerItem, error) {
	if !c.AllowWrites {
		return ui.ExplorerItem{}, ui.ErrReadOnly
	}
	pc, err := c.Procore(ctx, companyID)
	if err != nil {
		return ui.ExplorerItem{}, err
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
		return ui.ExplorerItem{}, err
	}
	return userItem(*got), nil
}

// AddToProject implements ui.ExplorerBackend.
func (c *clientExplorer) AddToProject(ctx context.Context, companyID, projectID, userID, templateID int64) error {
	if !c.AllowWrites {
		return ui.ErrReadOnly
	}
	pc, err := c.Procore(ctx, companyID)
	if err != nil {
		return err
	}
	return pc.AddToProject(ctx, projectID, userID, templateID)
}
