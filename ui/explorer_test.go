package ui

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"golang.org/x/oauth2/clientcredentials"

	"procsync/sync/graph"
	"procsync/sync/procore"
	"procsync/sync/sim"
)

// simExplorer starts the simulator and an explorer backend over procsync's
// real clients, signed in with the simulator's client credentials.
func simExplorer(t *testing.T, writable bool) (*ClientExplorer, *sim.Server) {
	t.Helper()
	srv, err := sim.Start(sim.Options{Seed: 1, Members: 60})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	pcc := clientcredentials.Config{ClientID: sim.ProcoreClientID, ClientSecret: sim.ProcoreClientSecret,
		TokenURL: srv.ProcoreLoginURL() + "/oauth/token"}
	gcc := clientcredentials.Config{ClientID: sim.GraphClientID, ClientSecret: sim.GraphClientSecret,
		TokenURL: srv.GraphLoginURL() + "/" + sim.TenantID + "/oauth2/v2.0/token",
		Scopes:   []string{"https://graph.microsoft.com/.default"}}
	ctx := context.Background()
	pc := procore.New(pcc.Client(ctx), srv.ProcoreAPIURL(), sim.CompanyID, procore.WithWaitScale(0.001))
	gc := graph.New(gcc.Client(ctx), srv.GraphAPIURL(), graph.WithWaitScale(0.001))
	ce := &ClientExplorer{
		Procore: func(ctx context.Context, id int64) (*procore.Client, error) {
			if id != 0 && id != sim.CompanyID {
				return nil, fmt.Errorf("unexpected company %d", id)
			}
			return pc, nil
		},
		Graph:        func(context.Context) (*graph.Client, error) { return gc, nil },
		NamePrefixes: []string{"License –"},
		AllowWrites:  writable,
	}
	return ce, srv
}

// startExplorer runs the program as `procsync sandbox` does, at 120x40.
func startExplorer(t *testing.T, env string, ce ExplorerBackend) *harness {
	t.Helper()
	f := newFake(env)
	f.hdr.CompanyID = sim.CompanyID
	opts := testOpts
	opts.Explorer, opts.Sandbox = ce, true
	return startWith(t, f, opts)
}

var (
	keyUp   = tea.KeyPressMsg{Code: tea.KeyUp}
	keyDown = tea.KeyPressMsg{Code: tea.KeyDown}
)

// startWith is start with options of the test's own.
func startWith(t *testing.T, b Backend, opts Options) *harness {
	t.Helper()
	tm := teatest.NewTestModel(t, probe{New(b, opts)}, teatest.WithInitialTermSize(120, 40))
	h := &harness{t: t, tm: tm}
	t.Cleanup(func() {
		tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
		tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	})
	return h
}

// volatile are the parts of a frame that change from run to run: request
// ids and the rate-limit window's reset time. Replacements keep the width.
var volatile = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "00000000-0000-0000-0000-000000000000"},
	{regexp.MustCompile(`resets \d\d:\d\d:\d\d UTC`), "resets 00:00:00 UTC"},
	{regexp.MustCompile(`127\.0\.0\.1:\d{5}`), "127.0.0.1:00000"},
	{regexp.MustCompile(`127\.0\.0\.1:\d{4}\b`), "127.0.0.1:0000"},
}

func stable(s string) string {
	for _, v := range volatile {
		s = v.re.ReplaceAllString(s, v.repl)
	}
	return s
}

const explorerReady = "Vendors"

