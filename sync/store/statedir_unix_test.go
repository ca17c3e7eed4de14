//go:build unix

package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// privateDir returns a new state directory of the test's own, mode 0700.
func privateDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// victim is a file outside the state directory that a planted link points
// at; it must come out of every refusal untouched.
func victim(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(p, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func assertUntouched(t *testing.T, path string) {
	t.Helper()
	if b, err := os.ReadFile(path); err != nil || string(b) != "precious\n" {
		t.Errorf("the link's target now holds %q (%v): it was written through the link", b, err)
	}
}

func TestStateFilesAreNotFollowed(t *testing.T) {
	tests := []struct {
		name string
		link string
		open func(dir string) error
	}{
		{"lock", LockFileName, func(dir string) error {
			l, err := Lock(dir)
			if err == nil {
				l.Unlock()
			}
			return err
		}},
		{"journal", FileName, func(dir string) error {
			s, err := Open(dir)
			if err == nil {
				s.Close()
			}
			return err
		}},
		{"journal wal", FileName + "-wal", func(dir string) error {
			s, err := Open(dir)
			if err == nil {
				s.Close()
			}
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := privateDir(t)
			target := victim(t)
			if err := os.Symlink(target, filepath.Join(dir, tc.link)); err != nil {
				t.Fatal(err)
			}
			err := tc.open(dir)
			var se *StateDirError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *StateDirError refusing the symlink", err)
			}
			if !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), "remove the link") {
				t.Errorf("error %q does not say what is wrong and what to do", err)
			}
			assertUntouched(t, target)
		})
	}
}

func TestStateDirPermissions(t *testing.T) {
	tests := []struct {
		name     string
		mode     os.FileMode
		wantErr  string // "" when accepted
		wantMode os.FileMode
	}{
		{"private", 0o700, "", 0o700},
		{"readable by others is tightened", 0o755, "", 0o700},
		{"group readable is tightened", 0o750, "", 0o700},
		{"group writable", 0o770, "writable by other users (mode 0770)", 0o770},
		{"world writable", 0o703, "writable by other users", 0o703},
		{"world writable sticky", 0o777 | os.ModeSticky, "writable by other users", 0o777},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := privateDir(t)
			if err := os.Chmod(dir, tc.mode); err != nil {
				t.Fatal(err)
			}
			l, err := Lock(dir)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Lock: %v", err)
				}
				l.Unlock()
			} else {
				var se *StateDirError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "chmod 700") {
					t.Fatalf("err = %v, want a *StateDirError saying %q and how to fix it", err, tc.wantErr)
				}
				if _, serr := os.Lstat(filepath.Join(dir, LockFileName)); serr == nil {
					t.Error("the lock file was created in a refused directory")
				}
			}
			fi, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tc.wantMode {
				t.Errorf("mode %04o after Lock, want %04o", fi.Mode().Perm(), tc.wantMode)
			}
		})
	}
}

func TestStateDirOfAnotherUser(t *testing.T) {
	dir := privateDir(t)
	if os.Geteuid() == 0 {
		// Root can give the directory away; nobody's uid is as good as any.
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	} else {
		// Anyone else finds a directory of root's at hand.
		dir = "/"
	}
	_, err := Open(dir)
	var se *StateDirError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "not to you") {
		t.Fatalf("err = %v, want a *StateDirError saying the directory is not the user's", err)
	}
}

func TestStateDirIsCreatedPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("new state directory mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
}
