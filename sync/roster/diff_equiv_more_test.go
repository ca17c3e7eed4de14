package roster

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// equivSnapshotMore is equivSnapshot with what TestDiffOutputUnchanged's
// snapshot leaves out: mapped attributes on both sides, project
// directories, an ignore list, and addresses that only a careful
// normaliser handles (the Kelvin sign, trailing dots, non-ASCII letters,
// upper-case and mixed-case domains, a guest UPN among the proxies).
func equivSnapshotMore(n int) *Snapshot {
	rng := rand.New(rand.NewPCG(18, 6))
	s := equivSnapshot(n)
	s.Groups = []Group{{ID: "g-e3", DisplayName: "License – Microsoft E3"}, {ID: "g-e1", DisplayName: "License – Office E1"}}
	odd := []string{
		"\u212Aim@contoso.com", "kim@contoso.com", "KIM@CONTOSO.COM", "kim@contoso.com.", "kim.@contoso.com",
		"kim@Contoso.Com", "kïm@contoso.com", "  Kim@contoso.COM ", "kim@contoso..com", "kim@-contoso.com",
		"kim_fabrikam.com#EXT#@contoso.onmicrosoft.com", "kim@contoso", "k\u0131m@contoso.com",
	}
	titles := []string{"", "Engineer", " Site Lead ", "engineer"}
	for i := range s.Members {
		m := &s.Members[i]
		if rng.IntN(40) == 0 {
			m.Mail = odd[rng.IntN(len(odd))]
		}
		if rng.IntN(40) == 0 {
			m.ProxyAddresses = append(m.ProxyAddresses, "smtp:"+odd[rng.IntN(len(odd))])
		}
		if rng.IntN(3) == 0 {
			m.Attributes = map[string]string{"jobTitle": titles[rng.IntN(len(titles))], "country": []string{"US", "United States", "de", ""}[rng.IntN(4)]}
		}
	}
	for i := range s.Users {
		u := &s.Users[i]
		if rng.IntN(40) == 0 {
			u.Email = odd[rng.IntN(len(odd))]
		}
		if rng.IntN(3) == 0 {
			u.Attributes = map[string]string{"job_title": titles[rng.IntN(len(titles))], "country_code": "US"}
		}
	}
	for p := range 3 {
		d := ProjectDirectory{ProjectID: int64(100 + p)}
		for j := 0; j < len(s.Users); j += 3 + p {
			d.UserIDs = append(d.UserIDs, s.Users[j].ID)
		}
		s.Projects = append(s.Projects, d)
	}
	for j := 0; j < 40; j++ {
		m := &s.Members[rng.IntN(len(s.Members))]
		g := Ignore{By: "admin" + strconv.Itoa(j%3), Reason: "test " + strconv.Itoa(j)}
		switch j % 3 {
		case 0:
			g.EntraID = m.ID
		case 1:
			g.Address = m.UserPrincipalName
		default:
			g.Address = strings.ToUpper(m.Mail)
		}
		s.Ignored = append(s.Ignored, g)
	}
	return s
}

// planDigestMore is planDigest plus what it leaves out: conflict
// candidates, mapped attributes and project rows.
func planDigestMore(p Plan) (string, []string) {
	d, lines := planDigest(p)
	h := sha256.New()
	h.Write([]byte(d))
	for i := range p.Actions {
		a := &p.Actions[i]
		var b strings.Builder
		for _, c := range a.Candidates {
			fmt.Fprintf(&b, " c%d", c.ID)
		}
		for _, c := range a.Attributes {
			fmt.Fprintf(&b, " a%s", c)
		}
		if a.Project != nil {
			fmt.Fprintf(&b, " p%+v", *a.Project)
		}
		lines[i+1] += "|" + b.String()
		h.Write([]byte(b.String() + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil)), lines
}

// TestDiffOutputUnchangedMore pins Diff's output, fingerprint included,
// where TestDiffOutputUnchanged does not look: attribute mapping, project
// rows, the ignore list and addresses that must normalise exactly as they
// did (or stay unusable). The digests were recorded before Diff's
// interner, reasons and fingerprint encoding were rewritten for speed,
// and re-recorded when only the fingerprint's format changed (version 2).
// PROCSYNC_EQUIV_DUMP=dir writes the plans out for a line-by-line diff.
func TestDiffOutputUnchangedMore(t *testing.T) {
	s := equivSnapshotMore(10000)
	mapping := NewMapping(map[string]string{"jobTitle": "job_title", "country": "country_code"})
	projects := []ProjectRule{{Group: "g-e3", ProjectIDs: []int64{100, 101}, PermissionTemplateID: 9}, {Group: "license – office e1", ProjectIDs: []int64{102, 100}}}
	tests := []struct {
		name  string
		rules Rules
		want  string
	}{
		{"defaults", Rules{}, "f2e84609fe552f3cd4a8ee07ac5befe2838f48c523cb675c3ccadeb4d36d9501"},
		{"map", Rules{Map: mapping, AllowedDomains: []string{"contoso.com"}, Reactivate: true}, "92c6d0ae33e68e625822877fb1638a3306fa9b724694bb5ad4a3434dd1949bd5"},
		{"map names", Rules{Map: mapping, UpdateNames: true, AutoUpdates: true, Offboard: OffboardDeactivate, AllowedDomains: []string{"contoso.com", "fabrikam.com"}}, "7dfbc7efb5d99d50f518a1fa3708203db6d1be4fa099ac5b3c2206d48aaf0fe9"},
		{"projects", Rules{Projects: projects, Reactivate: true, AllowedDomains: []string{"contoso.com"}}, "f130c0535000922c509bd18e72382c3176ece5fdbb071fff4293f7e01318e27f"},
		{"everything", Rules{IncludeGuests: true, IncludeDisabled: true, AllowedDomains: []string{"Contoso.com"}, Exclude: []string{"p2*@*", "[k]im@*"},
			EmailAttribute: EmailAttributeUPN, Reactivate: true, UpdateNames: true, Offboard: OffboardDeactivate, Map: mapping, Projects: projects}, "e4711f244c88f4b41835ce0b3953d0a34d800789f5024aac7fcb2aac6c8e74af"},
	}
	dump := os.Getenv("PROCSYNC_EQUIV_DUMP")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Diff(s, tt.rules)
			p.ApproveAuto(tt.rules)
			got, lines := planDigestMore(p)
			if dump != "" {
				if err := os.WriteFile(dump+"/more_"+strings.ReplaceAll(tt.name, " ", "_")+".txt", []byte(strings.Join(lines, "\n")), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got != tt.want {
				t.Errorf("plan digest = %s, want %s (%d actions; counts %v)", got, tt.want, len(p.Actions), p.Counts)
			}
		})
	}
}
