package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"procsync/sync/roster"
)

// Pane indices, in focus order.
const (
	paneMembers = iota
	paneProcore
	panePlan
)

// memberRow is a row of the members pane: a group heading (m nil) or a
// member listed under one of their groups.
type memberRow struct {
	group int
	m     *roster.Member
}

// review is the three-pane review screen over one snapshot and its plan.
type review struct {
	snap *roster.Snapshot
	plan roster.Plan
	// addrOf is each member's address as the plan resolved it (it honours
	// match.email_attribute), so the members pane shows what the plan uses.
	addrOf map[string]string
	mrows  []memberRow
	// groupNames and groupSize are the members pane's headings, sorted.
	groupNames []string
	groupSize  []int
	users      []*roster.ProcoreUser
	active     int
	inactive   int
	vendors    int

	// stale is set once an apply ran on this plan: it no longer describes
	// Procore, so it may be looked at but not applied again.
	stale bool
	// outcome is what the last apply on this plan did; nil before.
	outcome *applyOutcome

	panes    [3]list
	focus    int
	filter   lineInput
	detail   bool
	approved int

	// resolver is set when the backend can link and ignore (Resolver);
	// pick, reason (with target) and ignored are its open picker, reason
	// line and ignore list (resolve.go).
	resolver bool
	pick     *linkPicker
	reason   *lineInput
	target   ignoreTarget
	ignored  *ignoredList

	// ctx and keys are the root's, given when the review is shown (it is
	// built off the UI goroutine, before it has either).
	ctx  Context
	keys *KeyMap

	topH, planH, leftW int
}

// Messages from the review to the root.
type (
	// refreshRequestMsg asks the root to read both directories again.
	refreshRequestMsg struct{}
	// confirmRequestMsg asks the root for the apply confirmation of the
	// approved rows.
	confirmRequestMsg struct{}
)

// bind gives the review the root's context and key map.
func (r *review) bind(ctx Context, keys *KeyMap) {
	r.ctx, r.keys = ctx, keys
	r.SetSize(ctx.Width, ctx.Height)
}

// Init implements Component.
func (r *review) Init() tea.Cmd { return nil }

// ShortHelp implements help.KeyMap.
func (r *review) ShortHelp() []key.Binding { return r.keys.ShortHelp() }

// FullHelp implements help.KeyMap.
func (r *review) FullHelp() [][]key.Binding { return r.keys.FullHelp() }

// Update implements Component.
func (r *review) Update(msg tea.Msg) (Component, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		return r, r.onKey(k)
	}
	return r, nil
}

func newReview(s *roster.Snapshot, p roster.Plan) *review {
	r := &review{snap: s, plan: p, addrOf: make(map[string]string, len(p.Actions))}
	for i := range p.Actions {
		if a := &p.Actions[i]; a.Member != nil && a.Address != "" {
			r.addrOf[a.Member.ID] = a.Address
		}
	}
	// Members pane: each group with its members, sorted by name; a person
	// in two groups appears under both, and the pane title counts people.
	names := make([]string, len(s.Groups))
	idx := map[string]int{}
	for i, g := range s.Groups {
		names[i] = g.DisplayName
	}
	sort.Strings(names)
	for i, n := range names {
		idx[n] = i
	}
	byGroup := make([][]*roster.Member, len(names))
	for i := range s.Members {
		mb := &s.Members[i]
		for _, g := range mb.Groups {
			gi, ok := idx[g]
			if !ok {
				gi = len(names)
				idx[g] = gi
				names = append(names, g)
				byGroup = append(byGroup, nil)
			}
			byGroup[gi] = append(byGroup[gi], mb)
		}
	}
	var mkeys []string
	r.groupSize = make([]int, len(names))
	for gi, ms := range byGroup {
		sort.SliceStable(ms, func(a, b int) bool { return r.memberAddr(ms[a]) < r.memberAddr(ms[b]) })
		r.groupSize[gi] = len(ms)
		r.mrows = append(r.mrows, memberRow{group: gi})
		mkeys = append(mkeys, strings.ToLower(names[gi]))
		for _, mb := range ms {
			r.mrows = append(r.mrows, memberRow{group: gi, m: mb})
			mkeys = append(mkeys, strings.ToLower(mb.DisplayName+" "+r.memberAddr(mb)+" "+mb.UserPrincipalName+" "+names[gi]))
		}
	}
	r.groupNames = names
	r.panes[paneMembers] = newList(mkeys)

	// Procore pane: active users first, then inactive, each by address.
	r.users = make([]*roster.ProcoreUser, len(s.Users))
	for i := range s.Users {
		u := &s.Users[i]
		r.users[i] = u
		if u.IsActive {
			r.active++
		} else {
			r.inactive++
		}
		if u.Vendor != nil {
			r.vendors++
		}
	}
	sort.SliceStable(r.users, func(a, b int) bool {
		ua, ub := r.users[a], r.users[b]
		if ua.IsActive != ub.IsActive {
			return ua.IsActive
		}
		return strings.ToLower(ua.Email) < strings.ToLower(ub.Email)
	})
	ukeys := make([]string, len(r.users))
	for i, u := range r.users {
		v := ""
		if u.Vendor != nil {
			v = u.Vendor.Name
		}
		state := "active"
		if !u.IsActive {
			state = "inactive"
		}
		ukeys[i] = strings.ToLower(u.Email + " " + u.FirstName + " " + u.LastName + " " + v + " " + state)
	}
	r.panes[paneProcore] = newList(ukeys)

	pkeys := make([]string, len(p.Actions))
	for i := range p.Actions {
		a := &p.Actions[i]
		pkeys[i] = strings.ToLower(string(a.Kind) + " " + a.Address + " " + a.FirstName + " " + a.LastName + " " + a.Reason)
		if a.Approved {
			r.approved++
		}
	}
	r.panes[panePlan] = newList(pkeys)
	r.focus = panePlan
	return r
}

