package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"procsync/sync/internal/httpx"
)

// page is one page of a Graph collection.
type page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
	Count    *int   `json:"@odata.count"`
}

// list reads every page of a collection starting at path, calling onPage
// after each with the items read so far and the total if Graph said it
// (-1 otherwise).
func list[T any](ctx context.Context, c *Client, op, path string, hdr http.Header, onPage func(read, total int)) ([]T, error) {
	var all []T
	err := pages(ctx, c, op, path, hdr, func(items []T, total int) error {
		if all == nil && total > len(items) {
			// One allocation for the whole collection instead of a copy
			// per doubling.
			all = make([]T, 0, total)
		}
		all = append(all, items...)
		if onPage != nil {
			onPage(len(all), total)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return all, nil
}

// pages reads every page of a collection starting at path and calls fn with
// each page's items, in order, and the total if Graph said it (-1
// otherwise). The items are valid only during the call: the next page is
// decoded into the same memory. An error from fn ends the listing with it.
//
// Each page's nextLink is asked for as soon as the page has arrived, before
// the page is decoded and before fn: a group's pages can only be read one
// after another, so the decoding and fn's work (the snapshot converts the
// members) happen while the next page is on its way rather than between
// the requests.
func pages[T any](ctx context.Context, c *Client, op, path string, hdr http.Header, fn func(items []T, total int) error) error {
	// Ends the page asked for ahead when the listing stops early.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	total := -1
	// One page buffer for the whole listing: decoding appends into its
	// capacity instead of growing a fresh slice per page.
	buf := make([]T, 0, PageSize)
	// Pages already asked for, as full URLs (the first is a path).
	seen := map[string]bool{c.base + path: true}
	// A nextLink to another host is refused by the transport (httpx)
	// before anything is sent: the bearer token goes with every request.
	next := c.fetchPage(ctx, pageOp(op, 1), path, hdr)
	for n := 1; next != nil; n++ {
		f := <-next
		next = nil
		if f.err != nil {
			return f.err
		}
		pop := pageOp(op, n)
		link, err := nextLinkOf(f.raw)
		if err != nil {
			return f.malformed(pop, err)
		}
		if link != "" {
			key := link
			if strings.HasPrefix(key, "/") {
				key = c.base + key
			}
			if seen[key] {
				// A hostile or broken server could send A→B→A forever;
				// each page is asked for once.
				return &Error{Op: pop, Request: "GET " + link,
					Message: "@odata.nextLink points back at a page already read; stopping instead of looping"}
			}
			seen[key] = true
			next = c.fetchPage(ctx, pageOp(op, n+1), link, hdr)
		}
		// Decoding merges into the old elements' memory without zeroing
		// it (a member sent without mail would keep the previous user's),
		// so clear the buffer first.
		clear(buf[:cap(buf)])
		p := page[T]{Value: buf[:0]}
		if err := httpx.Unmarshal(f.raw, &p); err != nil {
			return f.malformed(pop, err)
		}
		if p.NextLink != link {
			// The scan and the decoder must agree on where the listing
			// goes on: a page skipped would read as people removed.
			return f.malformed(pop, fmt.Errorf("two different @odata.nextLink values"))
		}
		buf = p.Value
		if p.Count != nil {
			total = *p.Count
		}
		if err := fn(p.Value, total); err != nil {
			return err
		}
	}
	return nil
}

// pageOp names page n of a listing for errors.
func pageOp(op string, n int) string {
	if n == 1 {
		return op
	}
	return fmt.Sprintf("%s (page %d)", op, n)
}

// fetched is a page as it arrived: its JSON, checked as JSON but not
// decoded, and its header, or why it did not arrive.
type fetched struct {
	url    string
	raw    []byte
	header http.Header
	err    error
}

// malformed is the error of a page that arrived but is not a page.
func (f *fetched) malformed(op string, err error) *Error {
	return malformed(op, "GET "+f.url, http.StatusOK, f.header, err)
}

// fetchPage asks for one page in the background; the answer comes on the
// returned channel.
func (c *Client) fetchPage(ctx context.Context, op, url string, hdr http.Header) <-chan fetched {
	ch := make(chan fetched, 1)
	go func() {
		var raw rawAnswer
		h, err := c.call(ctx, op, http.MethodGet, url, nil, &raw, hdr)
		ch <- fetched{url: url, raw: raw, header: h, err: err}
	}()
	return ch
}

// rawAnswer keeps an answer's JSON as it came. The decoder has checked it
// is JSON before handing it over, so a cut-off page is still read again
// (httpx.Endpoint.Call) as one that fails to decode is.
type rawAnswer []byte

// UnmarshalJSON implements json.Unmarshaler: b is only valid during the
// call, so it is copied.
func (r *rawAnswer) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

// nextLinkOf returns the @odata.nextLink of a page without decoding the
// page: the name can come before or after the value array, which is only
// scanned over.
func nextLinkOf(raw []byte) (string, error) {
	// As leniently as the page is decoded (httpx.Unmarshal): a name in
	// another case matches, and of repeated names the last counts.
	dec := jsontext.NewDecoder(bytes.NewReader(raw), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	tok, err := dec.ReadToken()
	if err != nil {
		return "", err
	}
	if tok.Kind() != '{' {
		return "", fmt.Errorf("the answer is a JSON %s, not an object", tok.Kind())
	}
	link := ""
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return "", err
		}
		if !strings.EqualFold(name.String(), "@odata.nextLink") {
			if err := dec.SkipValue(); err != nil {
				return "", err
			}
			continue
		}
		v, err := dec.ReadToken()
		if err != nil {
			return "", err
		}
		if v.Kind() == 'n' {
			link = ""
			continue
		}
		if v.Kind() != '"' {
			return "", errors.New("@odata.nextLink is not a string")
		}
		link = v.String()
	}
	if _, err := dec.ReadToken(); err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return link, nil
}
