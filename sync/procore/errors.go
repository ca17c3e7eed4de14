package procore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"

	"procsync/internal/safetext"
	"procsync/sync/internal/httpx"
)

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
	// Hint says, for a 403, which Procore permission or setting the call
	// needs and where setup explains granting it.
	Hint string
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
	if e.Hint != "" {
		b.WriteString(". " + e.Hint)
	}
	return b.String()
}

// IsForbidden reports whether err is a Procore 403.
func IsForbidden(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusForbidden
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
	e := parseError(op, ce.Request, ce.Response())
	if e.Status == http.StatusForbidden {
		e.Hint = permissionHint(method, rawURL)
	}
	return h, e
}

func requestID(h http.Header) string {
	for _, k := range []string{"X-Request-Id", "Request-Id", "X-Amzn-Requestid"} {
		if v := h.Get(k); v != "" {
			return safetext.Line(v)
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
	// The message is server text that reaches the terminal and the report.
	e.Message = safetext.Line(e.Message)
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
