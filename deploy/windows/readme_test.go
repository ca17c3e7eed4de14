package windows

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"procsync/cmd/procsync/config"
)

const windowsHeading = "## Run on Windows (Task Scheduler)"

var (
	cmdkeyRE   = regexp.MustCompile(`cmdkey /generic:(\S+) /user:\S+ (/pass\S*)`)
	targetRE   = regexp.MustCompile(`'(procsync/[a-z-]+)'`)
	schtasksRE = regexp.MustCompile(`schtasks /create /xml (\S+) /tn \S+ /ru \S+ /rp (\S+)`)
	fileRE     = regexp.MustCompile(`deploy[\\/]windows[\\/]([A-Za-z0-9._-]+)`)
)

// checkREADME wants the README's Windows section to show the two install
// commands (storing the secrets with cmdkey, registering the task with
// schtasks) against files and names that exist, and to say where config,
// state and results are and what S4U costs.
func checkREADME(section, wrapper string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	var targets []string
	for _, m := range cmdkeyRE.FindAllStringSubmatch(section, -1) {
		targets = append(targets, m[1])
		if m[2] != "/pass" {
			bad("README: %q puts the secret on the command line; plain /pass makes cmdkey ask for it", m[0])
		}
		if !strings.Contains(wrapper, "'"+m[1]+"'") {
			bad("README stores %s, which %s does not read", m[1], wrapperFile)
		}
	}
	for _, m := range targetRE.FindAllStringSubmatch(wrapper, -1) {
		if !slices.Contains(targets, m[1]) {
			bad("%s reads %s, but the README has no cmdkey command storing it", wrapperFile, m[1])
		}
	}

	if m := schtasksRE.FindStringSubmatch(section); m == nil {
		bad("README: no `schtasks /create /xml FILE /tn NAME /ru ACCOUNT /rp *` command")
	} else {
		if m[2] != "*" {
			bad("README: /rp %s: use /rp * so that schtasks asks for the password", m[2])
		}
		if got := strings.ReplaceAll(m[1], `\`, "/"); got != "deploy/windows/"+taskFile {
			bad("README registers %s, want deploy\\windows\\%s", m[1], taskFile)
		}
	}

	// Every file of deploy/windows the section names exists.
	for _, m := range fileRE.FindAllStringSubmatch(section, -1) {
		if _, err := os.Stat(m[1]); err != nil {
			bad("README names %s: %v", m[0], err)
		}
	}
	for _, want := range []string{
		`%AppData%\procsync\config.toml`, `%LocalAppData%\procsync`, // where config and state live
		"procsync history", `logs\runs.jsonl`, "Last Run Result", // how to see the result
		"S4U", "Credential Manager", // the logon type's trade-off
	} {
		if !strings.Contains(section, want) {
			bad("README's Windows section does not mention %s", want)
		}
	}
	return append(errs, secretsIn("README's Windows section", section)...)
}

// TestREADMEInstallSteps holds the README's Windows section to checkREADME.
func TestREADMEInstallSteps(t *testing.T) {
	for _, err := range checkREADME(readmeSection(t, windowsHeading), string(read(t, wrapperFile))) {
		t.Error(err)
	}
}

// TestREADMECheckFails changes the README's commands in the ways that
// would mislead an admin and wants checkREADME to notice each one.
func TestREADMECheckFails(t *testing.T) {
	section := readmeSection(t, windowsHeading)
	wrapper := string(read(t, wrapperFile))
	tests := []struct{ name, old, new string }{
		{"secret on the command line", "procsync/graph-client-secret /user:procsync /pass", "procsync/graph-client-secret /user:procsync /pass:Zx8Q~abcd"},
		{"a target the wrapper does not read", "cmdkey /generic:procsync/graph-client-secret", "cmdkey /generic:procsync/graph-secret"},
		{"a secret left without a command", "cmdkey /generic:procsync/procore-client-secret", "cmdkey /list:procsync/procore-client-secret"},
		{"no schtasks command", "schtasks /create /xml", "schtasks /query /xml"},
		{"password given to schtasks", "/rp *", "/rp Winter2026"},
		{"another task file", `/xml deploy\windows\procsync-task.xml`, `/xml deploy\windows\task.xml`},
		{"a file that does not exist", "deploy\\windows\\run-procsync.ps1", "deploy\\windows\\run.ps1"},
		{"state in the wrong place", `%LocalAppData%\procsync`, `%ProgramData%\procsync`},
		{"no way to see the result", "Last Run Result", "last result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(section, tt.old) {
				t.Fatalf("the README's Windows section no longer contains %q: update this mutation", tt.old)
			}
			changed := strings.ReplaceAll(section, tt.old, tt.new)
			if errs := checkREADME(changed, wrapper); len(errs) == 0 {
				t.Errorf("checkREADME accepted the section with %q replaced by %q", tt.old, tt.new)
			}
		})
	}
}

// TestWrapperUsesProcsyncNames checks run-procsync.ps1 against the names
// procsync reads (cmd/procsync/config) and the run it must start.
func TestWrapperUsesProcsyncNames(t *testing.T) {
	wrapper := string(read(t, wrapperFile))
	for _, want := range []string{
		"'" + config.GraphSecretEnv + "'", "'" + config.ProcoreSecretEnv + "'",
		"$env:" + config.StateDirEnv, "$env:" + config.ConfigEnv,
		"'--auto', '--json'", "exit $code", "CredReadW",
	} {
		if !strings.Contains(wrapper, want) {
			t.Errorf("%s does not contain %s", wrapperFile, want)
		}
	}
	// A transcript would copy the environment-setting steps into a file.
	if strings.Contains(strings.ToLower(wrapper), "start-transcript") {
		t.Errorf("%s starts a transcript", wrapperFile)
	}
}

// readmeSection returns the README from heading up to the next heading of
// the same level.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	readme := string(read(t, filepath.Join("..", "..", "README.md")))
	start := strings.Index(readme, "\n"+heading+"\n")
	if start < 0 {
		t.Fatalf("README.md has no %q section", heading)
	}
	rest := readme[start+1+len(heading):]
	level := heading[:strings.IndexByte(heading, ' ')+1]
	if end := strings.Index(rest, "\n"+level); end >= 0 {
		rest = rest[:end]
	}
	return rest
}
