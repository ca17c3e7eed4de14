// Package procore is procsync's Procore REST client: the signed-in user,
// companies, projects, permission templates, vendors, the company user
// directory (active and inactive, read completely at the largest page size),
// user create/update/reactivate, the bulk user sync endpoint and project
// membership. It speaks Procore's own types; package sync converts them.
//
// Every request carries the Procore-Company-Id header, and all requests go
// through one resilient transport that paces them by Procore's rate-limit
// headers.
package procore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	stdsync "sync"
	"time"

	"golang.org/x/sync/errgroup"

	"procsync/sync/internal/httpx"
)

// DefaultPerPage is the page size procsync asks for. Procore clamps it to
// what the endpoint allows and says so in the Per-Page header, which the
// client then trusts.
const DefaultPerPage = 10000

// DefaultConcurrency bounds the pages of one listing read in parallel once
// the total is known.
const DefaultConcurrency = 6

// MaxSyncBatch is the most entries the user sync endpoint accepts at once.
const MaxSyncBatch = 1000

// Client talks to one Procore API host for one company. It is safe for
// concurrent use.
type Client struct {
	hc          *http.Client
	tr          *httpx.Transport
	base        string
	companyID   int64
	perPage     int
	concurrency int
	ep          httpx.Endpoint
}

// Option configures a Client.
type Option func(*config)

type config struct {
	httpx       httpx.Options
	perPage     int
	concurrency int
}

// transport turns a change of the transport's options into an Option.
func transport(f httpx.Option) Option { return func(c *config) { f(&c.httpx) } }

// WithRetry replaces the transport's retry options (keeping the token
// refresh of WithOnUnauthorized when o has none). Its argument's type is
// internal to procsync/sync; code elsewhere uses WithMaxRetries and
// WithWaitScale. Pacing by the rate-limit headers stays on.
func WithRetry(o httpx.Options) Option { return transport(httpx.Replace(o)) }

// WithMaxRetries bounds the retries of one Procore request: a 429, 503 or
// 504, or a dropped connection of a read or of a write that is safe to
// repeat (UpdateUser, SyncUsers batches whose entries all carry an id or
// origin_id, BulkAddToProjects). 0 keeps the default, a negative value turns
// retries off.
func WithMaxRetries(n int) Option { return transport(httpx.MaxRetries(n)) }

// WithWaitScale multiplies every wait before a retry (Retry-After, or a
// 429's wait for the rate-limit window to reset), so that tests and the demo
// against the simulator get through fault storms fast. The pacing that keeps
// steady work under the limit is not scaled.
func WithWaitScale(f float64) Option { return transport(httpx.WaitScale(f)) }

// WithOnUnauthorized sets the function called once when Procore answers 401,
// typically forcing the token source to refresh; the request is then
// repeated once.
func WithOnUnauthorized(f func(ctx context.Context) error) Option {
	return transport(httpx.OnUnauthorized(f))
}

// WithPerPage sets the page size to ask for (the server may clamp it).
func WithPerPage(n int) Option { return func(c *config) { c.perPage = n } }

// WithConcurrency bounds the pages of one listing read in parallel. 1 reads
// one page at a time, following the Link header.
func WithConcurrency(n int) Option { return func(c *config) { c.concurrency = n } }

// New returns a client that sends through hc (whose transport adds the
// bearer token) to baseURL (e.g. "https://api.procore.com") on behalf of
// companyID.
func New(hc *http.Client, baseURL string, companyID int64, opts ...Option) *Client {
	cfg := config{perPage: DefaultPerPage, concurrency: DefaultConcurrency}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.httpx.Pace = true
	if cfg.perPage <= 0 {
		cfg.perPage = DefaultPerPage
	}
	if cfg.concurrency <= 0 {
		cfg.concurrency = 1
	}
	c, tr := httpx.Client(hc, cfg.httpx)
	base := strings.TrimRight(baseURL, "/")
	company := strconv.FormatInt(companyID, 10)
	return &Client{hc: c, tr: tr, base: base, companyID: companyID,
		perPage: cfg.perPage, concurrency: cfg.concurrency,
		ep: httpx.Endpoint{HC: c, Base: base, Header: func(h http.Header) {
			h.Set("Procore-Company-Id", company)
		}}}
}

