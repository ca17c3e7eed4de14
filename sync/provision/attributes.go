package provision

import (
	"procsync/internal/safetext"
	"procsync/sync/graph"
	"procsync/sync/procore"
	"procsync/sync/roster"
)

// Attribute mapping in the snapshot and in the writes: the mapped Entra
// properties are read (and cleaned) as the members are, the mapped Procore
// fields as the directory is, and a create or update sends the mapped
// fields of its action and nothing else of them.

// memberAttributes returns the mapped properties of u that are set,
// cleaned with safetext.Line as every string from Graph is; nil without a
// mapping.
func memberAttributes(u *graph.User, m roster.Mapping) map[string]string {
	var out map[string]string
	for _, f := range m {
		v, ok := u.Property(f.Entra)
		if v = safetext.Line(v); !ok || v == "" {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(m))
		}
		out[f.Entra] = v
	}
	return out
}

// userAttributes returns the mapped fields of u that are set (the Procore
// client has cleaned them); nil without a mapping.
func userAttributes(u *procore.User, m roster.Mapping) map[string]string {
	var out map[string]string
	for _, f := range m {
		v, ok := u.Field(f.Procore)
		if !ok || v == "" {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(m))
		}
		out[f.Procore] = v
	}
	return out
}

// setAttributes writes an action's mapped fields into a create or update
// body. roster only plans fields of roster.ProcoreFields, all of which
// UserInput writes (TestEveryMappableFieldIsWritten).
func setAttributes(in *procore.UserInput, changes []roster.AttributeChange) {
	for _, c := range changes {
		in.SetField(c.Field, c.New)
	}
}