// memberAddr is the member's address as the plan resolved it; members the
// plan gave no address (excluded without one) show mail, else the UPN.
func (r *review) memberAddr(m *roster.Member) string {
	if a, ok := r.addrOf[m.ID]; ok {
		return a
	}
	return memberAddr(m)
}

func memberAddr(m *roster.Member) string {
	if m.Mail != "" {
		return strings.ToLower(m.Mail)
	}
	return strings.ToLower(m.UserPrincipalName)
}

// keepFocus carries focus, cursor, filters and approvals (same kind and
// address only) over from the previous review after a refresh.
func (r *review) keepFocus(prev *review) {
	if prev == nil {
		return
	}
	r.focus = prev.focus
	for i := range r.panes {
		r.panes[i].setFilter(prev.panes[i].filter)
	}
	was := map[string]bool{}
	for i := range prev.plan.Actions {
		a := &prev.plan.Actions[i]
		if a.Approved {
			was[string(a.Kind)+" "+a.Address] = true
		}
	}
	if len(was) == 0 {
		return
	}
	for i := range r.plan.Actions {
		a := &r.plan.Actions[i]
		if !a.Approved && was[string(a.Kind)+" "+a.Address] && r.plan.CanApprove(a) {
			a.Approved = true
			r.approved++
		}
	}
}

func (r *review) clearApprovals() {
	r.plan.Unapprove(nil)
	r.approved = 0
}

// SetSize implements Component.
func (r *review) SetSize(w, h int) {
	r.ctx.Width, r.ctx.Height = w, h
	r.topH = max(5, h*2/5)
	r.planH = max(4, h-r.topH)
	r.leftW = w / 2
	r.panes[paneMembers].setHeight(r.topH - 2)
	r.panes[paneProcore].setHeight(r.topH - 2)
	r.panes[panePlan].setHeight(r.planH - 2)
}

// summary is the header's second line; the pane titles repeat its numbers.
func (r *review) summary() string {
	var b strings.Builder
	sep := stDim.Render(" │ ")
	// After an apply, what it did replaces "approved 0": the approvals
	// were used up, and the line must still fit 120 columns.
	o := r.outcomeSummary()
	if o == "" || r.approved > 0 {
		b.WriteString(stBold.Render("approved " + Thousands(r.approved)))
		b.WriteString(sep)
	}
	if o != "" {
		b.WriteString(stBold.Render(o))
		b.WriteString(sep)
	}
	fmt.Fprintf(&b, "members %s", Thousands(len(r.snap.Members)))
	b.WriteString(sep)
	total, _, inactive := r.procoreCounts()
	fmt.Fprintf(&b, "procore %s (%s inactive)", Thousands(total), Thousands(inactive))
	b.WriteString(sep)
	for i, k := range roster.Kinds {
		if n := r.plan.Counts[k]; n > 0 {
			if i > 0 && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(kindStyle[string(k)].Render(Thousands(n) + " " + kindLabel(k)))
		}
	}
	return b.String()
}

