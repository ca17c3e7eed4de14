package config

import (
	"fmt"
	"reflect"
	"strings"
)

// kind is the TOML shape a key must have.
type kind int

const (
	kTable kind = iota
	kString
	kInt
	kBool
	kStrings
	kInts
	// kStringMap is a table of string values under keys the file chooses
	// ([map]); its keys are checked by the table's own validation.
	kStringMap
	// kTables is an array of tables ([[projects]]): its elements' keys
	// are checked by checkTables against the element type's own schema.
	kTables
)

func (k kind) String() string {
	return [...]string{"a table", "a string", "an integer", "true or false", "an array of strings", "an array of integers", "a table of strings", "an array of tables"}[k]
}

// schema lists every key the file may hold, read from Config's toml tags
// so that a new field is a new key with nothing else to keep in step. Keys
// are in toml.Key.String() form, so a quoted key such as "graph.tenant" (one
// piece with a dot) never matches graph.tenant.
var schema = schemaOf(reflect.TypeFor[Config](), "")

// schemaOf walks the tagged fields of t; fields tagged "-" (the path, the
// secrets) are not keys of the file.
func schemaOf(t reflect.Type, prefix string) map[string]kind {
	out := map[string]kind{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := prefix + name
		k := kindOf(f.Type)
		out[key] = k
		if k == kTable {
			for sub, sk := range schemaOf(f.Type, key+".") {
				out[sub] = sk
			}
		}
	}
	return out
}

// kindOf maps a Go field type to the TOML shape it decodes from. An
// unsupported type is a programming error, caught when the package loads.
func kindOf(t reflect.Type) kind {
	switch t.Kind() {
	case reflect.Struct:
		return kTable
	case reflect.String:
		return kString
	case reflect.Int, reflect.Int64:
		return kInt
	case reflect.Bool:
		return kBool
	case reflect.Map:
		if t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.String {
			return kStringMap
		}
	case reflect.Slice:
		switch t.Elem().Kind() {
		case reflect.String:
			return kStrings
		case reflect.Int, reflect.Int64:
			return kInts
		case reflect.Struct:
			return kTables
		}
	}
	panic(fmt.Sprintf("config: no TOML shape for a field of type %s", t))
}
