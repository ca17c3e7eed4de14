package roster

import (
	"testing"

	"pgregory.net/rapid"
)

// prepared returns a copy of s whose members were prepared for r in pages
// of 999, as a snapshot's reads prepare them.
func prepared(s *Snapshot, r Rules) *Snapshot {
	c := *s
	c.Members = append([]Member(nil), s.Members...)
	for lo := 0; lo < len(c.Members); lo += 999 {
		PrepareAddresses(c.Members[lo:min(lo+999, len(c.Members))], r)
	}
	return &c
}

// TestDiffPreparedUnchanged runs the pinned plans again on prepared
// members: for the rules' own attribute (Diff uses what was prepared) and
// for the other one (Diff must resolve afresh). The digests must be the
// pinned ones.
func TestDiffPreparedUnchanged(t *testing.T) {
	s := equivSnapshot(10000)
	for _, r := range []Rules{{}, benchRules, {EmailAttribute: EmailAttributeUPN, AllowedDomains: []string{"contoso.com"}, Offboard: OffboardDeactivate}} {
		want, _ := planDigest(Diff(s, r))
		other := r
		other.EmailAttribute = EmailAttributeUPN
		if r.emailAttribute() == EmailAttributeUPN {
			other.EmailAttribute = EmailAttributeMail
		}
		for name, pr := range map[string]Rules{"same attribute": r, "other attribute": other} {
			ps := prepared(s, pr)
			if got, _ := planDigest(Diff(ps, r)); got != want {
				t.Errorf("%s, rules %+v: plan digest %s, want %s as unprepared", name, r, got, want)
			}
			if pr.emailAttribute() == r.emailAttribute() && ps.Members[0].preparedFor(r.emailAttribute()) == nil {
				t.Errorf("%s: the members were not prepared", name)
			}
			ReleasePrepared(ps.Members)
			if ps.Members[0].prepared != nil {
				t.Errorf("%s: ReleasePrepared left the members prepared", name)
			}
			if got, _ := planDigest(Diff(ps, r)); got != want {
				t.Errorf("%s, released, rules %+v: plan digest %s, want %s as unprepared", name, r, got, want)
			}
		}
	}
}

// TestPropPreparedChangedMember checks that a member changed after it was
// prepared is planned by its new values: Diff must notice the change, even
// one made in place to its ProxyAddresses.
func TestPropPreparedChangedMember(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := snapshotGen().Draw(t, "snapshot")
		r := rulesGen().Draw(t, "rules")
		ps := prepared(s, rulesGen().Draw(t, "prepared for"))
		for i := range ps.Members {
			m := &ps.Members[i]
			switch rapid.IntRange(0, 5).Draw(t, "change") {
			case 0:
				m.Mail = addrGen().Draw(t, "new mail")
			case 1:
				m.UserPrincipalName = addrGen().Draw(t, "new upn")
			case 2:
				if len(m.ProxyAddresses) > 0 {
					m.ProxyAddresses[0] = "smtp:" + addrGen().Draw(t, "new proxy")
				}
			case 3:
				m.ProxyAddresses = append(m.ProxyAddresses[:len(m.ProxyAddresses):len(m.ProxyAddresses)], "SMTP:"+addrGen().Draw(t, "added proxy"))
			}
		}
		fresh := &Snapshot{Users: ps.Users}
		for _, m := range ps.Members {
			m.prepared = nil
			m.ProxyAddresses = append([]string(nil), m.ProxyAddresses...)
			fresh.Members = append(fresh.Members, m)
		}
		got, want := Diff(ps, r), Diff(fresh, r)
		checkPlanShape(t, ps, got)
		if g, w := dumpPlan(got), dumpPlan(want); g != w || got.Fingerprint != want.Fingerprint {
			t.Fatalf("prepared members planned differently:\n%s\nvs unprepared\n%s", g, w)
		}
	})
}
