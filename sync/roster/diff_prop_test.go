package roster

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// Small pools make collisions (shared addresses, aliases, duplicates,
// origin ids) common, which is where a diff goes wrong.
var (
	propLocals  = []string{"ana", "bo", "cy", "dee", "svc-eve", "ana.diaz"}
	propDomains = []string{"contoso.com", "fabrikam.com"}
	propNames   = []string{"", "Ana", "Bo", "Zoë", "O'Neill", "Díaz"}
	propGroups  = []string{"License – Microsoft E3", "License – Office E1", "License – Visio"}
)

// addrGen draws an address from the pools, in random case and with random
// surrounding whitespace, sometimes broken.
func addrGen() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		a := rapid.SampledFrom(propLocals).Draw(t, "local") + "@" + rapid.SampledFrom(propDomains).Draw(t, "domain")
		switch rapid.IntRange(0, 5).Draw(t, "variant") {
		case 1:
			a = strings.ToUpper(a)
		case 2:
			a = " " + strings.ToUpper(a[:1]) + a[1:] + "\t"
		case 3:
			a = strings.Replace(a, "@", " @", 1) // invalid
		}
		return a
	})
}

func memberGen(id string) *rapid.Generator[Member] {
	return rapid.Custom(func(t *rapid.T) Member {
		m := Member{
			ID:             id,
			GivenName:      rapid.SampledFrom(propNames).Draw(t, "given"),
			Surname:        rapid.SampledFrom(propNames).Draw(t, "surname"),
			AccountEnabled: rapid.IntRange(0, 4).Draw(t, "enabled") > 0,
			UserType:       "Member",
		}
		if rapid.IntRange(0, 5).Draw(t, "guest") == 0 {
			m.UserType = "Guest"
		}
		m.DisplayName = strings.TrimSpace(m.GivenName + " " + m.Surname)
		if rapid.IntRange(0, 3).Draw(t, "mail") > 0 {
			m.Mail = addrGen().Draw(t, "mailaddr")
		}
		if m.UserType == "Guest" {
			m.UserPrincipalName = id + "_fabrikam.com#EXT#@contoso.onmicrosoft.com"
		} else {
			m.UserPrincipalName = addrGen().Draw(t, "upn")
		}
		for range rapid.IntRange(0, 2).Draw(t, "proxies") {
			prefix := rapid.SampledFrom([]string{"SMTP:", "smtp:", "sip:"}).Draw(t, "prefix")
			m.ProxyAddresses = append(m.ProxyAddresses, prefix+addrGen().Draw(t, "proxy"))
		}
		for _, g := range propGroups {
			if rapid.Bool().Draw(t, "in "+g) {
				m.Groups = append(m.Groups, g)
			}
		}
		return m
	})
}

func userGen(id int64, members int) *rapid.Generator[ProcoreUser] {
	return rapid.Custom(func(t *rapid.T) ProcoreUser {
		u := ProcoreUser{
			ID:        id,
			FirstName: rapid.SampledFrom(propNames).Draw(t, "first"),
			LastName:  rapid.SampledFrom(propNames).Draw(t, "last"),
			Email:     addrGen().Draw(t, "email"),
			IsActive:  rapid.IntRange(0, 3).Draw(t, "active") > 0,
		}
		if members > 0 && rapid.IntRange(0, 3).Draw(t, "origin") == 0 {
			u.OriginID = "m" + strconv.Itoa(rapid.IntRange(0, members-1).Draw(t, "originof"))
		}
		return u
	})
}

func snapshotGen() *rapid.Generator[*Snapshot] {
	return rapid.Custom(func(t *rapid.T) *Snapshot {
		s := &Snapshot{}
		for i := range rapid.IntRange(0, 12).Draw(t, "members") {
			s.Members = append(s.Members, memberGen("m"+strconv.Itoa(i)).Draw(t, "member"))
		}
		for i := range rapid.IntRange(0, 12).Draw(t, "users") {
			s.Users = append(s.Users, userGen(int64(100+i), len(s.Members)).Draw(t, "user"))
		}
		return s
	})
}

func rulesGen() *rapid.Generator[Rules] {
	return rapid.Custom(func(t *rapid.T) Rules {
		r := Rules{
			IncludeGuests:   rapid.Bool().Draw(t, "guests"),
			IncludeDisabled: rapid.Bool().Draw(t, "disabled"),
			Reactivate:      rapid.Bool().Draw(t, "reactivate"),
			UpdateNames:     rapid.Bool().Draw(t, "update"),
			EmailAttribute:  rapid.SampledFrom([]string{"", EmailAttributeMail, EmailAttributeUPN}).Draw(t, "attr"),
			Offboard:        rapid.SampledFrom([]string{"", OffboardReport, OffboardDeactivate}).Draw(t, "offboard"),
		}
		if rapid.Bool().Draw(t, "restrict") {
			r.AllowedDomains = []string{"contoso.com"}
		}
		if rapid.Bool().Draw(t, "exclude") {
			r.Exclude = []string{"svc-*"}
		}
		return r
	})
}