func kindLabel(k roster.Kind) string {
	switch k {
	case roster.KindInSync:
		return "in sync"
	case roster.KindProjectAdd:
		// Ten columns: the plan pane's kind column.
		return "to project"
	}
	return string(k)
}

func (r *review) onKey(k tea.KeyPressMsg) tea.Cmd {
	keys := r.keys
	l := &r.panes[r.focus]
	if r.filter.active {
		r.filter.active = l.filtering(k, &keys.FilterKeys, keys.Back, &r.filter)
		return nil
	}
	if cmd, ok := r.onResolveKey(k); ok {
		return cmd
	}
	switch {
	case key.Matches(k, keys.Back):
		if r.detail {
			r.detail = false
		} else if l.filter != "" {
			l.setFilter("")
		}
	case key.Matches(k, keys.Detail):
		r.detail = !r.detail
	case key.Matches(k, keys.NextPane):
		r.setFocus((r.focus + 1) % 3)
	case key.Matches(k, keys.PrevPane):
		r.setFocus((r.focus + 2) % 3)
	case key.Matches(k, keys.Pane1):
		r.setFocus(paneMembers)
	case key.Matches(k, keys.Pane2):
		r.setFocus(paneProcore)
	case key.Matches(k, keys.Pane3):
		r.setFocus(panePlan)
	case l.navigate(k, &keys.NavKeys):
	case key.Matches(k, keys.Filter):
		r.detail = false
		r.filter = lineInput{prompt: "/", value: l.filter, active: true}
	case key.Matches(k, keys.Toggle):
		if r.focus != panePlan {
			return r.ctx.Out.status(levelWarn, "space approves plan rows: press 3 to focus the plan")
		}
		i := l.current()
		if i < 0 {
			return nil
		}
		a := &r.plan.Actions[i]
		if !a.Approved && !r.plan.CanApprove(a) {
			// sync decides what may be approved (offboarding only when the
			// config deactivates); say why nothing happened.
			why := a.Reason
			if a.Kind == roster.KindOffboard {
				why = "offboarding is report-only (procore.offboard = \"report\")"
			}
			return r.ctx.Out.status(levelWarn, fmt.Sprintf("%s rows cannot be applied: %s", kindLabel(a.Kind), why))
		}
		// The cursor stays: the README promises "the row under the
		// cursor", and a second space must undo the first.
		r.plan.Toggle(i)
		if a.Approved {
			r.approved++
			return r.ctx.Out.status(levelInfo, "approved "+kindLabel(a.Kind)+" "+a.Address)
		}
		r.approved--
		return r.ctx.Out.status(levelInfo, "cleared "+kindLabel(a.Kind)+" "+a.Address)
	case key.Matches(k, keys.All):
		return r.ctx.Out.status(levelInfo, r.approveVisible())
	case key.Matches(k, keys.None):
		return r.ctx.Out.status(levelInfo, r.clearVisible())
	case key.Matches(k, keys.Refresh):
		return r.ctx.Out.send(refreshRequestMsg{})
	case key.Matches(k, keys.Apply):
		if r.stale {
			return r.ctx.Out.status(levelWarn, "this plan predates the last apply: press r to read both directories again")
		}
		if r.approved == 0 {
			return r.ctx.Out.status(levelWarn, "nothing approved: space approves the plan row, a approves every visible create, reactivation and project addition")
		}
		return r.ctx.Out.send(confirmRequestMsg{})
	case key.Matches(k, keys.Quit):
		return r.ctx.Out.send(quitRequestMsg{})
	}
	return nil
}

func (r *review) setFocus(f int) {
	r.focus = f
}

func (r *review) title(p int, base string) string {
	l := &r.panes[p]
	t := fmt.Sprintf("%d %s", p+1, base)
	if r.filter.active && r.focus == p {
		t += "  " + r.filter.view()
	} else if l.filter != "" {
		t += "  /" + l.filter
	}
	if l.filter != "" || (r.filter.active && r.focus == p) {
		t += fmt.Sprintf("  (%s of %s)", Thousands(l.len()), Thousands(l.n))
	}
	return t
}

