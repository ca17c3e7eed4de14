package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
	"golang.org/x/oauth2"
)

// Record is what procsync stores per provider: the token pair and the
// endpoint it belongs to, so that a sign-in to a sandbox is never used
// against production (or one cloud's token against another).
type Record struct {
	Provider     Provider  `json:"provider"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry"`
	// LoginURL and Tenant identify where the tokens were issued.
	LoginURL string `json:"login_url"`
	Tenant   string `json:"tenant,omitempty"`
	ClientID string `json:"client_id"`
	// APIURL is the API base the tokens were obtained for: the only host
	// they are sent to. A config whose api_url differs is refused rather
	// than trusted with the tokens. Empty in records written before
	// procsync stored it; the first use binds them.
	APIURL string `json:"api_url,omitempty"`
	// CompanyID is the Procore company of the config that signed in.
	CompanyID int64 `json:"company_id,omitempty"`
	// Scopes are the delegated scopes the sign-in asked for (Graph). A
	// refresh asks for these again, never for more: the identity platform
	// refuses a refresh for a scope the user has not consented to.
	Scopes []string `json:"scopes,omitempty"`
	// Account is a display name for the signed-in user when the sign-in
	// told us (from the id token), for status without a network call.
	Account string    `json:"account,omitempty"`
	SavedAt time.Time `json:"saved_at"`
}

// String never shows the tokens, so that a Record printed by mistake leaks
// nothing.
func (r Record) String() string {
	return fmt.Sprintf("%s token for %s from %s (client %s, expires %s, refresh token: %t)",
		r.Provider, r.APIURL, r.LoginURL, r.ClientID, r.Expiry.Format(time.RFC3339), r.RefreshToken != "")
}

// LogValue keeps the tokens out of slog output.
func (r Record) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("provider", string(r.Provider)),
		slog.String("login_url", r.LoginURL),
		slog.String("api_url", r.APIURL),
		slog.Time("expiry", r.Expiry),
		slog.Bool("has_refresh_token", r.RefreshToken != ""),
	)
}

func (r *Record) token() *oauth2.Token {
	return &oauth2.Token{AccessToken: r.AccessToken, RefreshToken: r.RefreshToken, TokenType: r.TokenType, Expiry: r.Expiry}
}

// Store keeps one Record per key. procsync keys records by provider,
// tenant or company, and login host (for example
// "graph/contoso.onmicrosoft.com@login.microsoftonline.com"); installs
// from before that used the provider name alone, which is still read.
// Implementations are safe for concurrent use.
type Store interface {
	// Load returns the record stored under key, or an error matching
	// ErrNoToken when there is none.
	Load(key string) (*Record, error)
	// Save replaces the record under key. When Save returns nil, the record
	// survives a crash of the process.
	Save(key string, r *Record) error
	// Delete removes the record; deleting a missing key is not an error.
	Delete(key string) error
	// Kind says where the tokens are, for status: "keyring" or "file (PATH)".
	Kind() string
}

// StoreEnv is the environment variable that forces the file store when set
// to "file" (CI and tests), or the keyring when set to "keyring".
const StoreEnv = "PROCSYNC_TOKEN_STORE"

// keyringService is the service name under which procsync's entries appear
// in the OS keyring.
const keyringService = "procsync"

// keyringTimeout bounds every keyring call: a locked or absent Secret
// Service on Linux can block a D-Bus call for a long time.
var keyringTimeout = 3 * time.Second

// OpenStore returns the token store to use: the OS keyring when it answers
// within a few seconds, else the file tokens.json in stateDir. A keyring
// that fails later (too large a value on Windows, a locked collection) makes
// that call fall back to the file too, so a rotated Procore refresh token is
// never lost.
func OpenStore(stateDir string) (Store, error) {
	if stateDir == "" {
		return nil, errors.New("token store: no state directory (set --state-dir or PROCSYNC_STATE_DIR)")
	}
	file := &FileStore{Path: filepath.Join(stateDir, "tokens.json")}
	switch os.Getenv(StoreEnv) {
	case "file":
		return file, nil
	case "keyring":
		return &fallbackStore{primary: keyringStore{}, file: file}, nil
	}
	if _, err := keyringCall(func() (string, error) { return keyring.Get(keyringService, "probe") }); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		slog.Debug("auth: keyring unavailable, using the token file", "path", file.Path, "err", err)
		return file, nil
	}
	return &fallbackStore{primary: keyringStore{}, file: file}, nil
}

// errKeyringTimeout is returned when the keyring does not answer in time.
var errKeyringTimeout = errors.New("keyring did not answer in time")

// keyringCall runs f with keyringTimeout. A call that times out keeps
// running in its goroutine; there is no way to cancel a D-Bus call, and
// leaking one goroutine beats hanging the sign-in.
func keyringCall(f func() (string, error)) (string, error) {
	type result struct {
		v   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), keyringTimeout)
	defer cancel()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return "", errKeyringTimeout
	}
}

type keyringStore struct{}

func (keyringStore) Load(key string) (*Record, error) {
	v, err := keyringCall(func() (string, error) { return keyring.Get(keyringService, key) })
	if errors.Is(err, keyring.ErrNotFound) {
		return nil, fmt.Errorf("keyring: %s: %w", key, ErrNoToken)
	}
	if err != nil {
		return nil, fmt.Errorf("keyring: load %s: %w", key, err)
	}
	var r Record
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return nil, fmt.Errorf("keyring: load %s: malformed entry: %w", key, err)
	}
	return &r, nil
}

