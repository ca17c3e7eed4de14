package procore

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"procsync/internal/safetext"
)

// Me is the signed-in Procore user.
type Me struct {
	ID    int64  `json:"id"`
	Login string `json:"login"`
	Name  string `json:"name"`
}

// Me reads the signed-in user. Procore answers the name only when the
// request names a company (or a project), so the client's company goes
// with it.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var m Me
	path := "/rest/v1.0/me?" + url.Values{"company_id": {strconv.FormatInt(c.companyID, 10)}}.Encode()
	if _, err := c.do(ctx, "read signed-in user", http.MethodGet, path, nil, &m); err != nil {
		return nil, err
	}
	m.Login, m.Name = safetext.Line(m.Login), safetext.Line(m.Name)
	return &m, nil
}

// Company is a Procore company the user can see.
type Company struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	IsActive bool   `json:"is_active"`
}

// Companies lists the companies the signed-in user can see.
func (c *Client) Companies(ctx context.Context) ([]Company, error) {
	var cs []Company
	if _, err := c.do(ctx, "list companies", http.MethodGet, "/rest/v1.0/companies", nil, &cs); err != nil {
		return nil, err
	}
	for i := range cs {
		cs[i].Name = safetext.Line(cs[i].Name)
	}
	return cs, nil
}

// Project is a Procore project.
type Project struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	DisplayName   string `json:"display_name"`
	ProjectNumber string `json:"project_number"`
	Active        bool   `json:"active"`
	Status        string `json:"status_name"`
}

// Projects lists the company's projects; status ("Active", "Inactive",
// "All" or "") filters them.
func (c *Client) Projects(ctx context.Context, status string) ([]Project, error) {
	q := url.Values{"company_id": {strconv.FormatInt(c.companyID, 10)}}
	if status != "" {
		q.Set("filters[by_status]", status)
	}
	ps, err := listAll[Project](ctx, c, "list projects", "/rest/v1.1/projects", q, nil)
	for i := range ps {
		p := &ps[i]
		p.Name, p.DisplayName, p.ProjectNumber, p.Status = safetext.Line(p.Name), safetext.Line(p.DisplayName), safetext.Line(p.ProjectNumber), safetext.Line(p.Status)
	}
	return ps, err
}

// PermissionTemplate is a project permission template.
type PermissionTemplate struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// ProjectSpecific is true for templates bound to one project.
	ProjectSpecific bool `json:"project_specific"`
}

// PermissionTemplates lists the company's permission templates.
func (c *Client) PermissionTemplates(ctx context.Context) ([]PermissionTemplate, error) {
	var ts []PermissionTemplate
	path := fmt.Sprintf("/rest/v1.0/companies/%d/permission_templates", c.companyID)
	if _, err := c.do(ctx, "list permission templates", http.MethodGet, path, nil, &ts); err != nil {
		return nil, err
	}
	for i := range ts {
		ts[i].Name = safetext.Line(ts[i].Name)
	}
	return ts, nil
}

// Vendor is a company in the Procore directory (a user's employer).
type Vendor struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Vendors lists the company's vendors (its directory of companies), at
// GET /rest/v1.0/vendors?company_id=…; there is no vendors path under
// /companies/{id}.
func (c *Client) Vendors(ctx context.Context) ([]Vendor, error) {
	q := url.Values{"company_id": {strconv.FormatInt(c.companyID, 10)}}
	vs, err := listAll[Vendor](ctx, c, "list vendors", "/rest/v1.0/vendors", q, nil)
	for i := range vs {
		vs[i].Name = safetext.Line(vs[i].Name)
	}
	return vs, err
}
