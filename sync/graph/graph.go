// Package graph is procsync's Microsoft Graph client: license groups (by
// display-name prefix, by licensed SKU or by id), their user members, the
// signed-in user, the tenant's subscribed SKUs, and sendMail. It speaks
// Graph's own types; package provision converts them.
//
// Every read is complete: pages are followed through @odata.nextLink until
// the last one, and a failure of any page fails the whole call.
package graph

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"procsync/internal/safetext"
	"procsync/sync/internal/httpx"
)

// MemberSelect is the exact list of user fields procsync reads: what the plan
// needs and nothing more (accountEnabled, userType and proxyAddresses are
// returned only when selected).
const MemberSelect = "id,givenName,surname,displayName,userPrincipalName,mail,proxyAddresses,accountEnabled,userType"

// PageSize is the largest page Graph serves for groups and members.
const PageSize = 999

// Client talks to one Graph endpoint. It is safe for concurrent use.
type Client struct {
	hc   *http.Client
	base string
	ep   httpx.Endpoint
	// uploader sends upload-session PUTs, without the token (see putChunk).
	uploader *http.Client
}

// Option configures a Client.
type Option func(*config)

type config struct {
	httpx httpx.Options
}

// transport turns a change of the transport's options into an Option.
func transport(f httpx.Option) Option { return func(c *config) { f(&c.httpx) } }

// WithRetry replaces the transport's retry options. Its argument's type
// is internal to procsync/sync; code elsewhere uses WithMaxRetries and
// WithWaitScale. A 401 is not retried here: the caller's token
// transport (auth.Transport) renews the token and sends the request again.
func WithRetry(o httpx.Options) Option { return transport(httpx.Replace(o)) }

// WithMaxRetries bounds the retries of one Graph request: a 429 or 503
// (throttling), a 504, or a read whose connection dropped (sendMail is never
// repeated after a drop). 0 keeps the default, a negative value turns
// retries off.
func WithMaxRetries(n int) Option { return transport(httpx.MaxRetries(n)) }

// WithWaitScale multiplies every wait before a retry, the Retry-After Graph
// sends when it throttles included, so that tests and the demo against the
// simulator get through fault storms fast.
func WithWaitScale(f float64) Option { return transport(httpx.WaitScale(f)) }

// New returns a client that sends through hc (whose transport adds the
// bearer token) to baseURL, for example "https://graph.microsoft.com".
func New(hc *http.Client, baseURL string, opts ...Option) *Client {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	c, _ := httpx.Client(hc, cfg.httpx)
	base := strings.TrimRight(baseURL, "/")
	return &Client{hc: c, base: base, uploader: newUploader(), ep: httpx.Endpoint{HC: c, Base: base, Header: func(h http.Header) {
		// A fresh id for every send, re-reads included: Microsoft support
		// traces one request by it.
		h.Set("client-request-id", newGUID())
	}}}
}

// Error is an error answer from Graph (or a failure to reach it), carrying
// what an operator needs to act or to quote to Microsoft support.
type Error struct {
	// Op says what procsync was doing, e.g. `list members of "License – E3"`.
	Op string
	// Status is the HTTP status; 0 when no answer arrived.
	Status int
	// Code is Graph's error code, e.g. Authorization_RequestDenied; branch
	// on it, never on Message.
	Code    string
	Message string
	// RequestID is Graph's request-id, to quote to Microsoft support.
	RequestID string
	// Request is the method and path (without host) of the failed request.
	Request string
	// Err is the underlying transport error when no answer arrived.
	Err error
	// Needs is the permission the call needs, set on a 403 so that the
	// message says what to grant and where that is explained.
	Needs *Permission
}

// Error formats the error as an operator reads it:
// `graph: list members of "X": 403 Authorization_RequestDenied: Insufficient privileges… (request-id …)`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("graph: ")
	b.WriteString(e.Op)
	b.WriteString(": ")
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
	fmt.Fprintf(&b, "%d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	} else {
		b.WriteString(" " + http.StatusText(e.Status))
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request-id " + e.RequestID + ")")
	}
	if e.Needs != nil {
		b.WriteString(". This call needs the Graph permission " + e.Needs.String() +
			", granted with admin consent; see " + e.Needs.Where())
	}
	return b.String()
}

