package ui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"procsync/sync"
)

// confirmState is the apply confirmation: what will be written, where, and
// in production the company name typed by hand.
type confirmState struct {
	counts   sync.Counts
	total    int
	needType bool
	typed    lineInput
	// names are the first approved people's names (address when nameless),
	// so that the admin sees who is about to be written.
	names []string
}

// confirmNames is how many names the confirmation lists before "and N
// more".
const confirmNames = 3

func newConfirm(m *model, r *review) confirmState {
	c := confirmState{counts: r.plan.ApprovedCounts()}
	for _, n := range c.counts {
		c.total += n
	}
	for i := range r.plan.Actions {
		a := &r.plan.Actions[i]
		if !a.Approved {
			continue
		}
		if len(c.names) == confirmNames {
			break
		}
		name := strings.TrimSpace(a.FirstName + " " + a.LastName)
		if name == "" {
			name = a.Address
		}
		c.names = append(c.names, name)
	}
	c.needType = isProduction(m.hdr.Environment)
	c.typed = lineInput{prompt: "company name: ", active: c.needType}
	return c
}

func (c *confirmState) onKey(m *model, k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Back):
		m.screen = screenReview
		return m.status.set(levelInfo, "apply cancelled; nothing was written")
	case key.Matches(k, m.keys.Confirm):
		if c.needType && !strings.EqualFold(strings.TrimSpace(c.typed.value), strings.TrimSpace(m.hdr.Company)) {
			return m.status.set(levelError, fmt.Sprintf("type the company name %q to confirm a production write", m.hdr.Company))
		}
		return m.startApply()
	}
	if c.needType {
		c.typed.update(k)
	}
	return nil
}

func (c *confirmState) view(m *model, h int) string {
	var b []string
	company := m.hdr.Company
	if m.hdr.CompanyID != 0 {
		company += fmt.Sprintf(" (#%d)", m.hdr.CompanyID)
	}
	for _, l := range strings.Split(ansi.Wrap(c.question(), min(m.w-4, 76)-4, " "), "\n") {
		b = append(b, stTitle.Render(l))
	}
	b = append([]string{""}, append(b, "")...)
	b = append(b, "Procore company  "+stBold.Render(company))
	b = append(b, "Environment      "+envBadge(m.hdr.Environment))
	b = append(b, "Tenant           "+m.hdr.Tenant, "")
	for _, k := range sync.Kinds {
		if n := c.counts[k]; n > 0 {
			b = append(b, "  "+kindStyle[string(k)].Render(fit(kindLabel(k), 12))+" "+thousands(n))
		}
	}
	b = append(b, "")
	if c.needType {
		b = append(b, stErr.Render("This writes to PRODUCTION."), "Type the company name to confirm:", "  "+c.typed.view())
	} else {
		b = append(b, "Nothing is written until you press enter.")
	}
	b = append(b, "", stDim.Render("enter apply · esc back to review"))
	w := min(m.w-4, 76)
	return centerBox("Confirm", b, m.w, w, h)
}

// question is the confirmation's title: "Apply 1 approved action: Ana
// Díaz?", "Apply 7 approved actions: Ana Díaz, Emil Berg, Fatima Haddad and
// 4 more?".
func (c *confirmState) question() string {
	q := "Apply " + countNoun(c.total, "approved action", "approved actions")
	if len(c.names) == 0 {
		return q + "?"
	}
	q += ": " + strings.Join(c.names, ", ")
	if more := c.total - len(c.names); more > 0 {
		q += " and " + thousands(more) + " more"
	}
	return q + "?"
}

// centerBox draws a focused box of width w centred in a body of width
// total and height h.
func centerBox(title string, lines []string, total, w, h int) string {
	bh := min(h, len(lines)+2)
	for i := range lines {
		lines[i] = " " + lines[i]
	}
	bx := strings.Split(box(title, lines, w, bh, true), "\n")
	pad := strings.Repeat(" ", max(0, (total-w)/2))
	top := max(0, (h-bh)/2)
	out := make([]string, 0, h)
	for i := 0; i < top; i++ {
		out = append(out, "")
	}
	for _, l := range bx {
		out = append(out, pad+l)
	}
	return strings.Join(out, "\n")
}

