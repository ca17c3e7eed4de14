package roster

// Actionable reports whether actions of kind k change Procore when applied:
// create, reactivate, update, offboard and project_add. The others (in_sync, excluded,
// conflict) only inform, so nothing can approve them.
func (k Kind) Actionable() bool {
	switch k {
	case KindCreate, KindReactivate, KindUpdate, KindOffboard, KindProjectAdd:
		return true
	}
	return false
}

// CanApprove reports whether a may be approved in this plan: its kind is
// actionable and, for an offboard action, the plan's rules deactivate
// (with procore.offboard = "report" offboarding is listed, never applied).
func (p *Plan) CanApprove(a *Action) bool {
	if !a.Kind.Actionable() {
		return false
	}
	return a.Kind != KindOffboard || p.Rules.deactivates()
}

// Approve approves every action that filter selects and that may be
// approved (see CanApprove), leaving the others as they are. It returns the
// number of actions the call selected that are approved now. A nil filter
// selects every action.
func (p *Plan) Approve(filter func(*Action) bool) int {
	return p.set(filter, true)
}

// Unapprove withdraws approval from every action that filter selects and
// returns how many that were approved it changed. A nil filter selects
// every action (the TUI's "none").
func (p *Plan) Unapprove(filter func(*Action) bool) int {
	return p.set(filter, false)
}

func (p *Plan) set(filter func(*Action) bool, approved bool) int {
	n := 0
	for i := range p.Actions {
		a := &p.Actions[i]
		if filter != nil && !filter(a) {
			continue
		}
		if approved {
			if p.CanApprove(a) {
				a.Approved = true
				n++
			}
		} else if a.Approved {
			a.Approved = false
			n++
		}
	}
	return n
}

// AutoApproves reports whether --auto's rule approves a under r: creates
// and project_add rows always, reactivations when r.Reactivate, updates
// that change mapped fields when r.AutoUpdates and other (name) updates
// when r.UpdateNames, offboards only when r.Offboard is "deactivate", and
// never excluded, conflict or in_sync actions.
func AutoApproves(a *Action, r Rules) bool {
	switch a.Kind {
	case KindCreate, KindProjectAdd:
		// A project_add row only carries out a rule the admin configured
		// for people already in a license group, like a create does.
		return true
	case KindReactivate:
		return r.Reactivate
	case KindUpdate:
		if len(a.Attributes) > 0 {
			return r.AutoUpdates
		}
		return r.UpdateNames
	case KindOffboard:
		return r.deactivates()
	}
	return false
}

// ApproveAuto sets every action's approval to --auto's rule (AutoApproves
// under r, and CanApprove in this plan), replacing any earlier choice, and
// returns the number approved. The mass-change brakes are the caller's
// business: they look at ApprovedCounts.
func (p *Plan) ApproveAuto(r Rules) int {
	n := 0
	for i := range p.Actions {
		a := &p.Actions[i]
		a.Approved = AutoApproves(a, r) && p.CanApprove(a)
		if a.Approved {
			n++
		}
	}
	return n
}

// Toggle flips the approval of action i, as the TUI's space key does. It
// does nothing for an index out of range or an action that may not be
// approved, so that a stray key press cannot approve a conflict.
func (p *Plan) Toggle(i int) {
	if i < 0 || i >= len(p.Actions) {
		return
	}
	a := &p.Actions[i]
	if a.Approved {
		a.Approved = false
		return
	}
	a.Approved = p.CanApprove(a)
}

// Approved returns copies of the approved actions, in plan order.
func (p *Plan) Approved() []Action {
	var out []Action
	for i := range p.Actions {
		if p.Actions[i].Approved {
			out = append(out, p.Actions[i])
		}
	}
	return out
}

// ApprovedCounts returns the number of approved actions per kind, with
// every kind present (zero when none).
func (p *Plan) ApprovedCounts() Counts {
	c := Counts{}
	for _, k := range Kinds {
		c[k] = 0
	}
	for i := range p.Actions {
		if p.Actions[i].Approved {
			c[p.Actions[i].Kind]++
		}
	}
	return c
}
