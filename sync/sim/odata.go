package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// This file holds the subset of OData $filter that Graph's directory
// endpoints accept: startswith, eq, any() lambdas over collections, and/or
// and parentheses; ne, not and endswith only as advanced queries.

// predicate tests one object; vars binds lambda variables.
type predicate func(obj map[string]any, vars map[string]any) bool

// operand yields a value of an object, or a literal.
type operand func(obj map[string]any, vars map[string]any) any

type filterToken struct {
	kind byte // 'w' word, 's' string, or the punctuation itself
	text string
}

func tokenizeFilter(src string) ([]filterToken, error) {
	var toks []filterToken
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',' || c == ':':
			toks = append(toks, filterToken{kind: c, text: string(c)})
			i++
		case c == '\'':
			// A quote inside a literal is doubled: 'O''Hare'.
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(src) {
				if src[j] == '\'' {
					if j+1 < len(src) && src[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(src[j])
				j++
			}
			if !closed {
				//lint:ignore ST1005 the text is Graph's own error message, answered verbatim
				return nil, fmt.Errorf("Invalid filter clause: unterminated string literal at position %d in '%s'.", i, src)
			}
			toks = append(toks, filterToken{kind: 's', text: b.String()})
			i = j
		default:
			j := i
			for j < len(src) && !strings.ContainsRune(" \t\r\n(),:'", rune(src[j])) {
				j++
			}
			toks = append(toks, filterToken{kind: 'w', text: src[i:j]})
			i = j
		}
	}
	return toks, nil
}

type filterParser struct {
	toks     []filterToken
	pos      int
	src      string
	advanced bool
}

// parseFilter compiles a $filter expression. advanced is true when the
// request carries ConsistencyLevel: eventual.
func parseFilter(src string, advanced bool) (predicate, error) {
	toks, err := tokenizeFilter(src)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks, src: src, advanced: advanced}
	pred, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, p.errorf("unexpected '%s'", p.toks[p.pos].text)
	}
	return pred, nil
}

func (p *filterParser) errorf(format string, args ...any) error {
	//lint:ignore ST1005 the text is Graph's own error message, answered verbatim
	return fmt.Errorf("Invalid filter clause: %s in '%s'.", fmt.Sprintf(format, args...), p.src)
}

func (p *filterParser) unsupported(what string) error {
	return fmt.Errorf("%s is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information", what)
}

func (p *filterParser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == 'w' && strings.EqualFold(p.toks[p.pos].text, w)
}

func (p *filterParser) expect(kind byte) error {
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != kind {
		return p.errorf("expected '%c'", kind)
	}
	p.pos++
	return nil
}

func (p *filterParser) or() (predicate, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peekWord("or") {
		p.pos++
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(o, v map[string]any) bool { return l(o, v) || right(o, v) }
	}
	return left, nil
}

func (p *filterParser) and() (predicate, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.peekWord("and") {
		p.pos++
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(o, v map[string]any) bool { return l(o, v) && right(o, v) }
	}
	return left, nil
}

func (p *filterParser) unary() (predicate, error) {
	if p.peekWord("not") {
		if !p.advanced {
			return nil, p.unsupported("Operator 'not'")
		}
		p.pos++
		inner, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(o, v map[string]any) bool { return !inner(o, v) }, nil
	}
	return p.primary()
}

func (p *filterParser) primary() (predicate, error) {
	if p.pos >= len(p.toks) {
		return nil, p.errorf("unexpected end of expression")
	}
	t := p.toks[p.pos]
	if t.kind == '(' {
		p.pos++
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		return inner, p.expect(')')
	}
	if t.kind == 'w' && p.pos+1 < len(p.toks) && p.toks[p.pos+1].kind == '(' {
		name := strings.ToLower(t.text)
		switch {
		case name == "startswith" || name == "endswith":
			if name == "endswith" && !p.advanced {
				return nil, p.unsupported("Operator 'endsWith'")
			}
			p.pos += 2
			a, err := p.operand()
			if err != nil {
				return nil, err
			}
			if err := p.expect(','); err != nil {
				return nil, err
			}
			b, err := p.operand()
			if err != nil {
				return nil, err
			}
			if err := p.expect(')'); err != nil {
				return nil, err
			}
			return func(o, v map[string]any) bool {
				s, ok1 := a(o, v).(string)
				prefix, ok2 := b(o, v).(string)
				if !ok1 || !ok2 {
					return false
				}
				// Graph compares directory strings case-insensitively.
				s, prefix = strings.ToLower(s), strings.ToLower(prefix)
				if name == "endswith" {
					return strings.HasSuffix(s, prefix)
				}
				return strings.HasPrefix(s, prefix)
			}, nil
		case strings.HasSuffix(name, "/any") || strings.HasSuffix(name, "/all"):
			return p.lambda(t.text)
		default:
			//lint:ignore ST1005 the text is Graph's own error message, answered verbatim
			return nil, fmt.Errorf("Unsupported or invalid query filter clause specified for function '%s': not supported.", t.text)
		}
	}
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != 'w' {
		return nil, p.errorf("expected an operator")
	}
	op := strings.ToLower(p.toks[p.pos].text)
	p.pos++
	switch op {
	case "eq":
	case "ne", "ge", "le", "gt", "lt":
		if !p.advanced {
			return nil, p.unsupported("Operator '" + op + "'")
		}
	default:
		return nil, p.errorf("unknown operator '%s'", op)
	}
	right, err := p.operand()
	if err != nil {
		return nil, err
	}
	return func(o, v map[string]any) bool {
		c, ok := compareValues(left(o, v), right(o, v))
		switch op {
		case "eq":
			return ok && c == 0
		case "ne":
			return !ok || c != 0
		case "ge":
			return ok && c >= 0
		case "le":
			return ok && c <= 0
		case "gt":
			return ok && c > 0
		default:
			return ok && c < 0
		}
	}, nil
}