// applyState is the live apply screen.
type applyState struct {
	plan *sync.Plan
	// rows are the applied actions' plan indices; pos maps back.
	rows       []int
	pos        []int32
	status     []sync.Status
	procoreID  []int64
	errs       []string
	done       int
	failed     int
	rateRem    int
	rateLim    int
	list       list
	follow     bool
	cancelling bool
}

func (m *model) startApply() tea.Cmd {
	r := m.rv
	// The backend gets its own copy: the UI must never mutate a plan that
	// another goroutine is applying.
	p := r.plan
	p.Actions = append([]sync.Action(nil), r.plan.Actions...)
	a := &applyState{plan: &p, pos: make([]int32, len(p.Actions)), follow: true}
	var keys []string
	for i := range p.Actions {
		a.pos[i] = -1
		if p.Actions[i].Approved {
			a.pos[i] = int32(len(a.rows))
			a.rows = append(a.rows, i)
			keys = append(keys, p.Actions[i].Address)
		}
	}
	a.status = make([]sync.Status, len(a.rows))
	for i := range a.status {
		a.status[i] = sync.StatusPlanned
	}
	a.procoreID = make([]int64, len(a.rows))
	a.errs = make([]string, len(a.rows))
	a.list = newList(keys)
	m.ap = a
	m.screen = screenApply
	m.layout()
	return m.start(screenApply, func(ctx context.Context, pu *pump) tea.Msg {
		res, err := m.b.Apply(ctx, &p, func(ev ApplyEvent) { pu.push(ev) })
		return applyDone{res: res, err: err}
	})
}

func (a *applyState) onPump(m *model, msg pumpMsg) tea.Cmd {
	last := -1
	for _, it := range msg.items {
		ev := it.(ApplyEvent)
		if ev.RateLimitLimit > 0 {
			a.rateRem, a.rateLim = ev.RateLimitRemaining, ev.RateLimitLimit
		}
		if ev.Index < 0 || ev.Index >= len(a.pos) || a.pos[ev.Index] < 0 {
			continue
		}
		p := int(a.pos[ev.Index])
		switch ev.Status {
		case sync.StatusDone:
			a.done++
		case sync.StatusFailed:
			a.failed++
		}
		a.status[p], a.procoreID[p], a.errs[p] = ev.Status, ev.ProcoreID, ev.Error
		last = max(last, p)
	}
	if last >= 0 && a.follow {
		a.list.cursor = last
		a.list.clamp()
	}
	d, ok := msg.done.(applyDone)
	if !ok {
		return nil
	}
	res := d.res
	if res == nil {
		// Apply failed before returning a result: report what the events said.
		res = &ApplyResult{Cancelled: a.cancelling}
		for i, pi := range a.rows {
			st := a.status[i]
			if st == sync.StatusPlanned {
				st = sync.StatusSkipped
			}
			res.Results = append(res.Results, ActionResult{Action: a.plan.Actions[pi], Status: st, ProcoreID: a.procoreID[i], Error: a.errs[i]})
		}
	}
	if len(res.Recipients) == 0 {
		res.Recipients = m.hdr.Recipients
	}
	// A stop the admin asked for is a cancel, whatever error the backend
	// wrapped it in.
	res.Cancelled = res.Cancelled || a.cancelling
	m.rv.applied(a)
	m.rp = newReport(res, len(a.rows))
	m.screen = screenReport
	m.layout()
	o := m.rv.outcome
	counts := fmt.Sprintf("%s done, %s failed, %s not applied", thousands(o.done), thousands(o.failed), thousands(o.skipped))
	switch {
	case d.err != nil && !a.cancelling:
		return m.status.set(levelError, fmt.Sprintf("apply stopped: %v (%s)", d.err, counts))
	case res.Cancelled && m.armed:
		return m.status.set(levelWarn, "apply cancelled: "+counts+"; ctrl+c again quits (the report is saved, not sent)")
	case res.Cancelled:
		return m.status.set(levelWarn, "apply cancelled after the request in flight: "+counts)
	}
	return m.status.set(levelInfo, fmt.Sprintf("apply finished: %s done, %s failed", thousands(o.done), thousands(o.failed)))
}

