package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ErrRawPath is returned by RawGet for a path that does not start with a
// single "/": anything else could name another host ("//evil.example/…")
// or another user ("@evil.example").
var ErrRawPath = errors.New("the path must start with a single /")

// NoAnswerError is returned by RawGet when the request was sent but no
// answer arrived (connection refused, reset, TLS failure…). Err is the
// transport's error without the *url.Error wrapper, whose text repeats the
// whole URL.
type NoAnswerError struct {
	Err error
}

// Error returns the transport error's text.
func (e *NoAnswerError) Error() string { return e.Err.Error() }

// Unwrap returns the transport error.
func (e *NoAnswerError) Unwrap() error { return e.Err }

// RawGet sends one GET to base+path through hc with the headers hdr and
// returns the answer as it came: status, headers and at most max bytes of
// the body. It serves the console's raw GET of both API clients: an error
// status is not an error here (the console shows it), and only paths below
// base's own scheme, host and user are accepted, so that the bearer token
// hc's transport adds never goes anywhere else.
//
// Errors carry no operation: the caller names it. They are ErrRawPath or
// ErrOtherHost (nothing was sent), a *NoAnswerError, ctx's error when ctx
// ended first, or a read error together with the status, headers and the
// part of the body that did arrive.
func RawGet(ctx context.Context, hc *http.Client, base, path string, hdr http.Header, max int64) (status int, h http.Header, body []byte, err error) {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return 0, nil, nil, ErrRawPath
	}
	u, err := url.Parse(base + path)
	if err != nil {
		return 0, nil, nil, err
	}
	if err := checkHost(base, u); err != nil {
		return 0, nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, nil, nil, err
	}
	for k, vs := range hdr {
		req.Header[k] = append([]string(nil), vs...)
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, nil, nil, &NoAnswerError{Err: err}
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, max))
	if err != nil {
		return resp.StatusCode, resp.Header, body, fmt.Errorf("read answer: %w", err)
	}
	return resp.StatusCode, resp.Header, body, nil
}
