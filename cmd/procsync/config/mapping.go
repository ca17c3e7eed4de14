package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"procsync/sync/roster"
)

// mapping checks the [map] table: each key an Entra user property procsync
// reads, each value a Procore user field it writes, and no Procore field
// written by two properties. Every problem names its key and line, like the
// rest of the file.
func (p *parser) mapping(m map[string]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	writer := map[string]string{}
	for _, k := range keys {
		v := m[k]
		at := toml.Key{"map", k}
		if !slices.Contains(roster.EntraProperties, k) {
			p.add(at, "%q is not an Entra user property procsync maps%s; use one of %s",
				k, didYouMean(k, roster.EntraProperties), strings.Join(roster.EntraProperties, ", "))
			continue
		}
		if !slices.Contains(roster.ProcoreFields, v) {
			p.add(at, "%q is not a Procore user field procsync writes%s; use one of %s",
				v, didYouMean(v, roster.ProcoreFields), strings.Join(roster.ProcoreFields, ", "))
			continue
		}
		if other, dup := writer[v]; dup {
			p.add(at, "%s already writes %s; map one Entra property to each Procore field", other, v)
			continue
		}
		writer[v] = k
	}
}

// didYouMean suggests the closest of names to s, for typos such as
// "jobtitle" or "jobTitle" written as a Procore field.
func didYouMean(s string, names []string) string {
	best := nearest(s, names, 4)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
