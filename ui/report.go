package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"procsync/sync/roster"
)

// reportScreen is the report preview after an apply. Sending, opening and
// leaving are the root's to do (they need the backend and the review): the
// screen asks for them with messages.
type reportScreen struct {
	ctx  Context
	keys *KeyMap

	res   *ApplyResult
	lines []string
	list  list
	// sending is set while a send the screen asked for runs.
	sending bool
}

// Messages from the report screen to the root.
type (
	// sendReportMsg asks the root to mail the report.
	sendReportMsg struct{ res *ApplyResult }
	// openReportMsg asks the root to open the HTML report in the browser.
	openReportMsg struct{ res *ApplyResult }
	// reportDoneMsg asks the root for a fresh plan (enter).
	reportDoneMsg struct{}
)

// newReport previews res; approved is how many actions were sent to apply,
// so that the ones a cancel left out are counted too.
func newReport(ctx Context, keys *KeyMap, res *ApplyResult, approved int) *reportScreen {
	lines := strings.Split(strings.TrimRight(reportText(res, approved), "\n"), "\n")
	rp := &reportScreen{ctx: ctx, keys: keys, res: res, lines: lines, list: newList(make([]string, len(lines)))}
	rp.SetSize(ctx.Width, ctx.Height)
	return rp
}

// Init implements Component.
func (rp *reportScreen) Init() tea.Cmd { return nil }

// SetSize implements Component.
func (rp *reportScreen) SetSize(w, h int) {
	rp.ctx.Width, rp.ctx.Height = w, h
	rp.list.setHeight(h - 4)
}

// ShortHelp implements help.KeyMap.
func (rp *reportScreen) ShortHelp() []key.Binding { return rp.keys.ShortHelp() }

// FullHelp implements help.KeyMap.
func (rp *reportScreen) FullHelp() [][]key.Binding { return rp.keys.FullHelp() }

// Update implements Component: keys, and the end of a send (sendDone).
func (rp *reportScreen) Update(msg tea.Msg) (Component, tea.Cmd) {
	switch msg := msg.(type) {
	case sendDone:
		rp.sending = false
		if msg.err != nil {
			return rp, rp.ctx.Out.status(levelError, fmt.Sprintf("send report: %v — press s to retry", msg.err))
		}
		rp.res.Sent = true
		return rp, rp.ctx.Out.status(levelInfo, "report sent to "+strings.Join(rp.res.Recipients, ", "))
	case tea.KeyPressMsg:
		return rp, rp.onKey(msg)
	}
	return rp, nil
}

func (rp *reportScreen) onKey(k tea.KeyPressMsg) tea.Cmd {
	keys, res := rp.keys, rp.res
	switch {
	case key.Matches(k, keys.Send):
		switch {
		case rp.sending:
			return nil
		case res.Sent:
			return rp.ctx.Out.status(levelWarn, "the report was already sent")
		case len(res.Recipients) == 0:
			return rp.ctx.Out.status(levelError, "no recipients: set report.to in the config file")
		}
		rp.sending = true
		return rp.ctx.Out.send(sendReportMsg{res: res})
	case key.Matches(k, keys.Open):
		return rp.ctx.Out.send(openReportMsg{res: res})
	case key.Matches(k, keys.Done):
		return rp.ctx.Out.send(reportDoneMsg{})
	case key.Matches(k, keys.Quit):
		return rp.ctx.Out.send(quitRequestMsg{})
	}
	// The preview scrolls as a page: up and down move it a line.
	rp.list.navigate(k, &keys.NavKeys)
	return nil
}

// View implements Component.
func (rp *reportScreen) View() string {
	to := strings.Join(rp.res.Recipients, ", ")
	if to == "" {
		to = stErr.Render("no recipients configured (report.to)")
	}
	sent := stWarn.Render("not sent yet")
	if rp.res.Sent {
		sent = stOK.Render("sent")
	}
	title := stTitle.Render("Report")
	if rp.res.Cancelled {
		// Said first, so that a cancelled run is never read as complete.
		title += " " + stWarn.Render("CANCELLED") + stDim.Render(" (stopped on request)")
	}
	b := []string{
		" " + title + "   to " + to + "   " + sent,
		" " + stDim.Render("HTML: "+orDash(rp.res.HTMLPath)+"  ·  enter: back to review with a fresh plan"),
	}
	// The preview scrolls as a page, not a cursor: no highlighted row.
	l := &rp.list
	end := min(l.offset+l.height, len(rp.lines))
	var body []string
	if l.offset < end {
		body = rp.lines[l.offset:end]
	}
	return strings.Join(b, "\n") + "\n" + box("Preview", body, rp.ctx.Width, rp.ctx.Height-len(b), true)
}

// reportText renders the report table as text, the same columns as the
// HTML email, for backends that do not supply their own. Its first line
// gives the same counts as the status line and the header.
func reportText(res *ApplyResult, approved int) string {
	var b strings.Builder
	var done, failed int
	for _, r := range res.Results {
		switch r.Status {
		case roster.StatusDone:
			done++
		case roster.StatusFailed:
			failed++
		}
	}
	fmt.Fprintf(&b, "%s done, %s failed, %s not applied", Thousands(done), Thousands(failed), Thousands(max(0, approved-done-failed)))
	if res.Cancelled {
		b.WriteString(" (cancelled: the rest was not applied)")
	}
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "%-32s %-14s %-16s %-11s %-8s %s\n", "Email", "First name", "Last name", "Action", "Status", "Procore id / error")
	b.WriteString(strings.Repeat("─", 100) + "\n")
	for _, r := range res.Results {
		tail := r.Error
		if r.Status == roster.StatusDone && r.ProcoreID != 0 {
			tail = fmt.Sprint(r.ProcoreID)
		}
		fmt.Fprintf(&b, "%-32s %-14s %-16s %-11s %-8s %s\n", r.Address, r.FirstName, r.LastName,
			kindLabel(r.Kind), r.Status, tail)
	}
	return b.String()
}
