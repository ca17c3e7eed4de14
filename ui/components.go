package ui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Colours are plain ANSI colours: the program's colour profile downsamples
// or strips them (NO_COLOR), so nothing here has to check the environment.
var (
	colRed    = lipgloss.Color("1")
	colGreen  = lipgloss.Color("2")
	colYellow = lipgloss.Color("3")
	colBlue   = lipgloss.Color("4")
	colCyan   = lipgloss.Color("6")
	colGrey   = lipgloss.Color("8")
	colWhite  = lipgloss.Color("15")
	colBlack  = lipgloss.Color("0")

	stBold     = lipgloss.NewStyle().Bold(true)
	stDim      = lipgloss.NewStyle().Foreground(colGrey)
	stTitle    = lipgloss.NewStyle().Bold(true)
	stSelected = lipgloss.NewStyle().Reverse(true)
	stErr      = lipgloss.NewStyle().Foreground(colRed).Bold(true)
	stWarn     = lipgloss.NewStyle().Foreground(colYellow).Bold(true)
	stInfo     = lipgloss.NewStyle().Foreground(colCyan)
	stOK       = lipgloss.NewStyle().Foreground(colGreen)
)

// kindStyle colours plan kinds consistently in every screen.
var kindStyle = map[string]lipgloss.Style{
	"create":     lipgloss.NewStyle().Foreground(colGreen).Bold(true),
	"reactivate": lipgloss.NewStyle().Foreground(colCyan).Bold(true),
	"update":     lipgloss.NewStyle().Foreground(colBlue),
	"offboard":   lipgloss.NewStyle().Foreground(colYellow),
	"conflict":   lipgloss.NewStyle().Foreground(colRed).Bold(true),
	"excluded":   lipgloss.NewStyle().Foreground(colGrey),
	"in_sync":    lipgloss.NewStyle().Foreground(colGrey),

	// A project_add row grants access like a create, without the bold.
	"project_add": lipgloss.NewStyle().Foreground(colGreen),
}

// envBadge renders the environment so that production can never be
// mistaken for anything else, even without colour (upper case, brackets).
func envBadge(env string) string {
	label := " " + strings.ToUpper(env) + " "
	switch {
	case isProduction(env):
		return lipgloss.NewStyle().Background(colRed).Foreground(colWhite).Bold(true).Render("[" + label + "]")
	case env == EnvSandbox || env == EnvMonthly:
		return lipgloss.NewStyle().Background(colYellow).Foreground(colBlack).Bold(true).Render("[" + label + "]")
	default:
		return lipgloss.NewStyle().Background(colBlue).Foreground(colWhite).Bold(true).Render("[" + label + "]")
	}
}

// fit truncates s to exactly w cells, padding with spaces, ANSI-aware.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	n := ansi.StringWidth(s)
	if n > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-n)
}

// box draws a bordered panel of exactly w×h cells with a title in the top
// border. The focused panel gets a thick border so focus is visible under
// NO_COLOR too.
func box(title string, body []string, w, h int, focused bool) string {
	if w < 4 || h < 2 {
		return ""
	}
	b := lipgloss.NormalBorder()
	st := stDim
	if focused {
		b = lipgloss.ThickBorder()
		st = lipgloss.NewStyle().Foreground(colCyan)
	}
	inner := w - 2
	t := ansi.Truncate(" "+title+" ", inner-1, "…")
	top := b.TopLeft + b.Top + t + strings.Repeat(b.Top, max(0, inner-1-ansi.StringWidth(t))) + b.TopRight
	var sb strings.Builder
	sb.WriteString(st.Render(top))
	left, right := st.Render(b.Left), st.Render(b.Right)
	for i := 0; i < h-2; i++ {
		line := ""
		if i < len(body) {
			line = body[i]
		}
		sb.WriteByte('\n')
		sb.WriteString(left)
		sb.WriteString(fit(line, inner))
		sb.WriteString(right)
	}
	sb.WriteByte('\n')
	sb.WriteString(st.Render(b.BottomLeft + strings.Repeat(b.Bottom, inner) + b.BottomRight))
	return sb.String()
}

// list is a scrolling, filterable list that renders only its visible rows,
// so that a 100,000-row plan costs the same to draw as a 10-row one.
type list struct {
	n int
	// keys are lower-case search texts, one per row, computed once.
	keys []string
	// match holds the rows passing the filter; nil means every row.
	match  []int
	filter string
	cursor int
	offset int
	height int
}

func newList(keys []string) list {
	return list{n: len(keys), keys: keys, height: 1}
}

// len is the number of rows passing the filter.
func (l *list) len() int {
	if l.match != nil {
		return len(l.match)
	}
	return l.n
}

// row maps a visible position to the underlying row index.
func (l *list) row(i int) int {
	if l.match != nil {
		return l.match[i]
	}
	return i
}

// current returns the row under the cursor, or -1 when the list is empty.
func (l *list) current() int {
	if l.len() == 0 {
		return -1
	}
	return l.row(l.cursor)
}

func (l *list) move(d int) {
	l.cursor += d
	l.clamp()
}

func (l *list) top()    { l.cursor = 0; l.clamp() }
func (l *list) bottom() { l.cursor = l.len() - 1; l.clamp() }

func (l *list) setHeight(h int) {
	l.height = max(1, h)
	l.clamp()
}

