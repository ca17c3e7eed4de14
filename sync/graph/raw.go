package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// MaxRawBody bounds the body Get returns: the console shows it, and a
// runaway listing must not fill memory.
const MaxRawBody = 4 << 20

// Get sends one GET to path (below the API host, e.g. "/v1.0/me") through
// the client's transport and returns the answer as it came: status, headers
// and body (at most MaxRawBody bytes). An error status is not an error
// here: the console shows it. Only paths on the client's own host are
// accepted, so that the bearer token never goes anywhere else.
func (c *Client) Get(ctx context.Context, path string) (int, http.Header, []byte, error) {
	op := "GET " + path
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return 0, nil, nil, fmt.Errorf("graph: %s: the path must start with a single / (like /v1.0/me)", op)
	}
	u, err := url.Parse(c.base + path)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("graph: %s: %w", op, err)
	}
	b, _ := url.Parse(c.base)
	if b == nil || u.Host != b.Host || u.Scheme != b.Scheme || u.User != nil {
		return 0, nil, nil, fmt.Errorf("graph: %s: refusing a request to another host", op)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("graph: %s: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("client-request-id", newGUID())
	// $count, $search and some casts need advanced queries; the header is
	// harmless where it is not needed.
	req.Header.Set("ConsistencyLevel", "eventual")
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, nil, fmt.Errorf("graph: %s: %w", op, ctx.Err())
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, nil, nil, &Error{Op: op, Request: op, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxRawBody))
	if err != nil {
		return resp.StatusCode, resp.Header, body, fmt.Errorf("graph: %s: read answer: %w", op, err)
	}
	return resp.StatusCode, resp.Header, body, nil
}
