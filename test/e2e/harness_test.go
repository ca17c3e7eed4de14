package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"procsync/sync/sim"
)

// demoSeed is the seed `procsync demo` generates its tenant from by default.
const demoSeed = 1

// simProc is a `procsync demo --serve` process and the environment that
// points procsync at it.
type simProc struct {
	URL      string
	Config   string // path of the written config
	StateDir string
	Members  int
	env      []string
}

// startSim serves a simulated tenant of members license-group members in
// its own process, with a fresh state directory, until the test ends.
func startSim(t *testing.T, members int) *simProc {
	t.Helper()
	dir := t.TempDir()
	p := &simProc{Config: filepath.Join(dir, "config.toml"), StateDir: filepath.Join(dir, "state"), Members: members}
	errOut := &syncWriter{w: &bytes.Buffer{}}
	cmd := exec.Command(bin, "demo", "--serve", "127.0.0.1:0", "--write-config", p.Config, "--users", strconv.Itoa(members))
	cmd.Stdout = io.Discard
	cmd.Stderr = errOut
	cmd.Env = baseEnv()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start demo --serve: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	urlRE := regexp.MustCompile(`(?m)^api_url = "(http://127\.0\.0\.1:[0-9]+)/graph"`)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if b, err := os.ReadFile(p.Config); err == nil {
			if m := urlRE.FindSubmatch(b); m != nil {
				p.URL = string(m[1])
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo --serve wrote no config within 15 s; stderr:\n%s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.env = append(baseEnv(),
		"PROCSYNC_CONFIG="+p.Config,
		"PROCSYNC_STATE_DIR="+p.StateDir,
		"PROCSYNC_TOKEN_STORE=file",
		"PROCSYNC_GRAPH_CLIENT_SECRET="+sim.GraphClientSecret,
		"PROCSYNC_PROCORE_CLIENT_SECRET="+sim.ProcoreClientSecret,
	)
	return p
}

// baseEnv is the test's environment without any PROCSYNC_ setting, so that
// the developer's own config or secrets never leak into a test.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PROCSYNC_") {
			env = append(env, kv)
		}
	}
	return append(env, "NO_COLOR=1")
}

// syncWriter lets a child process write to a buffer the test reads later.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// result is a finished procsync process.
type result struct {
	Code           int
	Stdout, Stderr string
}

// command prepares `procsync args…` in the simulator's environment, with
// extra environment settings (NAME=value, or NAME= to remove one).
func (p *simProc) command(ctx context.Context, extraEnv []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	env := slices.Clone(p.env)
	for _, kv := range extraEnv {
		name, val, _ := strings.Cut(kv, "=")
		env = slices.DeleteFunc(env, func(e string) bool { return strings.HasPrefix(e, name+"=") })
		if val != "" {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	return cmd
}

// run runs procsync to the end and returns its exit code and output.
func (p *simProc) run(t *testing.T, extraEnv []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := p.command(ctx, extraEnv, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{Stdout: out.String(), Stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.Code = ee.ExitCode()
	default:
		t.Fatalf("procsync %s: %v\nstderr:\n%s", strings.Join(args, " "), err, r.Stderr)
	}
	return r
}

// setConfig replaces the first config line that starts with key (e.g.
// "max_creates =" or "# project_ids") by line; a key no line starts with
// fails the test.
func (p *simProc) setConfig(t *testing.T, key, line string) {
	t.Helper()
	b, err := os.ReadFile(p.Config)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	found := false
	for i, l := range lines {
		if strings.HasPrefix(l, key) {
			lines[i] = line
			found = true
			break
		}
	}
	if !found {
		t.Fatalf("config %s has no line starting with %q", p.Config, key)
	}
	if err := os.WriteFile(p.Config, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
}

// simState is GET /_sim/state.
type simState struct {
	ProcoreUsers []struct {
		ID       int64   `json:"id"`
		Email    string  `json:"email_address"`
		OriginID *string `json:"origin_id"`
		IsActive bool    `json:"is_active"`
	} `json:"procore_users"`
	CreatedIDs []int64 `json:"created_ids"`
	Mails      []struct {
		To      []string `json:"to"`
		Subject string   `json:"subject"`
		Content string   `json:"content"`
	} `json:"mails"`
	Violations     []string       `json:"violations"`
	RequestCounts  map[string]int `json:"request_counts"`
	FaultsInjected map[string]int `json:"faults_injected"`
}

func (p *simProc) state(t *testing.T) simState {
	t.Helper()
	resp, err := http.Get(p.URL + "/_sim/state")
	if err != nil {
		t.Fatalf("GET /_sim/state: %v", err)
	}
	defer resp.Body.Close()
	var st simState
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("decode /_sim/state: %v", err)
	}
	return st
}

// faults posts a fault rule to the simulator (see sync/sim/inspect.go).
func (p *simProc) faults(t *testing.T, rule map[string]any) {
	t.Helper()
	b, _ := json.Marshal(rule)
	resp, err := http.Post(p.URL+"/_sim/faults", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("POST /_sim/faults: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /_sim/faults %s: %s %s", b, resp.Status, body)
	}
}

// writes counts the requests that change the Procore directory or send mail.
func (st simState) writes() map[string]int {
	out := map[string]int{}
	for ep, n := range st.RequestCounts {
		method, path, _ := strings.Cut(ep, " ")
		if method == http.MethodGet || strings.HasPrefix(path, "/identity/") || strings.HasPrefix(path, "/procore-login/") {
			continue
		}
		out[ep] = n
	}
	return out
}

// emailCounts counts the Procore users per lower-cased address.
func (st simState) emailCounts() map[string]int {
	out := map[string]int{}
	for _, u := range st.ProcoreUsers {
		out[strings.ToLower(strings.TrimSpace(u.Email))]++
	}
	return out
}

// created maps the address of every user created through the API to its
// origin_id.
func (st simState) created(t *testing.T) map[string]string {
	t.Helper()
	byID := map[int64]int{}
	for i, u := range st.ProcoreUsers {
		byID[u.ID] = i
	}
	out := map[string]string{}
	for _, id := range st.CreatedIDs {
		i, ok := byID[id]
		if !ok {
			t.Fatalf("created id %d is not in the directory", id)
		}
		u := st.ProcoreUsers[i]
		email := strings.ToLower(u.Email)
		if _, dup := out[email]; dup {
			t.Errorf("%s was created twice", email)
		}
		origin := ""
		if u.OriginID != nil {
			origin = *u.OriginID
		}
		out[email] = origin
	}
	return out
}

// simRequest is one entry of GET /_sim/requests.
type simRequest struct {
	Service string `json:"service"`
	Method  string `json:"method"`
	Path    string `json:"path"`
	Status  int    `json:"status"`
}

func (p *simProc) requests(t *testing.T) []simRequest {
	t.Helper()
	resp, err := http.Get(p.URL + "/_sim/requests")
	if err != nil {
		t.Fatalf("GET /_sim/requests: %v", err)
	}
	defer resp.Body.Close()
	var out []simRequest
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode /_sim/requests: %v", err)
	}
	return out
}
