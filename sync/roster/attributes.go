package roster

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Attribute mapping: the config's [map] table copies Entra user properties
// to Procore company user fields. Only mapped fields are ever compared or
// written, and an empty Entra value never blanks a Procore field: an empty
// property usually means "never filled in" rather than "remove it", and a
// blanked phone number cannot be restored from the journal.

// EntraProperties are the Graph user properties (v1.0 user resource) a
// mapping may read. All are strings except businessPhones, a collection of
// which the first entry is used.
var EntraProperties = []string{
	"businessPhones", "city", "companyName", "country", "department", "employeeId",
	"jobTitle", "mobilePhone", "officeLocation", "postalCode", "state", "streetAddress",
}

// ProcoreFields are the company user fields a mapping may write: the string
// fields that both the users/sync entry and the company user create take
// and that the directory listing returns (Procore's OpenAPI description of
// those endpoints).
var ProcoreFields = []string{
	"address", "business_phone", "city", "country_code", "employee_id", "fax_number",
	"job_title", "mobile_phone", "state_code", "zip",
}

// FieldMap is one entry of the mapping: Entra property → Procore field.
type FieldMap struct {
	Entra   string
	Procore string
}

// Mapping is the [map] table, sorted by Procore field (see NewMapping).
type Mapping []FieldMap

// NewMapping builds a mapping from the config's table (Entra property →
// Procore field), in a canonical order so that plans and fingerprints do
// not depend on the order of the file.
func NewMapping(table map[string]string) Mapping {
	if len(table) == 0 {
		return nil
	}
	m := make(Mapping, 0, len(table))
	for e, p := range table {
		m = append(m, FieldMap{Entra: e, Procore: p})
	}
	slices.SortFunc(m, func(a, b FieldMap) int {
		return cmp.Or(strings.Compare(a.Procore, b.Procore), strings.Compare(a.Entra, b.Entra))
	})
	return m
}

// Validate reports the first entry naming an unknown property or field, or
// a Procore field that two properties would write.
func (m Mapping) Validate() error {
	seen := map[string]string{}
	for _, f := range m {
		if err := CheckFieldMap(f.Entra, f.Procore); err != nil {
			return err
		}
		if other, dup := seen[f.Procore]; dup {
			return fmt.Errorf("rules: map: %s and %s both write %s; map one Entra property to each Procore field", other, f.Entra, f.Procore)
		}
		seen[f.Procore] = f.Entra
	}
	return nil
}

// CheckFieldMap reports whether entra → procore is a pairing procsync can
// map: a known Entra property, a known Procore field.
func CheckFieldMap(entra, procore string) error {
	if !slices.Contains(EntraProperties, entra) {
		return fmt.Errorf("rules: map: %q is not an Entra user property procsync maps (one of %s)", entra, strings.Join(EntraProperties, ", "))
	}
	if !slices.Contains(ProcoreFields, procore) {
		return fmt.Errorf("rules: map: %q is not a Procore user field procsync writes (one of %s)", procore, strings.Join(ProcoreFields, ", "))
	}
	return nil
}

// EntraSelect returns the mapped Entra properties, sorted: what the member
// reads must $select on top of what the plan always needs.
func (m Mapping) EntraSelect() []string {
	out := make([]string, 0, len(m))
	for _, f := range m {
		out = append(out, f.Entra)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// AttributeChange is one mapped field a create or update writes. Old is
// Procore's current value ("" for a create).
type AttributeChange struct {
	// Field is the Procore field ("job_title").
	Field string
	// Entra is the Entra property the value comes from ("jobTitle").
	Entra string
	Old   string
	New   string
}

// String renders the change as the plan shows it: field "old" → "new".
func (c AttributeChange) String() string {
	return fmt.Sprintf("%s %q → %q", c.Field, c.Old, c.New)
}

// ProcoreValue converts an Entra value to the value Procore field takes,
// and says why not when there is none. country_code and state_code take
// ISO 3166 codes while Entra's country and state are free text ("United
// States", "California"): only values that already are codes (two letters
// for a country; two or three letters or digits for a state) are mapped,
// upper-cased; anything else is left alone rather than guessed.
func ProcoreValue(field, v string) (string, string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", ""
	}
	switch field {
	case "country_code":
		if len(v) != 2 || !isCode(v, false) {
			return "", fmt.Sprintf("%q is not a two-letter ISO 3166 country code, so country_code is left as it is", v)
		}
		return strings.ToUpper(v), ""
	case "state_code":
		if len(v) < 2 || len(v) > 3 || !isCode(v, true) {
			return "", fmt.Sprintf("%q is not an ISO 3166-2 state code (two or three letters or digits), so state_code is left as it is", v)
		}
		return strings.ToUpper(v), ""
	}
	return v, ""
}

func isCode(s string, digits bool) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || digits && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// changes returns the mapped fields whose value in Procore differs from
// Entra's, and notes on the values that cannot be mapped. An Entra value
// that is empty changes nothing. Against an empty user it is what a create
// writes: every mapped value that is set.
func (m Mapping) changes(mb *Member, u *ProcoreUser) ([]AttributeChange, []string) {
	var out []AttributeChange
	var notes []string
	for _, f := range m {
		v, note := ProcoreValue(f.Procore, mb.Attributes[f.Entra])
		if note != "" {
			notes = append(notes, note)
		}
		if old := strings.TrimSpace(u.Attributes[f.Procore]); v != "" && v != old {
			out = append(out, AttributeChange{Field: f.Procore, Entra: f.Entra, Old: old, New: v})
		}
	}
	return out, notes
}

// appendRules adds the mapping to the fingerprint's encoding, and
// appendValues an action's mapped values. Nothing is added without a
// mapping, so plans without one keep their fingerprints.
func (m Mapping) appendRules(buf []byte) []byte {
	if len(m) == 0 {
		return buf
	}
	buf = appendStr(buf, "map")
	for _, f := range m {
		buf = appendStr(buf, f.Entra)
		buf = appendStr(buf, f.Procore)
	}
	return buf
}

func (m Mapping) appendValues(buf []byte, a *Action) []byte {
	if len(m) == 0 {
		return buf
	}
	for _, f := range m {
		if a.Member != nil {
			buf = appendStr(buf, a.Member.Attributes[f.Entra])
		}
		if a.User != nil {
			buf = appendStr(buf, a.User.Attributes[f.Procore])
		}
	}
	return buf
}
