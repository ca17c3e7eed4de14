package sync

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchSnapshot builds a tenant of n members and n Procore users shaped like
// a real one: most members already in Procore (some under an alias, some
// inactive), some new, a few guests and disabled accounts, and Procore
// users nobody claims (leavers and subcontractors) filling up to n.
func benchSnapshot(n int) *Snapshot {
	s := &Snapshot{Members: make([]Member, 0, n), Users: make([]ProcoreUser, 0, n)}
	groups := [][]string{{"License – Microsoft E3"}, {"License – Microsoft E3", "License – Office E1"}, {"License – Microsoft F1"}}
	for i := range n {
		id := strconv.Itoa(i)
		m := Member{
			ID: "00000000-0000-0000-0000-" + fmt.Sprintf("%012d", i), GivenName: "First" + id, Surname: "Last" + id,
			DisplayName: "First" + id + " Last" + id, Mail: "First" + id + ".Last" + id + "@Contoso.com",
			UserPrincipalName: "f" + id + "@contoso.com", AccountEnabled: true, UserType: "Member",
			ProxyAddresses: []string{"SMTP:first" + id + ".last" + id + "@contoso.com", "smtp:f" + id + "@contoso.com"},
			Groups:         groups[i%len(groups)],
		}
		switch i % 50 {
		case 0:
			m.UserType = "Guest"
			m.UserPrincipalName = "g" + id + "_fabrikam.com#EXT#@contoso.onmicrosoft.com"
		case 1:
			m.AccountEnabled = false
		case 2:
			m.Mail = ""
		}
		s.Members = append(s.Members, m)
		u := ProcoreUser{ID: int64(1000000 + i), FirstName: m.GivenName, LastName: m.Surname,
			Email: strings.ToLower(m.Mail), IsActive: true, IsEmployee: true}
		switch r := i % 20; {
		case r < 2: // new hires: no Procore user yet
			continue
		case r == 3: // created under the old alias
			u.Email = "f" + id + "@contoso.com"
		case r == 4:
			u.IsActive = false
		case r == 5:
			u.FirstName = "Frst" + id
		}
		if u.Email == "" {
			u.Email = m.UserPrincipalName
		}
		s.Users = append(s.Users, u)
	}
	for i := 0; len(s.Users) < n; i++ {
		domain := "contoso.com"
		if i%3 == 0 {
			domain = "builder.example"
		}
		s.Users = append(s.Users, ProcoreUser{ID: int64(5000000 + i), FirstName: "Other", LastName: strconv.Itoa(i),
			Email: "other" + strconv.Itoa(i) + "@" + domain, IsActive: i%4 != 0})
	}
	return s
}

var benchRules = Rules{AllowedDomains: []string{"contoso.com"}, Exclude: []string{"svc-*@contoso.com"}, Reactivate: true}

// BenchmarkDiff measures Diff at 1k, 10k and 100k members against as many
// Procore users. Time must grow linearly (plus the plan's sort).
func BenchmarkDiff(b *testing.B) {
	for _, n := range []int{1000, 10000, 20000, 100000} {
		b.Run("members="+strconv.Itoa(n), func(b *testing.B) {
			s := benchSnapshot(n)
			b.ReportAllocs()
			for b.Loop() {
				p := Diff(s, benchRules)
				if len(p.Actions) < n {
					b.Fatalf("%d actions for %d members", len(p.Actions), n)
				}
			}
		})
	}
}

// seedFlow is a faithful copy of the Power Automate flow's algorithm, the
// baseline procsync replaces: an array of every Procore address, then for
// each member a linear "contains" on it.
func seedFlow(s *Snapshot) []string {
	addrs := make([]string, 0, len(s.Users))
	for _, u := range s.Users {
		addrs = append(addrs, strings.ToLower(u.Email))
	}
	var create []string
	for _, m := range s.Members {
		addr := m.Mail
		if addr == "" {
			addr = m.UserPrincipalName
		}
		addr = strings.ToLower(addr)
		if !slices.Contains(addrs, addr) {
			create = append(create, addr)
		}
	}
	return create
}

// BenchmarkSeedBaseline measures the seed flow's algorithm; it is quadratic,
// so run it with -benchtime=1x.
func BenchmarkSeedBaseline(b *testing.B) {
	for _, n := range []int{1000, 10000, 20000} {
		b.Run("members="+strconv.Itoa(n), func(b *testing.B) {
			s := benchSnapshot(n)
			for b.Loop() {
				seedFlow(s)
			}
		})
	}
}

// BenchmarkDiffVsSeed runs both at 20k x 20k in the same run and reports
// how many times faster Diff is (x-faster), with the baseline's time once
// per benchmark (seed-ns).
func BenchmarkDiffVsSeed(b *testing.B) {
	const n = 20000
	s := benchSnapshot(n)
	start := time.Now()
	seedFlow(s)
	seed := time.Since(start)
	b.ResetTimer()
	for b.Loop() {
		Diff(s, benchRules)
	}
	perOp := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(seed.Nanoseconds()), "seed-ns")
	b.ReportMetric(float64(seed)/float64(perOp), "x-faster")
}
