package config

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Find returns the config file path to use: flag (from --config) if set,
// else $PROCSYNC_CONFIG, else <user config dir>/procsync/config.toml. It
// does not check that the file exists; Load says so with a hint.
func Find(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if env := os.Getenv(ConfigEnv); env != "" {
		return env, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("config: no --config and no $%s, and no user config directory: %w", ConfigEnv, err)
	}
	return filepath.Join(dir, "procsync", "config.toml"), nil
}

// StateDir returns the directory for tokens, the journal and reports:
// flag (from --state-dir) if set, else $PROCSYNC_STATE_DIR, else the
// platform's place for per-user state — $XDG_STATE_HOME/procsync or
// ~/.local/state/procsync on Linux and BSD, ~/Library/Application
// Support/procsync on macOS, %LocalAppData%\procsync on Windows (local, not
// roaming: the journal and token file belong to this machine).
func StateDir(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if env := os.Getenv(StateDirEnv); env != "" {
		return env, nil
	}
	switch runtime.GOOS {
	case "windows":
		// os.UserCacheDir is %LocalAppData% on Windows.
		dir, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("config: state directory: %w", err)
		}
		return filepath.Join(dir, "procsync"), nil
	case "darwin", "ios":
		dir, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("config: state directory: %w", err)
		}
		return filepath.Join(dir, "procsync"), nil
	}
	if x := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		// The XDG spec says relative values are invalid and to be ignored.
		return filepath.Join(x, "procsync"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("config: state directory: no --state-dir, $%s or $XDG_STATE_HOME, and %w", StateDirEnv, err)
	}
	return filepath.Join(home, ".local", "state", "procsync"), nil
}
