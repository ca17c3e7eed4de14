package roster

import (
	"fmt"
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
// baseline procsync replaces. The flow first ran an "apply to each" over
// the Procore users, appending each email_address to an array variable,
// then, for each license-group member, a Condition on
// contains(variables('procoreEmails'), mail): a linear scan of that array.
//
// Choices, made so that the baseline is never slower than the seed was:
//   - contains() compares array items exactly, so the comparison here is
//     exact, case-sensitive string equality on the raw values, with no
//     lower-casing (which is also why the seed POSTed "Ana@Contoso.com"
//     again when Procore held "ana@contoso.com").
//   - The array is built once per run, not once per member or group.
//   - Each member is scanned once. The seed's nested loops went group by
//     group, so a member in two license groups was scanned twice; the
//     baseline does less work than that.
//   - mail falls back to userPrincipalName when null, so the baseline
//     handles the same members Diff does.
//
// Paging is left out on purpose: the seed read only the first page of
// each list, which was a bug, not an algorithm.
func seedFlow(s *Snapshot) []string {
	emails := make([]string, 0, len(s.Users))
	for i := range s.Users {
		emails = append(emails, s.Users[i].Email)
	}
	var create []string
	for i := range s.Members {
		m := &s.Members[i]
		addr := m.Mail
		if addr == "" {
			addr = m.UserPrincipalName
		}
		found := false
		for _, e := range emails {
			if e == addr {
				found = true
				break
			}
		}
		if !found {
			create = append(create, addr)
		}
	}
	return create
}

// seedFlowFolded is the seed made case-insensitive the cheapest way (both
// sides lower-cased once, as if the flow had used toLower()): the most
// generous baseline. On benchSnapshot's mixed-case mail it finds most
// members part-way through the array, where seedFlow's exact comparison
// scans to the end, so it is the one to quote when in doubt.
func seedFlowFolded(s *Snapshot) []string {
	emails := make([]string, 0, len(s.Users))
	for i := range s.Users {
		emails = append(emails, strings.ToLower(s.Users[i].Email))
	}
	var create []string
	for i := range s.Members {
		m := &s.Members[i]
		addr := m.Mail
		if addr == "" {
			addr = m.UserPrincipalName
		}
		addr = strings.ToLower(addr)
		found := false
		for _, e := range emails {
			if e == addr {
				found = true
				break
			}
		}
		if !found {
			create = append(create, addr)
		}
	}
	return create
}

// BenchmarkSeedBaseline measures the seed flow's algorithm; it is quadratic,
// so run it with -benchtime=1x.
func BenchmarkSeedBaseline(b *testing.B) {
	for _, flow := range []struct {
		name string
		run  func(*Snapshot) []string
	}{{"exact", seedFlow}, {"folded", seedFlowFolded}} {
		for _, n := range []int{1000, 10000, 20000} {
			b.Run(flow.name+"/members="+strconv.Itoa(n), func(b *testing.B) {
				s := benchSnapshot(n)
				for b.Loop() {
					flow.run(s)
				}
			})
		}
	}
}

// BenchmarkDiffVsSeed runs both at 20k x 20k in the same run and reports
// how many times faster Diff is than the faithful baseline (x-faster) and
// than the generous, case-folded one (x-faster-folded). The baselines are
// timed outside the benchmark loop as the best of three runs (seed-ns,
// folded-ns), so that one unlucky run cannot flatter Diff.
func BenchmarkDiffVsSeed(b *testing.B) {
	const n = 20000
	s := benchSnapshot(n)
	best := func(flow func(*Snapshot) []string) time.Duration {
		d := time.Duration(1<<63 - 1)
		for range 3 {
			start := time.Now()
			if len(flow(s)) == 0 {
				b.Fatal("seed baseline found nothing to create")
			}
			d = min(d, time.Since(start))
		}
		return d
	}
	seed, folded := best(seedFlow), best(seedFlowFolded)
	b.ResetTimer()
	for b.Loop() {
		Diff(s, benchRules)
	}
	perOp := float64(b.Elapsed()) / float64(b.N)
	b.ReportMetric(float64(seed.Nanoseconds()), "seed-ns")
	b.ReportMetric(float64(folded.Nanoseconds()), "folded-ns")
	b.ReportMetric(float64(seed)/perOp, "x-faster")
	b.ReportMetric(float64(folded)/perOp, "x-faster-folded")
}
