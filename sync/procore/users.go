package procore

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"procsync/sync/internal/httpx"
)

// Template is a permission template reference on a user.
type Template struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// FlexString decodes a JSON string, number or null into a string: Procore's
// employee_id and origin_id have been seen as both.
type FlexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	// Two per user of every directory page: a plain string (no escapes)
	// is taken as it is, without a decoder.
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && plain(b[1:n-1]) {
		*f = FlexString(b[1 : n-1])
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = FlexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or number, got %s", b)
	}
	*f = FlexString(n.String())
	return nil
}

// plain reports whether s, the inside of a JSON string, has no escape,
// control character or byte outside ASCII: then it is its own value.
func plain(s []byte) bool {
	for _, c := range s {
		if c == '\\' || c == '"' || c < 0x20 || c >= 0x80 {
			return false
		}
	}
	return true
}

// User is a Procore company user.
type User struct {
	ID           int64      `json:"id"`
	FirstName    string     `json:"first_name"`
	LastName     string     `json:"last_name"`
	Name         string     `json:"name"`
	EmailAddress string     `json:"email_address"`
	IsActive     bool       `json:"is_active"`
	IsEmployee   bool       `json:"is_employee"`
	JobTitle     string     `json:"job_title"`
	EmployeeID   FlexString `json:"employee_id"`
	OriginID     FlexString `json:"origin_id"`
	Vendor       *Vendor    `json:"vendor"`
	// PermissionTemplate and CompanyPermissionTemplate are the references
	// the directory listings carry.
	PermissionTemplate        *Template `json:"permission_template"`
	CompanyPermissionTemplate *Template `json:"company_permission_template"`
	// DefaultPermissionTemplateID and CompanyPermissionTemplateID are the
	// ids the single-user answers (read, create, update) carry instead.
	DefaultPermissionTemplateID int64      `json:"default_permission_template_id,omitempty"`
	CompanyPermissionTemplateID int64      `json:"company_permission_template_id,omitempty"`
	CreatedAt                   *time.Time `json:"created_at"`
	UpdatedAt                   *time.Time `json:"updated_at"`
	// Profile holds the other fields an attribute mapping may write.
	Profile
}