// Unwrap returns the transport error, if any.
func (e *Error) Unwrap() error { return e.Err }

// newGUID returns a random RFC 4122 version 4 GUID for client-request-id.
func newGUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// maxMessage bounds how much of a server message goes into an error.
const maxMessage = 300

// do sends one request and decodes a JSON answer into out (if non-nil).
// rawURL is either a path below the base ("/v1.0/…") or a full URL (a
// nextLink). Extra headers are added as given.
func (c *Client) do(ctx context.Context, op, method, rawURL string, body any, out any, hdr http.Header) error {
	_, err := c.call(ctx, op, method, rawURL, body, out, hdr)
	return err
}

// call is do that also returns the answer's header.
func (c *Client) call(ctx context.Context, op, method, rawURL string, body any, out any, hdr http.Header) (http.Header, error) {
	h, err := c.ep.Call(ctx, method, rawURL, body, hdr, out)
	if err == nil {
		return h, nil
	}
	var ce *httpx.CallError
	switch {
	case !errors.As(err, &ce):
		// Nothing was sent, or ctx ended: no request to name.
		return h, fmt.Errorf("graph: %s: %w", op, err)
	case ce.Status == 0:
		return h, &Error{Op: op, Request: ce.Request, Err: ce.Err}
	case ce.Malformed:
		return h, malformed(op, ce.Request, ce.Status, ce.Header, ce.Err)
	}
	return h, parseError(op, ce.Request, ce.Response())
}

// malformed is the error of a 2xx answer that is not what was asked for.
func malformed(op, request string, status int, h http.Header, err error) *Error {
	return &Error{Op: op, Request: request, Status: status,
		Message: "malformed answer: " + err.Error(), RequestID: h.Get("request-id")}
}

