package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// parseConsole reads "graph /v1.0/me", "procore /rest/v1.0/me", or a bare
// path whose version prefix says which API it is for.
func parseConsole(line string) (api, path string, err error) {
	f := strings.Fields(line)
	usage := fmt.Errorf("console: type `graph /v1.0/…` or `procore /rest/v1.0/…`")
	switch len(f) {
	case 1:
		path = f[0]
		switch {
		case strings.HasPrefix(path, "/rest/"):
			api = APIProcore
		case strings.HasPrefix(path, "/v1.0/"), strings.HasPrefix(path, "/beta/"):
			api = APIGraph
		default:
			return "", "", usage
		}
	case 2:
		switch strings.ToLower(f[0]) {
		case "graph", "g":
			api = APIGraph
		case "procore", "p":
			api = APIProcore
		default:
			return "", "", usage
		}
		path = f[1]
	default:
		return "", "", usage
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return api, path, nil
}

// console is the GET console: the line being typed and the lines sent.
type console struct {
	input lineInput
	hist  history
}

// history is the console's earlier lines, oldest first, and a cursor that
// up and down move through them; past the newest it stands on a blank line.
type history struct {
	lines []string
	pos   int
}

// add records line unless it repeats the last one, and puts the cursor
// past the newest.
func (h *history) add(line string) {
	if n := len(h.lines); n == 0 || h.lines[n-1] != line {
		h.lines = append(h.lines, line)
	}
	h.pos = len(h.lines)
}

// reset puts the cursor past the newest line.
func (h *history) reset() { h.pos = len(h.lines) }

// prev moves to the older line; ok is false at the oldest.
func (h *history) prev() (line string, ok bool) {
	if h.pos == 0 {
		return "", false
	}
	h.pos--
	return h.lines[h.pos], true
}

// next moves to the newer line, or past the newest to a blank line.
func (h *history) next() string {
	if h.pos < len(h.lines)-1 {
		h.pos++
		return h.lines[h.pos]
	}
	h.pos = len(h.lines)
	return ""
}

// openConsole gives the console the keyboard with an empty line.
func (e *explorer) openConsole() {
	e.mode, e.detail.focus = modeConsole, false
	e.console.input.value, e.console.input.active = "", true
	e.console.hist.reset()
}

func (e *explorer) consoleKey(k tea.KeyPressMsg) tea.Cmd {
	keys, c := &e.keys, &e.console
	switch {
	case key.Matches(k, keys.Back):
		e.mode, c.input.active = modeBrowse, false
		return nil
	case key.Matches(k, keys.HistPrev):
		if line, ok := c.hist.prev(); ok {
			c.input.value = line
		}
		return nil
	case key.Matches(k, keys.HistNext):
		c.input.value = c.hist.next()
		return nil
	case key.Matches(k, keys.Run):
		line := strings.TrimSpace(c.input.value)
		if line == "" {
			return nil
		}
		api, path, err := parseConsole(line)
		if err != nil {
			return e.out.status(levelWarn, err.Error())
		}
		c.hist.add(line)
		e.mode, c.input.active = modeBrowse, false
		e.busy = "GET " + api + " " + path
		b, ctx := e.b, e.ctx
		return func() tea.Msg {
			r, err := b.Get(ctx, api, path)
			return exConsoleMsg{resp: r, err: err}
		}
	}
	c.input.update(k)
	return nil
}
