package engine

import (
	"net/http"

	"procsync/sync/internal/httpx"
)

// BaseHTTPClient returns a client over the transport at the bottom of every
// request a session sends: the Graph and Procore API clients and the token
// endpoint requests alike. Its waits are bounded (dial, TLS handshake, the
// answer's header, each read of its body; see httpx.BaseTransport), so a
// silent server fails the run with an error naming the request instead of
// hanging it. The command line hands it to auth through the context
// (oauth2.HTTPClient).
func BaseHTTPClient() *http.Client {
	return &http.Client{Transport: httpx.BaseTransport()}
}
