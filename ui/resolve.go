package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"procsync/internal/safetext"
	"procsync/sync/roster"
)

// The review's ways to settle a person once: in the details of a conflict,
// l opens a picker of the Procore users it is about and enter links the
// member to the one chosen; i asks for a reason and ignores the person
// under the cursor; I shows the ignore list, where u un-ignores. Each asks
// the root through the outbox; the root calls the Resolver and reads both
// directories again, so the next plan shows the result.

// linkPicker chooses the Procore user a conflict's member is.
type linkPicker struct {
	action *roster.Action
	cursor int
	// typed is the company name, typed to confirm a production write.
	typed lineInput
}

// ignoredList is the ignore list overlay.
type ignoredList struct {
	loading bool
	people  []IgnoredPerson
	cursor  int
}

// Messages from the review to the root.
type (
	// linkRequestMsg asks the root to link a member to a Procore user.
	linkRequestMsg struct {
		member  *roster.Member
		address string
		user    *roster.ProcoreUser
	}
	// ignoreRequestMsg asks the root to ignore a person.
	ignoreRequestMsg struct {
		member  *roster.Member
		address string
		reason  string
	}
	// ignoredListRequestMsg asks the root for the ignore list.
	ignoredListRequestMsg struct{}
	// unignoreRequestMsg asks the root to un-ignore a person.
	unignoreRequestMsg struct{ p IgnoredPerson }
)

// ignoreTarget is the person i would ignore: the member of the plan row or
// members pane row under the cursor.
type ignoreTarget struct {
	member  *roster.Member
	address string
}

// currentConflict returns the conflict under the plan pane's cursor that
// has Procore users to link to, or nil.
func (r *review) currentConflict() *roster.Action {
	if r.focus != panePlan {
		return nil
	}
	i := r.panes[panePlan].current()
	if i < 0 {
		return nil
	}
	a := &r.plan.Actions[i]
	if a.Kind != roster.KindConflict || a.Member == nil || len(a.Candidates) == 0 {
		return nil
	}
	return a
}

// currentPerson returns the member under the cursor, for i.
func (r *review) currentPerson() (ignoreTarget, bool) {
	i := r.panes[r.focus].current()
	if i < 0 {
		return ignoreTarget{}, false
	}
	switch r.focus {
	case panePlan:
		a := &r.plan.Actions[i]
		if a.Member != nil {
			return ignoreTarget{a.Member, a.Address}, true
		}
	case paneMembers:
		if m := r.mrows[i].m; m != nil {
			return ignoreTarget{m, r.memberAddr(m)}, true
		}
	}
	return ignoreTarget{}, false
}

// typing reports whether the picker or the reason has the keyboard.
func (r *review) typing() bool { return r.pick != nil || r.reason != nil }

// onResolveKey handles the resolve keys and the keys of an open picker,
// reason or list. ok is false for a key it leaves to the review.
func (r *review) onResolveKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	keys := r.keys
	switch {
	case r.reason != nil:
		return r.onReasonKey(k), true
	case r.pick != nil:
		return r.onPickKey(k), true
	case r.ignored != nil:
		return r.onIgnoredKey(k)
	case !r.resolver:
		return nil, false
	case key.Matches(k, keys.Link):
		a := r.currentConflict()
		if a == nil {
			return r.ctx.Out.status(levelWarn, "l links a conflict: put the plan's cursor on a conflict row"), true
		}
		r.pick = &linkPicker{action: a, typed: lineInput{prompt: "company name: ", active: isProduction(r.ctx.Header.Environment)}}
		r.detail = true
		return nil, true
	case key.Matches(k, keys.Ignore):
		t, ok := r.currentPerson()
		if !ok {
			return r.ctx.Out.status(levelWarn, "i ignores a person: put the cursor on a member or a plan row with one"), true
		}
		r.target = t
		// The reason line is the plan pane's title: the details would hide it.
		r.detail = false
		r.reason = &lineInput{prompt: "ignore " + t.address + " because: ", active: true}
		return nil, true
	case key.Matches(k, keys.IgnoreList):
		r.ignored = &ignoredList{loading: true}
		return r.ctx.Out.send(ignoredListRequestMsg{}), true
	}
	return nil, false
}

func (r *review) onReasonKey(k tea.KeyPressMsg) tea.Cmd {
	keys := r.keys
	switch {
	case key.Matches(k, keys.Back):
		r.reason = nil
		return r.ctx.Out.status(levelInfo, "not ignored")
	case key.Matches(k, keys.Keep):
		why := strings.TrimSpace(r.reason.value)
		if why == "" {
			return r.ctx.Out.status(levelWarn, "type why this person is ignored: the journal keeps it for the next admin")
		}
		r.reason = nil
		return r.ctx.Out.send(ignoreRequestMsg{member: r.target.member, address: r.target.address, reason: why})
	}
	r.reason.update(k)
	return nil
}

