package ui

import (
	"fmt"
	"testing"

	tea "charm.land/bubbletea/v2"

	"procsync/sync/roster"
)

// bigReview builds a root model on the review screen over n members, n
// Procore users and an n-row plan, at 120x40.
func bigReview(tb testing.TB, n int) *model {
	tb.Helper()
	s := &roster.Snapshot{Groups: []roster.Group{{ID: "g1", DisplayName: "License – Microsoft 365 E3"}, {ID: "g2", DisplayName: "License – Microsoft 365 F1"}}}
	s.Members = make([]roster.Member, n)
	s.Users = make([]roster.ProcoreUser, n)
	p := roster.Plan{Actions: make([]roster.Action, n), Counts: roster.Counts{}}
	kinds := []roster.Kind{roster.KindCreate, roster.KindReactivate, roster.KindInSync, roster.KindInSync, roster.KindExcluded}
	for i := 0; i < n; i++ {
		addr := fmt.Sprintf("user%06d@contoso.com", i)
		g := s.Groups[i%2].DisplayName
		s.Members[i] = roster.Member{ID: fmt.Sprint(i), GivenName: "Given", Surname: fmt.Sprintf("Sur%d", i),
			DisplayName: fmt.Sprintf("Given Sur%d", i), Mail: addr, AccountEnabled: true, UserType: "Member", Groups: []string{g}}
		s.Users[i] = roster.ProcoreUser{ID: int64(i), FirstName: "Given", LastName: fmt.Sprintf("Sur%d", i), Email: addr, IsActive: i%7 != 0}
		k := kinds[i%len(kinds)]
		p.Actions[i] = roster.Action{Kind: k, Address: addr, Member: &s.Members[i], FirstName: "Given",
			LastName: fmt.Sprintf("Sur%d", i), Reason: "in " + g + "; no Procore user has this address"}
		p.Counts[k]++
	}
	m := newModel(newFake(EnvSandbox), Options{StaticSpinner: true, StatusTTL: -1})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.rv = newReview(s, p)
	m.rv.bind(m.context(), &m.keys)
	m.screen = screenReview
	return m
}

// BenchmarkCursorMove is one j keystroke on a 100,000-row plan: Update plus
// the full View the renderer would draw. Budget: 5 ms.
func BenchmarkCursorMove(b *testing.B) {
	m := bigReview(b, 100_000)
	down, up := press("j"), press("k")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := down
		if i%2000 >= 1000 {
			k = up
		}
		m.Update(k)
		_ = m.View()
	}
}

// BenchmarkFilterKeystroke is the first filter keystroke on a 100,000-row
// plan, the worst case (a full scan), plus the View. Budget: 30 ms.
func BenchmarkFilterKeystroke(b *testing.B) {
	m := bigReview(b, 100_000)
	m.Update(press("/"))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(press("9"))
		_ = m.View()
		b.StopTimer()
		m.Update(tea.KeyPressMsg{Code: tea.KeyBackspace})
		b.StartTimer()
	}
}

// BenchmarkReviewBuild is the cost of turning a 100,000-person snapshot and
// plan into the review screen, paid once per refresh.
func BenchmarkReviewBuild(b *testing.B) {
	m := bigReview(b, 100_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = newReview(m.rv.snap, m.rv.plan)
	}
}