// TestExplorerGolden captures the explorer against the simulator. Run with
// -update to regenerate testdata/TestExplorerGolden/*.golden.
func TestExplorerGolden(t *testing.T) {
	tests := []struct {
		name     string
		env      string
		writable bool
		drive    func(h *harness) string
	}{
		{"tree", EnvSandbox, true, func(h *harness) string {
			h.waitFor(explorerReady)
			// Projects (active) → first project → its users.
			h.keys(pressAll("j", "j", "enter")...)
			h.waitFor("Projects (active) · ")
			h.keys(pressAll("j", "enter")...)
			h.waitFor("Contoso HQ Fit-Out · ")
			return h.waitFor("@contoso.com")
		}},
		{"json", EnvSandbox, true, func(h *harness) string {
			h.waitFor(explorerReady)
			// Users → second user → JSON focused and scrolled by two.
			h.keys(pressAll("j", "j", "j", "enter")...)
			h.waitFor("Users · ")
			h.keys(pressAll("j", "j", "tab", "j", "j")...)
			return h.waitFor("JSON · ", `"email_address": "`)
		}},
		{"scroll", EnvSandbox, true, func(h *harness) string {
			h.waitFor(explorerReady)
			h.keys(press(":"))
			h.typeText("graph /v1.0/subscribedSkus")
			h.keys(press("enter"))
			h.waitFor("Response · GET graph /v1.0/subscribedSkus  (1–")
			h.keys(pressAll("j", "j", "j")...)
			return h.waitFor("Response · GET graph /v1.0/subscribedSkus  (4–")
		}},
		{"console", EnvSandbox, true, func(h *harness) string {
			h.waitFor(explorerReady)
			h.keys(press(":"))
			h.typeText("procore /rest/v1.0/me")
			h.waitFor(":procore /rest/v1.0/me█")
			h.keys(press("enter"))
			return h.waitFor("Response · GET procore /rest/v1.0/me", "status   200 OK", "budget   ")
		}},
		{"graph", EnvSandbox, true, func(h *harness) string {
			h.waitFor(explorerReady)
			h.keys(pressAll("G", "k", "enter")...)
			h.waitFor("License groups · ")
			h.keys(pressAll("j", "enter")...)
			return h.waitFor(`"matchedBy"`, "@contoso.com")
		}},
		{"readonly", EnvProduction, true, func(h *harness) string {
			h.waitFor(explorerReady)
			// c must do nothing: no form opens.
			h.keys(pressAll("c", "j", "j", "j", "enter")...)
			return h.waitFor("READ-ONLY · PRODUCTION", "Users · ")
		}},
		{"help_readonly", EnvProduction, true, func(h *harness) string {
			h.waitFor(explorerReady)
			h.keys(press("?"))
			return h.waitFor("Keys", "GET console")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce, _ := simExplorer(t, tt.writable)
			h := startExplorer(t, tt.env, ce)
			got := stable(tt.drive(h))
			if tt.env == EnvProduction {
				for _, w := range []string{"create test user", "deactivate", "add to project", "Create test user"} {
					if strings.Contains(got, w) && !strings.Contains(got, "are off") {
						t.Errorf("read-only frame offers %q", w)
					}
				}
			}
			golden.RequireEqual(t, got)
		})
	}
}

// TestExplorerConsoleHistory checks that up and down recall the console's
// earlier requests, and that each GET went to the simulator as typed, with
// the company header on Procore.
func TestExplorerConsoleHistory(t *testing.T) {
	ce, srv := simExplorer(t, true)
	h := startExplorer(t, EnvSandbox, ce)
	h.waitFor(explorerReady)
	for _, line := range []string{"procore /rest/v1.0/me", "graph /v1.0/subscribedSkus", "/rest/v1.0/companies"} {
		h.keys(press(":"))
		h.typeText(line)
		h.keys(press("enter"))
		h.waitFor("status   200 OK", "Response · GET ")
	}
	h.keys(press(":"), keyUp, keyUp)
	h.waitFor(":graph /v1.0/subscribedSkus█")
	h.keys(keyUp, keyUp)
	h.waitFor(":procore /rest/v1.0/me█")
	h.keys(keyDown, keyDown, keyDown)
	h.waitFor(":█")
	h.keys(press("esc"))

	want := map[string]bool{"/procore/rest/v1.0/me": false, "/graph/v1.0/subscribedSkus": false, "/procore/rest/v1.0/companies": false}
	for _, r := range srv.Sim.Requests() {
		if _, ok := want[r.Path]; ok && r.Method == "GET" {
			want[r.Path] = true
			if r.Service == "procore" && r.Header.Get("Procore-Company-Id") != fmt.Sprint(sim.CompanyID) {
				t.Errorf("%s sent Procore-Company-Id %q", r.Path, r.Header.Get("Procore-Company-Id"))
			}
		}
	}
	for p, seen := range want {
		if !seen {
			t.Errorf("the console never sent GET %s", p)
		}
	}
}

// TestExplorerWrites creates a test user, deactivates, reactivates and adds
// them to a project through the UI, and checks the simulator's state after
// each step.
func TestExplorerWrites(t *testing.T) {
	ce, srv := simExplorer(t, true)
	h := startExplorer(t, EnvSandbox, ce)
	h.waitFor(explorerReady)
	const email = "test.explorer@contoso.com"

	h.keys(press("c"))
	h.waitFor("Create test user", "email       █")
	h.typeText(email)
	h.keys(press("tab"))
	h.typeText("Test")
	h.keys(press("tab"))
	h.typeText("Explorer")
	h.keys(press("enter"))
	h.waitFor("Create test user?", "email        "+email, "enter confirms")
	if n := countUsers(srv, email); n != 0 {
		t.Fatalf("the user exists before the confirmation (%d)", n)
	}
	h.keys(press("enter"))
	f := h.waitFor("created test user "+email, "JSON · "+email)
	if !strings.Contains(f, `"last_name": "Explorer"`) {
		t.Errorf("the new user's JSON is not shown:\n%s", f)
	}
	if n := countUsers(srv, email); n != 1 {
		t.Fatalf("simulator holds %d users %s after create, want 1", n, email)
	}
	id := userID(srv, email)

	// The cursor is on the new user: deactivate, then reactivate.
	h.keys(press("d"))
	h.waitFor("Deactivate user?", fmt.Sprintf("%s #%d", email, id))
	h.keys(press("enter"))
	h.waitFor("deactivated " + email)
	if active(srv, id) {
		t.Fatal("the user is still active after deactivate")
	}
	h.keys(press("d"))
	h.waitFor("Reactivate user?")
	h.keys(press("esc"))
	h.waitFor("cancelled: nothing was written")
	if active(srv, id) {
		t.Fatal("esc reactivated the user")
	}
	h.keys(press("d"))
	h.waitFor("Reactivate user?")
	h.keys(press("enter"))
	h.waitFor("reactivated " + email)
	if !active(srv, id) {
		t.Fatal("the user is not active after reactivate")
	}

	// Add to the first active project with its default template.
	h.keys(press("p"))
	h.waitFor("Add "+email+" to which project?", "Contoso HQ Fit-Out")
	h.keys(press("enter"))
	h.waitFor("Permission template for " + email)
	h.waitFor("(the project's default template)")
	h.keys(press("enter"))
	h.waitFor("Add user to project?")
	h.keys(press("enter"))
	h.waitFor("added " + email)
	added := false
	for _, r := range srv.Sim.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, fmt.Sprintf("/users/%d/actions/add", id)) && r.Status < 300 {
			added = true
		}
	}
	if !added {
		t.Error("no successful add-to-project request reached the simulator")
	}
	if v := srv.Sim.Violations(); len(v) > 0 {
		t.Errorf("simulator saw protocol violations: %v", v)
	}
}

