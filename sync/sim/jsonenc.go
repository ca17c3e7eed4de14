package sim

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// This file is a small JSON encoder for the simulator's answers. It writes
// exactly the bytes encoding/json's Marshal writes for the same values
// (map keys sorted, HTML characters escaped, invalid UTF-8 replaced), so
// that switching to it changes no answer; it is only cheaper. A 50,000-user
// read spent half its CPU in json.Marshal of maps: reflection over
// map[string]any, a sort per object and an allocation per value. Types it
// does not know go to json.Marshal.

// jsonAppender is a value that encodes itself. Implementations must write
// what json.Marshal writes for the map form they stand for.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// marshalJSON encodes v into b as json.Marshal would.
func marshalJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case jsonAppender:
		return x.appendJSON(b), nil
	case []string:
		if x == nil {
			return append(b, "null"...), nil
		}
		return appendJSONStrings(b, x), nil
	case []any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = marshalJSON(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case []map[string]any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = marshalJSON(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		if x == nil {
			return append(b, "null"...), nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		// encoding/json sorts string keys by plain string comparison.
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			var err error
			if b, err = marshalJSON(b, x[k]); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, enc...), nil
}

// appendJSONStrings encodes a non-nil string slice.
func appendJSONStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONStringOrNull encodes s, or null when it is empty (the
// simulator's nilIfEmpty).
func appendJSONStringOrNull(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}

const jsonHex = "0123456789abcdef"

// jsonSafe marks the ASCII bytes encoding/json copies as they are
// (its htmlSafeSet): printable, and not the quote, backslash, <, > or &.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString quotes s the way encoding/json does with HTML escaping
// on (its default): <, > and & as \u003c, \u003e and \u0026, U+2028 and
// U+2029 escaped, invalid UTF-8 as \ufffd.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', jsonHex[c>>4], jsonHex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', jsonHex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonBufs recycles answer buffers: a page of 1,000 Procore users is about
// 550 kB, and allocating and regrowing that per request fed the garbage
// collector. A small free list rather than a sync.Pool, which every
// collection empties (and a large read collects often).
var jsonBufs = make(chan []byte, 8)

// maxPooledBuf keeps an unusually large answer's buffer out of the list.
const maxPooledBuf = 2 << 20

func getJSONBuf() []byte {
	select {
	case b := <-jsonBufs:
		return b[:0]
	default:
		return make([]byte, 0, 64<<10)
	}
}

func putJSONBuf(b []byte) {
	if cap(b) > maxPooledBuf {
		return
	}
	select {
	case jsonBufs <- b[:0]:
	default:
	}
}