func (a *applyState) onKey(m *model, k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Back):
		return a.cancel(m, "stopping after the request in flight…")
	case key.Matches(k, m.keys.Up):
		a.follow = false
		a.list.move(-1)
	case key.Matches(k, m.keys.Down):
		a.follow = false
		a.list.move(1)
	case key.Matches(k, m.keys.PageUp):
		a.follow = false
		a.list.move(-a.list.height)
	case key.Matches(k, m.keys.PageDown):
		a.follow = false
		a.list.move(a.list.height)
	case key.Matches(k, m.keys.Top):
		a.follow = false
		a.list.top()
	case key.Matches(k, m.keys.Bottom):
		a.follow = true
		a.list.bottom()
	}
	return nil
}

// cancel stops the apply after the request in flight (esc, or a first
// ctrl+c); the backend returns the partial result and the report follows.
func (a *applyState) cancel(m *model, status string) tea.Cmd {
	if a.cancelling || m.op == nil {
		return nil
	}
	a.cancelling = true
	m.cancelAll()
	return m.status.set(levelWarn, status)
}

func (a *applyState) view(m *model, h int) string {
	total := len(a.rows)
	fin := a.done + a.failed
	pct := 0.0
	if total > 0 {
		pct = float64(fin) / float64(total)
	}
	company := m.hdr.Company
	if m.hdr.CompanyID != 0 {
		company += fmt.Sprintf(" #%d", m.hdr.CompanyID)
	}
	budget := "rate-limit budget unknown"
	if a.rateLim > 0 {
		budget = fmt.Sprintf("rate-limit budget %s / %s requests left", thousands(a.rateRem), thousands(a.rateLim))
	}
	state := ""
	if a.cancelling {
		state = stWarn.Render("  stopping after the request in flight…")
	}
	b := []string{
		"",
		" " + stTitle.Render(fmt.Sprintf("Applying %s actions to %s", thousands(total), company)) + " " + envBadge(m.hdr.Environment) + state,
		" " + m.bar.ViewAs(pct) + fmt.Sprintf(" %s / %s", thousands(fin), thousands(total)),
		" " + stOK.Render("✓ "+thousands(a.done)+" done") + "   " + stErr.Render("✗ "+thousands(a.failed)+" failed") +
			"   · " + thousands(total-fin) + " pending   " + stDim.Render(budget),
		"",
	}
	lines := a.list.view(m.w-2, !a.follow, a.row)
	return strings.Join(b, "\n") + "\n" + box("Actions", lines, m.w, h-len(b), true)
}

func (a *applyState) row(i, w int) string {
	act := &a.plan.Actions[a.rows[i]]
	var st, tail string
	switch a.status[i] {
	case sync.StatusDone:
		st = stOK.Render(fit("✓ done", 9))
		if a.procoreID[i] != 0 {
			tail = fmt.Sprintf("Procore #%d", a.procoreID[i])
		}
	case sync.StatusFailed:
		st = stErr.Render(fit("✗ failed", 9))
		tail = stErr.Render(a.errs[i])
	case sync.StatusSkipped:
		st = stDim.Render(fit("- skipped", 9))
		tail = a.errs[i]
	default:
		st = stDim.Render(fit("· pending", 9))
	}
	return st + " " + kindStyle[string(act.Kind)].Render(fit(kindLabel(act.Kind), 10)) + " " +
		fit(act.Address, max(16, w*30/100)) + " " + fit(strings.TrimSpace(act.FirstName+" "+act.LastName), 20) + " " + tail
}