// TestExplorerReadOnly checks that a production explorer neither offers nor
// performs writes, even when a backend claims it could.
func TestExplorerReadOnly(t *testing.T) {
	for _, env := range []string{EnvProduction, EnvFederal} {
		t.Run(env, func(t *testing.T) {
			ce, srv := simExplorer(t, true)
			h := startExplorer(t, env, ce)
			h.waitFor(explorerReady)
			h.keys(pressAll("j", "j", "j", "enter")...)
			h.waitFor("Users · ")
			h.keys(pressAll("j", "c", "d", "p")...)
			f := h.waitFor("READ-ONLY")
			for _, w := range []string{"Create test user", "Deactivate user?", "to which project?", "c create", "d deactivate", "p add"} {
				if strings.Contains(f, w) {
					t.Errorf("read-only explorer shows %q", w)
				}
			}
			for _, r := range srv.Sim.Requests() {
				if r.Service == "procore" && r.Method != "GET" && !strings.Contains(r.Path, "oauth") {
					t.Errorf("read-only explorer sent %s %s", r.Method, r.Path)
				}
			}
		})
	}
	// The backend refuses too, whatever the UI does.
	ce, _ := simExplorer(t, false)
	if _, err := ce.CreateUser(context.Background(), sim.CompanyID, NewUser{Email: "x@contoso.com", FirstName: "X", LastName: "Y"}); err != ErrReadOnly {
		t.Errorf("read-only CreateUser error = %v, want ErrReadOnly", err)
	}
}

func TestParseConsole(t *testing.T) {
	tests := []struct {
		in, api, path string
		ok            bool
	}{
		{"graph /v1.0/me", APIGraph, "/v1.0/me", true},
		{"g v1.0/groups?$top=5", APIGraph, "/v1.0/groups?$top=5", true},
		{"procore /rest/v1.0/me", APIProcore, "/rest/v1.0/me", true},
		{"P /rest/v1.1/projects", APIProcore, "/rest/v1.1/projects", true},
		{"/rest/v1.0/companies", APIProcore, "/rest/v1.0/companies", true},
		{"/beta/me", APIGraph, "/beta/me", true},
		{"/v1.0/me", APIGraph, "/v1.0/me", true},
		{"/elsewhere", "", "", false},
		{"post /rest/v1.0/me", "", "", false},
		{"graph /v1.0/me extra", "", "", false},
	}
	for _, tt := range tests {
		api, path, err := parseConsole(tt.in)
		if (err == nil) != tt.ok || api != tt.api || path != tt.path {
			t.Errorf("parseConsole(%q) = %q, %q, %v; want %q, %q, ok=%v", tt.in, api, path, err, tt.api, tt.path, tt.ok)
		}
	}
}

func TestPrettyJSON(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`{"a":1,"b":"x"}`, []string{"{", `  "a": 1,`, `  "b": "x"`, "}"}},
		{`not json`, []string{"not json"}},
		{``, []string{"(empty body)"}},
		{`[]`, []string{"[]"}},
	}
	for _, tt := range tests {
		got := prettyJSON([]byte(tt.in))
		for i := range got {
			got[i] = ansi.Strip(got[i])
		}
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("prettyJSON(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func countUsers(srv *sim.Server, email string) int {
	n := 0
	for _, u := range srv.Sim.ProcoreUsers() {
		if strings.EqualFold(u.Email, email) {
			n++
		}
	}
	return n
}

func userID(srv *sim.Server, email string) int64 {
	for _, u := range srv.Sim.ProcoreUsers() {
		if strings.EqualFold(u.Email, email) {
			return u.ID
		}
	}
	return 0
}

func active(srv *sim.Server, id int64) bool {
	for _, u := range srv.Sim.ProcoreUsers() {
		if u.ID == id {
			return u.IsActive
		}
	}
	return false
}
