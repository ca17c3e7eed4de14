package roster

import (
	"strings"
	"testing"
)

// linked is a Procore user whose origin_id is the Entra id origin.
func linked(u ProcoreUser, origin string) ProcoreUser {
	u.OriginID = origin
	return u
}

func alias(m Member, addrs ...string) Member {
	for _, a := range addrs {
		m.ProxyAddresses = append(m.ProxyAddresses, "smtp:"+a)
	}
	return m
}

// TestDiffOriginIDResolvesConflict checks that a Procore user linked to a
// member by origin_id decides the member's action even when the member's
// addresses lead to other Procore users too: the conflict an admin
// resolved by linking never comes back.
func TestDiffOriginIDResolvesConflict(t *testing.T) {
	allowed := Rules{AllowedDomains: []string{"contoso.com"}}
	tests := []struct {
		name     string
		members  []Member
		users    []ProcoreUser
		rules    Rules
		wantKind Kind
		wantUser int64
		wantAddr string
	}{
		{
			name:     "alias leads to another user; the primary's user is linked",
			members:  []Member{alias(member("a", "Al", "One", "al@contoso.com", ""), "al.one@contoso.com")},
			users:    []ProcoreUser{linked(puser(1, "Al", "One", "al@contoso.com", true), "a"), puser(2, "Al", "One", "al.one@contoso.com", true)},
			rules:    allowed,
			wantKind: KindInSync, wantUser: 1, wantAddr: "al@contoso.com",
		},
		{
			name:     "alias's user is linked",
			members:  []Member{alias(member("a", "Al", "One", "al@contoso.com", ""), "al.one@contoso.com")},
			users:    []ProcoreUser{puser(1, "Al", "One", "al@contoso.com", true), linked(puser(2, "Al", "One", "al.one@contoso.com", true), "a")},
			rules:    allowed,
			wantKind: KindInSync, wantUser: 2, wantAddr: "al.one@contoso.com",
		},
		{
			name:     "Procore duplicates under the address; one is linked",
			members:  []Member{member("a", "Al", "One", "al@contoso.com", "")},
			users:    []ProcoreUser{puser(1, "Al", "One", "al@contoso.com", true), linked(puser(2, "Al", "Uno", "AL@contoso.com", true), "a")},
			rules:    Rules{UpdateNames: true},
			wantKind: KindUpdate, wantUser: 2, wantAddr: "al@contoso.com",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Without the link the member is a conflict between the users.
			unlinked := make([]ProcoreUser, len(tt.users))
			for i, u := range tt.users {
				u.OriginID = ""
				unlinked[i] = u
			}
			p0 := Diff(&Snapshot{Members: tt.members, Users: unlinked}, tt.rules)
			a0 := findAction(p0, want{member: "a"})
			if a0 == nil || a0.Kind != KindConflict {
				t.Fatalf("unlinked: got %+v, want a conflict", a0)
			}
			if len(a0.Candidates) != 2 || a0.Candidates[0].ID > a0.Candidates[1].ID {
				t.Errorf("unlinked: candidates %v, want the two users sorted by id", a0.Candidates)
			}

			p := Diff(&Snapshot{Members: tt.members, Users: tt.users}, tt.rules)
			a := findAction(p, want{member: "a"})
			if a == nil {
				t.Fatal("no action for the member")
			}
			if a.Kind != tt.wantKind || a.User == nil || a.User.ID != tt.wantUser || a.Address != tt.wantAddr {
				t.Fatalf("got %s user %v addr %s (%s), want %s user %d addr %s", a.Kind, a.User, a.Address, a.Reason, tt.wantKind, tt.wantUser, tt.wantAddr)
			}
			if !strings.Contains(a.Reason, "linked by origin_id") {
				t.Errorf("reason %q does not say the member is linked", a.Reason)
			}
			if a.Candidates != nil {
				t.Errorf("candidates %v on a %s", a.Candidates, a.Kind)
			}
			for _, x := range p.Actions {
				if x.Kind == KindOffboard {
					t.Errorf("the other user is offboarded: %+v", x)
				}
			}
		})
	}
}

// TestDiffOriginElsewhereStaysConflict: a link under an address that is none
// of the member's does not override the addresses (the address changed; the
// admin must decide).
func TestDiffOriginElsewhereStaysConflict(t *testing.T) {
	members := []Member{member("a", "Al", "One", "al@contoso.com", "")}
	users := []ProcoreUser{puser(1, "Al", "One", "al@contoso.com", true), linked(puser(2, "Al", "One", "al.old@contoso.com", true), "a")}
	p := Diff(&Snapshot{Members: members, Users: users}, Rules{})
	a := findAction(p, want{member: "a"})
	if a.Kind != KindConflict {
		t.Fatalf("got %s (%s), want conflict", a.Kind, a.Reason)
	}
	if len(a.Candidates) != 2 {
		t.Errorf("candidates %d, want 2", len(a.Candidates))
	}
}

// TestDiffIgnored checks that a member on the ignore list, by Entra id or by
// any of their addresses, is excluded with who and why, and that the list
// changes the fingerprint.
func TestDiffIgnored(t *testing.T) {
	members := []Member{
		member("a", "Al", "One", "al@contoso.com", ""),
		alias(member("b", "Bo", "Two", "bo@contoso.com", ""), "bo.two@contoso.com"),
		member("c", "Cy", "Three", "cy@contoso.com", ""),
	}
	users := []ProcoreUser{puser(7, "Al", "One", "al@contoso.com", true)}
	base := Diff(&Snapshot{Members: members, Users: users}, Rules{})
	ign := []Ignore{
		{EntraID: "a", Address: "al@contoso.com", By: "admin@contoso.com", Reason: "external auditor"},
		{Address: "bo.two@contoso.com", By: "ops", Reason: "shared mailbox"},
	}
	p := Diff(&Snapshot{Members: members, Users: users, Ignored: ign}, Rules{})
	for _, w := range []struct {
		id, reason string
	}{
		{"a", "ignored by admin@contoso.com: external auditor"},
		{"b", "ignored by ops: shared mailbox"},
	} {
		a := findAction(p, want{member: w.id})
		if a.Kind != KindExcluded || !strings.HasPrefix(a.Reason, w.reason) {
			t.Errorf("member %s: got %s %q, want excluded %q", w.id, a.Kind, a.Reason, w.reason)
		}
	}
	if a := findAction(p, want{member: "c"}); a.Kind != KindCreate {
		t.Errorf("member c: got %s, want create", a.Kind)
	}
	if p.Fingerprint == base.Fingerprint {
		t.Error("the ignore list does not change the fingerprint")
	}
}
