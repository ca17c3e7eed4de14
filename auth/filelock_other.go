//go:build !unix && !windows

package auth

// lockFile is a no-op where procsync has no cross-process file lock (no
// supported desktop or server system): the in-process mutex still holds.
func lockFile(string) (func(), error) { return func() {}, nil }
