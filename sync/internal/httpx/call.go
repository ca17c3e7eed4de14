package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"procsync/internal/safetext"
)

// MaxErrorBody bounds how much of an error answer's body Call keeps: enough
// for any API's error envelope, not a runaway page.
const MaxErrorBody = 64 << 10

// MaxMalformedReads bounds the reads of one GET whose answer does not decode.
const MaxMalformedReads = 5

// Endpoint is one JSON API host as a client sends to it: both API clients
// send every request through Endpoint.Call, and only map its errors onto
// their own error types.
type Endpoint struct {
	// HC sends the requests; its transport adds the bearer token (and,
	// normally, is a Transport for retries and pacing).
	HC *http.Client
	// Base prefixes a request URL that starts with "/", e.g.
	// "https://graph.microsoft.com". Other URLs (next-page links) are sent
	// as given, but only to Base's scheme and host: any other is refused
	// with an *OtherHostError before anything is sent.
	Base string
	// Header, if not nil, adds the API's own headers to each request just
	// before it is sent. It runs for every read of a repeated GET, so that
	// per-request ids stay unique.
	Header func(http.Header)
	// MaxBody bounds a 2xx answer that is decoded; 0 means MaxBody.
	MaxBody int64
}

// CallError is a request that Call sent without getting a usable answer:
// none at all (Status 0), an error status, or a 2xx answer whose body does
// not decode. Its text is only a fallback; the clients build their own
// errors from the fields, in their own format.
type CallError struct {
	// Request is the method and path (with query, without host) that failed.
	Request string
	// Status is the HTTP status; 0 when no answer arrived.
	Status int
	// Header is the answer's header; nil when no answer arrived.
	Header http.Header
	// Body is the start (at most MaxErrorBody bytes) of an error answer's
	// body, for the client to parse its API's error envelope from.
	Body []byte
	// Malformed is set when a 2xx answer did not decode; Err says why.
	Malformed bool
	// Err is the transport error when no answer arrived (without the
	// *url.Error wrapper, whose text repeats the whole URL), or the decode
	// error of a malformed answer.
	Err error
}

// Error returns a generic rendering: the request, then the status and the
// error or body. The server's words are passed through safetext: an error
// message is shown in terminals and logs.
func (e *CallError) Error() string {
	switch {
	case e.Status == 0 && e.Err != nil:
		return e.Request + ": " + safetext.Line(e.Err.Error())
	case e.Status == 0:
		return e.Request + ": no answer"
	case e.Malformed:
		return fmt.Sprintf("%s: %d malformed answer: %s", e.Request, e.Status, safetext.Line(e.Err.Error()))
	}
	return fmt.Sprintf("%s: %d %s", e.Request, e.Status, safetext.Text(strings.TrimSpace(string(e.Body))))
}

// Unwrap returns the transport or decode error, if any.
func (e *CallError) Unwrap() error { return e.Err }

// Response returns the error answer as an *http.Response whose body is the
// kept part of it, for parsers written against a response; nil when no
// answer arrived.
func (e *CallError) Response() *http.Response {
	if e.Status == 0 {
		return nil
	}
	return &http.Response{StatusCode: e.Status, Header: e.Header, Body: io.NopCloser(bytes.NewReader(e.Body))}
}

// Call sends one JSON request and decodes the answer into out (if not nil).
// rawURL is a path below Base ("/v1.0/…") or a full URL. body, if not nil,
// is sent as JSON; hdr's headers are added as given, then Accept (and
// Content-Type with a body), then Endpoint.Header's.
//
// A GET whose 2xx answer does not decode is read again, up to
// MaxMalformedReads times in all: a cut-off or garbled answer to a read is
// a transfer problem, not the server's word. Any other method is sent once
// by Call (the transport decides about retries).
//
// It returns the answer's header (also with an error status or a malformed
// answer) and, on failure, a *CallError, or, when nothing was sent (an
// *OtherHostError among them) or ctx ended first, another error without an
// operation: the caller names it.
func (ep Endpoint) Call(ctx context.Context, method, rawURL string, body any, hdr http.Header, out any) (http.Header, error) {
	var data []byte
	switch b := body.(type) {
	case nil:
	case json.RawMessage:
		// Already encoded by the caller (a mail with its attachment is
		// megabytes): json.Marshal would only validate and copy it again.
		data = b
	default:
		var err error
		if data, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
	}
	for read := 1; ; read++ {
		h, err := ep.send(ctx, method, rawURL, data, body != nil, hdr, out)
		var ce *CallError
		// An answer over MaxBody would be as large the next time, and one
		// that stalled has already cost BodyStallTimeout: neither is a
		// garbled transfer worth reading again.
		if method != http.MethodGet || read == MaxMalformedReads || !errors.As(err, &ce) || !ce.Malformed ||
			errors.Is(ce.Err, ErrTooLarge) || errors.Is(ce.Err, ErrStalled) {
			return h, err
		}
	}
}

// send sends the request once; data is the encoded body when hasBody.
func (ep Endpoint) send(ctx context.Context, method, rawURL string, data []byte, hasBody bool, hdr http.Header, out any) (http.Header, error) {
	u := rawURL
	if strings.HasPrefix(rawURL, "/") {
		u = ep.Base + rawURL
	}
	var rd io.Reader
	if hasBody {
		// A bytes.Reader lets http.NewRequest set GetBody, so that the
		// transport can send the body again on a retry.
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if err := checkHost(ep.Base, req.URL); err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if hasBody {
		req.Header.Set("Content-Type", "application/json")
	}
	if ep.Header != nil {
		ep.Header(req.Header)
	}
	reqName := method + " " + req.URL.RequestURI()

	resp, err := ep.HC.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &CallError{Request: reqName, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
		return resp.Header, &CallError{Request: reqName, Status: resp.StatusCode, Header: resp.Header, Body: b}
	}
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return resp.Header, nil
	}
	limit := ep.MaxBody
	if limit <= 0 {
		limit = MaxBody
	}
	if err := decodeJSON(resp.Body, out, limit); err != nil {
		return resp.Header, &CallError{Request: reqName, Status: resp.StatusCode, Header: resp.Header, Malformed: true, Err: err}
	}
	return resp.Header, nil
}
