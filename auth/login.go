package auth

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pkg/browser"
	"golang.org/x/oauth2"

	"procsync/internal/safetext"
)

// LoginOptions are the terminal and environment a sign-in runs in. The zero
// value is usable: it prints to stdout, reads stdin, and opens the system
// browser.
type LoginOptions struct {
	// Out receives the sign-in URL, the device code instructions and
	// progress; nil means os.Stdout.
	Out io.Writer
	// In is where the paste-code flow reads the code; nil means os.Stdin.
	In io.Reader
	// Opener opens a URL in a browser; nil means DefaultOpener. Its failure
	// is not fatal: the URL is always printed too.
	Opener func(url string) error
	// NoBrowser selects the flows that need no local browser: the device
	// code flow for Graph, the paste-code flow for Procore. Set it from
	// --device-code or ShouldUseDeviceCode.
	NoBrowser bool
	// Timeout bounds the wait for the browser or the pasted code; zero
	// means 5 minutes. The device code flow ends when its code expires.
	Timeout time.Duration
	// HTTPClient talks to the token endpoints; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Logger receives debug events (never a secret); nil means slog.Default().
	Logger *slog.Logger

	// exchangeVerifier, when set, replaces the PKCE verifier at the token
	// exchange: tests use it to prove that a wrong verifier is refused.
	exchangeVerifier string
	// listener, when set, is the open listener of the fixed redirect port:
	// tests reserve the port by listening, register it with the simulator
	// and hand the listener over, so that no other process can take the
	// port in between.
	listener net.Listener
}

func (o *LoginOptions) defaults() {
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.In == nil {
		o.In = os.Stdin
	}
	if o.Opener == nil {
		o.Opener = DefaultOpener
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	// Every request of a sign-in carries a code, a verifier, a device code
	// or a client secret: none follows a redirect.
	o.HTTPClient = tokenClient(o.HTTPClient)
}

var browserOnce sync.Once

// DefaultOpener opens url with the system browser (xdg-open, open, or
// rundll32). The opener's own output is discarded so that it cannot
// scribble over the terminal UI.
func DefaultOpener(url string) error {
	browserOnce.Do(func() {
		browser.Stdout = io.Discard
		browser.Stderr = io.Discard
	})
	return browser.OpenURL(url)
}

// ShouldUseDeviceCode reports whether a local browser is unlikely to reach
// the loopback listener: in an SSH session, or on a Linux or BSD desktop-less
// machine (no DISPLAY and no WAYLAND_DISPLAY).
func ShouldUseDeviceCode() bool {
	return shouldUseDeviceCode(os.Getenv, runtime.GOOS)
}

func shouldUseDeviceCode(getenv func(string) string, goos string) bool {
	if getenv("SSH_CONNECTION") != "" || getenv("SSH_TTY") != "" {
		return true
	}
	switch goos {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == ""
	}
	return false
}

// randomState returns 32 random bytes, base64url: an unguessable state.
func randomState() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: crypto/rand failed: " + err.Error()) // never happens on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// LoginGraph signs the operator in to Microsoft Graph with delegated
// permissions and stores the tokens under the key "graph": by default with
// the browser (authorization code + PKCE on a random loopback port), with
// opts.NoBrowser by the device code flow.
func LoginGraph(ctx context.Context, cfg GraphConfig, store Store, opts LoginOptions) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	opts.defaults()
	var tok *oauth2.Token
	var err error
	if opts.NoBrowser {
		tok, err = graphDeviceCode(ctx, cfg, &opts)
	} else {
		tok, err = graphBrowser(ctx, cfg, &opts)
	}
	if err != nil {
		return err
	}
	rec := &Record{Provider: Graph, LoginURL: trimURL(cfg.LoginURL), APIURL: trimURL(cfg.APIURL), Tenant: cfg.Tenant, ClientID: cfg.ClientID,
		Account: idTokenName(tok), Scopes: cfg.scopes()}
	if err := saveToken(store, cfg.storeKey(), rec, tok, &opts); err != nil {
		return err
	}
	dropLegacy(store, cfg.recordQuery(), opts.Logger)
	return nil
}

