package procore_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// specOp is one operation of testdata/specs, as the extracts of Procore's
// OpenAPI description lay it out.
type specOp struct {
	OperationID string      `json:"operationId"`
	Method      string      `json:"method"`
	Path        string      `json:"path"`
	Parameters  []specParam `json:"parameters"`
	RequestBody *struct {
		Required bool    `json:"required"`
		Schema   *schema `json:"schema"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Schema *schema `json:"schema"`
	} `json:"responses"`

	pathRE *regexp.Regexp
}

type specParam struct {
	Name     string `json:"name"`
	In       string `json:"in"`
	Required bool   `json:"required"`
}

// schema is the subset of JSON Schema the spec files use.
type schema struct {
	Type       string             `json:"type"`
	Properties map[string]*schema `json:"properties"`
	Required   []string           `json:"required"`
	Items      *schema            `json:"items"`
	// AdditionalProperties is false, true or a schema; absent means any.
	AdditionalProperties json.RawMessage `json:"additionalProperties"`
	Enum                 []any           `json:"enum"`
	Nullable             bool            `json:"nullable"`
	Description          string          `json:"description"`
}

// placeholder reports whether s stands for a nested object the extraction
// did not spell out ({"type": "object", "description": "(nested object)"},
// e.g. the vendor's id and name in the sync answer): the spec says nothing
// about such a value, so any value passes.
func (s *schema) placeholder() bool {
	return s.Type == "object" && len(s.Properties) == 0 && s.Description == "(nested object)"
}

// loadSpecs reads every operation in testdata/specs.
func loadSpecs(t testing.TB) []*specOp {
	t.Helper()
	files, err := filepath.Glob("testdata/specs/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no spec files in testdata/specs: %v", err)
	}
	var ops []*specOp
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		op := &specOp{}
		if err := json.Unmarshal(b, op); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		op.pathRE = regexp.MustCompile("^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(op.Path), `[0-9]+`) + "$")
		ops = append(ops, op)
	}
	return ops
}

// findOp returns the operation that method and path (below the API base)
// belong to. A literal segment beats a template: PATCH
// …/users/inactive/{id} is not PATCH …/users/{id}.
func findOp(ops []*specOp, method, path string) *specOp {
	var best *specOp
	for _, op := range ops {
		if op.Method != method || !op.pathRE.MatchString(path) {
			continue
		}
		if best == nil || strings.Count(op.Path, "{") < strings.Count(best.Path, "{") {
			best = op
		}
	}
	return best
}

func (op *specOp) queryParam(name string) bool {
	return slices.ContainsFunc(op.Parameters, func(p specParam) bool { return p.In == "query" && p.Name == name })
}

// checkMode says how strict a validation is.
type checkMode struct {
	// closed treats every object as additionalProperties: false: what
	// procsync sends must use only names the spec defines.
	closed bool
	// nullOptional accepts null for a property that is not required. The
	// specs never mark anything nullable, yet Procore answers null for an
	// absent value (no vendor, no employee_id); assumed for answers only.
	nullOptional bool
}

// validate checks v (decoded with UseNumber) against s and returns every
// violation, each with its JSON path.
func validate(s *schema, v any, mode checkMode) []string {
	var errs []string
	validateAt(s, v, "$", mode, false, &errs)
	sort.Strings(errs)
	return errs
}

func validateAt(s *schema, v any, at string, mode checkMode, optional bool, errs *[]string) {
	if s == nil || s.placeholder() {
		return
	}
	fail := func(format string, args ...any) { *errs = append(*errs, at+": "+fmt.Sprintf(format, args...)) }
	if v == nil {
		if !s.Nullable && !(mode.nullOptional && optional) && s.Type != "" {
			fail("null, want %s", s.Type)
		}
		return
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		fail("%v is not one of %v", v, s.Enum)
	}
	switch s.Type {
	case "object":
		if _, ok := v.(map[string]any); !ok {
			fail("%s, want object", kindOf(v))
			return
		}
	case "array":
		if _, ok := v.([]any); !ok {
			fail("%s, want array", kindOf(v))
			return
		}
	case "string":
		if _, ok := v.(string); !ok {
			fail("%s, want string", kindOf(v))
		}
		return
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("%s, want boolean", kindOf(v))
		}
		return
	case "integer":
		if n, ok := v.(json.Number); !ok || strings.ContainsAny(n.String(), ".eE") {
			fail("%v (%s), want integer", v, kindOf(v))
		}
		return
	case "number":
		if _, ok := v.(json.Number); !ok {
			fail("%s, want number", kindOf(v))
		}
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for _, k := range s.Required {
			if _, ok := x[k]; !ok {
				fail("required %q missing", k)
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, ok := s.Properties[k]; ok {
				validateAt(ps, x[k], at+"."+k, mode, !slices.Contains(s.Required, k), errs)
				continue
			}
			switch ap := strings.TrimSpace(string(s.AdditionalProperties)); {
			case ap == "false" || (mode.closed && ap == ""):
				fail("%q is not a property the spec defines", k)
			case strings.HasPrefix(ap, "{"):
				var sub schema
				if json.Unmarshal(s.AdditionalProperties, &sub) == nil {
					validateAt(&sub, x[k], at+"."+k, mode, true, errs)
				}
			}
		}
	case []any:
		for i, e := range x {
			validateAt(s.Items, e, fmt.Sprintf("%s[%d]", at, i), mode, false, errs)
		}
	}
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// decodeJSON decodes b keeping numbers as json.Number, so that the
// checker can tell an integer from a fraction.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// TestSchemaChecker holds the checker itself to the subset it claims.
func TestSchemaChecker(t *testing.T) {
	s := &schema{}
	if err := json.Unmarshal([]byte(`{"type":"object","required":["a"],"properties":{
		"a":{"type":"integer"},
		"b":{"type":"array","items":{"type":"string","enum":["x","y"]}},
		"c":{"type":"object","additionalProperties":false,"properties":{"d":{"type":"boolean"}}},
		"e":{"type":"string","nullable":true},
		"f":{"type":"number"}}}`), s); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		doc  string
		mode checkMode
		want []string
	}{
		{`{"a":1,"b":["x"],"c":{"d":true},"e":null,"f":1.5}`, checkMode{}, nil},
		{`{"b":["z"],"a":1.5}`, checkMode{}, []string{`$.a: 1.5 (number), want integer`, `$.b[0]: z is not one of [x y]`}},
		{`{"a":1,"c":{"z":1}}`, checkMode{}, []string{`$.c: "z" is not a property the spec defines`}},
		{`{}`, checkMode{}, []string{`$: required "a" missing`}},
		{`{"a":1,"zz":1}`, checkMode{}, nil},
		{`{"a":1,"zz":1}`, checkMode{closed: true}, []string{`$: "zz" is not a property the spec defines`}},
		{`{"a":1,"f":null}`, checkMode{}, []string{`$.f: null, want number`}},
		{`{"a":1,"f":null}`, checkMode{nullOptional: true}, nil},
		{`{"a":null}`, checkMode{nullOptional: true}, []string{`$.a: null, want integer`}},
		{`[]`, checkMode{}, []string{`$: array, want object`}},
	}
	for _, tt := range tests {
		v, err := decodeJSON([]byte(tt.doc))
		if err != nil {
			t.Fatal(err)
		}
		if got := validate(s, v, tt.mode); !slices.Equal(got, tt.want) {
			t.Errorf("%s %+v:\n got %q\nwant %q", tt.doc, tt.mode, got, tt.want)
		}
	}
}