func TestPropPermutationInvariance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := snapshotGen().Draw(t, "snapshot")
		r := rulesGen().Draw(t, "rules")
		p := Diff(s, r)
		checkPlanShape(t, s, p)
		q := Diff(&Snapshot{
			Members: rapid.Permutation(s.Members).Draw(t, "members permuted"),
			Users:   rapid.Permutation(s.Users).Draw(t, "users permuted"),
		}, r)
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("permuting the inputs changed the plan:\n%s\nvs\n%s", dumpPlan(p), dumpPlan(q))
		}
	})
}

func TestPropApplyingLeavesNothingToCreate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := snapshotGen().Draw(t, "snapshot")
		r := rulesGen().Draw(t, "rules")
		p := Diff(s, r)
		next := &Snapshot{Members: s.Members, Users: slices.Clone(s.Users)}
		byID := map[int64]int{}
		for i, u := range next.Users {
			byID[u.ID] = i
		}
		id := int64(10000)
		for _, a := range p.Actions {
			switch a.Kind {
			case KindCreate:
				id++
				next.Users = append(next.Users, ProcoreUser{ID: id, FirstName: a.FirstName, LastName: a.LastName,
					Email: a.Address, IsActive: true, OriginID: a.Member.ID})
			case KindReactivate:
				next.Users[byID[a.User.ID]].IsActive = true
			}
		}
		q := Diff(next, r)
		if q.Counts[KindCreate] != 0 || q.Counts[KindReactivate] != 0 {
			t.Fatalf("after applying, the next plan still has %d creates and %d reactivations:\n%s",
				q.Counts[KindCreate], q.Counts[KindReactivate], dumpPlan(q))
		}
		checkPlanShape(t, next, q)
	})
}

func TestPropNoAddressCreatedTwice(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := snapshotGen().Draw(t, "snapshot")
		p := Diff(s, rulesGen().Draw(t, "rules"))
		existing := map[string]bool{}
		for _, u := range s.Users {
			if a, ok := NormalizeAddress(u.Email); ok {
				existing[a] = true
			}
		}
		created := map[string]bool{}
		for _, a := range p.Actions {
			if a.Kind != KindCreate {
				continue
			}
			if created[a.Address] {
				t.Fatalf("%s is created twice:\n%s", a.Address, dumpPlan(p))
			}
			if existing[a.Address] {
				t.Fatalf("%s is created although Procore has it:\n%s", a.Address, dumpPlan(p))
			}
			if n, ok := NormalizeAddress(a.Address); !ok || n != a.Address {
				t.Fatalf("create under unnormalised address %q", a.Address)
			}
			created[a.Address] = true
		}
	})
}

func TestPropEligibleMembersOnce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := snapshotGen().Draw(t, "snapshot")
		r := rulesGen().Draw(t, "rules")
		p := Diff(s, r)
		for i := range s.Members {
			m := &s.Members[i]
			var kinds []Kind
			for _, a := range p.Actions {
				if a.Member == m {
					kinds = append(kinds, a.Kind)
				}
			}
			if len(kinds) != 1 {
				t.Fatalf("member %s is in %d actions %v", m.ID, len(kinds), kinds)
			}
			// An ineligible member is excluded, whatever Procore holds.
			ineligible := (m.UserType == "Guest" && !r.IncludeGuests) || (!m.AccountEnabled && !r.IncludeDisabled)
			if ineligible && kinds[0] != KindExcluded {
				t.Fatalf("ineligible member %s planned as %s", m.ID, kinds[0])
			}
		}
	})
}

func TestPropAutoNeverApprovesInformational(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := snapshotGen().Draw(t, "snapshot")
		r := rulesGen().Draw(t, "rules")
		p := Diff(s, r)
		n := p.ApproveAuto(r)
		if got := len(p.Approved()); got != n {
			t.Fatalf("ApproveAuto returned %d, %d approved", n, got)
		}
		check := func(how string) {
			for _, a := range p.Actions {
				if !a.Approved {
					continue
				}
				switch {
				case a.Kind == KindExcluded || a.Kind == KindConflict || a.Kind == KindInSync:
					t.Fatalf("%s approved a %s action: %s", how, a.Kind, a.Reason)
				case a.Kind == KindOffboard && r.Offboard != OffboardDeactivate:
					t.Fatalf("%s approved an offboard with offboard = %q", how, r.Offboard)
				}
			}
		}
		check("ApproveAuto")
		for _, a := range p.Actions {
			if wantAuto := a.Kind == KindCreate || a.Kind == KindReactivate && r.Reactivate ||
				a.Kind == KindUpdate && r.UpdateNames || a.Kind == KindOffboard && r.Offboard == OffboardDeactivate; a.Approved != wantAuto {
				t.Fatalf("ApproveAuto left a %s action approved=%v", a.Kind, a.Approved)
			}
		}
		p.Approve(nil)
		check("Approve(nil)")
		p.Unapprove(nil)
		for i := range p.Actions {
			p.Toggle(i)
		}
		check("Toggle")
	})
}