// CompanyID returns the company the client acts for.
func (c *Client) CompanyID() int64 { return c.companyID }

// RateLimit is the rate-limit budget Procore last announced.
type RateLimit struct {
	Limit, Remaining int
	Reset            time.Time
	// Known is false until an answer carried the headers.
	Known bool
}

// RateLimit returns the last announced budget, less the requests sent since,
// for the UI to show.
func (c *Client) RateLimit() RateLimit {
	r := c.tr.RateLimit()
	return RateLimit{Limit: r.Limit, Remaining: r.Remaining, Reset: r.Reset, Known: r.Known}
}

// Error is an error answer from Procore (or a failure to reach it).
type Error struct {
	// Op says what procsync was doing, e.g. "create user ana@contoso.com".
	Op     string
	Status int
	// Message is Procore's message, or its field errors joined.
	Message string
	// RequestID is Procore's request id header, to quote to Procore support.
	RequestID string
	// Request is the method and path of the failed request.
	Request string
	// Err is the transport error when no answer arrived.
	Err error
}

// Error formats the error as an operator reads it:
// `procore: create user ana@contoso.com: 422 email_address has already been taken (request 7f3c…)`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("procore: " + e.Op + ": ")
	if e.Status == 0 {
		switch {
		case e.Err != nil:
			b.WriteString(e.Err.Error())
		case e.Message != "":
			b.WriteString(e.Message)
		default:
			b.WriteString("no answer")
		}
		return b.String()
	}
	fmt.Fprintf(&b, "%d ", e.Status)
	if e.Message != "" {
		b.WriteString(e.Message)
	} else {
		b.WriteString(http.StatusText(e.Status))
	}
	if e.RequestID != "" {
		b.WriteString(" (request " + e.RequestID + ")")
	}
	return b.String()
}

// Unwrap returns the transport error, if any.
func (e *Error) Unwrap() error { return e.Err }

// IsConflict reports whether err is Procore refusing a duplicate (409 or 422,
// the documentation allows both).
func IsConflict(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusConflict || e.Status == http.StatusUnprocessableEntity)
}

// IsNotFound reports whether err is a Procore 404.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

const maxMessage = 300

// do sends one request; out, if not nil, receives the decoded JSON answer.
// It returns the response headers for paging.
func (c *Client) do(ctx context.Context, op, method, rawURL string, body, out any) (http.Header, error) {
	h, err := c.ep.Call(ctx, method, rawURL, body, nil, out)
	if err == nil {
		return h, nil
	}
	var ce *httpx.CallError
	switch {
	case !errors.As(err, &ce):
		// Nothing was sent, or ctx ended: no request to name.
		return h, fmt.Errorf("procore: %s: %w", op, err)
	case ce.Status == 0:
		return h, &Error{Op: op, Request: ce.Request, Err: ce.Err}
	case ce.Malformed:
		return h, &Error{Op: op, Request: ce.Request, Status: ce.Status,
			Message: "malformed answer: " + ce.Err.Error(), RequestID: requestID(ce.Header)}
	}
	return h, parseError(op, ce.Request, ce.Response())
}

