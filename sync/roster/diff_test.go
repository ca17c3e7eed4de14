package roster

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// member builds an enabled Member of userType Member.
func member(id, given, surname, mail, upn string, groups ...string) Member {
	if len(groups) == 0 {
		groups = []string{"License – Microsoft E3"}
	}
	return Member{ID: id, GivenName: given, Surname: surname, DisplayName: strings.TrimSpace(given + " " + surname),
		Mail: mail, UserPrincipalName: upn, AccountEnabled: true, UserType: "Member", Groups: groups}
}

func puser(id int64, first, last, email string, active bool) ProcoreUser {
	return ProcoreUser{ID: id, FirstName: first, LastName: last, Email: email, IsActive: active, IsEmployee: true}
}

// want is one expected action, looked up by member id (or by Procore user
// id for offboard actions).
type want struct {
	member string
	user   int64 // for offboards; also the expected matched user when set
	kind   Kind
	addr   string
	reason []string // substrings of the reason
	first  string
	last   string
}

func findAction(p Plan, w want) *Action {
	for i := range p.Actions {
		a := &p.Actions[i]
		if w.member != "" && a.Member != nil && a.Member.ID == w.member {
			return a
		}
		if w.member == "" && a.Member == nil && a.User != nil && a.User.ID == w.user {
			return a
		}
	}
	return nil
}

