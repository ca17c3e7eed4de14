package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// StateDirError is a state directory (or a file in it) that procsync
// refuses to use: it holds the journal, the lock and the reports, which
// name every person procsync touched, and another user able to write there
// could plant a symlink that makes procsync overwrite a file of theirs
// choosing or read a journal of theirs.
type StateDirError struct {
	// Path is the directory or file refused.
	Path string
	// Problem says what is wrong with it.
	Problem string
	// Fix says what to do.
	Fix string
}

// Error names the path, the problem and the fix.
func (e *StateDirError) Error() string {
	return fmt.Sprintf("state directory: %s %s; %s", e.Path, e.Problem, e.Fix)
}

// PrepareStateDir creates the state directory 0700 if needed, tightens one
// of the user's own that is readable by others to 0700 (os.MkdirAll never
// changes an existing directory), and refuses, with a *StateDirError, a
// directory that belongs to another user or that others may write to.
// Open and Lock call it; a command may call it first to fail early.
func PrepareStateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state directory: create %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	if !fi.IsDir() {
		return &StateDirError{Path: dir, Problem: "is not a directory",
			Fix: "point --state-dir or $PROCSYNC_STATE_DIR at a directory"}
	}
	return checkStateDir(dir, fi)
}

// openPrivate opens (creating 0600 if needed) the file name in the state
// directory for reading and writing without following a symlink: a link
// planted there would otherwise make procsync truncate or write whatever
// it points to.
func openPrivate(dir, name string) (*os.File, error) {
	path := filepath.Join(dir, name)
	f, err := openNoFollow(path)
	if err != nil {
		if isSymlinkRefusal(path, err) {
			return nil, symlinkError(path)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &StateDirError{Path: path, Problem: "is not a regular file",
			Fix: "remove it and run procsync again"}
	}
	return f, nil
}

// refuseSymlinks fails when one of the names in dir is a symlink. SQLite
// opens its files by name, so the journal's -wal and -shm companions are
// checked before every open.
func refuseSymlinks(dir string, names ...string) error {
	for _, n := range names {
		path := filepath.Join(dir, n)
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return symlinkError(path)
		}
	}
	return nil
}

// isSymlinkRefusal reports whether err from openNoFollow came from a
// symlink at path (ELOOP on unix) rather than from something else.
func isSymlinkRefusal(path string, err error) bool {
	fi, lerr := os.Lstat(path)
	return lerr == nil && fi.Mode()&fs.ModeSymlink != 0 && err != nil
}

func symlinkError(path string) error {
	return &StateDirError{Path: path, Problem: "is a symbolic link, which procsync never follows in its state directory",
		Fix: "remove the link (and find out who made it: the directory should be writable by you alone), then run procsync again"}
}
