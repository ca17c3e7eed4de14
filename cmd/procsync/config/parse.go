package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// secretKeys are refused with a pointer to the environment variable, since
// a secret in a file ends up in backups, tickets and screenshots.
var secretKeys = map[string]string{
	"graph.client_secret":   GraphSecretEnv,
	"procore.client_secret": ProcoreSecretEnv,
}

// Load reads and validates the file at path and takes the client secrets
// from the environment.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("config: %w at %s (run `procsync init` to write one, or pass --config): %w", ErrNoConfig, path, err)
		}
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	cfg, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	cfg.Graph.ClientSecret = os.Getenv(GraphSecretEnv)
	cfg.Procore.ClientSecret = os.Getenv(ProcoreSecretEnv)
	return cfg, nil
}

// Parse validates data as a procsync configuration named name (used in
// error messages) and returns it with defaults applied. It reads no
// environment variables. A non-nil error is an Errors listing every
// problem found.
func Parse(data []byte, name string) (*Config, error) {
	p := &parser{name: name, data: data}

	// Pass 1: syntax. The untyped decode keeps every key and value, right
	// or wrong, for the shape check.
	md, err := toml.Decode(string(data), &p.raw)
	if err != nil {
		return nil, Errors{p.fromDecodeError(err)}
	}
	p.md = md

	// Pass 2: unknown keys, secrets and value types, all of them at once.
	// The typed decode alone cannot do this: it stops at the first type
	// mismatch and matches field names case-insensitively ("Tenant" would
	// fill tenant), so the shape check walks the library's key list against
	// the schema read from Config's tags first.
	p.checkShape(md.Keys())
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	cfg := Default()
	cfg.Path = name
	typed, err := toml.Decode(string(data), cfg)
	if err != nil {
		// The shape check should have caught every type problem; this is
		// the library's own wording for anything it did not foresee.
		return nil, Errors{p.fromDecodeError(err)}
	}
	// Strict decoding: whatever the struct did not take is an unknown key.
	for _, k := range typed.Undecoded() {
		p.add(k, "unknown key")
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}

	// Pass 3: values, then the engine's rules on what they map to.
	cfg.applyGroupDefault()
	p.validate(cfg)
	p.validateProjects(cfg)
	if len(p.errs) == 0 {
		p.checkRules(cfg)
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return cfg, nil
}

// parser holds one Parse call's input and the problems found so far.
type parser struct {
	name string
	data []byte
	// raw and md are the untyped decode of pass 1.
	raw  map[string]any
	md   toml.MetaData
	errs Errors
	// checkedTables is set once [[projects]] was checked: the library
	// lists an array of tables' key once per element.
	checkedTables bool
}

func (p *parser) fromDecodeError(err error) *Error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		// The library's line is one too far when the error sits on a
		// newline; the byte offset is exact.
		line := pe.Position.Line
		if s := pe.Position.Start; s >= 0 && s <= len(p.data) && pe.Position.Len > 0 {
			line = bytes.Count(p.data[:s], []byte("\n")) + 1
		}
		return &Error{File: p.name, Line: line, Msg: "syntax error: " + pe.Message}
	}
	return &Error{File: p.name, Msg: err.Error()}
}

// add records a problem at key k, locating its line.
func (p *parser) add(k toml.Key, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.name, Line: p.line(k), Key: k.String(), Msg: fmt.Sprintf(format, args...)})
}

// checkShape reports unknown keys, secrets and values of the wrong type,
// in file order. Children of a reported key are skipped: one mistake, one
// message.
func (p *parser) checkShape(keys []toml.Key) {
	var bad []toml.Key
	for _, k := range keys {
		if slices.ContainsFunc(bad, func(b toml.Key) bool { return hasPrefix(k, b) }) {
			continue
		}
		ks := k.String()
		if env, ok := secretKeys[ks]; ok {
			// Never echo the value: it is a secret.
			p.add(k, "secrets are not read from the config file; remove this key and set the environment variable %s", env)
			bad = append(bad, k)
			continue
		}
		want, ok := schema[ks]
		if !ok && len(k) > 1 && schema[k[:len(k)-1].String()] == kStringMap {
			// A key of a free-keyed table: any name, a string value.
			want, ok = kString, true
		}
		if !ok {
			msg := "unknown key"
			if s := suggest(k); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			p.add(k, "%s", msg)
			bad = append(bad, k)
			continue
		}
		v := lookup(p.raw, k)
		if got := typeName(v); !fits(want, v) {
			p.add(k, "must be %s, not %s", want, got)
			bad = append(bad, k)
			continue
		}
		if want == kTables {
			p.checkTables(k)
		}
		if want != kTable && want != kStringMap {
			// A leaf's children (keys of an inline table in an array) were
			// already covered by the type check.
			bad = append(bad, k)
		}
	}
}

func hasPrefix(k, prefix toml.Key) bool {
	return len(k) > len(prefix) && slices.Equal(k[:len(prefix)], prefix)
}

// suggest returns the known key closest to k within its table, if any is
// close enough to be a likely typo.
func suggest(k toml.Key) string {
	parent := toml.Key(k[:len(k)-1]).String()
	var cands []string
	for name := range schema {
		switch {
		case len(k) == 1 && !strings.Contains(name, "."):
			cands = append(cands, name)
		case len(k) == 2 && strings.HasPrefix(name, parent+"."):
			cands = append(cands, strings.TrimPrefix(name, parent+"."))
		}
	}
	return nearest(k[len(k)-1], cands, 3)
}

// nearest returns the candidate closest to s (ignoring case) by fewer than
// limit edits, the alphabetically first on a tie, or "" if none is: the one
// rule behind every "did you mean" of the config.
func nearest(s string, cands []string, limit int) string {
	best, bestD := "", limit
	for _, c := range cands {
		d := Distance(strings.ToLower(s), strings.ToLower(c))
		if d < bestD || (d == bestD && best != "" && c < best) {
			best, bestD = c, d
		}
	}
	return best
}

// Distance is the Levenshtein distance, for typo suggestions only (config
// keys here, command-line flags in cmd/procsync); long inputs are cut short
// since no key or flag is longer than 30 bytes.
func Distance(a, b string) int {
	if len(a) > 64 {
		return len(a)
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func lookup(m map[string]any, k toml.Key) any {
	var v any = m
	for _, piece := range k {
		t, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = t[piece]
	}
	return v
}

func fits(want kind, v any) bool {
	switch want {
	case kTable, kStringMap:
		_, ok := v.(map[string]any)
		return ok
	case kString:
		_, ok := v.(string)
		return ok
	case kInt:
		_, ok := v.(int64)
		return ok
	case kBool:
		_, ok := v.(bool)
		return ok
	case kTables:
		_, ok := v.([]map[string]any)
		return ok
	case kStrings, kInts:
		arr, ok := v.([]any)
		if !ok {
			return false
		}
		elem := kString
		if want == kInts {
			elem = kInt
		}
		for _, e := range arr {
			if !fits(elem, e) {
				return false
			}
		}
		return true
	}
	return false
}

func typeName(v any) string {
	switch v := v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date/time"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	case []any:
		for _, e := range v {
			if _, ok := e.(string); !ok {
				return "an array holding " + typeName(e)
			}
		}
		return "an array of strings"
	}
	return fmt.Sprintf("%T", v)
}
