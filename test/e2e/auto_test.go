// Package e2e runs the built procsync binary as an operator or a scheduler
// would, against `procsync demo --serve` in a separate process, and checks
// the outcome through the simulator's HTTP inspection endpoints. The
// expectations are computed from the simulator's seed data here, never by
// procsync's own roster.Diff, so that a wrong plan cannot pass as right.
package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"procsync/sync/sim"
)

// bin is the procsync binary TestMain builds once for every test.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "procsync-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "procsync")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	// The go command that runs this test is on PATH (go test puts its own
	// GOROOT/bin first).
	goTool, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: no go command on PATH:", err)
		os.Exit(1)
	}
	build := exec.Command(goTool, "build", "-o", bin, "procsync/cmd/procsync")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build procsync:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// expectedCreates computes, from the simulator's seed data alone, the
// members the demo config's first run must create: address → Entra id. The
// demo config selects groups by the prefixes "License – Microsoft" and
// "License – Office", direct members only, no guests, no disabled accounts,
// address = mail else userPrincipalName. A member already in Procore under
// any of their addresses (mail, UPN, smtp: aliases; any case, active or not)
// or by origin_id is not created, nor are members who share an address with
// another eligible member (a conflict only the admin can resolve).
func expectedCreates(t *testing.T, members int) map[string]string {
	t.Helper()
	ten := sim.Generate(demoSeed, members)

	seen := map[string]bool{}
	var eligible []*sim.User
	for _, g := range ten.Groups {
		if !isLicenseGroup(g) {
			continue
		}
		for _, id := range g.Members {
			u := ten.UserByID(id) // nil for nested groups and devices
			if u == nil || seen[u.ID] {
				continue
			}
			seen[u.ID] = true
			if !u.AccountEnabled || u.UserType != "Member" {
				continue
			}
			eligible = append(eligible, u)
		}
	}
	addresses := func(u *sim.User) (primary string, all []string) {
		primary = norm(u.Mail)
		if primary == "" {
			primary = norm(u.UserPrincipalName)
		}
		return primary, userAddresses(u)
	}

	inProcore := map[string]bool{}
	origins := map[string]bool{}
	for _, pu := range ten.ProcoreUsers {
		inProcore[norm(pu.Email)] = true
		if pu.OriginID != "" {
			origins[pu.OriginID] = true
		}
	}
	owners := map[string]int{}
	for _, u := range eligible {
		_, all := addresses(u)
		for _, a := range all {
			owners[a]++
		}
	}
	want := map[string]string{}
	for _, u := range eligible {
		primary, all := addresses(u)
		if origins[u.ID] {
			continue
		}
		skip := false
		for _, a := range all {
			if inProcore[a] || owners[a] > 1 {
				skip = true
			}
		}
		if !skip {
			want[primary] = u.ID
		}
	}
	if len(want) == 0 {
		t.Fatal("the seed data gives nothing to create; the test would prove nothing")
	}
	return want
}

// isLicenseGroup reports whether the demo config selects g: its name starts
// with "License – Microsoft" or "License – Office".
func isLicenseGroup(g *sim.Group) bool {
	return strings.HasPrefix(g.DisplayName, "License – Microsoft") || strings.HasPrefix(g.DisplayName, "License – Office")
}

