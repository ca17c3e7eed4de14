package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"procsync/sync/roster"
)

// fakeBackend is a Backend over hand-made data. Gates let a test freeze an
// operation half-way so that its frame can be captured deterministically.
type fakeBackend struct {
	hdr HeaderInfo
	mu  sync.Mutex

	graph, procore bool
	snap           *roster.Snapshot
	// snapGate, when set, holds Snapshot after its progress until closed.
	snapGate chan struct{}
	// applyAfter, with applyGate, holds Apply after that many outcomes.
	applyAfter int
	applyGate  chan struct{}
	// signInGate holds SignIn after its events until closed.
	signInGate chan struct{}
	snapErr    error
	rules      roster.Rules

	snapshots, sends, opens int
	// applies counts Apply calls, even those that approve nothing.
	applies int
	applied []roster.Action
	// signIns lists the providers SignIn was called for, in order.
	signIns []string
	// historyReads counts History calls; runReads lists the runs
	// HistoryRun read, in order; runGate, when set, holds HistoryRun
	// until closed.
	historyReads int
	runReads     []int64
	runGate      chan struct{}
}

func newFake(env string) *fakeBackend {
	company := "Contoso Construction"
	return &fakeBackend{
		hdr: HeaderInfo{Tenant: "contoso.onmicrosoft.com", Company: company, CompanyID: 562949953421312,
			Environment: env, Recipients: []string{"it@contoso.com", "ops@contoso.com"}},
		graph: true, procore: true,
		snap: demoSnapshot(),
	}
}

func (f *fakeBackend) Header() HeaderInfo { return f.hdr }

func (f *fakeBackend) SignedIn() (bool, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.graph, f.procore
}

func (f *fakeBackend) SignIn(ctx context.Context, provider string, out func(SignInEvent)) error {
	f.mu.Lock()
	f.signIns = append(f.signIns, provider)
	f.mu.Unlock()
	out(SignInEvent{Provider: provider, Kind: SignInOpenURL,
		URL: "http://127.0.0.1:41234/identity/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=demo&response_type=code"})
	out(SignInEvent{Provider: provider, Kind: SignInWaiting, Message: "waiting for the browser to come back to http://localhost:8765/callback…"})
	if f.signInGate != nil {
		select {
		case <-f.signInGate:
		case <-ctx.Done():
			return fmt.Errorf("sign in to %s: %w", provider, ctx.Err())
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if provider == ProviderGraph {
		f.graph = true
	} else {
		f.procore = true
	}
	return nil
}

func (f *fakeBackend) Snapshot(ctx context.Context, progress func(roster.SnapshotProgress)) (*roster.Snapshot, error) {
	f.mu.Lock()
	f.snapshots++
	f.mu.Unlock()
	s := f.snap
	progress(roster.SnapshotProgress{Kind: roster.ProgressGroups, Groups: len(s.Groups)})
	progress(roster.SnapshotProgress{Kind: roster.ProgressMembers, Group: s.Groups[0].DisplayName, Read: 5, Total: -1})
	progress(roster.SnapshotProgress{Kind: roster.ProgressMembers, Group: s.Groups[1].DisplayName, Read: 5, Total: 5})
	progress(roster.SnapshotProgress{Kind: roster.ProgressMembers, Group: s.Groups[0].DisplayName, Read: 8, Total: 8})
	progress(roster.SnapshotProgress{Kind: roster.ProgressProcore, Read: 5, Total: 8})
	f.mu.Lock()
	gate := f.snapGate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, fmt.Errorf("snapshot: %w", ctx.Err())
		}
	}
	if f.snapErr != nil {
		return nil, f.snapErr
	}
	return s, nil
}

func (f *fakeBackend) Plan(s *roster.Snapshot) roster.Plan {
	p := fakeDiff(s)
	p.Rules = f.rules
	return p
}

