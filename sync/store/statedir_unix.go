//go:build unix

package store

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// checkStateDir refuses a directory owned by another user or writable by
// group or others, and tightens one only readable by others to 0700.
func checkStateDir(dir string, fi fs.FileInfo) error {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if uid := os.Geteuid(); int(st.Uid) != uid {
			return &StateDirError{Path: dir, Problem: fmt.Sprintf("belongs to uid %d, not to you (uid %d)", st.Uid, uid),
				Fix: "use a directory of your own (--state-dir or $PROCSYNC_STATE_DIR), created by procsync or with mode 0700"}
		}
	}
	perm := fi.Mode().Perm()
	if perm&0o022 != 0 {
		return &StateDirError{Path: dir, Problem: fmt.Sprintf("is writable by other users (mode %04o)", perm),
			Fix: fmt.Sprintf("check it holds nothing you did not put there, then run `chmod 700 %s`", dir)}
	}
	if perm&0o077 != 0 {
		// Readable by others but ours and not writable by them: nothing
		// can have been planted, so make it private and go on.
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("state directory: make %s private (mode 0700): %w", dir, err)
		}
	}
	return nil
}

func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0o600)
}