func TestDiff(t *testing.T) {
	allowed := Rules{AllowedDomains: []string{"contoso.com"}, Reactivate: true}
	since := time.Date(2025, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		members []Member
		users   []ProcoreUser
		rules   Rules
		want    []want
		// actions is the expected total, which catches extra actions.
		actions int
	}{
		{
			name:    "new member is created",
			members: []Member{member("a", "Ana", "Díaz", "ana@contoso.com", "ana@contoso.com")},
			want:    []want{{member: "a", kind: KindCreate, addr: "ana@contoso.com", first: "Ana", last: "Díaz", reason: []string{"no Procore user under ana@contoso.com", "license group License – Microsoft E3"}}},
			actions: 1,
		},
		{
			name:    "mixed case and whitespace match an active user",
			members: []Member{member("a", "Ana", "Diaz", "  Ana.Diaz@Contoso.COM ", "")},
			users:   []ProcoreUser{puser(4411, "Ana", "Diaz", "ANA.DIAZ@contoso.com ", true)},
			want:    []want{{member: "a", user: 4411, kind: KindInSync, addr: "ana.diaz@contoso.com", reason: []string{"active Procore user 4411"}}},
			actions: 1,
		},
		{
			name:    "null mail falls back to the UPN",
			members: []Member{member("a", "Bo", "Li", "", "Bo.Li@contoso.com")},
			want:    []want{{member: "a", kind: KindCreate, addr: "bo.li@contoso.com", reason: []string{"mail is empty, so the address is the userPrincipalName"}}},
			actions: 1,
		},
		{
			name:    "email_attribute userPrincipalName prefers the UPN",
			members: []Member{member("a", "Bo", "Li", "bo@contoso.com", "bo.li@contoso.com")},
			users:   []ProcoreUser{puser(7, "Bo", "Li", "bo@contoso.com", true)},
			rules:   Rules{EmailAttribute: EmailAttributeUPN},
			// The mail is an alias then, and finds the existing user.
			want:    []want{{member: "a", user: 7, kind: KindInSync, addr: "bo@contoso.com", reason: []string{"matched alias bo@contoso.com on Procore user 7"}}},
			actions: 1,
		},
		{
			name: "smtp alias matches an existing user",
			members: []Member{func() Member {
				m := member("a", "Old", "Name", "new.name@contoso.com", "new.name@contoso.com")
				m.ProxyAddresses = []string{"SMTP:new.name@contoso.com", "smtp:Old.Name@contoso.com", "x500:/o=foo", "sip:old.name@contoso.com"}
				return m
			}()},
			users:   []ProcoreUser{puser(4411, "Old", "Name", "old.name@contoso.com", true)},
			want:    []want{{member: "a", user: 4411, kind: KindInSync, addr: "old.name@contoso.com", reason: []string{"matched alias old.name@contoso.com on Procore user 4411"}}},
			actions: 1,
		},
		{
			name: "sip and x500 proxy addresses are not aliases",
			members: []Member{func() Member {
				m := member("a", "C", "D", "c@contoso.com", "")
				m.ProxyAddresses = []string{"sip:x@contoso.com"}
				return m
			}()},
			users:   []ProcoreUser{puser(1, "X", "Y", "x@contoso.com", true)},
			want:    []want{{member: "a", kind: KindCreate, addr: "c@contoso.com"}},
			actions: 1,
		},
		{
			name:    "inactive match with reactivate on",
			members: []Member{member("a", "Ana", "Diaz", "ana@contoso.com", "")},
			users: []ProcoreUser{func() ProcoreUser {
				u := puser(9, "Ana", "Diaz", "ana@contoso.com", false)
				u.UpdatedAt = since
				return u
			}()},
			rules:   Rules{Reactivate: true},
			want:    []want{{member: "a", user: 9, kind: KindReactivate, reason: []string{"inactive in Procore since 2025-03-02", "Procore user 9"}}},
			actions: 1,
		},
		{
			name:    "inactive match with reactivate off is excluded, never created",
			members: []Member{member("a", "Ana", "Diaz", "ana@contoso.com", "")},
			users: []ProcoreUser{func() ProcoreUser {
				u := puser(9, "Ana", "Diaz", "ana@contoso.com", false)
				u.UpdatedAt = since
				return u
			}()},
			want:    []want{{member: "a", user: 9, kind: KindExcluded, reason: []string{"inactive in Procore since 2025-03-02", "procore.reactivate is off"}}},
			actions: 1,
		},
		{
			name:    "names differ with update_names on",
			members: []Member{member("a", "John", "Smith", "j.smith@contoso.com", "")},
			users:   []ProcoreUser{puser(5, "Jon", "Smith", "j.smith@contoso.com", true)},
			rules:   Rules{UpdateNames: true},
			want:    []want{{member: "a", user: 5, kind: KindUpdate, first: "John", last: "Smith", reason: []string{`Procore has "Jon Smith", Entra ID has "John Smith"`}}},
			actions: 1,
		},
		{
			name:    "names differ with update_names off is in sync with a note",
			members: []Member{member("a", "John", "Smith", "j.smith@contoso.com", "")},
			users:   []ProcoreUser{puser(5, "Jon", "Smith", "j.smith@contoso.com", true)},
			want:    []want{{member: "a", user: 5, kind: KindInSync, reason: []string{"names differ", "procore.update_names is off"}}},
			actions: 1,
		},
		{
			name: "member in three license groups is one action listing all three",
			members: []Member{member("a", "Ana", "Diaz", "ana@contoso.com", "",
				"License – Microsoft E3", "License – Office E1", "License – Visio")},
			want:    []want{{member: "a", kind: KindCreate, reason: []string{"3 license groups: License – Microsoft E3, License – Office E1, License – Visio"}}},
			actions: 1,
		},
		{
			name: "guest is excluded and its UPN is never an address",
			members: []Member{func() Member {
				m := member("g", "Gus", "T", "", "gus_fabrikam.com#EXT#@contoso.onmicrosoft.com")
				m.UserType = "Guest"
				return m
			}()},
			want:    []want{{member: "g", kind: KindExcluded, addr: "", reason: []string{"guest account (userType Guest)"}}},
			actions: 1,
		},
		{
			name: "included guest without mail has no usable address",
			members: []Member{func() Member {
				m := member("g", "Gus", "T", "", "gus_fabrikam.com#EXT#@contoso.onmicrosoft.com")
				m.UserType = "Guest"
				return m
			}()},
			rules:   Rules{IncludeGuests: true},
			want:    []want{{member: "g", kind: KindExcluded, reason: []string{"no usable address: mail is empty and userPrincipalName is a guest UPN (#EXT#)"}}},
			actions: 1,
		},
		{
			name: "included guest with mail is created under the mail",
			members: []Member{func() Member {
				m := member("g", "Gus", "T", "Gus@Fabrikam.com", "gus_fabrikam.com#EXT#@contoso.onmicrosoft.com")
				m.UserType = "Guest"
				return m
			}()},
			rules:   Rules{IncludeGuests: true},
			want:    []want{{member: "g", kind: KindCreate, addr: "gus@fabrikam.com"}},
			actions: 1,
		},
		{
			name: "disabled account is excluded unless included",
			members: []Member{func() Member {
				m := member("d", "Dee", "Off", "dee@contoso.com", "")
				m.AccountEnabled = false
				return m
			}()},
			users: []ProcoreUser{puser(3, "Dee", "Off", "dee@contoso.com", true)},
			rules: allowed,
			// Dee is still in a license group, so her user is not offboarded.
			want:    []want{{member: "d", user: 3, kind: KindExcluded, reason: []string{"disabled account (accountEnabled false)", "Procore user 3 has this address (active)"}}},
			actions: 1,
		},
		{
			name: "disabled account included",
			members: []Member{func() Member {
				m := member("d", "Dee", "Off", "dee@contoso.com", "")
				m.AccountEnabled = false
				return m
			}()},
			rules:   Rules{IncludeDisabled: true},
			want:    []want{{member: "d", kind: KindCreate}},
			actions: 1,
		},
		{
			name:    "invalid mail is excluded with the reason, not replaced by the UPN",
			members: []Member{member("a", "Ana", "Diaz", "ana diaz@contoso.com", "ana@contoso.com")},
			want:    []want{{member: "a", kind: KindExcluded, reason: []string{`invalid mail "ana diaz@contoso.com": it contains a space`}}},
			actions: 1,
		},
		{
			name:    "no address at all",
			members: []Member{member("a", "Ana", "Diaz", "", "  ")},
			want:    []want{{member: "a", kind: KindExcluded, reason: []string{"no usable address: mail is empty and userPrincipalName is empty"}}},
			actions: 1,
		},
		{
			name:    "domain not allowed",
			members: []Member{member("a", "Ana", "Diaz", "ana@fabrikam.com", "")},
			rules:   allowed,
			want:    []want{{member: "a", kind: KindExcluded, reason: []string{"domain fabrikam.com is not in allowed_domains"}}},
			actions: 1,
		},
		{
			name:    "allowed domain written with @ and capitals",
			members: []Member{member("a", "Ana", "Diaz", "ana@contoso.com", "")},
			rules:   Rules{AllowedDomains: []string{" @Contoso.COM "}},
			want:    []want{{member: "a", kind: KindCreate}},
			actions: 1,
		},
		{
			name:    "exclude pattern, case-insensitive",
			members: []Member{member("s", "Svc", "Backup", "SVC-Backup@contoso.com", "")},
			rules:   Rules{Exclude: []string{"svc-*@CONTOSO.com"}},
			want:    []want{{member: "s", kind: KindExcluded, reason: []string{`matches exclude pattern "svc-*@CONTOSO.com"`}}},
			actions: 1,
		},
		{
			name:    "malformed exclude pattern fails closed",
			members: []Member{member("a", "Ana", "Diaz", "ana@contoso.com", "")},
			rules:   Rules{Exclude: []string{"[svc"}},
			want:    []want{{member: "a", kind: KindExcluded, reason: []string{`exclude pattern "[svc" is malformed pattern`}}},
			actions: 1,
		},
		{
			name:    "duplicate Procore users under one address",
			members: []Member{member("a", "J", "Smith", "j.smith@contoso.com", "")},
			users:   []ProcoreUser{puser(12, "J", "Smith", "J.Smith@contoso.com", true), puser(11, "J", "Smith", "j.smith@contoso.com", false)},
			rules:   allowed,
			want:    []want{{member: "a", kind: KindConflict, addr: "j.smith@contoso.com", reason: []string{"Procore holds 2 users under j.smith@contoso.com: 11 (inactive), 12 (active)"}}},
			actions: 1,
		},
		{
			name: "two members resolve to one address",
			members: []Member{
				member("m2", "Jane", "Smith", "j.smith@contoso.com", "jane@contoso.com"),
				member("m1", "John", "Smith", "J.Smith@contoso.com", "john@contoso.com"),
			},
			want: []want{
				{member: "m1", kind: KindConflict, addr: "j.smith@contoso.com", reason: []string{"two members resolve to j.smith@contoso.com: John Smith (m1), Jane Smith (m2)"}},
				{member: "m2", kind: KindConflict, reason: []string{"two members resolve to j.smith@contoso.com: John Smith (m1), Jane Smith (m2)"}},
			},
			actions: 2,
		},
		{
			name: "alias of one member is another member's address",
			members: []Member{
				func() Member {
					m := member("a", "Al", "One", "al@contoso.com", "")
					m.ProxyAddresses = []string{"smtp:bo@contoso.com"}
					return m
				}(),
				member("b", "Bo", "Two", "bo@contoso.com", ""),
			},
			want: []want{
				{member: "a", kind: KindCreate, addr: "al@contoso.com"},
				{member: "b", kind: KindConflict, reason: []string{"two members resolve to bo@contoso.com"}},
			},
			actions: 2,
		},
		{
			name: "addresses match different Procore users",
			members: []Member{func() Member {
				m := member("a", "Al", "One", "al@contoso.com", "")
				m.ProxyAddresses = []string{"smtp:al.one@contoso.com"}
				return m
			}()},
			users:   []ProcoreUser{puser(1, "Al", "One", "al@contoso.com", true), puser(2, "Al", "One", "al.one@contoso.com", true)},
			rules:   allowed,
			want:    []want{{member: "a", kind: KindConflict, reason: []string{"al@contoso.com → Procore user 1, al.one@contoso.com → Procore user 2"}}},
			actions: 1,
		},
		{
			name:    "origin_id finds a user under an address the member no longer has",
			members: []Member{member("a", "Al", "One", "al.new@contoso.com", "")},
			users:   []ProcoreUser{func() ProcoreUser { u := puser(1, "Al", "One", "al.old@contoso.com", true); u.OriginID = "a"; return u }()},
			rules:   allowed,
			want:    []want{{member: "a", user: 1, kind: KindConflict, reason: []string{"Procore user 1 was created for this member (origin_id)"}}},
			actions: 1,
		},
		{
			name: "user created for another member",
			members: []Member{
				member("a", "Al", "One", "al@contoso.com", ""),
				member("b", "Bo", "Two", "bo@contoso.com", ""),
			},
			users: []ProcoreUser{func() ProcoreUser { u := puser(1, "Al", "One", "al@contoso.com", true); u.OriginID = "b"; return u }()},
			want: []want{
				{member: "a", kind: KindConflict, reason: []string{"was created for another member, Bo Two (b)"}},
				{member: "b", kind: KindConflict, reason: []string{"created for this member (origin_id)"}},
			},
			actions: 2,
		},
		{
			name:    "names with accents and apostrophes are kept as they are",
			members: []Member{member("a", "Zoë", "O'Brien-Núñez", "zoe.obrien@contoso.com", "")},
			users:   []ProcoreUser{puser(1, "Zoë", "O'Brien-Núñez", "zoe.obrien@contoso.com", true)},
			rules:   Rules{UpdateNames: true},
			want:    []want{{member: "a", user: 1, kind: KindInSync, first: "Zoë", last: "O'Brien-Núñez"}},
			actions: 1,
		},
		{
			name:    "apostrophe in the address is valid",
			members: []Member{member("a", "Seán", "O'Neill", "Sean.O'Neill@contoso.com", "")},
			want:    []want{{member: "a", kind: KindCreate, addr: "sean.o'neill@contoso.com", first: "Seán", last: "O'Neill"}},
			actions: 1,
		},
		{
			name: "names fall back to the display name",
			members: []Member{
				{ID: "a", DisplayName: "Ana María  Díaz", Mail: "ana@contoso.com", AccountEnabled: true, UserType: "Member"},
				{ID: "b", DisplayName: "Diaz, Bo", Mail: "bo@contoso.com", AccountEnabled: true, UserType: "Member"},
				{ID: "c", GivenName: "Cy", DisplayName: "Reception", Mail: "cy@contoso.com", AccountEnabled: true, UserType: "Member"},
			},
			want: []want{
				{member: "a", kind: KindCreate, first: "Ana María", last: "Díaz"},
				{member: "b", kind: KindCreate, first: "Bo", last: "Diaz"},
				{member: "c", kind: KindCreate, first: "Cy", last: "Reception"},
			},
			actions: 3,
		},
		{
			name:    "no name at all uses the local part and says so",
			members: []Member{{ID: "a", Mail: "svc-print@contoso.com", AccountEnabled: true, UserType: "Member"}},
			want:    []want{{member: "a", kind: KindCreate, last: "svc-print", reason: []string{`the last name is "svc-print" (the address's local part)`}}},
			actions: 1,
		},
		{
			name:    "a name from the local part never updates a real name",
			members: []Member{{ID: "a", Mail: "ana@contoso.com", AccountEnabled: true, UserType: "Member"}},
			users:   []ProcoreUser{puser(1, "Ana", "Diaz", "ana@contoso.com", true)},
			rules:   Rules{UpdateNames: true},
			want:    []want{{member: "a", user: 1, kind: KindInSync}},
			actions: 1,
		},
		{
			name:    "offboard an active user in an allowed domain in no group",
			members: []Member{member("a", "Ana", "Diaz", "ana@contoso.com", "")},
			users: []ProcoreUser{
				puser(1, "Ana", "Diaz", "ana@contoso.com", true),
				puser(2, "Left", "Us", "left@Contoso.com", true),
				puser(3, "Gone", "Already", "gone@contoso.com", false), // inactive: nothing to do
				puser(4, "Sub", "Contractor", "sub@builder.example", true),
				puser(5, "Svc", "Kiosk", "svc-kiosk@contoso.com", true), // excluded by pattern
			},
			rules: Rules{AllowedDomains: []string{"contoso.com"}, Exclude: []string{"svc-*"}},
			want: []want{
				{member: "a", user: 1, kind: KindInSync},
				{user: 2, kind: KindOffboard, addr: "left@contoso.com", reason: []string{"in no license group", `listed only (procore.offboard = "report")`}},
			},
			actions: 2,
		},
		{
			name:    "offboard with deactivate says so",
			users:   []ProcoreUser{puser(2, "Left", "Us", "left@contoso.com", true)},
			rules:   Rules{AllowedDomains: []string{"contoso.com"}, Offboard: OffboardDeactivate},
			want:    []want{{user: 2, kind: KindOffboard, reason: []string{`to be deactivated (procore.offboard = "deactivate")`}}},
			actions: 1,
		},
		{
			name:    "no allowed domains, nobody is offboarded",
			users:   []ProcoreUser{puser(2, "Left", "Us", "left@contoso.com", true)},
			rules:   Rules{Offboard: OffboardDeactivate},
			actions: 0,
		},
		{
			name: "an alias keeps the old address's user from being offboarded",
			members: []Member{func() Member {
				m := member("a", "Ana", "Diaz", "ana.diaz@contoso.com", "")
				m.ProxyAddresses = []string{"smtp:ana@contoso.com"}
				return m
			}()},
			users: []ProcoreUser{puser(1, "Ana", "Diaz", "ana@contoso.com", true)},
			rules: allowed,
			want:  []want{{member: "a", user: 1, kind: KindInSync, addr: "ana@contoso.com"}},
			// Not offboarded, and no second account under ana.diaz@.
			actions: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Snapshot{Members: tt.members, Users: tt.users}
			p := Diff(s, tt.rules)
			if len(p.Actions) != tt.actions {
				t.Errorf("got %d actions, want %d:\n%s", len(p.Actions), tt.actions, dumpPlan(p))
			}
			for _, w := range tt.want {
				a := findAction(p, w)
				if a == nil {
					t.Errorf("no action for %+v:\n%s", w, dumpPlan(p))
					continue
				}
				if a.Kind != w.kind {
					t.Errorf("%s/%d: kind %s, want %s (reason %q)", w.member, w.user, a.Kind, w.kind, a.Reason)
				}
				if w.addr != "" && a.Address != w.addr {
					t.Errorf("%s/%d: address %q, want %q", w.member, w.user, a.Address, w.addr)
				}
				if w.user != 0 && (a.User == nil || a.User.ID != w.user) {
					t.Errorf("%s/%d: user %+v, want id %d", w.member, w.user, a.User, w.user)
				}
				if w.first != "" && a.FirstName != w.first {
					t.Errorf("%s: first name %q, want %q", w.member, a.FirstName, w.first)
				}
				if w.last != "" && a.LastName != w.last {
					t.Errorf("%s: last name %q, want %q", w.member, a.LastName, w.last)
				}
				for _, sub := range w.reason {
					if !strings.Contains(a.Reason, sub) {
						t.Errorf("%s/%d: reason %q lacks %q", w.member, w.user, a.Reason, sub)
					}
				}
			}
			checkPlanShape(t, s, p)
		})
	}
}

