package config

import (
	"errors"
	"fmt"
	"strings"
)

// Error is one problem in a configuration file, located at a key and a line
// so that the admin can go straight to it.
type Error struct {
	// File is the name the configuration was parsed under.
	File string
	// Line is 1-based; 0 when the problem has no line (a missing table).
	Line int
	// Key is the dotted key ("procore.company_id"); empty for syntax errors
	// before any key.
	Key string
	// Msg says what is wrong and, where possible, how to fix it.
	Msg string
}

// Error formats the problem as "file:line: key: message", the form editors
// and terminals turn into a link.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem one pass found in a file (syntax, then keys and
// types, then values). Reporting them all at once spares the admin an
// edit-run loop per mistake.
type Errors []*Error

// Error joins the problems one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each problem to errors.As and errors.Is.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// IsConfigError reports whether err comes from a configuration problem (as
// opposed to, say, an unreadable file), which procsync reports with exit
// code 2.
func IsConfigError(err error) bool {
	var e *Error
	return errors.As(err, &e) || errors.Is(err, ErrNoConfig)
}

// ErrNoConfig marks a missing config file: a setup mistake like a bad key,
// so commands exit 2 for it too.
var ErrNoConfig = errors.New("no config file")
