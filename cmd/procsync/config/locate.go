package config

import (
	"errors"
	"reflect"
	"slices"
	"strconv"

	"github.com/BurntSushi/toml"
)

// line finds the line where key k is defined, by decoding the document
// once more into a type built to fail exactly at k. The TOML library
// (v1.6) records every key's position, but its MetaData exposes none of
// them: a position only leaves the library inside the ParseError of a
// failed decode. Only keys with a problem are located, so the extra decode
// costs nothing on a good file.
func (p *parser) line(k toml.Key) int {
	if len(k) == 0 || p.raw == nil {
		return 0
	}
	target := reflect.New(probeType(k, p.raw))
	_, err := toml.Decode(string(p.data), target.Interface())
	var pe toml.ParseError
	if errors.As(err, &pe) && pe.Message == errLocated.Error() && pe.LastKey == k.String() {
		return pe.Position.Line
	}
	return 0
}

// errLocated is recognised by its text: toml.ParseError does not unwrap.
var errLocated = errors.New("procsync: config key located")

// locator fails on decode, marking the key being decoded.
type locator struct{}

func (locator) UnmarshalTOML(any) error { return errLocated }

// ignored accepts any value, so that sibling keys bind to exact-name
// fields instead of case-insensitively to the locator.
type ignored struct{}

func (ignored) UnmarshalTOML(any) error { return nil }

var (
	locatorType = reflect.TypeFor[locator]()
	ignoredType = reflect.TypeFor[ignored]()
)

func probeType(k toml.Key, tree map[string]any) reflect.Type {
	names := make([]string, 0, len(tree))
	for name := range tree {
		names = append(names, name)
	}
	slices.Sort(names)
	fields := make([]reflect.StructField, 0, len(names))
	for i, name := range names {
		t := ignoredType
		if name == k[0] {
			t = locatorType
			if sub, ok := tree[name].(map[string]any); ok && len(k) > 1 {
				t = probeType(k[1:], sub)
			}
		}
		fields = append(fields, reflect.StructField{
			Name: "F" + strconv.Itoa(i),
			Type: t,
			Tag:  reflect.StructTag("toml:" + strconv.Quote(name)),
		})
	}
	return reflect.StructOf(fields)
}
