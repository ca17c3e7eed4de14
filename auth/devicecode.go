package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"procsync/internal/safetext"
)

// deviceCodeLifetime bounds the wait when /devicecode names no expiry: the
// identity platform's codes live 15 minutes.
const deviceCodeLifetime = 15 * time.Minute

// graphDeviceCode runs the device authorization grant (RFC 8628) with
// x/oauth2, which also owns the polling: the interval the identity platform
// announces, slow_down's five extra seconds, and the stop at the code's
// expiry. What stays here is what the operator reads: the code and the URL,
// and errors that keep the provider's AADSTS text.
func graphDeviceCode(ctx context.Context, cfg GraphConfig, opts *LoginOptions) (*oauth2.Token, error) {
	const op = "graph: device code sign-in"
	conf := cfg.oauthConfig("")
	ctx = context.WithValue(ctx, oauth2.HTTPClient, opts.HTTPClient)
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		return nil, convertError(op, err)
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, fmt.Errorf("%s: malformed /devicecode answer (no device code, user code or verification URI)", op)
	}
	// x/oauth2 drops the identity platform's "message", so the line is
	// written here in the same words, one line the TUI shows as is.
	fmt.Fprintf(opts.Out, "To sign in, use a web browser to open the page %s and enter the code %s to authenticate.\n",
		safetext.Line(da.VerificationURI), safetext.Line(da.UserCode))
	fmt.Fprintln(opts.Out, "Waiting for the sign-in...")
	if da.Expiry.IsZero() {
		// Without an expiry x/oauth2 would poll until ctx ends.
		da.Expiry = time.Now().Add(deviceCodeLifetime)
	}

	tok, err := conf.DeviceAccessToken(ctx, da)
	if err == nil {
		return tok, nil
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		// The deadline is the code's own expiry, set by DeviceAccessToken.
		return nil, fmt.Errorf("%s: the code expired before the sign-in was completed; run the login again", op)
	}
	// convertError keeps the code, the status and the AADSTS description of
	// a *RetrieveError (never its body) and drops a transport error's query.
	err = convertError(op, err)
	var pe *ProviderError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "authorization_declined", "access_denied":
			return nil, fmt.Errorf("%s: the sign-in was declined: %w", op, err)
		case "expired_token", "code_expired":
			return nil, fmt.Errorf("%s: the code expired before the sign-in was completed; run the login again: %w", op, err)
		}
	}
	return nil, err
}
