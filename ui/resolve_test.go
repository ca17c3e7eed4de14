package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"procsync/sync/roster"
)

// resolveFake is the fake backend with a Resolver: its conflicts carry two
// candidate Procore users, and it records what the review asked.
type resolveFake struct {
	*fakeBackend
	rmu        sync.Mutex
	links      []string // "address → user id"
	ignores    []string // "address: reason (entra id)"
	unignores  []string
	ignoreList []IgnoredPerson
}

func newResolveFake(env string) *resolveFake {
	return &resolveFake{fakeBackend: newFake(env), ignoreList: []IgnoredPerson{
		{Address: "lars@partner.example", By: "megan.bowen@contoso.com", Reason: "external auditor", At: time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)},
		{Address: "pia.lund@contoso.com", EntraID: "0b1f-99", By: "ops (cli)", Reason: "left", At: time.Date(2025, 3, 5, 9, 0, 0, 0, time.UTC)},
	}}
}

func (f *resolveFake) Plan(s *roster.Snapshot) roster.Plan {
	p := f.fakeBackend.Plan(s)
	for i := range p.Actions {
		if p.Actions[i].Kind == roster.KindConflict {
			p.Actions[i].Candidates = []*roster.ProcoreUser{&s.Users[0], &s.Users[3]}
		}
	}
	return p
}

func (f *resolveFake) Link(_ context.Context, m *roster.Member, address string, u *roster.ProcoreUser) error {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	f.links = append(f.links, fmt.Sprintf("%s → %d (%s)", address, u.ID, m.ID))
	return nil
}

func (f *resolveFake) Ignore(_ context.Context, m *roster.Member, address, reason string) error {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	f.ignores = append(f.ignores, address+": "+reason+" ("+m.ID+")")
	return nil
}

func (f *resolveFake) Ignored(context.Context) ([]IgnoredPerson, error) {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	return append([]IgnoredPerson(nil), f.ignoreList...), nil
}

func (f *resolveFake) Unignore(_ context.Context, p IgnoredPerson) error {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	f.unignores = append(f.unignores, p.Address)
	return nil
}

func (f *resolveFake) calls() (links, ignores, unignores []string) {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	return append([]string(nil), f.links...), append([]string(nil), f.ignores...), append([]string(nil), f.unignores...)
}

func (f *resolveFake) snapshotCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snapshots
}

