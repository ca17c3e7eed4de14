package httpx

import "context"

// Option changes Options. The API clients wrap these in their own option
// types, so that the rules (which fields survive a replacement, what zero
// means) live in one place.
type Option func(*Options)

// Replace replaces the options by r but keeps an OnUnauthorized already set
// when r has none: the token refresh is wiring, not a retry policy, and a
// test's retry options must not switch it off.
func Replace(r Options) Option {
	return func(o *Options) {
		f := o.OnUnauthorized
		*o = r
		if r.OnUnauthorized == nil {
			o.OnUnauthorized = f
		}
	}
}

// MaxRetries sets Options.MaxRetries: 0 keeps the default, a negative value
// turns retries off.
func MaxRetries(n int) Option { return func(o *Options) { o.MaxRetries = n } }

// WaitScale sets Options.WaitScale.
func WaitScale(f float64) Option { return func(o *Options) { o.WaitScale = f } }

// OnUnauthorized sets Options.OnUnauthorized.
func OnUnauthorized(f func(ctx context.Context) error) Option {
	return func(o *Options) { o.OnUnauthorized = f }
}
