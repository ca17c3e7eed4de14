package httpx

// Option changes Options. The API clients wrap these in their own option
// types, so that the rules (what zero means) live in one place.
type Option func(*Options)

// Replace replaces the options by r.
func Replace(r Options) Option { return func(o *Options) { *o = r } }

// MaxRetries sets Options.MaxRetries: 0 keeps the default, a negative value
// turns retries off.
func MaxRetries(n int) Option { return func(o *Options) { o.MaxRetries = n } }

// WaitScale sets Options.WaitScale.
func WaitScale(f float64) Option { return func(o *Options) { o.WaitScale = f } }