// lambda parses collection/any(x: …) and collection/all(x: …).
func (p *filterParser) lambda(head string) (predicate, error) {
	// primary only calls it for a head ending in "/any" or "/all".
	i := strings.LastIndex(head, "/")
	coll, fn := head[:i], strings.ToLower(head[i+1:])
	p.pos += 2
	if p.pos < len(p.toks) && p.toks[p.pos].kind == ')' {
		p.pos++
		// any() with no lambda: the collection is not empty.
		return func(o, v map[string]any) bool {
			return len(toList(lookupPath(o, v, coll))) > 0
		}, nil
	}
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != 'w' {
		return nil, p.errorf("expected a lambda variable after '%s('", head)
	}
	name := p.toks[p.pos].text
	p.pos++
	if err := p.expect(':'); err != nil {
		return nil, err
	}
	inner, err := p.or()
	if err != nil {
		return nil, err
	}
	if err := p.expect(')'); err != nil {
		return nil, err
	}
	return func(o, v map[string]any) bool {
		list := toList(lookupPath(o, v, coll))
		for _, elem := range list {
			vars := map[string]any{}
			for k, x := range v {
				vars[k] = x
			}
			vars[name] = elem
			ok := inner(o, vars)
			if fn == "any" && ok {
				return true
			}
			if fn == "all" && !ok {
				return false
			}
		}
		return fn == "all"
	}, nil
}

func (p *filterParser) operand() (operand, error) {
	if p.pos >= len(p.toks) {
		return nil, p.errorf("unexpected end of expression")
	}
	t := p.toks[p.pos]
	p.pos++
	switch t.kind {
	case 's':
		lit := t.text
		return func(_, _ map[string]any) any { return lit }, nil
	case 'w':
		switch strings.ToLower(t.text) {
		case "true":
			return func(_, _ map[string]any) any { return true }, nil
		case "false":
			return func(_, _ map[string]any) any { return false }, nil
		case "null":
			return func(_, _ map[string]any) any { return nil }, nil
		}
		if looksGUID(t.text) {
			lit := t.text
			return func(_, _ map[string]any) any { return lit }, nil
		}
		if f, err := strconv.ParseFloat(t.text, 64); err == nil {
			return func(_, _ map[string]any) any { return f }, nil
		}
		path := t.text
		return func(o, v map[string]any) any { return lookupPath(o, v, path) }, nil
	}
	return nil, p.errorf("unexpected '%s'", t.text)
}

// lookupPath resolves "prop", "x/skuId" (a lambda variable) or "a/b".
func lookupPath(obj, vars map[string]any, path string) any {
	segs := strings.Split(path, "/")
	var cur any = obj
	if v, ok := vars[segs[0]]; ok {
		cur = v
		segs = segs[1:]
	}
	for _, seg := range segs {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = nil
		for k, x := range m {
			if strings.EqualFold(k, seg) {
				cur = x
				break
			}
		}
	}
	return cur
}

func toList(v any) []any {
	switch l := v.(type) {
	case []any:
		return l
	case []string:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out
	case []map[string]any:
		out := make([]any, len(l))
		for i, m := range l {
			out[i] = m
		}
		return out
	}
	return nil
}

// compareValues orders two values of the same kind; strings compare
// case-insensitively, as Graph does. ok is false when they do not compare.
func compareValues(a, b any) (int, bool) {
	switch x := a.(type) {
	case nil:
		return 0, b == nil
	case string:
		y, ok := b.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(strings.ToLower(x), strings.ToLower(y)), true
	case bool:
		y, ok := b.(bool)
		if !ok {
			return 0, false
		}
		if x == y {
			return 0, true
		}
		return 1, true
	case float64:
		y, ok := b.(float64)
		if !ok {
			return 0, false
		}
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	case int:
		return compareValues(float64(x), b)
	}
	return 0, false
}