func dumpPlan(p Plan) string {
	var b strings.Builder
	for _, a := range p.Actions {
		id := "-"
		if a.Member != nil {
			id = a.Member.ID
		}
		var uid int64
		if a.User != nil {
			uid = a.User.ID
		}
		b.WriteString(string(a.Kind) + " " + a.Address + " member=" + id + " user=" + strconv.FormatInt(uid, 10) + ": " + a.Reason + "\n")
	}
	return b.String()
}

// tb is what checkPlanShape needs of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
}

// checkPlanShape checks what every plan must satisfy: every member in
// exactly one action, sorted by kind then address, counts that add up,
// every reason filled in.
func checkPlanShape(t tb, s *Snapshot, p Plan) {
	t.Helper()
	seen := map[*Member]int{}
	for i := range p.Actions {
		a := &p.Actions[i]
		if a.Member != nil {
			seen[a.Member]++
		}
		if a.Reason == "" {
			t.Errorf("action %d (%s %s) has no reason", i, a.Kind, a.Address)
		}
		if a.Kind == KindOffboard && (a.Member != nil || a.User == nil || !a.User.IsActive) {
			t.Errorf("offboard action %d is not about an active Procore user alone: %+v", i, a)
		}
		if a.Kind == KindCreate && (a.User != nil || a.Address == "" || a.LastName == "") {
			t.Errorf("create action %d lacks what Procore needs: %+v", i, a)
		}
		if i > 0 && cmpAction(p.Actions[i-1], *a) > 0 {
			t.Errorf("actions %d and %d out of order", i-1, i)
		}
	}
	for i := range s.Members {
		if n := seen[&s.Members[i]]; n != 1 {
			t.Errorf("member %s is in %d actions, want 1", s.Members[i].ID, n)
		}
	}
	total := 0
	for _, k := range Kinds {
		total += p.Counts[k]
	}
	if total != len(p.Actions) || len(p.Counts) != len(Kinds) {
		t.Errorf("counts %v do not add up to %d actions", p.Counts, len(p.Actions))
	}
	if len(p.Fingerprint) != 64 {
		t.Errorf("fingerprint %q is not a sha256 hex digest", p.Fingerprint)
	}
}

