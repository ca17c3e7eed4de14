package roster

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestAddrTableFindsWhatItAdded: every address gets one slot, found again
// whether it is looked up as a string or as bytes, before and after the
// table grows far past the size it was made for.
func TestAddrTableFindsWhatItAdded(t *testing.T) {
	in := interner{table: newAddrTable(1)}
	var addrs []string
	for i := range 5000 {
		addrs = append(addrs, "p"+strconv.Itoa(i)+"@contoso.com")
	}
	lookup := func(a string, asBytes bool) int32 {
		if asBytes {
			b := []byte(a)
			return in.table.find(&in.slots, hashAddrBytes(b), b, "")
		}
		return in.table.find(&in.slots, hashAddr(a), nil, a)
	}
	for i, a := range addrs {
		if got := lookup(a, i%2 == 0); got != int32(i) {
			t.Fatalf("new address %s: slot %d, want %d", a, got, i)
		}
	}
	if len(in.table.entries) < 2*len(addrs) {
		t.Fatalf("table of %d entries holds %d addresses", len(in.table.entries), len(addrs))
	}
	for i, a := range addrs {
		for _, asBytes := range []bool{false, true} {
			if got := lookup(a, asBytes); got != int32(i) || in.slots[got].addr != a {
				t.Fatalf("address %s (bytes %v): slot %d (%q), want %d", a, asBytes, got, in.slots[got].addr, i)
			}
		}
	}
	if len(in.slots) != len(addrs) {
		t.Fatalf("%d slots for %d addresses", len(in.slots), len(addrs))
	}
}

// TestDiffNormalisesAsNormalizeAddress: the addresses Diff plans under
// (through its batched, lower-case-as-needed interner) are exactly what
// NormalizeAddress makes of the same values, for the edges of the fast
// paths: already lower-case, upper-case, mixed-case domains, the Kelvin
// sign and the dotless i (which lower-case to ASCII but are not), other
// non-ASCII letters, trailing dots, surrounding blanks. Unusable mails
// leave the member excluded, never matched under a look-alike.
func TestDiffNormalisesAsNormalizeAddress(t *testing.T) {
	values := []string{
		"kim@contoso.com", "KIM@CONTOSO.COM", "Kim@Contoso.Com", "kim@CONTOSO.com", " kim@contoso.com\t",
		"\u212Aim@contoso.com", "k\u0131m@contoso.com", "kïm@contoso.com", "kim@contoso.com.", "kim.@contoso.com",
		"kim@contoso..com", "KIM@contoso", "kim@xn--contoso-9za.com", "Kim.Lee+tag@Sub.Contoso.COM",
	}
	var s Snapshot
	for i, v := range values {
		id := "m" + strconv.Itoa(i)
		// Each member alone under its own domain part, so that no two
		// share an address: kim@contoso.com's variants otherwise conflict.
		s.Members = append(s.Members, Member{ID: id, Surname: id, Mail: v, UserType: "Member", AccountEnabled: true})
	}
	for i := range s.Members {
		one := Snapshot{Members: s.Members[i : i+1]}
		// A Procore user under the lower-case form, when there is one,
		// must be matched; otherwise the member is created or excluded.
		want, ok := NormalizeAddress(values[i])
		if ok {
			one.Users = []ProcoreUser{{ID: 7, LastName: "x", Email: strings.ToUpper(want), IsActive: true}}
		}
		p := Diff(&one, Rules{})
		a := p.Actions[0]
		switch {
		case !ok && a.Kind != KindExcluded:
			t.Errorf("mail %q is unusable, planned %s under %q", values[i], a.Kind, a.Address)
		case ok && (a.Address != want || a.User == nil):
			t.Errorf("mail %q: planned %s under %q (user %v), want a match under %q", values[i], a.Kind, a.Address, a.User, want)
		}
	}
	// All at once: one table, the variants of one address share a slot.
	p := Diff(&s, Rules{})
	var got []string
	for _, a := range p.Actions {
		if a.Address != "" {
			got = append(got, a.Address)
		}
	}
	var want []string
	for _, v := range values {
		if a, ok := NormalizeAddress(v); ok {
			want = append(want, a)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("planned addresses %q, want %q", got, want)
	}
}

// FuzzDiffResolvesAsResolveAddress: Diff's batched resolution (queued
// lookups, settled together, lower-casing only what is not lower-case)
// gives every member the address, aliases, problem and note that
// resolveAddress gives, whatever the values.
func FuzzDiffResolvesAsResolveAddress(f *testing.F) {
	f.Add("Ana@Contoso.com", "ana@contoso.com", "smtp:ANA@contoso.com", "smtp:a.d@Contoso.com", false)
	f.Add("", "\u212Aim@contoso.com", "SMTP:kim@contoso.com", "smtp:kim@contoso.com.", true)
	f.Add(" x..y@contoso.com", "g_f.com#EXT#@contoso.onmicrosoft.com", "sip:x@y.com", "smtp: Bo@x.com ", false)
	f.Fuzz(func(t *testing.T, mail, upn, p1, p2 string, useUPN bool) {
		attr := EmailAttributeMail
		if useUPN {
			attr = EmailAttributeUPN
		}
		m := Member{ID: "m", Mail: mail, UserPrincipalName: upn, ProxyAddresses: []string{p1, p2}}
		// A second member and a user under the same values, so that
		// settle finds existing slots as well as adding new ones.
		s := &Snapshot{Members: []Member{m, m}, Users: []ProcoreUser{{ID: 1, Email: upn}, {ID: 2, Email: mail}}}
		d := newDiffer(s, Rules{EmailAttribute: attr}.compile())
		d.indexUsers()
		d.indexMembers()
		want := resolveAddress(&m, attr)
		for i := range s.Members {
			got := *d.addrOf(int32(i))
			if got.addr != want.addr || got.problem != want.problem || got.note != want.note || !slices.Equal(got.aliases, want.aliases) {
				t.Fatalf("member %d: Diff resolved %q %q %q %q, resolveAddress %q %q %q %q",
					i, got.addr, got.aliases, got.problem, got.note, want.addr, want.aliases, want.problem, want.note)
			}
			if got.addr != "" && d.in.slots[got.slot].addr != got.addr {
				t.Fatalf("member %d: address %q under the slot of %q", i, got.addr, d.in.slots[got.slot].addr)
			}
			for j, a := range got.aliases {
				if sl := d.aliasSlot(&got, j); d.in.slots[sl].addr != a {
					t.Fatalf("member %d: alias %q under the slot of %q", i, a, d.in.slots[sl].addr)
				}
			}
		}
	})
}
