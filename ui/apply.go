package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"procsync/sync/roster"
)

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

// applyScreen is the live apply: a progress bar, the counts, the
// rate-limit budget and every approved row with its outcome so far. The
// root runs the apply and passes its progress events down.
type applyScreen struct {
	ctx  Context
	keys *KeyMap
	bar  bar

	plan *roster.Plan
	// rows are the applied actions' plan indices; pos maps back.
	rows      []int
	pos       []int32
	status    []roster.Status
	procoreID []int64
	errs      []string
	done      int
	failed    int
	rateRem   int
	rateLim   int
	list      list
	// follow keeps the cursor on the last row written until the admin
	// moves it.
	follow bool
	// cancelling is set by the root once it has asked the apply to stop.
	cancelling bool
}

// cancelApplyMsg asks the root to stop the apply after the request in
// flight (esc).
type cancelApplyMsg struct{}

// newApplyScreen shows the apply of plan's approved actions.
func newApplyScreen(ctx Context, keys *KeyMap, plan *roster.Plan) *applyScreen {
	a := &applyScreen{ctx: ctx, keys: keys, plan: plan, pos: make([]int32, len(plan.Actions)), follow: true}
	var rowKeys []string
	for i := range plan.Actions {
		a.pos[i] = -1
		if plan.Actions[i].Approved {
			a.pos[i] = int32(len(a.rows))
			a.rows = append(a.rows, i)
			rowKeys = append(rowKeys, plan.Actions[i].Address)
		}
	}
	a.status = make([]roster.Status, len(a.rows))
	for i := range a.status {
		a.status[i] = roster.StatusPlanned
	}
	a.procoreID = make([]int64, len(a.rows))
	a.errs = make([]string, len(a.rows))
	a.list = newList(rowKeys)
	a.SetSize(ctx.Width, ctx.Height)
	return a
}

// Init implements Component.
func (a *applyScreen) Init() tea.Cmd { return nil }

// SetSize implements Component.
func (a *applyScreen) SetSize(w, h int) {
	a.ctx.Width, a.ctx.Height = w, h
	a.bar.width = max(10, w-16)
	a.list.setHeight(h - 7)
}

// ShortHelp implements help.KeyMap.
func (a *applyScreen) ShortHelp() []key.Binding { return a.keys.ShortHelp() }

// FullHelp implements help.KeyMap.
func (a *applyScreen) FullHelp() [][]key.Binding { return a.keys.FullHelp() }

// Update implements Component: progress events, and keys.
func (a *applyScreen) Update(msg tea.Msg) (Component, tea.Cmd) {
	switch msg := msg.(type) {
	case []roster.ApplyProgress:
		a.add(msg)
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, a.keys.Back):
			return a, a.ctx.Out.send(cancelApplyMsg{})
		case a.list.navigate(msg, &a.keys.NavKeys):
			// Moving by hand stops following the row being written; G
			// (the bottom) follows it again.
			a.follow = key.Matches(msg, a.keys.Bottom)
		}
	}
	return a, nil
}

// add folds a batch of progress events in, and follows the last row
// written unless the admin moved the cursor.
func (a *applyScreen) add(evs []roster.ApplyProgress) {
	last := -1
	for _, ev := range evs {
		if ev.RateLimitLimit > 0 {
			a.rateRem, a.rateLim = ev.RateLimitRemaining, ev.RateLimitLimit
		}
		if ev.Index < 0 || ev.Index >= len(a.pos) || a.pos[ev.Index] < 0 {
			continue
		}
		p := int(a.pos[ev.Index])
		switch ev.Status {
		case roster.StatusDone:
			a.done++
		case roster.StatusFailed:
			a.failed++
		}
		a.status[p], a.procoreID[p], a.errs[p] = ev.Status, ev.ProcoreID, ev.Error
		last = max(last, p)
	}
	if last >= 0 && a.follow {
		a.list.cursor = last
		a.list.clamp()
	}
}

// partialResult is the result the events describe, for an apply that
// failed before returning one.
func (a *applyScreen) partialResult() *ApplyResult {
	res := &ApplyResult{Cancelled: a.cancelling}
	for i, pi := range a.rows {
		st := a.status[i]
		if st == roster.StatusPlanned {
			st = roster.StatusSkipped
		}
		r := roster.RecordOf(&a.plan.Actions[pi], st)
		r.Index = pi
		if a.procoreID[i] != 0 {
			r.ProcoreID = a.procoreID[i]
		}
		r.Error = a.errs[i]
		res.Results = append(res.Results, r)
	}
	return res
}

// View implements Component.
func (a *applyScreen) View() string {
	hdr, w, h := a.ctx.Header, a.ctx.Width, a.ctx.Height
	total := len(a.rows)
	fin := a.done + a.failed
	pct := 0.0
	if total > 0 {
		pct = float64(fin) / float64(total)
	}
	company := hdr.Company
	if hdr.CompanyID != 0 {
		company += fmt.Sprintf(" #%d", hdr.CompanyID)
	}
	budget := "rate-limit budget unknown"
	if a.rateLim > 0 {
		budget = fmt.Sprintf("rate-limit budget %s / %s requests left", Thousands(a.rateRem), Thousands(a.rateLim))
	}
	state := ""
	if a.cancelling {
		state = stWarn.Render("  stopping after the request in flight…")
	}
	b := []string{
		"",
		" " + stTitle.Render(fmt.Sprintf("Applying %s actions to %s", Thousands(total), company)) + " " + envBadge(hdr.Environment) + state,
		" " + a.bar.ViewAs(pct) + fmt.Sprintf(" %s / %s", Thousands(fin), Thousands(total)),
		" " + stOK.Render("✓ "+Thousands(a.done)+" done") + "   " + stErr.Render("✗ "+Thousands(a.failed)+" failed") +
			"   · " + Thousands(total-fin) + " pending   " + stDim.Render(budget),
		"",
	}
	lines := a.list.view(w-2, !a.follow, a.row)
	return strings.Join(b, "\n") + "\n" + box("Actions", lines, w, h-len(b), true)
}

func (a *applyScreen) row(i, w int) string {
	act := &a.plan.Actions[a.rows[i]]
	var st, tail string
	switch a.status[i] {
	case roster.StatusDone:
		st = stOK.Render(fit("✓ done", 9))
		if a.procoreID[i] != 0 {
			tail = fmt.Sprintf("Procore #%d", a.procoreID[i])
		}
	case roster.StatusFailed:
		st = stErr.Render(fit("✗ failed", 9))
		tail = stErr.Render(a.errs[i])
	case roster.StatusSkipped:
		st = stDim.Render(fit("- skipped", 9))
		tail = a.errs[i]
	default:
		st = stDim.Render(fit("· pending", 9))
	}
	return st + " " + kindStyle[string(act.Kind)].Render(fit(kindLabel(act.Kind), 10)) + " " +
		fit(act.Address, max(16, w*30/100)) + " " + fit(strings.TrimSpace(act.FirstName+" "+act.LastName), 20) + " " + tail
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
