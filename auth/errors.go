package auth

import (
	"errors"
	"fmt"
)

// ErrNotSignedIn is matched (with errors.Is) by every error that means the
// operator has to sign in again: no stored tokens, stored tokens for another
// environment, or a refresh token the provider no longer accepts.
var ErrNotSignedIn = errors.New("not signed in")

// NotSignedInError says which provider needs a sign-in and why. Its message
// names the command that fixes it, so that `procsync --auto` can print it
// as is before exiting with code 4.
type NotSignedInError struct {
	// Provider is the provider that needs a sign-in.
	Provider Provider
	// Reason is a short operator-facing explanation, for example
	// "no stored sign-in" or "the refresh token has expired".
	Reason string
	// Err is the underlying cause, if any (never carries a token).
	Err error
	// Command is the command that signs in, with the flags in use; empty
	// means "procsync login PROVIDER".
	Command string

	// absent is set when nothing stored belongs to the config (no record,
	// or one of another app or login host), as opposed to the config's own
	// sign-in made for another API host, which must be refused loudly.
	absent bool
}

// LoginCommand is the command that fixes the error.
func (e *NotSignedInError) LoginCommand() string {
	if e.Command != "" {
		return e.Command
	}
	return "procsync login " + string(e.Provider)
}

// Error implements error.
func (e *NotSignedInError) Error() string {
	msg := fmt.Sprintf("%s: not signed in: %s; run `%s`", e.Provider, e.Reason, e.LoginCommand())
	if e.Provider == Graph {
		msg += " (or set PROCSYNC_GRAPH_CLIENT_SECRET for app-only access)"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes errors.Is(err, ErrNotSignedIn) true.
func (e *NotSignedInError) Is(target error) bool { return target == ErrNotSignedIn }

// Unwrap returns the underlying cause.
func (e *NotSignedInError) Unwrap() error { return e.Err }

// ErrNoToken is returned by Store.Load when nothing is stored under the key.
var ErrNoToken = errors.New("no stored token")

// ProviderError is an error the identity provider answered with: at the
// callback (error=access_denied), or at the token endpoint (invalid_grant).
type ProviderError struct {
	// Op is what procsync was doing, for example "exchange code".
	Op string
	// Code is the OAuth error code, such as "access_denied".
	Code string
	// Description is the provider's error_description (never contains a
	// token; Microsoft puts the AADSTS code here).
	Description string
	// Status is the HTTP status of the token endpoint, 0 at the callback.
	Status int
}

// Error implements error.
func (e *ProviderError) Error() string {
	s := e.Op + ": " + e.Code
	if e.Status != 0 {
		s = fmt.Sprintf("%s: %d %s", e.Op, e.Status, e.Code)
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}