func (keyringStore) Save(key string, r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("keyring: save %s: %w", key, err)
	}
	_, err = keyringCall(func() (string, error) { return "", keyring.Set(keyringService, key, string(b)) })
	if err != nil {
		return fmt.Errorf("keyring: save %s: %w", key, err)
	}
	return nil
}

func (keyringStore) Delete(key string) error {
	_, err := keyringCall(func() (string, error) { return "", keyring.Delete(keyringService, key) })
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("keyring: delete %s: %w", key, err)
	}
	return nil
}

func (keyringStore) Kind() string { return "keyring" }

// fallbackStore uses the keyring and falls back to the file per call. Once a
// save has gone to the file, the file is where that key lives; Load prefers
// the newer of the two so a stale keyring entry never wins.
type fallbackStore struct {
	primary Store
	file    *FileStore

	mu       sync.Mutex
	usedFile bool
}

func (s *fallbackStore) Load(key string) (*Record, error) {
	kr, kerr := s.primary.Load(key)
	fr, ferr := s.file.Load(key)
	switch {
	case kerr == nil && ferr == nil:
		if fr.SavedAt.After(kr.SavedAt) {
			return fr, nil
		}
		return kr, nil
	case kerr == nil:
		return kr, nil
	case ferr == nil:
		return fr, nil
	case errors.Is(kerr, ErrNoToken) && errors.Is(ferr, ErrNoToken):
		return nil, kerr
	case !errors.Is(ferr, ErrNoToken):
		return nil, ferr
	}
	return nil, kerr
}

func (s *fallbackStore) Save(key string, r *Record) error {
	if err := s.primary.Save(key, r); err != nil {
		slog.Debug("auth: keyring save failed, using the token file", "key", key, "err", err)
		s.mu.Lock()
		s.usedFile = true
		s.mu.Unlock()
		if ferr := s.file.Save(key, r); ferr != nil {
			return fmt.Errorf("%w (and %w)", err, ferr)
		}
		return nil
	}
	// A successful keyring save supersedes an older file entry.
	if err := s.file.Delete(key); err != nil {
		slog.Debug("auth: could not remove the superseded token file entry", "key", key, "err", err)
	}
	return nil
}

func (s *fallbackStore) Delete(key string) error {
	return errors.Join(s.primary.Delete(key), s.file.Delete(key))
}

func (s *fallbackStore) Kind() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.usedFile {
		return s.file.Kind()
	}
	return s.primary.Kind()
}

// FileStore keeps records in one JSON file, readable by its owner only. It
// is written atomically (a temporary file in the same directory, then a
// rename), so a crash leaves either the old or the new file, never half.
// Every read-modify-write holds an exclusive lock on PATH.lock that other
// processes respect (flock, LockFileEx): a TUI and a scheduled run that
// rotate Procore's single-use refresh tokens at the same moment must not
// overwrite each other's pair.
type FileStore struct {
	// Path is the JSON file, normally {state dir}/tokens.json.
	Path string

	mu sync.Mutex
}

// Kind implements Store.
func (s *FileStore) Kind() string { return "file (" + s.Path + ")" }

func (s *FileStore) read() (map[string]*Record, error) {
	b, err := os.ReadFile(s.Path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]*Record{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	m := map[string]*Record{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("token file %s: malformed: %w", s.Path, err)
	}
	return m, nil
}

func (s *FileStore) write(m map[string]*Record) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	dir := filepath.Dir(s.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("token file: create %s: %w", dir, err)
	}
	// CreateTemp makes the file 0600 from the start: the tokens are never
	// readable by others, not even for a moment.
	f, err := os.CreateTemp(dir, ".tokens-*.json")
	if err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("token file: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("token file: write %s: %w", tmp, err)
	}
	// Sync before rename: a rotated Procore refresh token must survive a
	// power cut once Save has returned.
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("token file: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	if err := os.Rename(tmp, s.Path); err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: persists the rename on Linux file systems
		d.Close()
	}
	return nil
}

// Load implements Store.
func (s *FileStore) Load(key string) (*Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.read()
	if err != nil {
		return nil, err
	}
	r, ok := m[key]
	if !ok || r == nil {
		return nil, fmt.Errorf("token file %s: %s: %w", s.Path, key, ErrNoToken)
	}
	return r, nil
}

// lock serialises read-modify-write cycles in this process (mu) and
// across processes (the lock file).
func (s *FileStore) lock() (func(), error) {
	s.mu.Lock()
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("token file: create %s: %w", filepath.Dir(s.Path), err)
	}
	unlock, err := lockFile(s.Path + ".lock")
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	return func() { unlock(); s.mu.Unlock() }, nil
}

// Save implements Store.
func (s *FileStore) Save(key string, r *Record) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	m, err := s.read()
	if err != nil {
		return err
	}
	m[key] = r
	return s.write(m)
}

// Delete implements Store.
func (s *FileStore) Delete(key string) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	m, err := s.read()
	if err != nil {
		return err
	}
	if _, ok := m[key]; !ok {
		return nil
	}
	delete(m, key)
	if len(m) == 0 {
		if err := os.Remove(s.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("token file: %w", err)
		}
		return nil
	}
	return s.write(m)
}
