package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"procsync/sync/internal/httpx"
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
	hdr := http.Header{}
	hdr.Set("Accept", "application/json")
	hdr.Set("client-request-id", newGUID())
	// $count, $search and some casts need advanced queries; the header is
	// harmless where it is not needed.
	hdr.Set("ConsistencyLevel", "eventual")
	status, h, body, err := httpx.RawGet(ctx, c.hc, c.base, path, hdr, MaxRawBody)
	if err == nil {
		return status, h, body, nil
	}
	op := "GET " + path
	var na *httpx.NoAnswerError
	switch {
	case errors.As(err, &na):
		return 0, nil, nil, &Error{Op: op, Request: op, Err: na.Err}
	case errors.Is(err, httpx.ErrRawPath):
		return 0, nil, nil, fmt.Errorf("graph: %s: %w (like /v1.0/me)", op, err)
	}
	return status, h, body, fmt.Errorf("graph: %s: %w", op, err)
}
