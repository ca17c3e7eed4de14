package httpx

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Bounds of the base transport. Each one turns a server (or a network
// path) that stops answering into an error naming the request, instead of
// a run that hangs until the scheduler kills it.
const (
	// DialTimeout bounds connecting (DNS and TCP).
	DialTimeout = 30 * time.Second
	// TLSHandshakeTimeout bounds the TLS handshake.
	TLSHandshakeTimeout = 15 * time.Second
	// ResponseHeaderTimeout bounds the wait for an answer's header once
	// the request is sent. Procore answers 408 itself when a page takes
	// too long to build, and Graph's own gateway gives up well before
	// two minutes; a longer silence is a stalled connection.
	ResponseHeaderTimeout = 2 * time.Minute
	// BodyStallTimeout bounds the silence between two reads of an
	// answer's body: a server that sends a header and then trickles (or
	// stops) would otherwise hold a read open forever.
	BodyStallTimeout = 2 * time.Minute
)

// ErrStalled is matched (errors.Is) by the read error of an answer body
// that sent nothing for BodyStallTimeout.
var ErrStalled = errors.New("the answer stalled")

// BaseTransport returns the transport at the bottom of every request
// procsync sends to the services: both API clients and the token endpoint
// requests go through it. It is http.DefaultTransport's configuration
// (proxy from the environment, HTTP/2, connection reuse) with every wait
// bounded: dialling, the TLS handshake, the answer's header
// (ResponseHeaderTimeout) and each read of its body (BodyStallTimeout).
// Each call returns a new transport with its own connection pool.
func BaseTransport() http.RoundTripper {
	t := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   DialTimeout,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   TLSHandshakeTimeout,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: ResponseHeaderTimeout,
	}
	return &stallGuard{base: t, idle: BodyStallTimeout}
}

// stallGuard closes an answer's body when no read of it makes progress
// within idle, so that the reader gets an error instead of waiting on a
// silent connection.
type stallGuard struct {
	base http.RoundTripper
	idle time.Duration
}

// RoundTrip implements http.RoundTripper.
func (g *stallGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := g.base.RoundTrip(req)
	if err != nil || resp.Body == nil || resp.Body == http.NoBody {
		return resp, err
	}
	resp.Body = newStallBody(resp.Body, g.idle, req.Method+" "+req.URL.RequestURI())
	return resp, nil
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// pool underneath.
func (g *stallGuard) CloseIdleConnections() {
	if c, ok := g.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

type stallBody struct {
	rc      io.ReadCloser
	idle    time.Duration
	request string

	mu      sync.Mutex
	timer   *time.Timer
	stalled bool
}

func newStallBody(rc io.ReadCloser, idle time.Duration, request string) *stallBody {
	b := &stallBody{rc: rc, idle: idle, request: request}
	b.timer = time.AfterFunc(idle, b.stall)
	return b
}

func (b *stallBody) stall() {
	b.mu.Lock()
	b.stalled = true
	b.mu.Unlock()
	// Closing the body makes a blocked Read return at once.
	b.rc.Close()
}

// Read implements io.Reader; every read that returns data restarts the
// clock.
func (b *stallBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.mu.Lock()
	stalled := b.stalled
	b.mu.Unlock()
	if stalled {
		return n, fmt.Errorf("%s: %w: nothing arrived for %s", b.request, ErrStalled, b.idle)
	}
	if n > 0 {
		b.timer.Reset(b.idle)
	}
	if err != nil {
		b.timer.Stop()
	}
	return n, err
}

// Close implements io.Closer.
func (b *stallBody) Close() error {
	b.timer.Stop()
	return b.rc.Close()
}
