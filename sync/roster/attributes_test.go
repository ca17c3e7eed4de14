package roster

import (
	"slices"
	"strings"
	"testing"
)

var titlePhone = NewMapping(map[string]string{"jobTitle": "job_title", "businessPhones": "business_phone", "country": "country_code"})

// attrSnap is one member matched to one active Procore user, with the
// given Entra properties and Procore fields.
func attrSnap(m, u map[string]string) *Snapshot {
	mb := member("e1", "Ana", "Ruiz", "ana@contoso.com", "ana@contoso.com")
	mb.Attributes = m
	pu := puser(7, "Ana", "Ruiz", "ana@contoso.com", true)
	pu.Attributes = u
	return &Snapshot{Members: []Member{mb}, Users: []ProcoreUser{pu}}
}

// TestAttributeChangesMakeOneUpdateRow: mapped fields that differ make one
// update row per person holding every changed field old → new (with the
// names when update_names is on and they differ); an empty Entra value, a
// free-text country and an unmapped field change nothing.
func TestAttributeChangesMakeOneUpdateRow(t *testing.T) {
	for _, tt := range []struct {
		name       string
		m, u       map[string]string
		rules      Rules
		surname    string
		want       []AttributeChange
		kind       Kind
		reason     []string
		wantFirst  string
		wantLast   string
		autoUpdate bool
	}{
		{name: "title and phone differ",
			m: map[string]string{"jobTitle": "Senior Engineer", "businessPhones": "+1 555 0101"}, u: map[string]string{"job_title": "Engineer"},
			rules: Rules{Map: titlePhone}, kind: KindUpdate,
			want: []AttributeChange{{Field: "business_phone", Entra: "businessPhones", New: "+1 555 0101"},
				{Field: "job_title", Entra: "jobTitle", Old: "Engineer", New: "Senior Engineer"}},
			reason:    []string{`business_phone "" → "+1 555 0101", job_title "Engineer" → "Senior Engineer" (Procore user 7)`},
			wantFirst: "Ana", wantLast: "Ruiz"},
		{name: "empty Entra value never blanks Procore",
			m: map[string]string{}, u: map[string]string{"job_title": "Engineer", "business_phone": "+1"},
			rules: Rules{Map: titlePhone}, kind: KindInSync},
		{name: "unmapped field differs",
			m: map[string]string{"jobTitle": "Engineer", "department": "Field"}, u: map[string]string{"job_title": "Engineer", "city": "Austin"},
			rules: Rules{Map: titlePhone}, kind: KindInSync},
		{name: "free-text country is not guessed",
			m: map[string]string{"country": "United States"}, u: map[string]string{"country_code": "CA"},
			rules: Rules{Map: titlePhone}, kind: KindInSync, reason: []string{`"United States" is not a two-letter ISO 3166 country code`}},
		{name: "two-letter country is upper-cased",
			m: map[string]string{"country": "us"}, u: map[string]string{"country_code": "CA"},
			rules: Rules{Map: titlePhone, AutoUpdates: true}, kind: KindUpdate, autoUpdate: true,
			want:      []AttributeChange{{Field: "country_code", Entra: "country", Old: "CA", New: "US"}},
			wantFirst: "Ana", wantLast: "Ruiz"},
		{name: "names differ, update_names off: the row keeps Procore's names",
			m: map[string]string{"jobTitle": "Lead"}, rules: Rules{Map: titlePhone}, surname: "Ruiz-Díaz", kind: KindUpdate,
			want:      []AttributeChange{{Field: "job_title", Entra: "jobTitle", New: "Lead"}},
			reason:    []string{`job_title "" → "Lead"`, "procore.update_names is off"},
			wantFirst: "Ana", wantLast: "Ruiz"},
		{name: "names and title in one row",
			m: map[string]string{"jobTitle": "Lead"}, rules: Rules{Map: titlePhone, UpdateNames: true}, surname: "Ruiz-Díaz", kind: KindUpdate,
			want:      []AttributeChange{{Field: "job_title", Entra: "jobTitle", New: "Lead"}},
			reason:    []string{`names differ: Procore has "Ana Ruiz", Entra ID has "Ana Ruiz-Díaz", job_title "" → "Lead"`},
			wantFirst: "Ana", wantLast: "Ruiz-Díaz"},
		{name: "no mapping: the values are ignored",
			m: map[string]string{"jobTitle": "Lead"}, rules: Rules{}, kind: KindInSync},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := attrSnap(tt.m, tt.u)
			if tt.surname != "" {
				s.Members[0].Surname = tt.surname
			}
			p := Diff(s, tt.rules)
			a := p.Actions[0]
			if len(p.Actions) != 1 || a.Kind != tt.kind {
				t.Fatalf("actions %+v, want one %s", p.Actions, tt.kind)
			}
			if !slices.Equal(a.Attributes, tt.want) {
				t.Errorf("attributes %+v, want %+v", a.Attributes, tt.want)
			}
			for _, r := range tt.reason {
				if !strings.Contains(a.Reason, r) {
					t.Errorf("reason %q lacks %q", a.Reason, r)
				}
			}
			if tt.kind == KindUpdate {
				if a.FirstName != tt.wantFirst || a.LastName != tt.wantLast {
					t.Errorf("update writes names %q %q, want %q %q", a.FirstName, a.LastName, tt.wantFirst, tt.wantLast)
				}
				if got := AutoApproves(&a, tt.rules); got != tt.autoUpdate {
					t.Errorf("AutoApproves = %v, want %v (auto.updates = %v)", got, tt.autoUpdate, tt.rules.AutoUpdates)
				}
			}
		})
	}
}