func (f *fakeBackend) Apply(ctx context.Context, p *roster.Plan, progress func(roster.ApplyProgress)) (*ApplyResult, error) {
	f.mu.Lock()
	f.applies++
	f.mu.Unlock()
	res := &ApplyResult{Recipients: f.hdr.Recipients, HTMLPath: "/home/admin/.local/state/procsync/reports/run-7.html"}
	n := 0
	for i, a := range p.Actions {
		if !a.Approved {
			continue
		}
		if f.applyGate != nil && n == f.applyAfter {
			select {
			case <-f.applyGate:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			res.Cancelled = true
			break
		}
		n++
		ev := roster.ApplyProgress{Record: roster.RecordOf(&a, roster.StatusDone), RateLimitRemaining: 3600 - 2*n, RateLimitLimit: 3600}
		ev.Index, ev.ProcoreID = i, int64(5500+n)
		if strings.HasPrefix(a.Address, "zoe") {
			ev.Status, ev.ProcoreID = roster.StatusFailed, 0
			ev.Error = "procore: create user " + a.Address + ": 422 email_address has already been taken (request 7f3c01)"
		}
		progress(ev)
		f.mu.Lock()
		f.applied = append(f.applied, a)
		f.mu.Unlock()
		res.Results = append(res.Results, ev.Record)
	}
	return res, nil
}

func (f *fakeBackend) SendReport(ctx context.Context, r *ApplyResult) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sends++
	return nil
}

func (f *fakeBackend) OpenReport(r *ApplyResult) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opens++
	return nil
}

// demoSnapshot is a small, realistic tenant: people in one or several
// license groups, a guest, a disabled account, an inactive Procore user, a
// vendor, a duplicate, and an ex-employee still active in Procore.
func demoSnapshot() *roster.Snapshot {
	e3, f1, e1 := "License – Microsoft 365 E3", "License – Microsoft 365 F1", "License – Office 365 E1"
	mem := func(id, given, sur, mail string, groups ...string) roster.Member {
		return roster.Member{ID: id, GivenName: given, Surname: sur, DisplayName: given + " " + sur,
			UserPrincipalName: strings.ToLower(given) + "." + strings.ToLower(sur) + "@contoso.com",
			Mail:              mail, AccountEnabled: true, UserType: "Member", Groups: groups,
			ProxyAddresses: []string{"SMTP:" + mail}}
	}
	ms := []roster.Member{
		mem("0b1f-01", "Ana", "Diaz", "ana.diaz@contoso.com", e3),
		mem("0b1f-02", "Ben", "Okafor", "ben.okafor@contoso.com", e3, f1),
		mem("0b1f-03", "Chen", "Wei", "chen.wei@contoso.com", e3),
		mem("0b1f-04", "Dana", "Kowalski", "dana.kowalski@contoso.com", f1),
		mem("0b1f-05", "Emil", "Berg", "emil.berg@contoso.com", f1),
		mem("0b1f-06", "Fatima", "Haddad", "fatima.haddad@contoso.com", e1),
		mem("0b1f-07", "Gus", "Moreau", "gus.moreau@contoso.com", e3),
		mem("0b1f-08", "Hana", "Sato", "hana.sato@contoso.com", e1),
		mem("0b1f-09", "Ivan", "Petrov", "ivan.petrov@contoso.com", e3),
		mem("0b1f-10", "Jo", "Nguyen", "jo.nguyen@contoso.com", f1),
		mem("0b1f-11", "Zoe", "Adams", "zoe.adams@contoso.com", e3),
		mem("0b1f-12", "Kim", "Lee", "kim.lee@contoso.com", e3),
		mem("0b1f-13", "Kimberly", "Lee", "kim.lee@contoso.com", f1),
	}
	guest := mem("0b1f-14", "Lars", "Visser", "lars@partner.example", e1)
	guest.UserType = "Guest"
	disabled := mem("0b1f-15", "Mia", "Rossi", "mia.rossi@contoso.com", e3)
	disabled.AccountEnabled = false
	ms = append(ms, guest, disabled)
	t0 := time.Date(2025, 3, 4, 9, 30, 0, 0, time.UTC)
	u := func(id int64, first, last, email string, active bool) roster.ProcoreUser {
		return roster.ProcoreUser{ID: id, FirstName: first, LastName: last, Email: email, IsActive: active,
			IsEmployee: true, CreatedAt: t0, UpdatedAt: t0.Add(48 * time.Hour)}
	}
	us := []roster.ProcoreUser{
		u(4101, "Ben", "Okafor", "ben.okafor@contoso.com", true),
		u(4102, "Chen", "Wei", "Chen.Wei@contoso.com", true),
		u(4103, "Dana", "Kowalski", "dana.kowalski@contoso.com", false),
		u(4104, "Gus", "Moreau", "gus.moreau@contoso.com", true),
		u(4105, "Hana", "Sato", "hana.sato@contoso.com", true),
		u(4106, "Omar", "Said", "omar.said@contoso.com", true),
		u(4107, "Pia", "Lund", "pia.lund@contoso.com", false),
	}
	sub := u(4108, "Quinn", "Harper", "quinn@harper-steel.example", true)
	sub.IsEmployee = false
	sub.Vendor = &roster.Vendor{ID: 77, Name: "Harper Steel LLC"}
	us = append(us, sub)
	return &roster.Snapshot{
		Groups: []roster.Group{
			{ID: "9a1-e3", DisplayName: e3, MatchedBy: `name prefix "License – Microsoft"`, MemberCount: 8},
			{ID: "9a1-f1", DisplayName: f1, MatchedBy: `name prefix "License – Microsoft"`, MemberCount: 5},
			{ID: "9a1-e1", DisplayName: e1, MatchedBy: `name prefix "License – Office"`, MemberCount: 3},
		},
		Members: ms, Users: us, TakenAt: t0,
	}
}