// LoginProcore signs the operator in to Procore and stores the tokens under
// the key "procore": by default with the browser, on the configured
// registered redirect URI; with opts.NoBrowser by the out-of-band flow in
// which the operator pastes the code Procore shows.
func LoginProcore(ctx context.Context, cfg ProcoreConfig, store Store, opts LoginOptions) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	if cfg.ClientSecret == "" {
		return errors.New("procore: sign-in needs the app's client secret: set PROCSYNC_PROCORE_CLIENT_SECRET")
	}
	opts.defaults()
	var tok *oauth2.Token
	var err error
	if opts.NoBrowser || cfg.RedirectURI == OOBRedirectURI {
		tok, err = procorePaste(ctx, cfg, &opts)
	} else {
		tok, err = procoreBrowser(ctx, cfg, &opts)
	}
	if err != nil {
		return err
	}
	rec := &Record{Provider: Procore, LoginURL: trimURL(cfg.LoginURL), APIURL: trimURL(cfg.APIURL), ClientID: cfg.ClientID, CompanyID: cfg.CompanyID}
	if err := saveToken(store, cfg.storeKey(), rec, tok, &opts); err != nil {
		return err
	}
	dropLegacy(store, cfg.recordQuery(), opts.Logger)
	return nil
}

// dropLegacy removes this config's record under the provider-only key of
// older installs once a new sign-in replaced it: its refresh token must not
// linger unused in the store.
func dropLegacy(store Store, q recordQuery, log *slog.Logger) {
	rec, err := store.Load(string(q.provider))
	if err != nil || q.mismatch(rec) != "" {
		return
	}
	if err := store.Delete(string(q.provider)); err != nil {
		log.Debug("auth: could not remove the old token entry", "provider", string(q.provider), "err", err)
	}
}

func saveToken(store Store, key string, rec *Record, tok *oauth2.Token, opts *LoginOptions) error {
	rec.AccessToken, rec.RefreshToken, rec.TokenType, rec.Expiry = tok.AccessToken, tok.RefreshToken, tok.TokenType, tok.Expiry
	rec.SavedAt = time.Now()
	if err := store.Save(key, rec); err != nil {
		return fmt.Errorf("%s: signed in, but could not store the tokens: %w", rec.Provider, err)
	}
	opts.Logger.Debug("auth: signed in", "provider", string(rec.Provider), "store", store.Kind(), "expiry", rec.Expiry, "has_refresh_token", rec.RefreshToken != "")
	return nil
}

func graphBrowser(ctx context.Context, cfg GraphConfig, opts *LoginOptions) (*oauth2.Token, error) {
	lb, err := listenGraph()
	if err != nil {
		return nil, fmt.Errorf("graph: sign-in: %w", err)
	}
	// "localhost" rather than 127.0.0.1: it is what the app registration
	// lists, and the identity platform ignores the port for it.
	conf := cfg.oauthConfig(fmt.Sprintf("http://localhost:%d/", lb.port))
	return browserFlow(ctx, "graph", "Microsoft Graph", conf, lb, opts)
}

func procoreBrowser(ctx context.Context, cfg ProcoreConfig, opts *LoginOptions) (*oauth2.Token, error) {
	if cfg.RedirectURI == "" {
		return nil, errors.New("procore: sign-in: no redirect_uri configured (it must match one registered on the Procore app, e.g. http://localhost:8765/callback)")
	}
	var lb *loopback
	var err error
	if opts.listener != nil {
		lb = &loopback{listeners: []net.Listener{opts.listener}, port: opts.listener.Addr().(*net.TCPAddr).Port, path: "/callback"}
		if u, perr := url.Parse(cfg.RedirectURI); perr == nil && u.Path != "" {
			lb.path = u.Path
		}
	} else {
		lb, err = listenRedirect(cfg.RedirectURI)
	}
	if err != nil {
		return nil, fmt.Errorf("procore: sign-in: %w", err)
	}
	return browserFlow(ctx, "procore", "Procore", cfg.oauthConfig(cfg.RedirectURI), lb, opts)
}

