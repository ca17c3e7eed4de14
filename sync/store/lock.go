package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockFileName is the lock file's name inside the state directory.
const LockFileName = "lock"

// errBusy is what the platform tryLock returns when another process holds
// the lock.
var errBusy = errors.New("lock is held")

// Holder identifies the process that holds (or held) the state lock.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
}

// String describes the holder for an operator: "pid 1234 on build-01,
// started 2026-11-27 23:57:01 UTC".
func (h Holder) String() string {
	s := fmt.Sprintf("pid %d", h.PID)
	if h.Host != "" {
		s += " on " + h.Host
	}
	if !h.Started.IsZero() {
		s += ", started " + h.Started.UTC().Format("2006-01-02 15:04:05 MST")
	}
	return s
}

// LockedError is returned by Lock when another process holds the state
// directory's lock. The headless run exits 1 with its message.
type LockedError struct {
	Path string
	// Holder is nil when the lock file could not be read, for example
	// because the other process has locked it but not yet written to it.
	Holder *Holder
}

// Error names the holder and the lock file, for the operator.
func (e *LockedError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("another procsync run holds %s", e.Path)
	}
	return fmt.Sprintf("another procsync run (%s) holds %s", e.Holder, e.Path)
}

// StateLock is an exclusive lock on a state directory, held by this process
// until Unlock. The operating system releases it when the process dies, however
// it dies, so a crashed run never blocks the next one.
type StateLock struct {
	f    *os.File
	path string
	// Stale is the previous holder when this lock took over a lock file
	// left behind by a process that died without releasing it; nil
	// otherwise. The caller logs it: that run was interrupted.
	Stale *Holder
}

// Lock takes the exclusive lock of stateDir (creating the directory 0700 if
// needed), or fails at once with a *LockedError naming the holder. The
// directory is checked first (see PrepareStateDir) and the lock file is
// opened without following a symlink (a *StateDirError otherwise). The lock
// is flock(2) on unix and LockFileEx on Windows; the file's contents (pid,
// host, start time) only serve to explain who holds it.
func Lock(stateDir string) (*StateLock, error) {
	if err := PrepareStateDir(stateDir); err != nil {
		return nil, err
	}
	path := filepath.Join(stateDir, LockFileName)
	f, err := openPrivate(stateDir, LockFileName)
	if err != nil {
		var se *StateDirError
		if errors.As(err, &se) {
			return nil, err
		}
		return nil, fmt.Errorf("lock state directory: %w", err)
	}
	if err := tryLock(f); err != nil {
		prev, _ := readHolder(f)
		_ = f.Close()
		if errors.Is(err, errBusy) {
			return nil, &LockedError{Path: path, Holder: prev}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	l := &StateLock{f: f, path: path}
	// We hold the lock, so whoever wrote the file's contents no longer does:
	// its process died (or lost its lock) without clearing them.
	if prev, err := readHolder(f); err == nil && prev != nil {
		l.Stale = prev
	}
	host, _ := os.Hostname()
	me := Holder{PID: os.Getpid(), Host: host, Started: time.Now().UTC().Truncate(time.Second)}
	b, err := json.Marshal(me)
	if err != nil {
		_ = l.release()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := writeContents(f, append(b, '\n')); err != nil {
		_ = l.release()
		return nil, fmt.Errorf("lock %s: write holder: %w", path, err)
	}
	return l, nil
}

// Path is the lock file's path.
func (l *StateLock) Path() string { return l.path }

// Unlock clears the holder and releases the lock. The file stays: removing
// it would let a process that opened the old file lock a different inode
// than the next one, and both would think they hold the lock.
func (l *StateLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	// An empty file means "released cleanly"; a non-empty one found by the
	// next locker means this process died holding it.
	truncErr := l.f.Truncate(0)
	if err := l.release(); err != nil {
		return fmt.Errorf("unlock %s: %w", l.path, err)
	}
	if truncErr != nil {
		return fmt.Errorf("unlock %s: clear holder: %w", l.path, truncErr)
	}
	return nil
}

func (l *StateLock) release() error {
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// readHolder parses the lock file's contents; nil, nil means empty.
func readHolder(f *os.File) (*Holder, error) {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 4096))
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(string(b)) == "" {
		return nil, nil
	}
	var h Holder
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("parse lock file: %w", err)
	}
	return &h, nil
}

func writeContents(f *os.File, b []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		return err
	}
	return f.Sync()
}
