package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"procsync/sync/sim"
)

// expectedOffboards computes, from the seed data and without roster.Diff, the
// active Procore users in allowedDomain whose address is no address of
// anyone in a license group (members of every kind count, excluded ones
// too: a disabled member is not offboarded by this tool).
func expectedOffboards(t *testing.T, members int, allowedDomain string) []string {
	t.Helper()
	ten := sim.Generate(demoSeed, members)
	known := map[string]bool{}
	memberIDs := map[string]bool{}
	for _, g := range ten.Groups {
		if !isLicenseGroup(g) {
			continue
		}
		for _, id := range g.Members {
			u := ten.UserByID(id)
			if u == nil {
				continue
			}
			memberIDs[u.ID] = true
			for _, a := range userAddresses(u) {
				known[a] = true
			}
		}
	}
	var want []string
	for _, pu := range ten.ProcoreUsers {
		addr := norm(pu.Email)
		if !pu.IsActive || !strings.HasSuffix(addr, "@"+allowedDomain) || known[addr] || memberIDs[pu.OriginID] {
			continue
		}
		want = append(want, addr)
	}
	slices.Sort(want)
	if len(want) == 0 {
		t.Fatal("the seed data gives nobody to offboard; the test would prove nothing")
	}
	return want
}

// TestAutoOffboardDeactivate: with allowed_domains and offboard =
// "deactivate", a run deactivates exactly the company's users who left
// every license group, never a subcontractor; below the brake it refuses.
func TestAutoOffboardDeactivate(t *testing.T) {
	t.Parallel()
	want := expectedOffboards(t, sim.DefaultMembers, sim.Domain)
	p := startSim(t, sim.DefaultMembers)
	p.setConfig(t, "# allowed_domains", `allowed_domains = ["`+sim.Domain+`"]`)
	p.setConfig(t, "offboard =", `offboard = "deactivate"`)

	// First the brake: one deactivation fewer than needed refuses the run.
	p.setConfig(t, "max_deactivations =", fmt.Sprintf("max_deactivations = %d", len(want)-1))
	if r := p.run(t, nil, "--auto", "--json"); r.Code != 3 || !strings.Contains(r.Stdout, "max_deactivations") {
		t.Fatalf("brake: exit %d, want 3 naming max_deactivations\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	for k := range p.state(t).writes() {
		if strings.Contains(k, "/procore/") {
			t.Fatalf("the brake let a Procore write through: %s", k)
		}
	}

	p.setConfig(t, "max_deactivations =", fmt.Sprintf("max_deactivations = %d", len(want)))
	before := p.state(t)
	r := p.run(t, nil, "--auto")
	if r.Code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.Code, r.Stderr)
	}
	after := p.state(t)
	wasActive := map[int64]bool{}
	for _, u := range before.ProcoreUsers {
		wasActive[u.ID] = u.IsActive
	}
	var got []string
	for _, u := range after.ProcoreUsers {
		if wasActive[u.ID] && !u.IsActive {
			got = append(got, strings.ToLower(u.Email))
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("deactivated %v\nwant        %v", got, want)
	}
	for _, a := range got {
		if !strings.HasSuffix(a, "@"+sim.Domain) {
			t.Errorf("deactivated %s outside the allowed domain", a)
		}
	}
	// The next run finds nobody left to offboard.
	if r := p.run(t, nil, "--auto", "--json"); r.Code != 0 || !strings.Contains(r.Stdout, `"offboard":0`) {
		t.Errorf("second run: exit %d, want 0 with no offboards\n%s", r.Code, r.Stdout)
	}
}