func TestDiffSortsByKindThenAddress(t *testing.T) {
	s := &Snapshot{
		Members: []Member{
			member("1", "Z", "Z", "zed@contoso.com", ""),
			member("2", "A", "A", "amy@contoso.com", ""),
			member("3", "B", "B", "bob@contoso.com", ""),
			func() Member { m := member("4", "G", "G", "guest@x.com", ""); m.UserType = "Guest"; return m }(),
		},
		Users: []ProcoreUser{puser(1, "B", "B", "bob@contoso.com", true)},
	}
	p := Diff(s, Rules{})
	var got []string
	for _, a := range p.Actions {
		got = append(got, string(a.Kind)+":"+a.Address)
	}
	want := "create:amy@contoso.com create:zed@contoso.com excluded:guest@x.com in_sync:bob@contoso.com"
	if strings.Join(got, " ") != want {
		t.Errorf("order %v, want %s", got, want)
	}
	if p.Counts[KindCreate] != 2 || p.Counts[KindInSync] != 1 || p.Counts[KindExcluded] != 1 || p.Counts[KindConflict] != 0 {
		t.Errorf("counts %v", p.Counts)
	}
}

func TestFingerprint(t *testing.T) {
	base := func() *Snapshot {
		return &Snapshot{
			Members: []Member{member("a", "Ana", "Diaz", "ana@contoso.com", ""), member("b", "Bo", "Li", "bo@contoso.com", "")},
			Users:   []ProcoreUser{puser(1, "Bo", "Li", "bo@contoso.com", true), puser(2, "Sub", "C", "sub@other.example", true)},
		}
	}
	r := Rules{AllowedDomains: []string{"contoso.com"}}
	ref := Diff(base(), r).Fingerprint
	tests := []struct {
		name   string
		change func(s *Snapshot, r *Rules)
		same   bool
	}{
		{"identical inputs", func(*Snapshot, *Rules) {}, true},
		{"taken at another time", func(s *Snapshot, _ *Rules) { s.TakenAt = time.Now() }, true},
		{"unrelated subcontractor renamed", func(s *Snapshot, _ *Rules) { s.Users[1].FirstName = "Other" }, true},
		{"domain order and case", func(_ *Snapshot, r *Rules) { r.AllowedDomains = []string{"CONTOSO.com", "contoso.com"} }, true},
		{"member renamed", func(s *Snapshot, _ *Rules) { s.Members[0].Surname = "Díaz" }, false},
		{"matched user renamed", func(s *Snapshot, _ *Rules) { s.Users[0].LastName = "Lee" }, false},
		{"matched user deactivated", func(s *Snapshot, _ *Rules) { s.Users[0].IsActive = false }, false},
		{"rule changed", func(_ *Snapshot, r *Rules) { r.UpdateNames = true }, false},
		{"offboard mode", func(_ *Snapshot, r *Rules) { r.Offboard = OffboardDeactivate }, false},
		{"member added", func(s *Snapshot, _ *Rules) { s.Members = append(s.Members, member("c", "C", "C", "c@contoso.com", "")) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, rr := base(), r
			rr.AllowedDomains = slicesClone(r.AllowedDomains)
			tt.change(s, &rr)
			got := Diff(s, rr).Fingerprint
			if (got == ref) != tt.same {
				t.Errorf("fingerprint same=%v, want same=%v", got == ref, tt.same)
			}
		})
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// The fingerprint is hashed in chunks on every core; it must not depend on
// how many there are.
func TestFingerprintSameOnAnyCores(t *testing.T) {
	s := equivSnapshot(10000)
	var got []string
	for _, procs := range []int{1, 2, 5} {
		prev := runtime.GOMAXPROCS(procs)
		got = append(got, Diff(s, benchRules).Fingerprint)
		runtime.GOMAXPROCS(prev)
	}
	if got[0] != got[1] || got[0] != got[2] {
		t.Errorf("fingerprints with 1, 2 and 5 cores: %q", got)
	}
}