// reportState is the report preview after an apply.
type reportState struct {
	res   *ApplyResult
	lines []string
	list  list
}

// newReport previews res; approved is how many actions were sent to apply,
// so that the ones a cancel left out are counted too.
func newReport(res *ApplyResult, approved int) *reportState {
	text := res.Text
	if text == "" {
		text = reportText(res, approved)
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	keys := make([]string, len(lines))
	return &reportState{res: res, lines: lines, list: newList(keys)}
}

// reportText renders the report table as text, the same columns as the
// HTML email, for backends that do not supply their own. Its first line
// gives the same counts as the status line and the header.
func reportText(res *ApplyResult, approved int) string {
	var b strings.Builder
	var done, failed int
	for _, r := range res.Results {
		switch r.Status {
		case sync.StatusDone:
			done++
		case sync.StatusFailed:
			failed++
		}
	}
	fmt.Fprintf(&b, "%s done, %s failed, %s not applied", thousands(done), thousands(failed), thousands(max(0, approved-done-failed)))
	if res.Cancelled {
		b.WriteString(" (cancelled: the rest was not applied)")
	}
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "%-32s %-14s %-16s %-11s %-8s %s\n", "Email", "First name", "Last name", "Action", "Status", "Procore id / error")
	b.WriteString(strings.Repeat("─", 100) + "\n")
	for _, r := range res.Results {
		tail := r.Error
		if r.Status == sync.StatusDone && r.ProcoreID != 0 {
			tail = fmt.Sprint(r.ProcoreID)
		}
		fmt.Fprintf(&b, "%-32s %-14s %-16s %-11s %-8s %s\n", r.Action.Address, r.Action.FirstName, r.Action.LastName,
			kindLabel(r.Action.Kind), r.Status, tail)
	}
	return b.String()
}

func (rp *reportState) onPump(m *model, msg pumpMsg) tea.Cmd {
	d, ok := msg.done.(sendDone)
	if !ok {
		return nil
	}
	if d.err != nil {
		return m.status.set(levelError, fmt.Sprintf("send report: %v — press s to retry", d.err))
	}
	rp.res.Sent = true
	return m.status.set(levelInfo, "report sent to "+strings.Join(rp.res.Recipients, ", "))
}

func (rp *reportState) onKey(m *model, k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Send):
		if m.op != nil {
			return nil
		}
		if rp.res.Sent {
			return m.status.set(levelWarn, "the report was already sent")
		}
		if len(rp.res.Recipients) == 0 {
			return m.status.set(levelError, "no recipients: set report.to in the config file")
		}
		res := rp.res
		cmd := m.start(screenReport, func(ctx context.Context, _ *pump) tea.Msg {
			return sendDone{err: m.b.SendReport(ctx, res)}
		})
		return tea.Batch(cmd, m.status.set(levelInfo, "sending the report…"))
	case key.Matches(k, m.keys.Open):
		res := rp.res
		return func() tea.Msg { return openDoneMsg{screen: screenReport, path: res.HTMLPath, err: m.b.OpenReport(res)} }
	case key.Matches(k, m.keys.Done):
		m.rv.clearApprovals()
		m.rv.stale = true
		m.rp, m.ap = nil, nil
		return m.startSnapshot()
	case key.Matches(k, m.keys.Up):
		rp.list.move(-1)
	case key.Matches(k, m.keys.Down):
		rp.list.move(1)
	case key.Matches(k, m.keys.PageUp):
		rp.list.move(-rp.list.height)
	case key.Matches(k, m.keys.PageDown):
		rp.list.move(rp.list.height)
	case key.Matches(k, m.keys.Quit):
		return m.requestQuit()
	}
	return nil
}

func (rp *reportState) view(m *model, h int) string {
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
	return strings.Join(b, "\n") + "\n" + box("Preview", body, m.w, h-len(b), true)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
