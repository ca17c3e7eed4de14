package roster

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"
)

// equivSnapshot builds a deterministic 10k-member tenant that exercises
// every branch of Diff, unlike benchSnapshot's mostly clean data: shared
// and duplicate addresses, origin ids (right, stale and foreign), guests,
// invalid and mixed-case addresses, missing names, accents and blanks.
func equivSnapshot(n int) *Snapshot {
	rng := rand.New(rand.NewPCG(6, 2026))
	s := benchSnapshot(n)
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	addr := func() string {
		// A small pool of locals makes collisions between members and
		// between Procore users common.
		a := "p" + strconv.Itoa(rng.IntN(n/4)) + "@" + pick("contoso.com", "Contoso.COM", "fabrikam.com", "builder.example")
		switch rng.IntN(12) {
		case 0:
			a = strings.ToUpper(a)
		case 1:
			a = "  " + a + "\t"
		case 2:
			a = strings.Replace(a, "@", " @", 1)
		case 3:
			a = "x..y" + a
		case 4:
			a = "Zoë" + a
		}
		return a
	}
	for i := range s.Members {
		m := &s.Members[i]
		switch rng.IntN(10) {
		case 0:
			m.Mail = addr()
		case 1:
			m.ProxyAddresses = append(m.ProxyAddresses, pick("smtp:", "SMTP:", "sip:", "x500:")+addr())
		case 2:
			m.UserPrincipalName = addr()
			m.Mail = ""
		case 3:
			m.GivenName, m.Surname = pick("", "  Ana  María ", "Zoë"), pick("", "O'Neill", "Díaz", "van  der Berg")
			m.DisplayName = pick("", "Díaz, Ana", "Ana María Díaz", "Cher", " \tBo\nLee ")
		case 4:
			m.UserType = pick("guest", " Guest ", "Member")
			m.AccountEnabled = rng.IntN(2) == 0
		case 5:
			m.Groups = []string{"License – Visio", "License – Microsoft E3", "License – Office E1"}
		}
	}
	for i := range s.Users {
		u := &s.Users[i]
		switch rng.IntN(10) {
		case 0:
			u.Email = addr()
		case 1:
			u.OriginID = s.Members[rng.IntN(len(s.Members))].ID
		case 2:
			u.OriginID = s.Members[i%len(s.Members)].ID
			u.Email = addr()
		case 3:
			u.FirstName, u.LastName = pick("", " Ana", "Zoë"), pick("Díaz", "O'Neill ", "")
			u.IsActive = rng.IntN(3) > 0
			u.UpdatedAt = time.Date(2025, 3, 2+rng.IntN(20), 10, 0, 0, 0, time.FixedZone("x", 3600))
		case 4:
			u.ID = int64(1000000 + rng.IntN(n)) // duplicate ids are possible in a broken directory
		}
	}
	// Exact duplicates of some users and members (one address twice).
	for i := 0; i < n/50; i++ {
		s.Users = append(s.Users, s.Users[rng.IntN(len(s.Users))])
		s.Members = append(s.Members, s.Members[rng.IntN(len(s.Members))])
	}
	return s
}

// planDigest hashes everything a plan shows: the fingerprint and every
// action's fields, in plan order.
func planDigest(p Plan) (string, []string) {
	h := sha256.New()
	lines := make([]string, 0, len(p.Actions)+1)
	lines = append(lines, "fingerprint "+p.Fingerprint)
	for _, k := range Kinds {
		if k == KindProjectAdd && p.Counts[k] == 0 {
			// The digests were recorded before project_add was a plan
			// kind; without [[projects]] rules a plan has none.
			continue
		}
		fmt.Fprintf(h, "count %s %d\n", k, p.Counts[k])
	}
	for i := range p.Actions {
		a := &p.Actions[i]
		mid, uid := "-", "-"
		if a.Member != nil {
			mid = a.Member.ID
		}
		if a.User != nil {
			uid = strconv.FormatInt(a.User.ID, 10)
		}
		lines = append(lines, fmt.Sprintf("%s|%s|%s|%s|%q|%q|%t|%s", a.Kind, a.Address, mid, uid, a.FirstName, a.LastName, a.Approved, a.Reason))
	}
	h.Write([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(h.Sum(nil)), lines
}

// TestDiffOutputUnchanged pins Diff's output on a varied 10k-member input
// under several rule sets: the fingerprint and every reason must stay byte
// for byte what they were before Diff was optimised. The digests were
// recorded with the unoptimised implementation, and re-recorded when only
// the fingerprint's format changed (version 2: hashed in chunks). Run with
// PROCSYNC_EQUIV_DUMP=dir to write the plans out for a line-by-line diff.
func TestDiffOutputUnchanged(t *testing.T) {
	s := equivSnapshot(10000)
	tests := []struct {
		name  string
		rules Rules
		want  string
	}{
		{"defaults", Rules{}, "71ffa69c00edc1b9fe98faac422cdfc1c012c7ec3b9926ed171a9faea968dcb4"},
		{"bench", benchRules, "36452885e14f2823585fdd13f0a726a17f5998676af225605d019b1a37779008"},
		{"everything", Rules{IncludeGuests: true, IncludeDisabled: true, AllowedDomains: []string{" @Contoso.com", "fabrikam.com"},
			Exclude: []string{"p1*@*", "SVC-*"}, EmailAttribute: EmailAttributeUPN, Reactivate: true, UpdateNames: true, Offboard: OffboardDeactivate}, "121906e81a33c0a4141fd40cc40b14fc8cb2aa590e2ab32ef2d3bc8123bea339"},
		{"bad pattern", Rules{AllowedDomains: []string{"contoso.com"}, Exclude: []string{"[x"}, UpdateNames: true}, "0f036b5ea8acf3bc6ff666b7d3c1f7216c4cbd3ae2eb0c3c4e0a6d9269c704d3"},
	}
	dump := os.Getenv("PROCSYNC_EQUIV_DUMP")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Diff(s, tt.rules)
			p.ApproveAuto(tt.rules)
			got, lines := planDigest(p)
			if dump != "" {
				if err := os.WriteFile(dump+"/"+strings.ReplaceAll(tt.name, " ", "_")+".txt", []byte(strings.Join(lines, "\n")), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got != tt.want {
				t.Errorf("plan digest = %s, want %s (%d actions; counts %v)", got, tt.want, len(p.Actions), p.Counts)
			}
		})
	}
}

// FuzzPatternMatch checks the exclude patterns' fast path against
// path.Match, whose semantics it promises to keep.
func FuzzPatternMatch(f *testing.F) {
	for _, seed := range [][2]string{
		{"svc-*@contoso.com", "svc-backup@contoso.com"},
		{"svc-*@contoso.com", "svc-a/b@contoso.com"},
		{"*@fabrikam.com", "ana@fabrikam.com"},
		{"ana@contoso.com", "ana@contoso.com"},
		{"a*", "a"},
		{"*", "x/y"},
		{"a?c@d.e", "abc@d.e"},
		{"[a-c]*", "b@x.y"},
		{"svc-*@*.com", "svc-x@y.com"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pat, addr string) {
		p := compilePattern(pat)
		if p.bad {
			return
		}
		want, _ := path.Match(p.lower, addr)
		if got := p.match(addr); got != want {
			t.Fatalf("pattern %q on %q: fast path %v, path.Match %v", pat, addr, got, want)
		}
	})
}
