// Package auth signs procsync in to Microsoft Graph (through the Microsoft
// identity platform) and to Procore, stores the resulting tokens, and hands
// out oauth2.TokenSources and *http.Clients to the API clients.
//
// Interactive sign-in uses the authorization code flow with PKCE (S256) and a
// random state, received on a loopback listener that serves one callback and
// closes (LoginGraph, LoginProcore). Without a browser, Graph uses the device
// code flow and Procore the out-of-band flow where the operator pastes the
// code. Headless runs use client credentials when a client secret is
// configured, otherwise the refresh tokens a previous login stored.
//
// Tokens live in the OS keyring when one answers, otherwise in a 0600 JSON
// file in the state directory, locked across processes while it is
// rewritten (OpenStore). Each config's sign-in has its own entry, keyed by
// provider, tenant or company, and login host, and is bound to the API host
// it was made for. Procore refresh tokens are single-use, so every rotated
// pair is saved before the new access token is handed to anybody.
//
// Tokens go only where they belong: the clients HTTPClient builds add the
// bearer token only to requests for the configured API host and refuse
// redirects to any other scheme or host; token, refresh, device code and
// revoke requests follow no redirect at all. No token, code, verifier or
// secret is ever logged or put into an error message.
package auth
