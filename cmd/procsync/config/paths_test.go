package config

import (
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakePlatform is goos with exactly the variables in env set, and goos's
// separator: backslash on Windows, slash elsewhere.
func fakePlatform(goos string, env map[string]string) platform {
	join := path.Join
	if goos == "windows" {
		join = func(elem ...string) string { return strings.Join(elem, `\`) }
	}
	return platform{goos: goos, getenv: func(k string) string { return env[k] }, join: join}
}

// TestDefaultPaths checks where each system's config file and state
// directory are, as the README and docs/config.md document them.
func TestDefaultPaths(t *testing.T) {
	winEnv := map[string]string{
		"AppData":      `C:\Users\svc-procsync\AppData\Roaming`,
		"LocalAppData": `C:\Users\svc-procsync\AppData\Local`,
		"USERPROFILE":  `C:\Users\svc-procsync`,
		// Set on some Windows machines by Git or MSYS: must not matter.
		"HOME":            `C:\Users\svc-procsync`,
		"XDG_CONFIG_HOME": `C:\xdg\config`,
		"XDG_STATE_HOME":  `C:\xdg\state`,
	}
	tests := []struct {
		name                string
		goos                string
		env                 map[string]string
		config, state       string
		configErr, stateErr string
	}{
		{
			name:   "windows: roaming config, local state",
			goos:   "windows",
			env:    winEnv,
			config: `C:\Users\svc-procsync\AppData\Roaming\procsync\config.toml`,
			state:  `C:\Users\svc-procsync\AppData\Local\procsync`,
		},
		{
			name:      "windows without a profile",
			goos:      "windows",
			env:       map[string]string{"USERPROFILE": `C:\Users\x`},
			configErr: "%AppData% is not defined",
			stateErr:  "%LocalAppData% is not defined",
		},
		{
			name:   "windows: the variables override",
			goos:   "windows",
			env:    map[string]string{ConfigEnv: `D:\procsync\config.toml`, StateDirEnv: `D:\procsync\state`},
			config: `D:\procsync\config.toml`,
			state:  `D:\procsync\state`,
		},
		{
			name:   "linux: HOME only",
			goos:   "linux",
			env:    map[string]string{"HOME": "/home/ana"},
			config: "/home/ana/.config/procsync/config.toml",
			state:  "/home/ana/.local/state/procsync",
		},
		{
			name:   "linux: XDG directories",
			goos:   "linux",
			env:    map[string]string{"HOME": "/home/ana", "XDG_CONFIG_HOME": "/xdg/config", "XDG_STATE_HOME": "/xdg/state"},
			config: "/xdg/config/procsync/config.toml",
			state:  "/xdg/state/procsync",
		},
		{
			name:      "linux: relative XDG values",
			goos:      "linux",
			env:       map[string]string{"HOME": "/home/ana", "XDG_CONFIG_HOME": "config", "XDG_STATE_HOME": "state"},
			configErr: "path in $XDG_CONFIG_HOME is relative",
			// The state directory ignores the invalid value, as the XDG spec asks.
			state: "/home/ana/.local/state/procsync",
		},
		{
			name:      "linux: no HOME",
			goos:      "linux",
			env:       map[string]string{},
			configErr: "neither $XDG_CONFIG_HOME nor $HOME are defined",
			stateErr:  "$HOME is not defined",
		},
		{
			name:   "linux: the variables override",
			goos:   "linux",
			env:    map[string]string{"HOME": "/home/ana", ConfigEnv: "/etc/procsync/config.toml", StateDirEnv: "/var/lib/procsync"},
			config: "/etc/procsync/config.toml",
			state:  "/var/lib/procsync",
		},
		{
			name:   "freebsd follows the XDG rules",
			goos:   "freebsd",
			env:    map[string]string{"HOME": "/home/ana", "XDG_STATE_HOME": "/xdg/state"},
			config: "/home/ana/.config/procsync/config.toml",
			state:  "/xdg/state/procsync",
		},
		{
			name:   "darwin: Application Support for both; XDG ignored",
			goos:   "darwin",
			env:    map[string]string{"HOME": "/Users/ana", "XDG_CONFIG_HOME": "/xdg/config", "XDG_STATE_HOME": "/xdg/state"},
			config: "/Users/ana/Library/Application Support/procsync/config.toml",
			state:  "/Users/ana/Library/Application Support/procsync",
		},
		{
			name:      "darwin without HOME",
			goos:      "darwin",
			env:       map[string]string{},
			configErr: "$HOME is not defined",
			stateErr:  "$HOME is not defined",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fakePlatform(tt.goos, tt.env)
			check := func(what string, got string, err error, want, wantErr string) {
				t.Helper()
				if wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), wantErr) {
						t.Errorf("%s = %q, %v; want an error containing %q", what, got, err, wantErr)
					}
					return
				}
				if err != nil || got != want {
					t.Errorf("%s = %q, %v; want %q", what, got, err, want)
				}
			}
			got, err := p.find("")
			check("config", got, err, tt.config, tt.configErr)
			got, err = p.stateDir("")
			check("state", got, err, tt.state, tt.stateErr)

			// The flags win over everything, on every system.
			if got, err := p.find("cfg.toml"); got != "cfg.toml" || err != nil {
				t.Errorf("find(flag) = %q, %v", got, err)
			}
			if got, err := p.stateDir("st"); got != "st" || err != nil {
				t.Errorf("stateDir(flag) = %q, %v", got, err)
			}
		})
	}
}

// TestHostPlatformMatchesOS holds the rules above to the standard library
// on the machine running the test, so that moving the choice into platform
// changed no default: Find's directory is os.UserConfigDir's, and on
// Windows StateDir's is os.UserCacheDir's.
func TestHostPlatformMatchesOS(t *testing.T) {
	home := t.TempDir()
	t.Setenv(StateDirEnv, "")
	envs := []map[string]string{
		{"HOME": home, "XDG_CONFIG_HOME": ""},
		{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "xdg")},
		{"HOME": home, "XDG_CONFIG_HOME": "relative"},
		{"HOME": "", "XDG_CONFIG_HOME": ""},
	}
	if runtime.GOOS == "windows" {
		envs = []map[string]string{
			{"AppData": filepath.Join(home, "Roaming"), "LocalAppData": filepath.Join(home, "Local")},
			{"AppData": "", "LocalAppData": ""},
		}
	}
	for _, env := range envs {
		for k, v := range env {
			t.Setenv(k, v)
		}
		p := hostPlatform()
		want, wantErr := os.UserConfigDir()
		got, err := p.userConfigDir()
		if got != want || (err == nil) != (wantErr == nil) {
			t.Errorf("env %v: userConfigDir = %q, %v; os.UserConfigDir = %q, %v", env, got, err, want, wantErr)
		}
		if runtime.GOOS == "windows" {
			cache, cacheErr := os.UserCacheDir()
			state, err := StateDir("")
			if cacheErr == nil && (err != nil || state != filepath.Join(cache, "procsync")) {
				t.Errorf("env %v: StateDir = %q, %v; want under os.UserCacheDir %q", env, state, err, cache)
			}
		}
	}
}
