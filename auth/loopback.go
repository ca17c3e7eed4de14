package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"procsync/internal/safetext"
)

// loopback is the one-shot HTTP server that receives the authorization
// redirect. It listens on loopback addresses only: 127.0.0.1, plus [::1] on
// the same port when the redirect host is "localhost", because a browser may
// resolve localhost to either.
type loopback struct {
	listeners []net.Listener
	port      int
	path      string
	srv       *http.Server
}

// listenGraph picks a random free port: the identity platform ignores the
// port of an http://localhost redirect (RFC 8252). The browser may resolve
// localhost to [::1], so the same port is bound there too; when another
// program holds it on [::1], a new port is tried rather than letting that
// program receive the code.
func listenGraph() (*loopback, error) {
	var lastErr error
	for range 10 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("listen on 127.0.0.1: %w", err)
		}
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		lb := &loopback{listeners: []net.Listener{ln}, path: "/"}
		lb.port, _ = strconv.Atoi(port)
		ln6, err := listenIPv6(port)
		if err == nil {
			if ln6 != nil {
				lb.listeners = append(lb.listeners, ln6)
			}
			return lb, nil
		}
		ln.Close()
		lastErr = err
	}
	return nil, lastErr
}

// listenIPv6 binds [::1]:port. It returns a nil listener and no error when
// this machine has no IPv6 loopback, and an error when it has one but the
// port is taken: someone else listening there would receive the callback
// of every browser that resolves localhost to [::1].
func listenIPv6(port string) (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("::1", port))
	if err == nil {
		return ln, nil
	}
	probe, perr := net.Listen("tcp", "[::1]:0")
	if perr != nil {
		return nil, nil // no IPv6 loopback: 127.0.0.1 alone is fine
	}
	probe.Close()
	return nil, fmt.Errorf("port %s is taken on [::1] by another program, which would receive the sign-in's answer: %w", port, err)
}

// listenRedirect binds the fixed port of a registered redirect URI such as
// http://localhost:8765/callback; Procore matches redirect URIs exactly.
func listenRedirect(redirect string) (*loopback, error) {
	u, err := url.Parse(redirect)
	if err != nil {
		return nil, fmt.Errorf("redirect uri %q: %w", redirect, err)
	}
	if u.Scheme != "http" || !isLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("redirect uri %q: the browser sign-in needs an http://localhost:PORT/... redirect (use --device-code for the paste-code flow)", redirect)
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	lb := &loopback{path: u.Path}
	if lb.path == "" {
		lb.path = "/"
	}
	lb.port, _ = strconv.Atoi(port)
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("listen on %s for redirect uri %s: %w (is another sign-in running?)", net.JoinHostPort(host, port), redirect, err)
	}
	lb.listeners = append(lb.listeners, ln)
	if strings.EqualFold(u.Hostname(), "localhost") {
		// The port actually bound (port may be "0" in tests).
		ln6, err := listenIPv6(strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("redirect uri %s: %w", redirect, err)
		}
		if ln6 != nil {
			lb.listeners = append(lb.listeners, ln6)
		}
	}
	return lb, nil
}

func (lb *loopback) close() {
	if lb.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		// Shutdown lets the result page finish writing before the listener goes.
		_ = lb.srv.Shutdown(ctx)
		return
	}
	for _, ln := range lb.listeners {
		ln.Close()
	}
}

// callback is what the one handled request produced.
type callback struct {
	tok *oauth2.Token // on success
	err error
}

// serve starts the server. Only a request on the redirect path that
// carries our state counts: one with another state (a stale tab, a forged
// link) is answered 400 and ignored, so it can neither end the sign-in nor
// use up the handler. handle is called for the first request with the
// right state; it returns the page title and message and the result to
// report. Later requests get a short "already done" page, so a reload
// cannot start a second exchange.
func (lb *loopback) serve(log *slog.Logger, state string, handle func(q url.Values) (callback, string, string)) <-chan callback {
	results := make(chan callback, 1)
	var once sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != lb.path {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		if q.Get("code") == "" && q.Get("error") == "" && q.Get("state") == "" {
			http.NotFound(w, r)
			return
		}
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
			log.Debug("auth: ignored a callback with a foreign state", "path", r.URL.Path)
			writePage(w, http.StatusBadRequest, "Sign-in refused",
				"This callback does not belong to the sign-in procsync started (state mismatch). It was ignored and nothing was stored.", false)
			return
		}
		handled := false
		once.Do(func() {
			handled = true
			log.Debug("auth: callback received", "path", r.URL.Path, "has_code", q.Get("code") != "", "error", safetext.Line(q.Get("error")))
			res, title, msg := handle(q)
			status := http.StatusOK
			if res.err != nil {
				status = http.StatusBadRequest
			}
			writePage(w, status, title, msg, res.err == nil)
			results <- res
		})
		if !handled {
			writePage(w, http.StatusConflict, "Already handled", "This sign-in has already been handled. Return to the terminal.", false)
		}
	})
	lb.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	for _, ln := range lb.listeners {
		log.Debug("auth: waiting for the sign-in callback", "addr", ln.Addr().String())
		go func(ln net.Listener) {
			if err := lb.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Debug("auth: callback listener stopped", "addr", ln.Addr().String(), "err", err)
			}
		}(ln)
	}
	return results
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>procsync: {{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;color:#222}
h1{font-size:1.4em;color:{{if .OK}}#1C6EA4{{else}}#B00020{{end}}}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>
`))

// writePage renders the browser page. html/template escapes the message,
// which may carry the provider's error description.
func writePage(w http.ResponseWriter, status int, title, msg string, ok bool) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, struct {
		Title, Message string
		OK             bool
	}{title, msg, ok})
}