// parseError builds an *Error from a non-2xx answer.
func parseError(op, reqName string, resp *http.Response) *Error {
	e := &Error{Op: op, Request: reqName, Status: resp.StatusCode, RequestID: safetext.Line(resp.Header.Get("request-id"))}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var env struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				RequestID string `json:"request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &env) == nil && env.Error.Code != "" {
		// Both come from the server: clean them once, here, before any
		// terminal, log or report shows them.
		e.Code = safetext.Line(env.Error.Code)
		e.Message = safetext.Text(env.Error.Message)
		if e.RequestID == "" {
			e.RequestID = safetext.Line(env.Error.InnerError.RequestID)
		}
	} else {
		e.Message = safetext.Text(strings.TrimSpace(string(data)))
	}
	if len(e.Message) > maxMessage {
		e.Message = strings.ToValidUTF8(e.Message[:maxMessage], "") + "…"
	}
	if e.Status == http.StatusForbidden {
		if p, ok := permissionFor(reqName); ok {
			e.Needs = &p
		}
	}
	return e
}

// Group is a Graph group, as far as procsync reads it.
type Group struct {
	ID               string            `json:"id"`
	DisplayName      string            `json:"displayName"`
	AssignedLicenses []AssignedLicense `json:"assignedLicenses,omitempty"`
}

// AssignedLicense is one license a group assigns to its members.
type AssignedLicense struct {
	SKUID string `json:"skuId"`
}

// MatchedGroup is a group together with the rule that selected it.
type MatchedGroup struct {
	Group
	// MatchedBy is the configured prefix, SKU part number or id that
	// selected the group.
	MatchedBy string
}

// quote returns s as an OData string literal: single quotes doubled.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// PrefixFilter returns the OData $filter selecting groups whose display name
// starts with any of prefixes.
func PrefixFilter(prefixes []string) string {
	parts := make([]string, len(prefixes))
	for i, p := range prefixes {
		parts[i] = "startswith(displayName," + quote(p) + ")"
	}
	return strings.Join(parts, " or ")
}

// query encodes OData parameters; url.Values would sort them and encode "$"
// as well, which Graph accepts, but a fixed order keeps request logs readable.
func query(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[i])
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[i+1]))
	}
	return b.String()
}

// GroupsByPrefix returns the groups whose display name starts with one of
// prefixes (one request with an `or` filter, paged). MatchedBy is the first
// prefix that matches, compared case-insensitively as Graph does.
func (c *Client) GroupsByPrefix(ctx context.Context, prefixes []string) ([]MatchedGroup, error) {
	if len(prefixes) == 0 {
		return nil, nil
	}
	op := fmt.Sprintf("list groups with name prefixes %q", prefixes)
	path := "/v1.0/groups?" + query("$filter", PrefixFilter(prefixes), "$select", "id,displayName", "$top", fmt.Sprint(PageSize))
	gs, err := list[Group](ctx, c, op, path, nil, nil)
	if err != nil {
		return nil, err
	}
	out := make([]MatchedGroup, 0, len(gs))
	for _, g := range gs {
		m := MatchedGroup{Group: g}
		for _, p := range prefixes {
			if len(g.DisplayName) >= len(p) && strings.EqualFold(g.DisplayName[:len(p)], p) {
				m.MatchedBy = p
				break
			}
		}
		if m.MatchedBy == "" {
			// Graph matched it; trust the service rather than drop a group.
			m.MatchedBy = strings.Join(prefixes, " | ")
		}
		out = append(out, m)
	}
	return out, nil
}

// SKU is one of the tenant's subscribed SKUs.
type SKU struct {
	SKUID         string `json:"skuId"`
	SKUPartNumber string `json:"skuPartNumber"`
	ConsumedUnits int    `json:"consumedUnits"`
	PrepaidUnits  struct {
		Enabled int `json:"enabled"`
	} `json:"prepaidUnits"`
}

// SubscribedSKUs lists the tenant's subscribed SKUs.
func (c *Client) SubscribedSKUs(ctx context.Context) ([]SKU, error) {
	return list[SKU](ctx, c, "list subscribed SKUs", "/v1.0/subscribedSkus", nil, nil)
}

// GroupsBySKU returns the groups that assign any of the licenses named by
// part number (e.g. "SPE_E3"). Part numbers are resolved through
// subscribedSkus; an unknown one is an error naming those the tenant has.
// MatchedBy is the part number.
func (c *Client) GroupsBySKU(ctx context.Context, partNumbers []string) ([]MatchedGroup, error) {
	if len(partNumbers) == 0 {
		return nil, nil
	}
	skus, err := c.SubscribedSKUs(ctx)
	if err != nil {
		return nil, err
	}
	byPart := make(map[string]string, len(skus))
	have := make([]string, 0, len(skus))
	for _, s := range skus {
		byPart[strings.ToUpper(s.SKUPartNumber)] = s.SKUID
		have = append(have, s.SKUPartNumber)
	}
	var unknown []string
	for _, p := range partNumbers {
		if _, ok := byPart[strings.ToUpper(strings.TrimSpace(p))]; !ok {
			unknown = append(unknown, p)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("graph: resolve SKUs: the tenant has no subscribed SKU with part number %s; it has %s",
			strings.Join(unknown, ", "), strings.Join(have, ", "))
	}
	seen := map[string]bool{}
	var out []MatchedGroup
	for _, p := range partNumbers {
		id := byPart[strings.ToUpper(strings.TrimSpace(p))]
		op := "list groups assigning " + p
		// The GUID is unquoted in the lambda; ids come from Graph itself.
		path := "/v1.0/groups?" + query("$filter", "assignedLicenses/any(x:x/skuId eq "+id+")",
			"$select", "id,displayName,assignedLicenses", "$top", fmt.Sprint(PageSize))
		gs, err := list[Group](ctx, c, op, path, nil, nil)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if !seen[g.ID] {
				seen[g.ID] = true
				out = append(out, MatchedGroup{Group: g, MatchedBy: p})
			}
		}
	}
	return out, nil
}

// GroupsByID reads the named groups; an unknown id is an error.
func (c *Client) GroupsByID(ctx context.Context, ids []string) ([]MatchedGroup, error) {
	out := make([]MatchedGroup, 0, len(ids))
	for _, id := range ids {
		var g Group
		path := "/v1.0/groups/" + url.PathEscape(id) + "?" + query("$select", "id,displayName")
		if err := c.do(ctx, "read group "+id, http.MethodGet, path, nil, &g, nil); err != nil {
			return nil, err
		}
		out = append(out, MatchedGroup{Group: g, MatchedBy: id})
	}
	return out, nil
}

// User is a Graph user with the fields of MemberSelect.
type User struct {
	ID                string   `json:"id"`
	GivenName         string   `json:"givenName"`
	Surname           string   `json:"surname"`
	DisplayName       string   `json:"displayName"`
	UserPrincipalName string   `json:"userPrincipalName"`
	Mail              string   `json:"mail"`
	ProxyAddresses    []string `json:"proxyAddresses"`
	AccountEnabled    bool     `json:"accountEnabled"`
	UserType          string   `json:"userType"`
	// Profile holds the extra properties MembersWith selected.
	Profile
}

// Members reads every user member of g (direct, or transitive through nested
// groups), users only (the microsoft.graph.user cast), 999 a page. onPage,
// if not nil, is called after each page with the members read so far and
// the group's total when Graph reports it (-1 otherwise).
//
// It takes the group rather than its id so that errors name the group as
// the admin knows it.
func (c *Client) Members(ctx context.Context, g Group, transitive bool, onPage func(read, total int)) ([]User, error) {
	return c.MembersWith(ctx, g, transitive, nil, onPage)
}

// MembersWith is Members that also selects the extra Profile properties
// (an attribute mapping's), and only those, into User.Profile.
func (c *Client) MembersWith(ctx context.Context, g Group, transitive bool, extra []string, onPage func(read, total int)) ([]User, error) {
	op, path, hdr := membersQuery(g, transitive, extra)
	return list[User](ctx, c, op, path, hdr, onPage)
}

// MemberPages is MembersWith that hands fn each page of members, in order,
// with the group's total when Graph reports it (-1 otherwise), instead of
// collecting them: fn's work is done while the next page is on its way.
// The users are valid only during the call.
func (c *Client) MemberPages(ctx context.Context, g Group, transitive bool, extra []string, fn func(users []User, total int) error) error {
	op, path, hdr := membersQuery(g, transitive, extra)
	return pages(ctx, c, op, path, hdr, fn)
}

// membersQuery is the request of a group's members: the operation's name
// for errors, the path and the headers.
func membersQuery(g Group, transitive bool, extra []string) (op, path string, hdr http.Header) {
	rel := "members"
	if transitive {
		rel = "transitiveMembers"
	}
	name := fmt.Sprintf("%q", g.DisplayName)
	if g.DisplayName == "" {
		name = "group " + g.ID
	}
	op = "list members of " + name
	if transitive {
		op = "list transitive members of " + name
	}
	path = "/v1.0/groups/" + url.PathEscape(g.ID) + "/" + rel + "/microsoft.graph.user?" +
		query("$select", memberSelect(extra), "$top", fmt.Sprint(PageSize), "$count", "true")
	// The cast with $select may need advanced queries; sending the header is
	// harmless where it is not needed.
	return op, path, http.Header{"Consistencylevel": {"eventual"}}
}

// Me is the signed-in user.
type Me struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	UserPrincipalName string `json:"userPrincipalName"`
	Mail              string `json:"mail"`
}

// Me reads the signed-in user (delegated tokens only).
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var m Me
	if err := c.do(ctx, "read signed-in user", http.MethodGet,
		"/v1.0/me?"+query("$select", "id,displayName,userPrincipalName,mail"), nil, &m, nil); err != nil {
		return nil, err
	}
	return &m, nil
}

// IsNotFound reports whether err is a Graph 404.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}
