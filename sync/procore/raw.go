package procore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// MaxRawBody bounds the body Get returns: the console shows it, and a
// runaway listing must not fill memory.
const MaxRawBody = 4 << 20

// Get sends one GET to path (below the API host, e.g. "/rest/v1.0/me")
// through the client's transport, with the Procore-Company-Id header, and
// returns the answer as it came: status, headers and body (at most
// MaxRawBody bytes). An error status is not an error here: the console
// shows it. Only paths on the client's own host are accepted, so that the
// bearer token never goes anywhere else.
func (c *Client) Get(ctx context.Context, path string) (int, http.Header, []byte, error) {
	op := "GET " + path
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return 0, nil, nil, fmt.Errorf("procore: %s: the path must start with a single / (like /rest/v1.0/me)", op)
	}
	u, err := url.Parse(c.base + path)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("procore: %s: %w", op, err)
	}
	b, _ := url.Parse(c.base)
	if b == nil || u.Host != b.Host || u.Scheme != b.Scheme || u.User != nil {
		return 0, nil, nil, fmt.Errorf("procore: %s: refusing a request to another host", op)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("procore: %s: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Procore-Company-Id", strconv.FormatInt(c.companyID, 10))
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, nil, fmt.Errorf("procore: %s: %w", op, ctx.Err())
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
		return resp.StatusCode, resp.Header, body, fmt.Errorf("procore: %s: read answer: %w", op, err)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// RequestID returns Procore's request id from answer headers h, to quote to
// Procore support; "" when there is none.
func RequestID(h http.Header) string { return requestID(h) }