// norm is an address as procsync compares it: trimmed, lower-cased.
func norm(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// userAddresses lists every address of u, normalised, sorted and without
// duplicates: mail (when set), userPrincipalName and the smtp: proxy
// addresses.
func userAddresses(u *sim.User) []string {
	var all []string
	if u.Mail != "" {
		all = append(all, norm(u.Mail))
	}
	all = append(all, norm(u.UserPrincipalName))
	for _, p := range u.ProxyAddresses {
		if len(p) > 5 && strings.EqualFold(p[:5], "smtp:") {
			all = append(all, norm(p[5:]))
		}
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// autoJSON is `procsync --auto --json`'s output.
type autoJSON struct {
	DryRun  bool           `json:"dry_run"`
	Plan    map[string]int `json:"plan"`
	Actions []struct {
		Kind      string `json:"kind"`
		Email     string `json:"email"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		EntraID   string `json:"entra_id"`
		ProcoreID int64  `json:"procore_id"`
		Status    string `json:"status"`
		Reason    string `json:"reason"`
		Error     string `json:"error"`
	} `json:"actions"`
	Report struct {
		Sent bool     `json:"sent"`
		To   []string `json:"to"`
		Path string   `json:"path"`
	} `json:"report"`
	Brake *struct {
		WouldRefuse bool     `json:"would_refuse"`
		Reasons     []string `json:"reasons"`
		HowToAllow  string   `json:"how_to_allow"`
		Creates     int      `json:"creates"`
		MaxCreates  int      `json:"max_creates"`
	} `json:"brake"`
}

// decodeAuto checks that stdout is exactly one JSON object of the shape
// DESIGN.md documents, key for key, and decodes it.
func decodeAuto(t *testing.T, stdout string) autoJSON {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("stdout holds more than one JSON value:\n%s", stdout)
	}
	top := []string{"dry_run", "plan", "actions", "report"}
	if b, ok := raw["brake"]; ok {
		// Present only when a brake refused the run or would refuse it.
		top = append(top, "brake")
		var brake map[string]json.RawMessage
		mustUnmarshal(t, b, &brake)
		wantKeys(t, "brake", brake, "would_refuse", "reasons", "how_to_allow", "creates", "max_creates",
			"deactivations", "max_deactivations", "reactivations", "max_reactivations")
	}
	wantKeys(t, "top level", raw, top...)
	var plan map[string]json.RawMessage
	mustUnmarshal(t, raw["plan"], &plan)
	wantKeys(t, "plan", plan, "create", "reactivate", "update", "in_sync", "excluded", "conflict", "offboard", "project_add")
	var report map[string]json.RawMessage
	mustUnmarshal(t, raw["report"], &report)
	wantKeys(t, "report", report, "sent", "to", "path")
	var actions []map[string]json.RawMessage
	mustUnmarshal(t, raw["actions"], &actions)
	for i, a := range actions {
		keys := []string{"kind", "email", "first_name", "last_name", "entra_id", "procore_id", "status", "reason", "error"}
		if string(a["kind"]) == `"project_add"` {
			keys = append(keys, "project_id")
		}
		wantKeys(t, fmt.Sprintf("actions[%d]", i), a, keys...)
	}
	var out autoJSON
	mustUnmarshal(t, []byte(stdout), &out)
	for _, a := range out.Actions {
		if a.Kind == "in_sync" {
			t.Errorf("actions lists in_sync %s; DESIGN.md leaves in_sync out", a.Email)
		}
		if !slices.Contains([]string{"planned", "done", "failed", "skipped"}, a.Status) {
			t.Errorf("action %s %s: status %q is none of planned, done, failed, skipped", a.Kind, a.Email, a.Status)
		}
	}
	return out
}

func wantKeys[V any](t *testing.T, what string, m map[string]V, keys ...string) {
	t.Helper()
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(keys)
	if !slices.Equal(got, keys) {
		t.Errorf("%s keys = %v, want %v", what, got, keys)
	}
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// checkCreated asserts that the simulator's directory holds every expected
// user exactly once, created through the API with origin_id = Entra id,
// and that nobody else was created.
func checkCreated(t *testing.T, st simState, want map[string]string) {
	t.Helper()
	got := st.created(t)
	for _, email := range sortedKeys(want) {
		origin, ok := got[email]
		switch {
		case !ok:
			t.Errorf("%s was not created", email)
		case origin != want[email]:
			t.Errorf("%s: origin_id %q, want the Entra id %q", email, origin, want[email])
		}
	}
	for _, email := range sortedKeys(got) {
		if _, ok := want[email]; !ok {
			t.Errorf("%s was created but is not expected", email)
		}
	}
	counts := st.emailCounts()
	for email := range want {
		if n := counts[email]; n != 1 {
			t.Errorf("%s is %d times in the Procore directory, want once", email, n)
		}
	}
	if len(st.Violations) > 0 {
		t.Errorf("the simulator saw broken API rules: %q", st.Violations)
	}
}

// TestAutoFirstAndSecondRun is the scheduled run's life: the first run
// creates exactly the expected users and mails one report listing them;
// the second finds nothing to do and stays silent.
func TestAutoFirstAndSecondRun(t *testing.T) {
	t.Parallel()
	p := startSim(t, sim.DefaultMembers)
	want := expectedCreates(t, sim.DefaultMembers)

	r := p.run(t, nil, "--auto", "--json")
	if r.Code != 0 {
		t.Fatalf("first run: exit %d, want 0\nstderr:\n%s", r.Code, r.Stderr)
	}
	out := decodeAuto(t, r.Stdout)
	st := p.state(t)
	checkCreated(t, st, want)

	if out.DryRun {
		t.Error("dry_run is true on a real run")
	}
	if out.Plan["create"] != len(want) {
		t.Errorf("plan.create = %d, want %d", out.Plan["create"], len(want))
	}
	done := map[string]bool{}
	for _, a := range out.Actions {
		if a.Kind != "create" {
			continue
		}
		if a.Status != "done" || a.ProcoreID == 0 || a.EntraID != want[a.Email] {
			t.Errorf("create %s: status %s, procore_id %d, entra_id %q; want done, an id, %q", a.Email, a.Status, a.ProcoreID, a.EntraID, want[a.Email])
		}
		done[a.Email] = true
	}
	if got := sortedKeys(done); !slices.Equal(got, sortedKeys(want)) {
		t.Errorf("JSON create actions = %v\nwant %v", got, sortedKeys(want))
	}

	if len(st.Mails) != 1 {
		t.Fatalf("first run sent %d mails, want 1", len(st.Mails))
	}
	mail := st.Mails[0]
	if !slices.Equal(mail.To, []string{"it@" + sim.Domain}) {
		t.Errorf("report mail to %v, want [it@%s]", mail.To, sim.Domain)
	}
	for email := range want {
		if !strings.Contains(mail.Content, email) {
			t.Errorf("report mail does not list %s", email)
		}
	}
	if !out.Report.Sent || !slices.Equal(out.Report.To, []string{"it@" + sim.Domain}) || out.Report.Path == "" {
		t.Errorf("JSON report = %+v, want sent to it@%s with a saved path", out.Report, sim.Domain)
	} else if _, err := os.Stat(out.Report.Path); err != nil {
		t.Errorf("report path: %v", err)
	}

	r = p.run(t, nil, "--auto", "--json")
	if r.Code != 0 {
		t.Fatalf("second run: exit %d, want 0\nstderr:\n%s", r.Code, r.Stderr)
	}
	out = decodeAuto(t, r.Stdout)
	st2 := p.state(t)
	if len(st2.CreatedIDs) != len(st.CreatedIDs) {
		t.Errorf("second run created %d more users", len(st2.CreatedIDs)-len(st.CreatedIDs))
	}
	if len(st2.Mails) != 1 {
		t.Errorf("second run sent a mail (%d in all), want none", len(st2.Mails)-1)
	}
	if out.Plan["create"] != 0 || out.Plan["reactivate"] != 0 {
		t.Errorf("second run plan = %v, want nothing to create or reactivate", out.Plan)
	}
	if out.Report.Sent {
		t.Error("second run's JSON says the report was sent")
	}
	for ep, n := range st2.writes() {
		if st.writes()[ep] != n {
			t.Errorf("second run wrote: %s went from %d to %d", ep, st.writes()[ep], n)
		}
	}
}

// TestAutoBrake: more creates than auto.max_creates refuse the whole run.
func TestAutoBrake(t *testing.T) {
	t.Parallel()
	p := startSim(t, sim.DefaultMembers)
	want := expectedCreates(t, sim.DefaultMembers)
	limit := len(want) - 1
	p.setConfig(t, "max_creates =", fmt.Sprintf("max_creates = %d", limit))

	r := p.run(t, nil, "--auto", "--json")
	if r.Code != 3 {
		t.Fatalf("exit %d, want 3 (brake)\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	out := decodeAuto(t, r.Stdout)
	st := p.state(t)
	if len(st.CreatedIDs) != 0 {
		t.Errorf("the brake let %d creates through", len(st.CreatedIDs))
	}
	for ep, n := range st.writes() {
		if strings.HasPrefix(strings.SplitN(ep, " ", 2)[1], "/procore/") {
			t.Errorf("the brake let Procore writes through: %s ×%d", ep, n)
		}
	}
	if out.DryRun {
		t.Error("dry_run is true")
	}
	if out.Brake == nil || out.Brake.WouldRefuse || out.Brake.Creates != len(want) || out.Brake.MaxCreates != limit {
		t.Errorf("brake object = %+v, want creates %d, max_creates %d, would_refuse false", out.Brake, len(want), limit)
	}
	if out.Plan["create"] != len(want) {
		t.Errorf("plan.create = %d, want %d", out.Plan["create"], len(want))
	}
	creates := 0
	for _, a := range out.Actions {
		if a.Kind != "create" && a.Kind != "reactivate" {
			continue
		}
		if a.Kind == "create" {
			creates++
		}
		if a.Status != "skipped" {
			t.Errorf("%s %s: status %s, want skipped", a.Kind, a.Email, a.Status)
		}
		if !strings.Contains(a.Error, "max_creates") || !strings.Contains(a.Error, strconv.Itoa(limit)) {
			t.Errorf("%s %s: error %q does not say that max_creates = %d held it back", a.Kind, a.Email, a.Error, limit)
		}
	}
	if creates != len(want) {
		t.Errorf("JSON lists %d creates, want %d", creates, len(want))
	}
	if !strings.Contains(r.Stderr, "max_creates") {
		t.Errorf("stderr does not name max_creates:\n%s", r.Stderr)
	}
	// A report about the held-back run, if sent, must say how to allow it.
	for _, m := range st.Mails {
		if !strings.Contains(m.Content, "max_creates") {
			t.Errorf("brake report mail %q does not name max_creates", m.Subject)
		}
	}
}

// TestAutoRefusals: the runs that must stop before writing anything.
func TestAutoRefusals(t *testing.T) {
	t.Parallel()
	p := startSim(t, sim.DefaultMembers)

	t.Run("missing credentials", func(t *testing.T) {
		r := p.run(t, []string{"PROCSYNC_GRAPH_CLIENT_SECRET=", "PROCSYNC_PROCORE_CLIENT_SECRET=", "PROCSYNC_STATE_DIR=" + t.TempDir()}, "--auto")
		if r.Code != 4 {
			t.Errorf("exit %d, want 4\nstderr:\n%s", r.Code, r.Stderr)
		}
		if !strings.Contains(r.Stderr, "procsync login") {
			t.Errorf("stderr does not name `procsync login`:\n%s", r.Stderr)
		}
	})

	base, err := os.ReadFile(p.Config)
	if err != nil {
		t.Fatal(err)
	}
	lineOf := func(prefix string) int {
		for i, l := range strings.Split(string(base), "\n") {
			if strings.HasPrefix(l, prefix) {
				return i + 1
			}
		}
		t.Fatalf("config has no line starting with %q", prefix)
		return 0
	}
	for _, tc := range []struct {
		name, replace, with string
		wantKey             string
	}{
		{"unknown key", "nested =", "nestd = false", "nestd"},
		{"wrong type", "max_creates =", `max_creates = "lots"`, "max_creates"},
		{"bad value", "send =", `send = "sometimes"`, "send"},
	} {
		t.Run("malformed config: "+tc.name, func(t *testing.T) {
			line := lineOf(tc.replace)
			bad := strings.Replace(string(base), strings.Split(string(base), "\n")[line-1], tc.with, 1)
			path := filepath.Join(t.TempDir(), "bad.toml")
			if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
				t.Fatal(err)
			}
			r := p.run(t, []string{"PROCSYNC_CONFIG=" + path}, "--auto")
			if r.Code != 2 {
				t.Errorf("exit %d, want 2\nstderr:\n%s", r.Code, r.Stderr)
			}
			if !strings.Contains(r.Stderr, tc.wantKey) || !strings.Contains(r.Stderr, ":"+strconv.Itoa(line)) {
				t.Errorf("stderr does not name %s and line %d:\n%s", tc.wantKey, line, r.Stderr)
			}
		})
	}

	t.Run("dry run", func(t *testing.T) {
		want := expectedCreates(t, sim.DefaultMembers)
		r := p.run(t, nil, "--auto", "--dry-run", "--json")
		if r.Code != 0 {
			t.Fatalf("exit %d, want 0\nstderr:\n%s", r.Code, r.Stderr)
		}
		out := decodeAuto(t, r.Stdout)
		if !out.DryRun {
			t.Error("dry_run is false")
		}
		if out.Plan["create"] != len(want) {
			t.Errorf("plan.create = %d, want %d", out.Plan["create"], len(want))
		}
		for _, a := range out.Actions {
			if a.Status != "planned" {
				t.Errorf("%s %s: status %s, want planned", a.Kind, a.Email, a.Status)
			}
		}
		st := p.state(t)
		if w := st.writes(); len(w) > 0 {
			t.Errorf("the dry run wrote: %v", w)
		}
		if len(st.CreatedIDs) > 0 || len(st.Mails) > 0 {
			t.Errorf("the dry run created %d users and sent %d mails", len(st.CreatedIDs), len(st.Mails))
		}
	})
}

// TestAutoFaults: with 30% of the requests to every service answered 429
// or 503, the outcome (exit code, actions, directory, mail) is the same as
// with none. The fault choice is seeded per service, so each seed hits the
// same requests every time; several seeds spread the hits over reads,
// writes, token requests and the report mail.
func TestAutoFaults(t *testing.T) {
	t.Parallel()
	want := expectedCreates(t, sim.DefaultMembers)
	projects := fmt.Sprintf("project_ids = [%d]", sim.ProjectHQ)

	outcome := func(p *simProc) ([]string, simState) {
		t.Helper()
		r := p.run(t, nil, "--auto", "--json")
		if r.Code != 0 {
			t.Fatalf("exit %d, want 0\nstderr:\n%s", r.Code, r.Stderr)
		}
		out := decodeAuto(t, r.Stdout)
		var acts []string
		for _, a := range out.Actions {
			acts = append(acts, fmt.Sprintf("%s %s %s %s %q", a.Kind, a.Email, a.EntraID, a.Status, a.Error))
		}
		return acts, p.state(t)
	}
	clean := startSim(t, sim.DefaultMembers)
	clean.setConfig(t, "# project_ids", projects)
	cleanActs, cleanSt := outcome(clean)
	checkCreated(t, cleanSt, want)

	hit := map[string]int{} // faulted requests by "service read|write"
	for seed := int64(1); seed <= 3; seed++ {
		p := startSim(t, sim.DefaultMembers)
		p.setConfig(t, "# project_ids", projects)
		for _, svc := range []string{"identity", "graph", "procore"} {
			p.faults(t, map[string]any{"service": svc, "rate": 0.3, "kinds": []string{"429", "503"}, "retry_after": 0, "seed": seed})
		}
		acts, st := outcome(p)
		checkCreated(t, st, want)
		if !slices.Equal(cleanActs, acts) {
			t.Errorf("seed %d: actions differ with faults:\nclean  %q\nfaulty %q", seed, cleanActs, acts)
		}
		if len(st.Mails) != len(cleanSt.Mails) {
			t.Errorf("seed %d: %d mails with faults, %d without", seed, len(st.Mails), len(cleanSt.Mails))
		}
		for _, r := range p.requests(t) {
			if r.Status != http.StatusTooManyRequests && r.Status != http.StatusServiceUnavailable {
				continue
			}
			op := "write"
			if r.Method == http.MethodGet {
				op = "read"
			}
			hit[r.Service+" "+op]++
		}
	}
	t.Logf("faulted requests: %v", hit)
	// The faults must have reached every kind of request, or the
	// comparison proves little.
	for _, k := range []string{"identity write", "graph read", "graph write", "procore read", "procore write"} {
		if hit[k] == 0 {
			t.Errorf("no %s request was faulted; pick other seeds", k)
		}
	}
}
