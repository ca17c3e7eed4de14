package procore

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// MaxListEntries is the most entries procsync reads from one listing. No
// Procore company comes near it; a Total header above it is a broken or
// hostile answer, refused before anything is sized by it.
const MaxListEntries = 1_000_000

// maxPages bounds the requests of one listing, whatever the headers say: a
// full directory of MaxListEntries at 50 entries a page.
const maxPages = MaxListEntries / 50

// pageInfo is what Procore's paging headers say.
type pageInfo struct {
	total   int // -1 if unknown or not a count
	perPage int // 0 if unknown
	next    string
}

// parsePaging reads the paging headers. Values that are not plausible
// counts (negative, or beyond MaxListEntries for Per-Page) count as
// unknown, so that nothing is allocated or looped by them; a Total beyond
// MaxListEntries is kept, for the caller to refuse.
func parsePaging(h http.Header) pageInfo {
	p := pageInfo{total: -1}
	if v, err := strconv.ParseInt(strings.TrimSpace(h.Get("Total")), 10, 64); err == nil && v >= 0 {
		p.total = int(min(v, MaxListEntries+1))
	}
	if v, err := strconv.ParseInt(strings.TrimSpace(h.Get("Per-Page")), 10, 64); err == nil && v > 0 && v <= MaxListEntries {
		p.perPage = int(v)
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
	firstURL := withPage(path, q, 1, c.perPage)
	h, err := c.do(ctx, op+" (page 1)", http.MethodGet, firstURL, nil, &first)
	if err != nil {
		return nil, -1, err
	}
	pi := parsePaging(h)
	if err := c.checkTotal(op, path, pi); err != nil {
		return nil, -1, err
	}
	if onPage != nil {
		onPage(len(first), pi.total)
	}
	if pi.total >= 0 && pi.perPage > 0 && c.concurrency > 1 {
		all, err := listPages(ctx, c, op, path, q, first, pi, onPage)
		if err != nil {
			return nil, -1, err
		}
		return all, pi.total, nil
	}

	// Sequential: follow Link rel="next"; without one, stop at a short or
	// empty page. A link back to a page already read would loop forever, so
	// every page read is remembered.
	all := first
	perPage := pi.perPage
	if perPage == 0 {
		perPage = c.perPage
	}
	visited := map[string]bool{c.pageKey(firstURL): true}
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
		key := c.pageKey(next)
		if visited[key] {
			return nil, -1, &Error{Op: op, Request: "GET " + path, Message: fmt.Sprintf(
				"page %d links back to a page already read (%s); stopped rather than loop. Procore's paging answer is inconsistent: try again, and report it to Procore support if it persists", n-1, next)}
		}
		if n > maxPages || len(all) > MaxListEntries {
			return nil, -1, &Error{Op: op, Request: "GET " + path, Message: fmt.Sprintf(
				"stopped after %d pages and %d entries: the listing does not end. Try again, and report it to Procore support if it persists", n-1, len(all))}
		}
		visited[key] = true
		var items []T
		h, err = c.do(ctx, fmt.Sprintf("%s (page %d)", op, n), http.MethodGet, next, nil, &items)
		if err != nil {
			return nil, -1, err
		}
		pi = parsePaging(h)
		if err := c.checkTotal(op, path, pi); err != nil {
			return nil, -1, err
		}
		all = append(all, items...)
		last = len(items)
		if onPage != nil {
			onPage(len(all), pi.total)
		}
	}
}

// listPages reads pages 2 and on of a listing whose first page (first) gave
// a total and a page size, in parallel within the client's concurrency.
func listPages[T any](ctx context.Context, c *Client, op, path string, q url.Values, first []T, pi pageInfo, onPage func(read, total int)) ([]T, error) {
	pages := (pi.total + pi.perPage - 1) / pi.perPage
	if pages <= 1 {
		return first, nil
	}
	results := make([][]T, pages)
	results[0] = first
	read := len(first)
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.concurrency)
	for n := 2; n <= pages; n++ {
		g.Go(func() error {
			// Sized for a full page (checkTotal bounded both numbers),
			// so that decoding never grows it.
			items := make([]T, 0, min(pi.perPage, pi.total))
			pop := fmt.Sprintf("%s (page %d of %d)", op, n, pages)
			if _, err := c.do(gctx, pop, http.MethodGet, withPage(path, q, n, pi.perPage), nil, &items); err != nil {
				return err
			}
			results[n-1] = items
			mu.Lock()
			read += len(items)
			if onPage != nil {
				onPage(read, pi.total)
			}
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	all := make([]T, 0, read)
	for _, r := range results {
		all = append(all, r...)
	}
	return all, nil
}

// checkTotal refuses paging headers that would make procsync read more
// than MaxListEntries or send more than maxPages requests: those numbers
// size the parallel read.
func (c *Client) checkTotal(op, path string, pi pageInfo) error {
	if pi.total > MaxListEntries {
		return &Error{Op: op, Request: "GET " + path, Message: fmt.Sprintf(
			"the server reports more than %d entries (Total header), more than procsync reads from one listing; the answer is not plausible, so nothing was read. Try again, and report it to Procore support if it persists", MaxListEntries)}
	}
	if pi.total > 0 && pi.perPage > 0 && (pi.total+pi.perPage-1)/pi.perPage > maxPages {
		return &Error{Op: op, Request: "GET " + path, Message: fmt.Sprintf(
			"the server reports %d entries at %d a page (Total and Per-Page headers), more than %d requests; refusing to read it that way. Try again, and report it to Procore support if it persists", pi.total, pi.perPage, maxPages)}
	}
	return nil
}

// pageKey names a page URL the same way whether it is a path of the API
// base or an absolute link, with its query in a fixed order, so that a
// link back to a page already read is recognised.
func (c *Client) pageKey(link string) string {
	if strings.HasPrefix(link, "/") {
		link = c.base + link
	}
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath() + "?" + u.Query().Encode()
}
