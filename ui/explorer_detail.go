package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"charm.land/bubbles/v2/viewport"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

var (
	jsonKey = regexp.MustCompile(`^(\s*)("(?:[^"\\]|\\.)*")(:)`)
	stKey   = lipgloss.NewStyle().Foreground(colCyan)
	stStr   = lipgloss.NewStyle().Foreground(colGreen)
)

// prettyJSON indents body when it is JSON (and colours the keys and string
// values); anything else is shown as text.
func prettyJSON(body []byte) []string {
	var buf bytes.Buffer
	if len(bytes.TrimSpace(body)) == 0 {
		return []string{stDim.Render("(empty body)")}
	}
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		return strings.Split(strings.TrimRight(ansi.Strip(string(body)), "\n"), "\n")
	}
	lines := strings.Split(buf.String(), "\n")
	for i, l := range lines {
		if mm := jsonKey.FindStringSubmatchIndex(l); mm != nil {
			rest := l[mm[1]:]
			v := strings.TrimSpace(rest)
			if strings.HasPrefix(v, `"`) {
				rest = " " + stStr.Render(v)
			}
			lines[i] = l[:mm[4]] + stKey.Render(l[mm[4]:mm[5]]) + ":" + rest
		}
	}
	return lines
}

// describe is the detail pane of a row that is not an API object.
func (e *explorer) describe(n *xnode) []string {
	switch n.kind {
	case nkSection:
		if n.label == sectionProcore {
			return []string{"The Procore companies the signed-in user can see.", "", "enter opens a company: its projects, users (active and",
				"inactive), permission templates and vendors."}
		}
		return []string{"Microsoft Graph, read-only: the license groups the configured",
			"rules select (prefix, SKU or id, shown as \"matched by\"), their",
			"members, and the tenant's subscribed SKUs with units used."}
	case nkProjects:
		return []string{"Projects with status " + n.status + ".", "", "v cycles active → inactive → all; enter on a project lists its users."}
	case nkUsers:
		return []string{"Company directory users, active first, then inactive."}
	case nkInfo:
		return []string{n.label}
	}
	return []string{"enter opens " + e.label(n) + "."}
}

// detailPane is the right pane: the console's last answer, or the
// selected row's JSON (indented once, when the row is selected).
type detailPane struct {
	focus bool
	// vp holds the scroll position over the pane's lines; box draws the
	// lines it shows, so that long lines end in "…" like every pane's.
	vp viewport.Model
	// top asks the next refresh to scroll back to the first line: the
	// pane shows something else.
	top  bool
	resp *ConsoleResponse
	// lines are the JSON or description of the row of.
	lines []string
	of    *xnode
}

// refreshDetail renders the selected row's detail when the selection
// changed, in Update, so that View only reads it.
func (e *explorer) refreshDetail() {
	if n := e.current(); n != nil && n != e.detail.of {
		e.detail.of = n
		if len(n.item.JSON) > 0 {
			e.detail.lines = prettyJSON(n.item.JSON)
		} else {
			e.detail.lines = e.describe(n)
		}
	}
	e.detail.vp.SetContentLines(e.detailLines())
	if e.detail.top {
		e.detail.vp.GotoTop()
		e.detail.top = false
	}
}

// detailLines is the right pane's content: the console's last answer, or
// the selected object's JSON.
func (e *explorer) detailLines() []string {
	if r := e.detail.resp; r != nil {
		st := stOK
		if r.Status >= 400 {
			st = stErr
		}
		out := []string{
			stBold.Render("GET " + r.API + " " + r.Path),
			stDim.Render("status   ") + st.Render(fmt.Sprintf("%d %s", r.Status, http.StatusText(r.Status))),
		}
		if r.RequestID != "" {
			out = append(out, stDim.Render("request  ")+r.RequestID)
		}
		if r.RateLimit != "" {
			out = append(out, stDim.Render("budget   ")+r.RateLimit)
		}
		out = append(out, "")
		return append(out, prettyJSON(r.Body)...)
	}
	if e.current() == nil {
		return []string{stDim.Render("nothing selected")}
	}
	return e.detail.lines
}

// scrollDetail moves the detail pane by d lines, within its content.
func (e *explorer) scrollDetail(d int) {
	if d > 0 {
		e.detail.vp.ScrollDown(d)
	} else {
		e.detail.vp.ScrollUp(-d)
	}
}

// detailBox renders the detail pane w wide and h high, with the lines
// shown in its title when they do not all fit.
func (e *explorer) detailBox(w, h int) string {
	dl := e.detailLines()
	off := min(e.detail.vp.YOffset(), max(len(dl)-1, 0))
	end := min(len(dl), off+h-2)
	title := e.detailTitle()
	if len(dl) > h-2 {
		title += fmt.Sprintf("  (%d–%d of %d)", off+1, end, len(dl))
	}
	return box(title, dl[off:end], w, h, e.detail.focus)
}

func (e *explorer) detailTitle() string {
	if e.detail.resp != nil {
		return "Response · GET " + e.detail.resp.API + " " + e.detail.resp.Path
	}
	if n := e.current(); n != nil && len(n.item.JSON) > 0 {
		return "JSON · " + n.item.Label
	}
	return "Detail"
}