// fakeDiff is a minimal stand-in for roster.Diff, enough to give every kind a
// realistic row.
func fakeDiff(s *roster.Snapshot) roster.Plan {
	byAddr := map[string]*roster.ProcoreUser{}
	for i := range s.Users {
		byAddr[strings.ToLower(s.Users[i].Email)] = &s.Users[i]
	}
	seen := map[string]int{}
	for _, m := range s.Members {
		seen[memberAddr(&m)]++
	}
	var acts []roster.Action
	used := map[string]bool{}
	for i := range s.Members {
		m := &s.Members[i]
		addr := memberAddr(m)
		a := roster.Action{Address: addr, Member: m, FirstName: m.GivenName, LastName: m.Surname}
		u := byAddr[addr]
		a.User = u
		used[addr] = true
		switch {
		case m.UserType == "Guest":
			a.Kind, a.Reason = roster.KindExcluded, "guest account (groups.include_guests = false)"
		case !m.AccountEnabled:
			a.Kind, a.Reason = roster.KindExcluded, "account disabled in Entra ID (groups.include_disabled = false)"
		case seen[addr] > 1:
			a.Kind, a.Reason = roster.KindConflict, "two members resolve to "+addr+": Kim Lee (0b1f-12) and Kimberly Lee (0b1f-13); fix the mail attribute in Entra ID"
		case u == nil:
			a.Kind, a.Reason = roster.KindCreate, "in "+strings.Join(m.Groups, ", ")+"; no Procore user has this address"
		case !u.IsActive:
			a.Kind, a.Reason = roster.KindReactivate, fmt.Sprintf("Procore user %d is inactive", u.ID)
		default:
			a.Kind, a.Reason = roster.KindInSync, fmt.Sprintf("active Procore user %d", u.ID)
		}
		acts = append(acts, a)
	}
	for i := range s.Users {
		u := &s.Users[i]
		addr := strings.ToLower(u.Email)
		if u.IsActive && !used[addr] && strings.HasSuffix(addr, "@contoso.com") {
			acts = append(acts, roster.Action{Kind: roster.KindOffboard, Address: addr, User: u, FirstName: u.FirstName,
				LastName: u.LastName, Reason: "active in Procore but in no license group (procore.offboard = \"report\")"})
		}
	}
	order := map[roster.Kind]int{}
	for i, k := range roster.Kinds {
		order[k] = i
	}
	sort.SliceStable(acts, func(i, j int) bool {
		if acts[i].Kind != acts[j].Kind {
			return order[acts[i].Kind] < order[acts[j].Kind]
		}
		return acts[i].Address < acts[j].Address
	})
	c := roster.Counts{}
	for _, a := range acts {
		c[a.Kind]++
	}
	return roster.Plan{Actions: acts, Counts: c, Fingerprint: "sha256:3f1e0c"}
}