// TestCreateCarriesMappedFields: a create writes every mapped value that
// is set, converted, and no other.
func TestCreateCarriesMappedFields(t *testing.T) {
	mb := member("e2", "Ben", "Okafor", "ben@contoso.com", "ben@contoso.com")
	mb.Attributes = map[string]string{"jobTitle": "Foreman", "country": "de", "department": "Yard"}
	p := Diff(&Snapshot{Members: []Member{mb}}, Rules{Map: titlePhone})
	want := []AttributeChange{{Field: "country_code", Entra: "country", New: "DE"}, {Field: "job_title", Entra: "jobTitle", New: "Foreman"}}
	if a := p.Actions[0]; a.Kind != KindCreate || !slices.Equal(a.Attributes, want) {
		t.Fatalf("create %+v, want attributes %+v", a, want)
	}
}

// TestFingerprintCoversMapping: the mapping and the mapped values change
// the fingerprint; an unmapped value does not, and no mapping leaves it as
// it was before mappings existed.
func TestFingerprintCoversMapping(t *testing.T) {
	base := Diff(attrSnap(map[string]string{"jobTitle": "A"}, map[string]string{"job_title": "A"}), Rules{Map: titlePhone}).Fingerprint
	for name, fp := range map[string]string{
		"entra value":     Diff(attrSnap(map[string]string{"jobTitle": "B"}, map[string]string{"job_title": "A"}), Rules{Map: titlePhone}).Fingerprint,
		"procore value":   Diff(attrSnap(map[string]string{"jobTitle": "A"}, map[string]string{"job_title": "B"}), Rules{Map: titlePhone}).Fingerprint,
		"mapping":         Diff(attrSnap(map[string]string{"jobTitle": "A"}, map[string]string{"job_title": "A"}), Rules{Map: NewMapping(map[string]string{"jobTitle": "job_title"})}).Fingerprint,
		"mapping removed": Diff(attrSnap(map[string]string{"jobTitle": "A"}, map[string]string{"job_title": "A"}), Rules{}).Fingerprint,
	} {
		if fp == base {
			t.Errorf("%s: fingerprint unchanged", name)
		}
	}
	same := Diff(attrSnap(map[string]string{"jobTitle": "A", "department": "X"}, map[string]string{"job_title": "A", "city": "Y"}), Rules{Map: titlePhone}).Fingerprint
	if same != base {
		t.Error("an unmapped value changed the fingerprint")
	}
	if a, b := Diff(attrSnap(map[string]string{"jobTitle": "A"}, nil), Rules{}).Fingerprint, Diff(attrSnap(nil, nil), Rules{}).Fingerprint; a != b {
		t.Error("without a mapping, attributes changed the fingerprint")
	}
}

// TestMappingValidate refuses unknown names and a field written twice.
func TestMappingValidate(t *testing.T) {
	for _, m := range []map[string]string{
		{"jobtitle": "job_title"}, {"jobTitle": "title"}, {"jobTitle": "job_title", "department": "job_title"},
	} {
		if err := NewMapping(m).Validate(); err == nil {
			t.Errorf("Validate(%v) = nil", m)
		}
	}
	if err := titlePhone.Validate(); err != nil {
		t.Errorf("Validate(titlePhone) = %v", err)
	}
	if got := titlePhone.EntraSelect(); !slices.Equal(got, []string{"businessPhones", "country", "jobTitle"}) {
		t.Errorf("EntraSelect = %v", got)
	}
}