// waitSnapshots waits until the backend was read n times and the review is
// back.
func waitSnapshots(h *harness, f *resolveFake, n int) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.snapshotCount() < n {
		if time.Now().After(deadline) {
			h.t.Fatalf("%d reads, want %d", f.snapshotCount(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The count goes up when a read starts; until it has finished the
	// loading screen (which keeps the header's "approved 0") takes every
	// key, so a key sent now would be lost.
	for {
		review := false
		h.inspect(func(m *model) { review = m.screen == screenReview })
		if review {
			break
		}
		if time.Now().After(deadline) {
			h.t.Fatal("the review did not come back after the read")
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.waitFor("approved 0")
}

// TestLinkConflictInDetails: the details of a conflict list its candidate
// Procore users; l opens the picker, ↓ moves it, enter links the member to
// the chosen user and the directories are read again.
func TestLinkConflictInDetails(t *testing.T) {
	f := newResolveFake(EnvSandbox)
	h := start(t, f, 140, 44)
	h.waitFor("approved 0")
	h.keys(press("/"))
	h.typeText("conflict")
	h.keys(press("enter"))
	fr := h.waitFor("l link conflict")
	if !strings.Contains(fr, "i ignore person") || !strings.Contains(fr, "I ignored list") {
		t.Errorf("footer lacks the resolve keys:\n%s", fr)
	}
	h.keys(press("enter"))
	h.waitFor("Procore users this member could be", "#4101", "#4104", "l picks the user")
	h.keys(press("l"), press("down"))
	fr = h.waitFor("▸ #4104", "enter writes this member's Entra object id", "↑/↓ choose user", "enter link to this user", "esc cancel")
	if strings.Contains(fr, "▸ #4101") {
		t.Errorf("the picker marks two users:\n%s", fr)
	}
	if links, _, _ := f.calls(); len(links) != 0 {
		t.Fatalf("linked before enter: %v", links)
	}
	h.keys(press("enter"))
	waitSnapshots(h, f, 2)
	links, _, _ := f.calls()
	if len(links) != 1 || links[0] != "kim.lee@contoso.com → 4104 (0b1f-12)" {
		t.Errorf("links = %q", links)
	}
}

// TestLinkEscWritesNothing: esc closes the picker without a link.
func TestLinkEscWritesNothing(t *testing.T) {
	f := newResolveFake(EnvSandbox)
	h := start(t, f, 140, 44)
	h.waitFor("approved 0")
	h.keys(press("/"))
	h.typeText("conflict")
	h.keys(press("enter"), press("l"))
	h.waitFor("▸ #4101")
	h.keys(press("esc"))
	h.waitFor("nothing linked")
	if links, _, _ := f.calls(); len(links) != 0 || f.snapshotCount() != 1 {
		t.Errorf("links %v, reads %d after esc", links, f.snapshotCount())
	}
}

// TestLinkProductionNeedsCompanyName: in production the company name must
// be typed before a link is written, like an apply.
func TestLinkProductionNeedsCompanyName(t *testing.T) {
	f := newResolveFake(EnvProduction)
	h := start(t, f, 140, 44)
	h.waitFor("approved 0")
	h.keys(press("/"))
	h.typeText("conflict")
	h.keys(press("enter"), press("l"))
	h.waitFor("This writes to PRODUCTION")
	h.keys(press("enter"))
	h.waitFor("type the company name")
	if links, _, _ := f.calls(); len(links) != 0 {
		t.Fatalf("linked in production without the company name: %v", links)
	}
	h.typeText("Contoso Construction")
	h.keys(press("enter"))
	waitSnapshots(h, f, 2)
	if links, _, _ := f.calls(); len(links) != 1 || !strings.HasSuffix(links[0], "→ 4101 (0b1f-12)") {
		t.Errorf("links = %q", links)
	}
}

// TestIgnoreAsksReason: i asks for a reason on one line; an empty reason
// is refused, esc cancels, and enter ignores the person under the cursor
// with the typed reason (letters such as q are text there), then reads again.
func TestIgnoreAsksReason(t *testing.T) {
	f := newResolveFake(EnvSandbox)
	h := start(t, f, 140, 44)
	h.waitFor("approved 0")
	h.keys(press("/"))
	h.typeText("zoe")
	h.keys(press("enter"), press("i"))
	h.waitFor("ignore zoe.adams@contoso.com because: █", "enter ignore with this reason", "esc cancel")
	h.keys(press("enter"))
	h.waitFor("type why this person is ignored")
	h.keys(press("esc"))
	h.waitFor("not ignored")
	// From the details too: the reason line replaces them.
	h.keys(press("enter"))
	h.waitFor("Details  (enter or esc closes)")
	h.keys(press("i"))
	h.waitFor("ignore zoe.adams@contoso.com because: █")
	h.typeText("quit? no: auditor")
	h.waitFor("because: quit? no: auditor")
	h.keys(press("enter"))
	waitSnapshots(h, f, 2)
	_, ignores, _ := f.calls()
	if len(ignores) != 1 || ignores[0] != "zoe.adams@contoso.com: quit? no: auditor (0b1f-11)" {
		t.Errorf("ignores = %q", ignores)
	}
}

// TestIgnoredListUnignore: I shows who is ignored, by whom and why; u
// un-ignores the person under the cursor and reads again; esc closes.
func TestIgnoredListUnignore(t *testing.T) {
	f := newResolveFake(EnvSandbox)
	h := start(t, f, 140, 44)
	h.waitFor("approved 0")
	h.keys(press("I"))
	fr := h.waitFor("Ignored people · 2", "lars@partner.example", "by megan.bowen@contoso.com: external auditor", "u un-ignore")
	if strings.Contains(fr, "space approve") {
		t.Errorf("the list's footer offers review keys:\n%s", fr)
	}
	h.keys(press("j"), press("u"))
	waitSnapshots(h, f, 2)
	if _, _, un := f.calls(); len(un) != 1 || un[0] != "pia.lund@contoso.com" {
		t.Errorf("unignores = %q", un)
	}
	h.keys(press("I"))
	h.waitFor("Ignored people")
	h.keys(press("esc"))
	h.waitFor("3 Plan")
}

// TestNoResolverNoResolveKeys: a backend without a Resolver offers no l, i
// or I, and the keys do nothing.
func TestNoResolverNoResolveKeys(t *testing.T) {
	f := newFake(EnvSandbox)
	h := start(t, f, 140, 44)
	h.waitFor("approved 0")
	h.keys(press("i"), press("I"))
	fr := h.frame()
	for _, s := range []string{"i ignore person", "I ignored list", "because:", "Ignored people"} {
		if strings.Contains(fr, s) {
			t.Errorf("frame shows %q without a Resolver:\n%s", s, fr)
		}
	}
}