// browserFlow runs one authorization code + PKCE sign-in through lb. The
// code is exchanged inside the callback handler, so that the page the
// browser shows tells the truth about the outcome.
func browserFlow(ctx context.Context, op, name string, conf *oauth2.Config, lb *loopback, opts *LoginOptions) (*oauth2.Token, error) {
	defer lb.close()
	state := randomState()
	verifier := oauth2.GenerateVerifier()
	exchangeVerifier := verifier
	if opts.exchangeVerifier != "" {
		exchangeVerifier = opts.exchangeVerifier
	}
	authURL := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
	exCtx := context.WithValue(ctx, oauth2.HTTPClient, opts.HTTPClient)

	results := lb.serve(opts.Logger, state, func(q url.Values) (callback, string, string) {
		// lb.serve has checked the state: this is the answer to our request.
		if e := q.Get("error"); e != "" {
			// Provider text reaches the terminal: no escape sequences.
			err := &ProviderError{Op: op + ": sign-in refused by the provider", Code: safetext.Line(e), Description: safetext.Text(q.Get("error_description"))}
			return callback{err: err}, "Sign-in failed", fmt.Sprintf("%s answered: %s. Nothing was stored. Return to the terminal.", name, strings.TrimPrefix(err.Error(), err.Op+": "))
		}
		code := q.Get("code")
		if code == "" {
			return callback{err: fmt.Errorf("%s: sign-in: the callback carries no code", op)}, "Sign-in failed", "The callback carries no authorization code. Return to the terminal."
		}
		opts.Logger.Debug("auth: exchanging the authorization code", "provider", op, "token_url", conf.Endpoint.TokenURL)
		tok, err := conf.Exchange(exCtx, code, oauth2.VerifierOption(exchangeVerifier))
		if err != nil {
			err = convertError(op+": exchange the authorization code", err)
			return callback{err: err}, "Sign-in failed", err.Error() + ". Nothing was stored. Return to the terminal."
		}
		return callback{tok: tok}, "Signed in", "procsync is signed in to " + name + ". You can close this tab and return to the terminal."
	})

	fmt.Fprintf(opts.Out, "Sign in to %s in your browser. If it does not open, open this URL:\n\n  %s\n\nWaiting for the sign-in (up to %s)...\n", name, authURL, opts.Timeout)
	// The opener runs on its own goroutine (xdg-open may not return until
	// the browser does); its outcome is reported from here, so that all
	// writes to Out happen on the caller's goroutine.
	openErr := make(chan error, 1)
	go func() { openErr <- opts.Opener(authURL) }()
	timer := time.NewTimer(opts.Timeout)
	defer timer.Stop()
	for {
		select {
		case err := <-openErr:
			openErr = nil
			if err != nil {
				opts.Logger.Debug("auth: could not open a browser", "err", err)
				fmt.Fprintf(opts.Out, "Could not open a browser (%v): open the URL above yourself.\n", err)
			}
		case res := <-results:
			if res.err != nil {
				return nil, res.err
			}
			return res.tok, nil
		case <-timer.C:
			return nil, fmt.Errorf("%s: sign-in: no answer from the browser after %s (over SSH or without a browser, use --device-code)", op, opts.Timeout)
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: sign-in: %w", op, ctx.Err())
		}
	}
}

// procorePaste is the out-of-band flow: Procore shows the code on its own
// page and the operator pastes it here. There is no callback, so the state
// cannot be checked; PKCE still binds the code to this process.
func procorePaste(ctx context.Context, cfg ProcoreConfig, opts *LoginOptions) (*oauth2.Token, error) {
	const op = "procore: paste-code sign-in"
	conf := cfg.oauthConfig(OOBRedirectURI)
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL(randomState(), oauth2.S256ChallengeOption(verifier))
	fmt.Fprintf(opts.Out, "Open this URL in a browser on any device and sign in to Procore:\n\n  %s\n\nThen paste the code Procore shows: ", authURL)

	lines := make(chan string, 1)
	errs := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(opts.In).ReadString('\n')
		if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
			errs <- err
			return
		}
		lines <- line
	}()
	var code string
	timer := time.NewTimer(opts.Timeout)
	defer timer.Stop()
	select {
	case line := <-lines:
		code = strings.TrimSpace(line)
	case err := <-errs:
		return nil, fmt.Errorf("%s: read the code: %w", op, err)
	case <-timer.C:
		return nil, fmt.Errorf("%s: no code pasted after %s", op, opts.Timeout)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", op, ctx.Err())
	}
	fmt.Fprintln(opts.Out)
	if code == "" {
		return nil, fmt.Errorf("%s: no code was pasted", op)
	}
	if opts.exchangeVerifier != "" {
		verifier = opts.exchangeVerifier
	}
	exCtx := context.WithValue(ctx, oauth2.HTTPClient, opts.HTTPClient)
	tok, err := conf.Exchange(exCtx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, convertError(op+": exchange the code", err)
	}
	return tok, nil
}
