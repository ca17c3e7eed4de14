package httpx

import (
	"errors"
	"net/url"
	"strings"

	"procsync/internal/safetext"
)

// ErrOtherHost is matched (errors.Is) by the error of a request refused
// before it was sent because its URL names another scheme, host or user
// than the API base.
var ErrOtherHost = errors.New("refusing a request to another host")

// OtherHostError is a request that was not sent because its URL points away
// from the API base: a next-page link from the server, or a console path.
// The bearer token goes with every request a client sends, so this is the
// one place that keeps it on the API host; the clients' paging code relies
// on it.
type OtherHostError struct {
	// URL is the refused URL, cleaned for terminals (it came from a server
	// or a person).
	URL string
	// Base is the API base the client sends to.
	Base string
}

// Error implements error.
func (e *OtherHostError) Error() string {
	return "refusing to send a request to another host: " + e.URL + " is not on " + e.Base +
		", and the access token goes with every request; check the api_url in the config, or report the server's link"
}

// Is makes errors.Is(err, ErrOtherHost) true.
func (e *OtherHostError) Is(target error) bool { return target == ErrOtherHost }

// checkHost returns an *OtherHostError unless u has base's scheme and host
// and carries no user.
func checkHost(base string, u *url.URL) error {
	b, err := url.Parse(base)
	if err == nil && b.Host != "" && u.User == nil &&
		strings.EqualFold(u.Scheme, b.Scheme) && strings.EqualFold(u.Host, b.Host) {
		return nil
	}
	return &OtherHostError{URL: safetext.Line(u.Redacted()), Base: safetext.Line(base)}
}
