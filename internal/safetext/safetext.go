// Package safetext makes text from directories and servers safe to show in
// a terminal, a log or a report. A display name or an error message comes
// from people and systems procsync does not control; an escape sequence in
// one (OSC 52 writes the clipboard, OSC 8 hides a link) must never reach
// the operator's terminal. Text is cleaned once, where it is read.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s as one printable line: escape sequences are dropped, every
// other control character (newlines and tabs included) becomes a space,
// and invalid UTF-8 becomes U+FFFD. Use it for names, addresses and ids.
func Line(s string) string { return clean(s, false) }

// Text is Line but keeps newlines and tabs, for multi-line messages.
func Text(s string) string { return clean(s, true) }

func clean(s string, keepLines bool) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == 0x1b || r == 0x9b || r == 0x9d || r == 0x90 || r == 0x9e || r == 0x9f:
			// ESC or an 8-bit introducer: skip the whole sequence.
			i += skipEscape(s[i:], size)
			continue
		case (r == '\n' || r == '\t') && keepLines:
			b.WriteRune(r)
		case r == '\r' && keepLines:
			// Drop carriage returns: alone they can overwrite a shown line.
		case unicode.IsControl(r) || r == 0x2028 || r == 0x2029:
			b.WriteByte(' ')
		case unicode.Is(unicode.Bidi_Control, r):
			// Bidirectional overrides can make a shown name read differently
			// from what it is.
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII, the common case, so that
// cleaning it allocates nothing.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// skipEscape returns the length of the escape sequence at the start of s,
// whose introducer is size bytes long: CSI up to its final byte; OSC, DCS,
// SOS, PM and APC up to BEL or ST; a two-byte ESC sequence otherwise.
func skipEscape(s string, size int) int {
	intro, _ := utf8.DecodeRuneInString(s)
	kind := intro
	n := size
	if intro == 0x1b {
		if n >= len(s) {
			return n
		}
		switch s[n] {
		case '[':
			kind = 0x9b
		case ']':
			kind = 0x9d
		case 'P':
			kind = 0x90
		case 'X', '^', '_':
			kind = 0x9e
		default:
			return n + 1
		}
		n++
	}
	switch kind {
	case 0x9b: // CSI: parameters and intermediates, then one final byte.
		for n < len(s) {
			c := s[n]
			n++
			if c >= 0x40 && c <= 0x7e {
				break
			}
		}
		return n
	default: // string sequences end at BEL, ESC \ or the 8-bit ST.
		for n < len(s) {
			if s[n] == 0x07 {
				return n + 1
			}
			if s[n] == 0x1b && n+1 < len(s) && s[n+1] == '\\' {
				return n + 2
			}
			if r, sz := utf8.DecodeRuneInString(s[n:]); r == 0x9c {
				return n + sz
			}
			n++
		}
		return n
	}
}