// clamp keeps cursor in range and the cursor row inside the window.
func (l *list) clamp() {
	n := l.len()
	l.cursor = min(max(l.cursor, 0), max(n-1, 0))
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+l.height {
		l.offset = l.cursor - l.height + 1
	}
	l.offset = min(max(l.offset, 0), max(n-l.height, 0))
}

// setFilter narrows the rows to those whose key contains every word of f.
// Extending the previous filter only rescans the previous matches, which
// keeps typing fast on huge lists.
func (l *list) setFilter(f string) {
	f = strings.ToLower(strings.TrimSpace(f))
	if f == l.filter {
		return
	}
	if f == "" {
		l.filter, l.match = "", nil
		l.clamp()
		return
	}
	words := strings.Fields(f)
	var src []int
	if l.filter != "" && strings.HasPrefix(f, l.filter) && l.match != nil {
		src = l.match
	}
	out := make([]int, 0, 64)
	test := func(i int) {
		k := l.keys[i]
		for _, w := range words {
			if !strings.Contains(k, w) {
				return
			}
		}
		out = append(out, i)
	}
	if src != nil {
		for _, i := range src {
			test(i)
		}
	} else {
		for i := 0; i < l.n; i++ {
			test(i)
		}
	}
	l.filter, l.match = f, out
	l.cursor, l.offset = 0, 0
	l.clamp()
}

// view renders the visible window; render draws one underlying row. Only
// the focused list highlights its cursor, so that one row on screen is
// "the" row that space and enter act on.
func (l *list) view(width int, focused bool, render func(row, width int) string) []string {
	n := l.len()
	end := min(l.offset+l.height, n)
	lines := make([]string, 0, end-l.offset)
	for i := l.offset; i < end; i++ {
		s := render(l.row(i), width)
		if focused && i == l.cursor {
			s = stSelected.Render(ansi.Strip(fit(s, width)))
		}
		lines = append(lines, s)
	}
	return lines
}

// lineInput is a one-line text field without a blinking cursor, so that
// frames are deterministic; it accepts printable keys, backspace and ctrl+u.
type lineInput struct {
	prompt string
	value  string
	active bool
}

// update applies a key; it reports whether the value changed.
func (in *lineInput) update(k tea.KeyPressMsg) bool {
	switch k.String() {
	case "backspace":
		if in.value == "" {
			return false
		}
		r := []rune(in.value)
		in.value = string(r[:len(r)-1])
		return true
	case "ctrl+u":
		in.value = ""
		return true
	}
	if k.Text != "" && k.Mod&^tea.ModShift == 0 {
		in.value += k.Text
		return true
	}
	return false
}

func (in lineInput) view() string {
	cur := ""
	if in.active {
		cur = "█"
	}
	return in.prompt + in.value + cur
}

// statusLevel ranks status messages.
type statusLevel int

const (
	levelInfo statusLevel = iota
	levelWarn
	levelError
)

// statusLine shows one info, warning or error message that clears itself
// after a while; a newer message cancels the older one's timer by id.
type statusLine struct {
	level statusLevel
	text  string
	id    int
	ttl   time.Duration
}

// clearStatusMsg clears the status line if it still shows message id.
type clearStatusMsg struct{ id int }

func (s *statusLine) set(level statusLevel, text string) tea.Cmd {
	s.id++
	s.level, s.text = level, text
	id, ttl := s.id, s.ttl
	if ttl <= 0 {
		return nil
	}
	if level == levelError {
		// Errors stay twice as long: the operator must have time to read them.
		ttl *= 2
	}
	return tea.Tick(ttl, func(time.Time) tea.Msg { return clearStatusMsg{id: id} })
}

func (s *statusLine) clear(id int) {
	if id == s.id {
		s.text = ""
	}
}

// statusMaxLines is how many lines a long status message may wrap onto.
const statusMaxLines = 2

// lines renders the message wrapped to w, on at most statusMaxLines lines
// (the last cut with "…" when even they are too few).
func (s statusLine) lines(w int) []string {
	if s.text == "" {
		return []string{""}
	}
	st, mark := stInfo, "· "
	switch s.level {
	case levelError:
		st, mark = stErr, "✗ "
	case levelWarn:
		st, mark = stWarn, "! "
	}
	ls := strings.Split(ansi.Wrap(mark+s.text, max(w, 10), " "), "\n")
	if len(ls) > statusMaxLines {
		ls[statusMaxLines-1] = ansi.Truncate(ls[statusMaxLines-1]+" "+strings.Join(ls[statusMaxLines:], " "), w-1, "") + "…"
		ls = ls[:statusMaxLines]
	}
	for i, l := range ls {
		ls[i] = st.Render(fit(l, w))
	}
	return ls
}

// Thousands formats n with thousands separators, as the counts are read
// at a glance.
func Thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + Thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// bar is a static progress bar. bubbles/progress animates with a spring
// (and needs a module go.mod does not list); a bar that shows exactly the
// fraction done is also what deterministic test frames need.
type bar struct{ width int }

// ViewAs renders the bar filled to fraction pct (0..1).
func (b bar) ViewAs(pct float64) string {
	pct = min(max(pct, 0), 1)
	full := int(pct*float64(b.width) + 0.5)
	return stOK.Render(strings.Repeat("█", full)) + stDim.Render(strings.Repeat("░", b.width-full))
}
