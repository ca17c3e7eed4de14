package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

func TestFileStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s := &FileStore{Path: filepath.Join(dir, "tokens.json")}
	if _, err := s.Load("graph"); !errors.Is(err, ErrNoToken) {
		t.Fatalf("Load on an empty store: got %v, want ErrNoToken", err)
	}
	recs := map[string]*Record{
		"graph":   {Provider: Graph, AccessToken: "at-g", RefreshToken: "rt-g", LoginURL: "https://login.microsoftonline.com", SavedAt: time.Unix(100, 0).UTC()},
		"procore": {Provider: Procore, AccessToken: "at-p", RefreshToken: "rt-p", LoginURL: "https://login.procore.com", SavedAt: time.Unix(200, 0).UTC()},
	}
	for k, r := range recs {
		if err := s.Save(k, r); err != nil {
			t.Fatalf("Save %s: %v", k, err)
		}
	}
	fi, err := os.Stat(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode = %v, want 0600", fi.Mode().Perm())
	}
	// tokens.json and the lock file that guards it, nothing else.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if n := e.Name(); n != "tokens.json" && n != "tokens.json.lock" {
			t.Errorf("state dir holds %s: a temporary file left behind?", n)
		}
	}
	for k, want := range recs {
		got, err := s.Load(k)
		if err != nil {
			t.Fatalf("Load %s: %v", k, err)
		}
		if got.AccessToken != want.AccessToken || got.RefreshToken != want.RefreshToken || !got.SavedAt.Equal(want.SavedAt) {
			t.Errorf("Load %s = %+v, want %+v", k, got, want)
		}
	}
	if err := s.Delete("graph"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load("graph"); !errors.Is(err, ErrNoToken) {
		t.Errorf("Load after Delete: got %v, want ErrNoToken", err)
	}
	if _, err := s.Load("procore"); err != nil {
		t.Errorf("Delete of graph lost procore: %v", err)
	}
	if err := s.Delete("procore"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty store left the file behind: %v", err)
	}
	if err := s.Delete("procore"); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}
	if !strings.Contains(s.Kind(), s.Path) || !strings.HasPrefix(s.Kind(), "file") {
		t.Errorf("Kind() = %q", s.Kind())
	}
}

func TestFileStoreMalformed(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tokens.json")
	if err := os.WriteFile(p, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &FileStore{Path: p}
	if _, err := s.Load("graph"); err == nil || errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), p) {
		t.Errorf("Load of a malformed file: %v; want an error naming the file", err)
	}
}

func TestRecordNeverPrintsTokens(t *testing.T) {
	r := Record{Provider: Procore, AccessToken: "secret-access", RefreshToken: "secret-refresh", LoginURL: "https://login.procore.com"}
	for _, s := range []string{r.String(), r.LogValue().String()} {
		if strings.Contains(s, "secret-") {
			t.Errorf("record rendering leaks a token: %s", s)
		}
	}
}

func TestOpenStore(t *testing.T) {
	tests := []struct {
		env      string
		keyring  bool // mock keyring available
		wantKind string
	}{
		{"file", true, "file"},
		{"", true, "keyring"},
		{"keyring", true, "keyring"},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv(StoreEnv, tt.env)
			keyring.MockInit()
			s, err := OpenStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(s.Kind(), tt.wantKind) {
				t.Errorf("Kind() = %q, want %s", s.Kind(), tt.wantKind)
			}
		})
	}
}

func TestFallbackStore(t *testing.T) {
	dir := t.TempDir()
	// A keyring that refuses large values, like Windows Credential Manager.
	keyring.MockInitWithError(keyring.ErrSetDataTooBig)
	s := &fallbackStore{primary: keyringStore{}, file: &FileStore{Path: filepath.Join(dir, "tokens.json")}}
	r := &Record{Provider: Procore, AccessToken: "a", RefreshToken: "r1", SavedAt: time.Now()}
	if err := s.Save("procore", r); err != nil {
		t.Fatalf("Save must fall back to the file: %v", err)
	}
	if !strings.HasPrefix(s.Kind(), "file") {
		t.Errorf("Kind() after a fallback = %q, want file (...)", s.Kind())
	}
	got, err := s.Load("procore")
	if err != nil || got.RefreshToken != "r1" {
		t.Fatalf("Load after fallback = %v, %v", got, err)
	}

	// A working keyring: saves go there and supersede the file entry.
	keyring.MockInit()
	s2 := &fallbackStore{primary: keyringStore{}, file: s.file}
	r2 := &Record{Provider: Procore, AccessToken: "b", RefreshToken: "r2", SavedAt: time.Now()}
	if err := s2.Save("procore", r2); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.file.Load("procore"); !errors.Is(err, ErrNoToken) {
		t.Errorf("the superseded file entry is still there: %v", err)
	}
	got, err = s2.Load("procore")
	if err != nil || got.RefreshToken != "r2" {
		t.Fatalf("Load = %v, %v; want r2", got, err)
	}
	if err := s2.Delete("procore"); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Load("procore"); !errors.Is(err, ErrNoToken) {
		t.Errorf("Load after Delete: %v", err)
	}
}

func TestKeyringTimeout(t *testing.T) {
	old := keyringTimeout
	keyringTimeout = 20 * time.Millisecond
	defer func() { keyringTimeout = old }()
	block := make(chan struct{})
	defer close(block)
	_, err := keyringCall(func() (string, error) { <-block; return "", nil })
	if !errors.Is(err, errKeyringTimeout) {
		t.Errorf("got %v, want errKeyringTimeout", err)
	}
}

// loadProvider returns the one record a FileStore holds for p, whatever the
// config's key, or an error matching ErrNoToken when there is none.
func loadProvider(s Store, p Provider) (*Record, error) {
	fs := s.(*FileStore)
	m, err := fs.read()
	if err != nil {
		return nil, err
	}
	for k, r := range m {
		if strings.HasPrefix(k, string(p)+"/") {
			return r, nil
		}
	}
	return nil, ErrNoToken
}