func requestID(h http.Header) string {
	for _, k := range []string{"X-Request-Id", "Request-Id", "X-Amzn-Requestid"} {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// parseError builds an *Error from a non-2xx answer. Procore bodies carry
// `message`, `error`, or `errors` as a string, a list or a field map.
func parseError(op, reqName string, resp *http.Response) *Error {
	e := &Error{Op: op, Request: reqName, Status: resp.StatusCode, RequestID: requestID(resp.Header)}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var env struct {
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
		Errors  json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(data, &env) == nil {
		var parts []string
		for _, raw := range []json.RawMessage{env.Message, env.Error, env.Errors} {
			// Procore often repeats one text in message and errors.
			if m := FormatErrors(raw); m != "" && !slices.Contains(parts, m) {
				parts = append(parts, m)
			}
		}
		e.Message = strings.Join(parts, "; ")
	} else {
		e.Message = strings.TrimSpace(string(data))
	}
	if len(e.Message) > maxMessage {
		e.Message = e.Message[:maxMessage] + "…"
	}
	return e
}

// FormatErrors renders a Procore error value (a string, a list of strings,
// or a map of field to messages) as one line, e.g.
// "email_address has already been taken".
func FormatErrors(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		var out []string
		for _, r := range list {
			if m := FormatErrors(r); m != "" {
				out = append(out, m)
			}
		}
		return strings.Join(out, "; ")
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) == nil {
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			var msgs []string
			if json.Unmarshal(fields[k], &msgs) == nil {
				for _, m := range msgs {
					out = append(out, k+" "+m)
				}
				continue
			}
			if m := FormatErrors(fields[k]); m != "" {
				out = append(out, k+" "+m)
			}
		}
		return strings.Join(out, "; ")
	}
	return strings.TrimSpace(string(raw))
}

// pageInfo is what Procore's paging headers say.
type pageInfo struct {
	total   int // -1 if unknown
	perPage int // 0 if unknown
	next    string
}

func parsePaging(h http.Header) pageInfo {
	p := pageInfo{total: -1}
	if v, err := strconv.Atoi(h.Get("Total")); err == nil && v >= 0 {
		p.total = v
	}
	if v, err := strconv.Atoi(h.Get("Per-Page")); err == nil && v > 0 {
		p.perPage = v
	}
	p.next = linkNext(h.Get("Link"))
	return p
}

// linkNext returns the rel="next" URL of an RFC 8288 Link header.
func linkNext(v string) string {
	for _, part := range strings.Split(v, ",") {
		segs := strings.Split(part, ";")
		if len(segs) < 2 {
			continue
		}
		u := strings.Trim(strings.TrimSpace(segs[0]), "<>")
		for _, s := range segs[1:] {
			s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
			if s == `rel="next"` || s == "rel=next" {
				return u
			}
		}
	}
	return ""
}

// withPage returns path with page and per_page set.
func withPage(path string, q url.Values, page, perPage int) string {
	v := url.Values{}
	for k, vs := range q {
		v[k] = vs
	}
	v.Set("page", strconv.Itoa(page))
	v.Set("per_page", strconv.Itoa(perPage))
	return path + "?" + v.Encode()
}

// listAll reads every page of a paged listing. Page 1 tells the total and
// the page size the server granted; the remaining pages are then read in
// parallel (bounded by the client's concurrency). Without a total, it
// follows the Link header one page at a time. onPage gets the items read so
// far and the total (-1 if unknown).
func listAll[T any](ctx context.Context, c *Client, op, path string, q url.Values, onPage func(read, total int)) ([]T, error) {
	// A listing that changes while it is read shifts the page boundaries,
	// so an entry can slip between two pages unseen. The Total header
	// exposes that; one fresh read usually settles it, a second short read
	// is an error rather than a silently truncated directory.
	for attempt := 1; ; attempt++ {
		items, total, err := listOnce[T](ctx, c, op, path, q, onPage)
		if err != nil {
			return nil, err
		}
		if total < 0 || len(items) >= total {
			return items, nil
		}
		if attempt == 2 {
			return nil, &Error{Op: op, Request: "GET " + path,
				Message: fmt.Sprintf("read %d entries but the server reports %d (the list changed during the read); try again", len(items), total)}
		}
	}
}

// listOnce reads a listing once; it returns the items and the largest
// Total the server reported (-1 if none).
func listOnce[T any](ctx context.Context, c *Client, op, path string, q url.Values, onPage func(read, total int)) ([]T, int, error) {
	var first []T
	h, err := c.do(ctx, op+" (page 1)", http.MethodGet, withPage(path, q, 1, c.perPage), nil, &first)
	if err != nil {
		return nil, -1, err
	}
	pi := parsePaging(h)
	read := len(first)
	if onPage != nil {
		onPage(read, pi.total)
	}
	if pi.total >= 0 && pi.perPage > 0 && c.concurrency > 1 {
		pages := (pi.total + pi.perPage - 1) / pi.perPage
		if pages <= 1 {
			return first, pi.total, nil
		}
		results := make([][]T, pages)
		results[0] = first
		var mu stdsync.Mutex
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(c.concurrency)
		for n := 2; n <= pages; n++ {
			g.Go(func() error {
				// Sized for a full page, so decoding never grows it.
				items := make([]T, 0, pi.perPage)
				pop := fmt.Sprintf("%s (page %d of %d)", op, n, pages)
				if _, err := c.do(gctx, pop, http.MethodGet, withPage(path, q, n, pi.perPage), nil, &items); err != nil {
					return err
				}
				results[n-1] = items
				mu.Lock()
				read += len(items)
				r := read
				if onPage != nil {
					onPage(r, pi.total)
				}
				mu.Unlock()
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, -1, err
		}
		all := make([]T, 0, read)
		for _, r := range results {
			all = append(all, r...)
		}
		return all, pi.total, nil
	}

	// Sequential: follow Link rel="next"; without one, stop at a short or
	// empty page.
	all := first
	perPage := pi.perPage
	if perPage == 0 {
		perPage = c.perPage
	}
	last := len(first)
	for n := 2; ; n++ {
		var next string
		switch {
		case pi.next != "":
			next = pi.next
		case h.Get("Link") == "" && pi.total < 0 && last >= perPage && last > 0:
			next = withPage(path, q, n, perPage)
		case pi.total >= 0 && len(all) < pi.total && last > 0 && h.Get("Link") == "":
			next = withPage(path, q, n, perPage)
		default:
			return all, pi.total, nil
		}
		if err := c.sameHost(next); err != nil {
			return nil, -1, err
		}
		var items []T
		h, err = c.do(ctx, fmt.Sprintf("%s (page %d)", op, n), http.MethodGet, next, nil, &items)
		if err != nil {
			return nil, -1, err
		}
		pi = parsePaging(h)
		all = append(all, items...)
		last = len(items)
		if onPage != nil {
			onPage(len(all), pi.total)
		}
	}
}

// sameHost refuses to follow a Link to another host: the bearer token
// would go with it.
func (c *Client) sameHost(link string) error {
	if strings.HasPrefix(link, "/") {
		return nil
	}
	u, err := url.Parse(link)
	b, berr := url.Parse(c.base)
	if err != nil || berr != nil || u.Scheme != b.Scheme || u.Host != b.Host {
		return fmt.Errorf("procore: refusing to follow a page link to another host: %s", link)
	}
	return nil
}

// Me is the signed-in Procore user.
type Me struct {
	ID    int64  `json:"id"`
	Login string `json:"login"`
	Name  string `json:"name"`
}

// Me reads the signed-in user.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var m Me
	if _, err := c.do(ctx, "read signed-in user", http.MethodGet, "/rest/v1.0/me", nil, &m); err != nil {
		return nil, err
	}
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
	return listAll[Project](ctx, c, "list projects", "/rest/v1.1/projects", q, nil)
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
	return ts, nil
}

// Vendor is a company in the Procore directory (a user's employer).
type Vendor struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Vendors lists the company's vendors.
func (c *Client) Vendors(ctx context.Context) ([]Vendor, error) {
	return listAll[Vendor](ctx, c, "list vendors", fmt.Sprintf("/rest/v1.0/companies/%d/vendors", c.companyID), nil, nil)
}

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

// User is a Procore company user.
type User struct {
	ID                        int64      `json:"id"`
	FirstName                 string     `json:"first_name"`
	LastName                  string     `json:"last_name"`
	Name                      string     `json:"name"`
	EmailAddress              string     `json:"email_address"`
	IsActive                  bool       `json:"is_active"`
	IsEmployee                bool       `json:"is_employee"`
	JobTitle                  string     `json:"job_title"`
	EmployeeID                FlexString `json:"employee_id"`
	OriginID                  FlexString `json:"origin_id"`
	Vendor                    *Vendor    `json:"vendor"`
	PermissionTemplate        *Template  `json:"permission_template"`
	CompanyPermissionTemplate *Template  `json:"company_permission_template"`
	CreatedAt                 *time.Time `json:"created_at"`
	UpdatedAt                 *time.Time `json:"updated_at"`
}

// Users reads the whole company directory, active and inactive users (two
// listings read at the same time unless WithConcurrency(1)), each at the largest page size. onPage,
// if not nil, gets the users read so far and the total once both listings
// have told theirs (-1 before). A user listed twice (moved between the
// listings during the read) appears once.
func (c *Client) Users(ctx context.Context, onPage func(read, total int)) ([]User, error) {
	base := fmt.Sprintf("/rest/v1.0/companies/%d/users", c.companyID)
	var (
		mu     stdsync.Mutex
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
	return &u, nil
}

// UserInput is what a create, update or sync entry writes. Empty fields are
// left out, so an update changes only what is set.
type UserInput struct {
	EmailAddress         string `json:"email_address,omitempty"`
	FirstName            string `json:"first_name,omitempty"`
	LastName             string `json:"last_name,omitempty"`
	JobTitle             string `json:"job_title,omitempty"`
	EmployeeID           string `json:"employee_id,omitempty"`
	OriginID             string `json:"origin_id,omitempty"`
	IsEmployee           *bool  `json:"is_employee,omitempty"`
	IsActive             *bool  `json:"is_active,omitempty"`
	VendorID             int64  `json:"vendor_id,omitempty"`
	PermissionTemplateID int64  `json:"permission_template_id,omitempty"`
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
	return &u, nil
}

// UpdateUser changes the set fields of user id (PATCH); setting IsActive to
// true reactivates. Writing the same fields twice has the same effect, so it
// is retried like a GET.
func (c *Client) UpdateUser(ctx context.Context, id int64, in UserInput) (*User, error) {
	var u User
	path := fmt.Sprintf("/rest/v1.0/companies/%d/users/%d", c.companyID, id)
	op := fmt.Sprintf("update user %d", id)
	if in.IsActive != nil && *in.IsActive {
		op = fmt.Sprintf("reactivate user %d", id)
	}
	if in.EmailAddress != "" {
		op += " (" + in.EmailAddress + ")"
	}
	if _, err := c.do(httpx.WithIdempotent(ctx), op, http.MethodPatch, path, map[string]any{"user": in}, &u); err != nil {
		return nil, err
	}
	return &u, nil
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
		res.Entities = append(res.Entities, out.Entities...)
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

// ProjectUser is a user of a project's directory.
type ProjectUser struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	EmailAddress string `json:"email_address"`
	IsActive     bool   `json:"is_active"`
}

// ProjectUsers lists a project's users.
func (c *Client) ProjectUsers(ctx context.Context, projectID int64) ([]ProjectUser, error) {
	return listAll[ProjectUser](ctx, c, fmt.Sprintf("list users of project %d", projectID),
		fmt.Sprintf("/rest/v1.0/projects/%d/users", projectID), nil, nil)
}

// AddToProject adds an existing company user to a project with a permission
// template (0: the project's default).
func (c *Client) AddToProject(ctx context.Context, projectID, userID, permissionTemplateID int64) error {
	body := map[string]any{"user": map[string]any{}}
	if permissionTemplateID != 0 {
		body["user"] = map[string]any{"permission_template_id": permissionTemplateID}
	}
	path := fmt.Sprintf("/rest/v1.0/projects/%d/users/%d/actions/add", projectID, userID)
	_, err := c.do(ctx, fmt.Sprintf("add user %d to project %d", userID, projectID), http.MethodPost, path, body, nil)
	return err
}

// ProjectAssignment is one user-to-project entry of a bulk add.
type ProjectAssignment struct {
	UserID               int64 `json:"user_id"`
	ProjectID            int64 `json:"project_id"`
	PermissionTemplateID int64 `json:"permission_template_id,omitempty"`
}

// BulkAddError is one assignment the bulk add refused.
type BulkAddError struct {
	ProjectAssignment
	// Errors is Procore's error value for the entry, as it sent it.
	Errors json.RawMessage `json:"errors"`
}

// Message renders the entry's errors as one line.
func (e BulkAddError) Message() string { return FormatErrors(e.Errors) }

// BulkAddResult is what the bulk add answered.
type BulkAddResult struct {
	Entities []ProjectAssignment `json:"entities"`
	Errors   []BulkAddError      `json:"errors"`
}

// BulkAddToProjects adds users to projects in one request and returns the
// entries added and those refused. Adding a user who is already on the
// project changes nothing, so it is retried like a GET.
func (c *Client) BulkAddToProjects(ctx context.Context, as []ProjectAssignment) (*BulkAddResult, error) {
	res := &BulkAddResult{}
	if len(as) == 0 {
		return res, nil
	}
	path := fmt.Sprintf("/rest/v1.1/companies/%d/users/bulk_add", c.companyID)
	_, err := c.do(httpx.WithIdempotent(ctx), fmt.Sprintf("add %d project memberships", len(as)),
		http.MethodPost, path, map[string]any{"users": as}, res)
	if err != nil {
		return nil, err
	}
	return res, nil
}