func (r *review) onPickKey(k tea.KeyPressMsg) tea.Cmd {
	keys, p := r.keys, r.pick
	n := len(p.action.Candidates)
	switch {
	case key.Matches(k, keys.Back):
		r.pick = nil
		return r.ctx.Out.status(levelInfo, "nothing linked")
	case key.Matches(k, keys.Choose):
		step := 1
		if k.String() == "up" {
			step = n - 1
		}
		p.cursor = (p.cursor + step) % n
		return nil
	case key.Matches(k, keys.Pick):
		u := p.action.Candidates[p.cursor]
		if u.OriginID != "" && u.OriginID != p.action.Member.ID {
			return r.ctx.Out.status(levelError, fmt.Sprintf("Procore user %d is linked to another Entra ID object (origin_id %s): pick another", u.ID, u.OriginID))
		}
		company := r.ctx.Header.Company
		if p.typed.active && !companyConfirmed(p.typed.value, company) {
			return r.ctx.Out.status(levelError, companyPrompt(company))
		}
		r.pick = nil
		return r.ctx.Out.send(linkRequestMsg{member: p.action.Member, address: p.action.Address, user: u})
	}
	if p.typed.active {
		p.typed.update(k)
	}
	return nil
}

func (r *review) onIgnoredKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	keys, l := r.keys, r.ignored
	switch {
	case key.Matches(k, keys.Back), key.Matches(k, keys.IgnoreList):
		r.ignored = nil
		return nil, true
	case key.Matches(k, keys.Up):
		l.cursor = max(0, l.cursor-1)
	case key.Matches(k, keys.Down):
		l.cursor = min(max(0, len(l.people)-1), l.cursor+1)
	case key.Matches(k, keys.Unignore):
		if l.loading || len(l.people) == 0 {
			return r.ctx.Out.status(levelWarn, "nobody to un-ignore"), true
		}
		return r.ctx.Out.send(unignoreRequestMsg{p: l.people[l.cursor]}), true
	case key.Matches(k, keys.Quit), key.Matches(k, keys.Refresh):
		return nil, false
	}
	return nil, true
}

// showIgnored fills the ignore list overlay, if it is still open.
func (r *review) showIgnored(people []IgnoredPerson) {
	if r.ignored == nil {
		return
	}
	r.ignored.loading, r.ignored.people = false, people
	r.ignored.cursor = min(r.ignored.cursor, max(0, len(people)-1))
}

// pickLines are the details' candidate list of a conflict: each Procore
// user it is about, the one the picker points at marked.
func (r *review) pickLines(a *roster.Action, add func(k, v string)) []string {
	if len(a.Candidates) == 0 || a.Member == nil {
		return nil
	}
	var out []string
	out = append(out, "", " "+stTitle.Render("Procore users this member could be"))
	for j, u := range a.Candidates {
		mark := "  "
		if r.pick != nil && r.pick.action == a && r.pick.cursor == j {
			mark = stOK.Render("▸ ")
		}
		state := "active"
		if !u.IsActive {
			state = "inactive"
		}
		link := "not linked"
		switch u.OriginID {
		case "":
		case a.Member.ID:
			link = "linked to this member"
		default:
			link = "linked to another member (" + safetext.Line(u.OriginID) + ")"
		}
		out = append(out, fmt.Sprintf(" %s#%d  %s  %s  (%s, %s)", mark, u.ID, safetext.Line(u.Email),
			safetext.Line(strings.TrimSpace(u.FirstName+" "+u.LastName)), state, link))
	}
	switch {
	case r.pick != nil && r.pick.typed.active:
		out = append(out, "", " "+stErr.Render("This writes to PRODUCTION.")+" Type the company name, then enter: "+r.pick.typed.view())
	case r.pick != nil:
		out = append(out, "", " ↑/↓ choose · enter writes this member's Entra object id as the user's origin_id · esc cancels")
	case r.resolver:
		out = append(out, "", " l picks the user this member is: procsync writes the member's Entra object id as its origin_id, and the conflict does not come back")
	}
	return out
}

// resolveView renders the ignore list overlay or the reason line over the
// review; "" when neither is open.
func (r *review) resolveView() string {
	w, h := r.ctx.Width, r.ctx.Height
	if l := r.ignored; l != nil {
		var lines []string
		switch {
		case l.loading:
			lines = []string{" reading the ignore list…"}
		case len(l.people) == 0:
			lines = []string{" Nobody is ignored. i on a member or a plan row ignores a person."}
		}
		start := max(0, l.cursor-(h-4)+1)
		for j := start; j < len(l.people) && len(lines) < h-3; j++ {
			p := l.people[j]
			mark := "  "
			if j == l.cursor {
				mark = stOK.Render("▸ ")
			}
			lines = append(lines, fmt.Sprintf(" %s%s  %s  by %s: %s", mark, fit(safetext.Line(p.Address), 34), fmtTime(p.At),
				safetext.Line(p.By), safetext.Line(p.Reason)))
		}
		return box(fmt.Sprintf("Ignored people · %d  (u un-ignores · esc closes)", len(l.people)), lines, w, h, true)
	}
	return ""
}