// View implements Component.
func (r *review) View() string {
	w, h := r.ctx.Width, r.ctx.Height
	if v := r.resolveView(); v != "" {
		return v
	}
	if r.detail {
		return box("Details  (enter or esc closes)", r.detailLines(w-4, r.ctx.Header.NewUsers), w, h, true)
	}
	rw := w - r.leftW
	mt := r.title(paneMembers, fmt.Sprintf("Members · %s people in %d groups", Thousands(len(r.snap.Members)), len(r.snap.Groups)))
	total, active, inactive := r.procoreCounts()
	pt := r.title(paneProcore, fmt.Sprintf("Procore · %s users: %s active, %s inactive, %s vendor",
		Thousands(total), Thousands(active), Thousands(inactive), Thousands(r.vendors)))
	planTitle := fmt.Sprintf("Plan · %s actions · %s approved", Thousands(len(r.plan.Actions)), Thousands(r.approved))
	if r.stale {
		planTitle += " · OUT OF DATE (r reads again)"
	}
	lt := r.title(panePlan, planTitle)
	if r.reason != nil {
		lt = r.reason.view()
	}
	left := box(mt, r.panes[paneMembers].view(r.leftW-2, r.focus == paneMembers, r.memberRow), r.leftW, r.topH, r.focus == paneMembers)
	right := box(pt, r.panes[paneProcore].view(rw-2, r.focus == paneProcore, r.userRow), rw, r.topH, r.focus == paneProcore)
	plan := box(lt, r.panes[panePlan].view(w-2, r.focus == panePlan, r.planRow), w, r.planH, r.focus == panePlan)
	ll, rl := strings.Split(left, "\n"), strings.Split(right, "\n")
	var b strings.Builder
	for i := range ll {
		b.WriteString(ll[i])
		if i < len(rl) {
			b.WriteString(rl[i])
		}
		b.WriteByte('\n')
	}
	b.WriteString(plan)
	return b.String()
}

func (r *review) memberRow(i, w int) string {
	row := r.mrows[i]
	if row.m == nil {
		return stBold.Render(fit("▾ "+r.groupNames[row.group]+fmt.Sprintf(" (%s)", Thousands(r.groupSize[row.group])), w))
	}
	mb := row.m
	var flags []string
	if !mb.AccountEnabled {
		flags = append(flags, "disabled")
	}
	if mb.UserType == "Guest" {
		flags = append(flags, "guest")
	}
	nw := min(24, w/3)
	s := "  " + fit(mb.DisplayName, nw) + " " + r.memberAddr(mb)
	if len(flags) > 0 {
		s += " " + stWarn.Render("["+strings.Join(flags, ",")+"]")
	}
	return s
}

func (r *review) userRow(i, w int) string {
	u := r.users[i]
	mark := stOK.Render("●")
	if !u.IsActive {
		mark = stDim.Render("○")
	}
	// The address is what the admin matches on: it gets the room first,
	// and the vendor column only shows when there is room for it.
	vw := 0
	if w >= 50 {
		vw = 16
	}
	nw := min(20, w/4)
	ew := min(max(10, w-nw-vw-3), 36)
	s := mark + " " + fit(u.Email, ew) + " " + fit(u.FirstName+" "+u.LastName, nw)
	if u.Vendor != nil {
		s += " " + stDim.Render(u.Vendor.Name)
	}
	return s
}

func (r *review) planRow(i, w int) string {
	a := &r.plan.Actions[i]
	box := "   "
	if r.plan.CanApprove(a) {
		box = "[ ]"
		if a.Approved {
			box = "[x]"
		}
	}
	// After an apply, a row it carried out shows how that went instead.
	if r.outcome != nil {
		switch r.outcome.status[i] {
		case roster.StatusDone:
			box = stOK.Render(" ✓ ")
		case roster.StatusFailed:
			box = stErr.Render(" ✗ ")
		case roster.StatusSkipped:
			box = stDim.Render(" - ")
		}
	}
	aw := max(16, w*30/100)
	nw := max(10, w*18/100)
	return box + " " + kindStyle[string(a.Kind)].Render(fit(kindLabel(a.Kind), 10)) + " " + fit(a.Address, aw) + " " +
		fit(strings.TrimSpace(a.FirstName+" "+a.LastName), nw) + " " + stDim.Render(a.Reason)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
