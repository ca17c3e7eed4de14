//go:build windows

package store

import (
	"io/fs"
	"os"
)

// checkStateDir has nothing to check on Windows: the default state
// directory is under %LocalAppData%, whose ACL admits only the user, and
// mode bits do not describe Windows ACLs.
func checkStateDir(dir string, fi fs.FileInfo) error { return nil }

// openNoFollow refuses a symlink (or junction) at path before opening it.
// Windows has no O_NOFOLLOW; the Lstat check closes the planted-link case
// this guards against, since only the user can write the directory.
func openNoFollow(path string) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
		return nil, symlinkError(path)
	}
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
