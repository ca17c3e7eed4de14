// Package procore is procsync's Procore REST client: the signed-in user,
// companies, projects, permission templates, vendors, the company user
// directory (active and inactive, read completely), user
// create/update/reactivate, the bulk user sync endpoint and project
// membership. It speaks Procore's own types; package provision converts them.
//
// Every request carries the Procore-Company-Id header, and all requests go
// through one resilient transport that paces them by Procore's rate-limit
// headers. The operations and their bodies follow Procore's published
// OpenAPI description; testdata/specs holds the operations used, and the
// conformance tests hold the client and the simulator to them. Text read
// from Procore is cleaned of terminal escape sequences where it is read,
// and a 403 names the permission the call needs (see hints.go).
package procore

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"procsync/sync/internal/httpx"
)

// DefaultPerPage is the page size procsync asks for. Procore recommends
// per_page at or below MaxPerPage and answers 408 when a page takes too long
// to build; 1,000 keeps each page well inside that while a 50,000-user
// directory is still only 50 requests. Procore may clamp it further and
// says so in the Per-Page header, which the client then trusts.
const DefaultPerPage = 1000

// MaxPerPage is the largest page size procsync asks for, Procore's
// recommended ceiling; WithPerPage clamps to it.
const MaxPerPage = 2000

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

// WithRetry replaces the transport's retry options. Its argument's type
// is internal to procsync/sync; code elsewhere uses WithMaxRetries and
// WithWaitScale. Pacing by the rate-limit headers stays on. A 401 is not
// retried here: the caller's token transport (auth.Transport) renews the
// token and sends the request again.
func WithRetry(o httpx.Options) Option { return transport(httpx.Replace(o)) }

// WithMaxRetries bounds the retries of one Procore request: a status the
// transport treats as transient (429, 503, 504, and 408, 500 and 502 which
// Procore documents as transient), or a dropped connection of a read or of a
// write that is safe to repeat (UpdateUser, ReactivateUser, SyncUsers batches
// whose entries all carry an id or origin_id, BulkAddToProjects). 0 keeps the
// default, a negative value turns retries off.
func WithMaxRetries(n int) Option { return transport(httpx.MaxRetries(n)) }

// WithWaitScale multiplies every wait before a retry (Retry-After, or a
// 429's wait for the rate-limit window to reset), so that tests and the demo
// against the simulator get through fault storms fast. The pacing that keeps
// steady work under the limit is not scaled.
func WithWaitScale(f float64) Option { return transport(httpx.WaitScale(f)) }

// WithPerPage sets the page size to ask for, at most MaxPerPage (the server
// may clamp it further).
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
	cfg.perPage = min(cfg.perPage, MaxPerPage)
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
