package config

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
)

// Find returns the config file path to use: flag (from --config) if set,
// else $PROCSYNC_CONFIG, else <user config dir>/procsync/config.toml
// (%AppData%\procsync\config.toml on Windows). It does not check that the
// file exists; Load says so with a hint.
func Find(flag string) (string, error) { return hostPlatform().find(flag) }

// StateDir returns the directory for tokens, the journal and reports:
// flag (from --state-dir) if set, else $PROCSYNC_STATE_DIR, else the
// platform's place for per-user state — $XDG_STATE_HOME/procsync or
// ~/.local/state/procsync on Linux and BSD, ~/Library/Application
// Support/procsync on macOS, %LocalAppData%\procsync on Windows (local, not
// roaming: the journal and token file belong to this machine).
func StateDir(flag string) (string, error) { return hostPlatform().stateDir(flag) }

// platform is everything the default paths depend on: the operating system,
// its environment and its path separator. Find and StateDir use the running
// one; tests pass others, so that the Windows and macOS rules are checked
// on a Linux CI machine too.
type platform struct {
	goos   string
	getenv func(string) string
	// join builds a path with goos's separator: filepath.Join on the
	// running system.
	join func(elem ...string) string
}

func hostPlatform() platform {
	return platform{goos: runtime.GOOS, getenv: os.Getenv, join: filepath.Join}
}

func (p platform) find(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if env := p.getenv(ConfigEnv); env != "" {
		return env, nil
	}
	dir, err := p.userConfigDir()
	if err != nil {
		return "", fmt.Errorf("config: no --config and no $%s, and no user config directory: %w", ConfigEnv, err)
	}
	return p.join(dir, "procsync", "config.toml"), nil
}

func (p platform) stateDir(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if env := p.getenv(StateDirEnv); env != "" {
		return env, nil
	}
	switch p.goos {
	case "windows":
		// %LocalAppData%, what os.UserCacheDir returns on Windows: the
		// journal and tokens must not roam to other machines with the
		// profile, as %AppData% does.
		dir := p.getenv("LocalAppData")
		if dir == "" {
			return "", errors.New("config: state directory: %LocalAppData% is not defined")
		}
		return p.join(dir, "procsync"), nil
	case "darwin", "ios":
		dir, err := p.userConfigDir()
		if err != nil {
			return "", fmt.Errorf("config: state directory: %w", err)
		}
		return p.join(dir, "procsync"), nil
	}
	if x := p.getenv("XDG_STATE_HOME"); path.IsAbs(x) {
		// The XDG spec says relative values are invalid and to be ignored.
		return p.join(x, "procsync"), nil
	}
	home, err := p.userHomeDir()
	if err != nil {
		return "", fmt.Errorf("config: state directory: no --state-dir, $%s or $XDG_STATE_HOME, and %w", StateDirEnv, err)
	}
	return p.join(home, ".local", "state", "procsync"), nil
}

// userConfigDir is os.UserConfigDir for p.goos, with the same messages;
// TestHostPlatformMatchesOS holds it to the standard library on the
// running system. Unix paths are checked with package path, which is what
// filepath does there, so the answer does not depend on the test machine.
func (p platform) userConfigDir() (string, error) {
	switch p.goos {
	case "windows":
		dir := p.getenv("AppData")
		if dir == "" {
			return "", errors.New("%AppData% is not defined")
		}
		return dir, nil
	case "darwin", "ios":
		dir := p.getenv("HOME")
		if dir == "" {
			return "", errors.New("$HOME is not defined")
		}
		return dir + "/Library/Application Support", nil
	case "plan9":
		dir := p.getenv("home")
		if dir == "" {
			return "", errors.New("$home is not defined")
		}
		return dir + "/lib", nil
	}
	dir := p.getenv("XDG_CONFIG_HOME")
	if dir == "" {
		dir = p.getenv("HOME")
		if dir == "" {
			return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME are defined")
		}
		return dir + "/.config", nil
	}
	if !path.IsAbs(dir) {
		return "", errors.New("path in $XDG_CONFIG_HOME is relative")
	}
	return dir, nil
}

// userHomeDir is os.UserHomeDir for the systems that reach it from
// stateDir (not Windows, macOS or iOS, which have their own rules there).
func (p platform) userHomeDir() (string, error) {
	env, enverr := "HOME", "$HOME"
	if p.goos == "plan9" {
		env, enverr = "home", "$home"
	}
	if v := p.getenv(env); v != "" {
		return v, nil
	}
	if p.goos == "android" {
		return "/sdcard", nil
	}
	return "", errors.New(enverr + " is not defined")
}