// Users reads the whole company directory, active and inactive users (two
// listings read at the same time unless WithConcurrency(1)), each at the
// client's page size. onPage, if not nil, gets the users read so far and the total once both listings
// have told theirs (-1 before). A user listed twice (moved between the
// listings during the read) appears once.
func (c *Client) Users(ctx context.Context, onPage func(read, total int)) ([]User, error) {
	base := fmt.Sprintf("/rest/v1.0/companies/%d/users", c.companyID)
	var (
		mu     sync.Mutex
		reads  [2]int
		totals = [2]int{-1, -1}
	)
	report := func(i int) func(read, total int) {
		return func(read, total int) {
			if onPage == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			reads[i], totals[i] = read, total
			t := -1
			if totals[0] >= 0 && totals[1] >= 0 {
				t = totals[0] + totals[1]
			}
			onPage(reads[0]+reads[1], t)
		}
	}
	var active, inactive []User
	g, gctx := errgroup.WithContext(ctx)
	if c.concurrency == 1 {
		// One request at a time, as WithConcurrency(1) promises.
		g.SetLimit(1)
	}
	g.Go(func() (err error) {
		active, err = listAll[User](gctx, c, "list company users", base, nil, report(0))
		return err
	})
	g.Go(func() (err error) {
		inactive, err = listAll[User](gctx, c, "list inactive company users", base+"/inactive", nil, report(1))
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sanitizeUsers(active)
	sanitizeUsers(inactive)
	seen := make(map[int64]bool, len(active)+len(inactive))
	out := make([]User, 0, len(active)+len(inactive))
	for _, u := range append(active, inactive...) {
		if !seen[u.ID] {
			seen[u.ID] = true
			out = append(out, u)
		}
	}
	return out, nil
}

// GetUser reads one company user.
func (c *Client) GetUser(ctx context.Context, id int64) (*User, error) {
	var u User
	path := fmt.Sprintf("/rest/v1.0/companies/%d/users/%d", c.companyID, id)
	if _, err := c.do(ctx, fmt.Sprintf("read user %d", id), http.MethodGet, path, nil, &u); err != nil {
		return nil, err
	}
	return sanitized(&u), nil
}

// UserInput is what a create, update or sync entry writes. Empty fields are
// left out, so an update changes only what is set. Company users take
// default_permission_template_id (the template a user gets on projects they
// are added to) and company_permission_template_id; permission_template_id
// exists only on project-user bodies (AddToProject, BulkAddToProjects).
type UserInput struct {
	EmailAddress                string `json:"email_address,omitempty"`
	FirstName                   string `json:"first_name,omitempty"`
	LastName                    string `json:"last_name,omitempty"`
	JobTitle                    string `json:"job_title,omitempty"`
	EmployeeID                  string `json:"employee_id,omitempty"`
	OriginID                    string `json:"origin_id,omitempty"`
	IsEmployee                  *bool  `json:"is_employee,omitempty"`
	IsActive                    *bool  `json:"is_active,omitempty"`
	VendorID                    int64  `json:"vendor_id,omitempty"`
	DefaultPermissionTemplateID int64  `json:"default_permission_template_id,omitempty"`
	CompanyPermissionTemplateID int64  `json:"company_permission_template_id,omitempty"`
	// Profile holds the other fields an attribute mapping may write.
	Profile
}

// CreateUser creates a company user with POST. A dropped connection is not
// retried (the user may exist by then); Apply creates through SyncUsers with
// an origin_id instead, which is safe to repeat.
func (c *Client) CreateUser(ctx context.Context, in UserInput) (*User, error) {
	var u User
	path := fmt.Sprintf("/rest/v1.0/companies/%d/users", c.companyID)
	if _, err := c.do(ctx, "create user "+in.EmailAddress, http.MethodPost, path, map[string]any{"user": in}, &u); err != nil {
		return nil, err
	}
	return sanitized(&u), nil
}

// UpdateUser changes the set fields of user id (PATCH
// /rest/v1.0/companies/{company_id}/users/{id}). Procore requires
// email_address and last_name in every such body, so in must carry the
// user's current ones (changing email_address needs Directory Admin);
// UpdateUser refuses to send without them. Writing the same fields twice
// has the same effect, so it is retried like a GET. Reactivate an inactive
// user with ReactivateUser.
func (c *Client) UpdateUser(ctx context.Context, id int64, in UserInput) (*User, error) {
	var u User
	path := fmt.Sprintf("/rest/v1.0/companies/%d/users/%d", c.companyID, id)
	op := fmt.Sprintf("update user %d", id)
	if in.EmailAddress != "" {
		op += " (" + in.EmailAddress + ")"
	}
	if in.EmailAddress == "" || in.LastName == "" {
		return nil, &Error{Op: op, Request: "PATCH " + path,
			Message: "not sent: Procore requires email_address and last_name in a user update; pass the user's current ones"}
	}
	if _, err := c.do(httpx.WithIdempotent(ctx), op, http.MethodPatch, path, map[string]any{"user": in}, &u); err != nil {
		return nil, err
	}
	return sanitized(&u), nil
}

// ReactivateUser reactivates an inactive company user through Procore's
// own endpoint, PATCH /rest/v1.0/companies/{company_id}/users/inactive/{id}
// (no body), and returns the user as Procore now has it. Reactivating
// twice has the same effect, so it is retried like a GET.
func (c *Client) ReactivateUser(ctx context.Context, id int64) (*User, error) {
	var u User
	path := fmt.Sprintf("/rest/v1.0/companies/%d/users/inactive/%d", c.companyID, id)
	if _, err := c.do(httpx.WithIdempotent(ctx), fmt.Sprintf("reactivate user %d", id), http.MethodPatch, path, nil, &u); err != nil {
		return nil, err
	}
	return sanitized(&u), nil
}

// SyncUser is one entry of the sync endpoint: with ID it updates that user;
// with OriginID it updates the user holding it or creates one; with neither
// it creates.
type SyncUser struct {
	ID int64 `json:"id,omitempty"`
	UserInput
}

// SyncError is one entry the sync endpoint refused.
type SyncError struct {
	// Input is the entry as sent back by Procore.
	Input SyncUser
	// Errors maps a field to its messages.
	Errors map[string][]string
}

// Message renders the field errors as one line.
func (e SyncError) Message() string {
	b, _ := json.Marshal(e.Errors)
	return FormatErrors(b)
}

// UnmarshalJSON implements json.Unmarshaler: the input's fields and
// "errors" share one object.
func (e *SyncError) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &e.Input); err != nil {
		return err
	}
	var x struct {
		Errors json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	e.Errors = map[string][]string{}
	if json.Unmarshal(x.Errors, &e.Errors) != nil {
		e.Errors = map[string][]string{"base": {FormatErrors(x.Errors)}}
	}
	return nil
}

// SyncResult is what the sync endpoint answered for all batches.
type SyncResult struct {
	Entities []User
	Errors   []SyncError
}

// SyncUsers sends users to the sync endpoint in batches of at most
// MaxSyncBatch. A batch whose entries all carry an id or origin_id is safe
// to repeat and is retried like a GET. On an error, the result holds the
// batches that completed before it.
func (c *Client) SyncUsers(ctx context.Context, users []SyncUser) (*SyncResult, error) {
	res := &SyncResult{}
	path := fmt.Sprintf("/rest/v1.0/companies/%d/users/sync", c.companyID)
	for start := 0; start < len(users); start += MaxSyncBatch {
		batch := users[start:min(start+MaxSyncBatch, len(users))]
		bctx := ctx
		if repeatable(batch) {
			bctx = httpx.WithIdempotent(ctx)
		}
		var out struct {
			Entities []User      `json:"entities"`
			Errors   []SyncError `json:"errors"`
		}
		op := fmt.Sprintf("sync users %d–%d of %d", start+1, start+len(batch), len(users))
		if _, err := c.do(bctx, op, http.MethodPatch, path, map[string]any{"updates": batch}, &out); err != nil {
			return res, err
		}
		res.Entities = append(res.Entities, sanitizeUsers(out.Entities)...)
		res.Errors = append(res.Errors, out.Errors...)
	}
	return res, nil
}

func repeatable(batch []SyncUser) bool {
	for _, u := range batch {
		if u.ID == 0 && u.OriginID == "" {
			return false
		}
	}
	return true
}
