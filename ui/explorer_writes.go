package ui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// userForm is the create-test-user form.
type userForm struct {
	fields  [3]lineInput
	idx     int
	company *xnode
}

// pickState is a one-of-many choice (a project, then a template) for
// add-to-project.
type pickState struct {
	title   string
	items   []ExplorerItem
	list    list
	step    int
	user    *xnode
	project ExplorerItem
	loading bool
}

// confirmX is a pending write, shown with its consequences until enter.
type confirmX struct {
	title string
	lines []string
	run   func(ctx context.Context) tea.Msg
}

func (e *explorer) startCreate() tea.Cmd {
	if !e.writable {
		return nil
	}
	c := e.companyOf(e.current())
	if c == nil {
		return e.out.status(levelWarn, "no company read yet")
	}
	e.form = userForm{company: c}
	for i, p := range []string{"email       ", "first name  ", "last name   "} {
		e.form.fields[i].prompt = p
	}
	e.form.fields[0].active = true
	e.mode = modeForm
	return nil
}

func (e *explorer) formKey(k tea.KeyPressMsg) tea.Cmd {
	f := &e.form
	keys := &e.keys
	move := func(d int) {
		f.fields[f.idx].active = false
		f.idx = (f.idx + d + len(f.fields)) % len(f.fields)
		f.fields[f.idx].active = true
	}
	switch {
	case key.Matches(k, keys.Back):
		e.mode = modeBrowse
		return nil
	case key.Matches(k, keys.PrevField):
		move(-1)
		return nil
	case key.Matches(k, keys.NextField):
		move(1)
		return nil
	case key.Matches(k, keys.Confirm):
		if f.idx < len(f.fields)-1 {
			move(1)
			return nil
		}
		u := NewUser{Email: strings.TrimSpace(f.fields[0].value), FirstName: strings.TrimSpace(f.fields[1].value),
			LastName: strings.TrimSpace(f.fields[2].value)}
		if at := strings.Index(u.Email, "@"); at <= 0 || at == len(u.Email)-1 || strings.ContainsAny(u.Email, " \t") {
			return e.out.status(levelWarn, "create test user: the email address is not valid")
		}
		if u.FirstName == "" || u.LastName == "" {
			return e.out.status(levelWarn, "create test user: first and last name are required")
		}
		c := f.company
		b, cid := e.b, c.item.ID
		e.confirm = confirmX{
			title: "Create test user?",
			lines: []string{
				"Create this Procore user:",
				"",
				"  email        " + u.Email,
				"  name         " + u.FirstName + " " + u.LastName,
				"  company      " + companyName(c),
				"  environment  " + strings.ToUpper(e.env),
			},
			run: func(ctx context.Context) tea.Msg {
				it, err := b.CreateUser(ctx, cid, u)
				if err == nil && it.Email == "" {
					it.Email = u.Email
				}
				return exWriteMsg{what: "create", item: it, company: c, err: err}
			},
		}
		e.mode = modeConfirm
		return nil
	}
	f.fields[f.idx].update(k)
	return nil
}

func (e *explorer) startActivate() tea.Cmd {
	if !e.writable {
		return nil
	}
	n := e.current()
	if n == nil || n.kind != nkUser {
		return e.out.status(levelWarn, "d acts on a company user: open a company's Users and select one")
	}
	activate := n.item.Inactive
	verb, effect := "Deactivate", "They can no longer sign in to this company; their history stays."
	if activate {
		verb, effect = "Reactivate", "They can sign in to this company again."
	}
	c, b, id, cid := n.company, e.b, n.item.ID, n.company.item.ID
	e.confirm = confirmX{
		title: verb + " user?",
		lines: []string{
			verb + " this Procore user:",
			"",
			fmt.Sprintf("  user         %s #%d", n.item.Email, n.item.ID),
			"  company      " + companyName(c),
			"  environment  " + strings.ToUpper(e.env),
			"",
			effect,
		},
		run: func(ctx context.Context) tea.Msg {
			it, err := b.SetUserActive(ctx, cid, id, activate)
			return exWriteMsg{what: strings.ToLower(verb), item: it, node: n, company: c, err: err}
		},
	}
	e.mode = modeConfirm
	return nil
}

func (e *explorer) startAddToProject() tea.Cmd {
	if !e.writable {
		return nil
	}
	n := e.current()
	if n == nil || n.kind != nkUser {
		return e.out.status(levelWarn, "p acts on a company user: open a company's Users and select one")
	}
	e.pick = pickState{title: "Add " + n.item.Email + " to which project?", step: 1, user: n, loading: true}
	e.mode = modePick
	b, ctx, cid := e.b, e.ctx, n.company.item.ID
	return func() tea.Msg {
		items, err := b.Projects(ctx, cid, "Active")
		return exPickMsg{step: 1, items: items, err: err}
	}
}

func (e *explorer) onPickLoaded(msg exPickMsg) tea.Cmd {
	if e.mode != modePick || msg.step != e.pick.step {
		return nil
	}
	e.pick.loading = false
	if msg.err != nil {
		e.mode = modeBrowse
		return e.out.status(levelError, msg.err.Error())
	}
	items := msg.items
	if msg.step == 2 {
		items = append([]ExplorerItem{{Label: "(the project's default template)"}}, items...)
	}
	e.pick.items = items
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = strings.ToLower(it.Label + " " + it.Note)
	}
	e.pick.list = newList(keys)
	e.pick.list.setHeight(max(1, e.paneH-5))
	return nil
}

func (e *explorer) pickKey(k tea.KeyPressMsg) tea.Cmd {
	keys := &e.keys
	p := &e.pick
	switch {
	case key.Matches(k, keys.Back):
		e.mode = modeBrowse
	case p.list.navigate(k, &keys.NavKeys):
	case key.Matches(k, keys.Confirm):
		i := p.list.current()
		if p.loading || i < 0 {
			return nil
		}
		chosen := p.items[i]
		if p.step == 1 {
			p.project, p.step, p.loading, p.items = chosen, 2, true, nil
			p.title = fmt.Sprintf("Permission template for %s in %s?", p.user.item.Email, chosen.Label)
			b, ctx, cid := e.b, e.ctx, p.user.company.item.ID
			return func() tea.Msg {
				items, err := b.PermissionTemplates(ctx, cid)
				return exPickMsg{step: 2, items: items, err: err}
			}
		}
		u, proj, c, b := p.user, p.project, p.user.company, e.b
		uid, cid, uitem := u.item.ID, c.item.ID, u.item
		tmpl := chosen.Label
		if chosen.ID != 0 {
			tmpl = fmt.Sprintf("%s #%d", chosen.Label, chosen.ID)
		}
		e.confirm = confirmX{
			title: "Add user to project?",
			lines: []string{
				"Add this Procore user to a project:",
				"",
				fmt.Sprintf("  user         %s #%d", u.item.Email, u.item.ID),
				fmt.Sprintf("  project      %s #%d", proj.Label, proj.ID),
				"  template     " + tmpl,
				"  company      " + companyName(c),
				"  environment  " + strings.ToUpper(e.env),
			},
			run: func(ctx context.Context) tea.Msg {
				err := b.AddToProject(ctx, cid, proj.ID, uid, chosen.ID)
				return exWriteMsg{what: "add", item: uitem, node: u, company: c, project: proj.ID, err: err}
			},
		}
		e.mode = modeConfirm
	}
	return nil
}

func (e *explorer) onWrite(msg exWriteMsg) tea.Cmd {
	e.busy = ""
	if msg.err != nil {
		return e.out.status(levelError, msg.err.Error())
	}
	var cmds []tea.Cmd
	switch msg.what {
	case "create":
		// Read the company's users again and land on the new one, so the
		// admin sees Procore's own record of it.
		e.detail.resp, e.detail.focus, e.detail.top = nil, false, true
		for _, c := range msg.company.children {
			if c.kind == nkUsers {
				msg.company.open, c.open = true, true
				e.selectAfter = msg.item.ID
				e.rebuild()
				e.selectNode(c)
				cmds = append(cmds, e.load(c))
			}
		}
		cmds = append(cmds, e.out.status(levelInfo, fmt.Sprintf("created test user %s (#%d) in %s",
			msg.item.Email, msg.item.ID, companyName(msg.company))))
	case "deactivate", "reactivate":
		if msg.item.ID != 0 {
			msg.node.item = msg.item
			msg.node.label = msg.item.Label
		} else {
			msg.node.item.Inactive = msg.what == "deactivate"
		}
		e.detail.of = nil
		e.rebuild()
		cmds = append(cmds, e.out.status(levelInfo, fmt.Sprintf("%sd %s (#%d)", msg.what, msg.node.item.Email, msg.node.item.ID)))
	case "add":
		// A project's user list already read is now out of date.
		var walk func(ns []*xnode)
		walk = func(ns []*xnode) {
			for _, n := range ns {
				if n.kind == nkProject && n.item.ID == msg.project && n.company == msg.company {
					if n.open {
						cmds = append(cmds, e.load(n))
					} else {
						n.loaded, n.children = false, nil
					}
				}
				walk(n.children)
			}
		}
		walk(e.roots)
		cmds = append(cmds, e.out.status(levelInfo, fmt.Sprintf("added %s (#%d) to project #%d",
			msg.item.Email, msg.item.ID, msg.project)))
	}
	return tea.Batch(cmds...)
}

func (e *explorer) modalLines(w int) (string, []string) {
	switch e.mode {
	case modeForm:
		lines := []string{"A test user in " + companyName(e.form.company) + ":", ""}
		for _, f := range e.form.fields {
			lines = append(lines, "  "+f.view())
		}
		return "Create test user", append(lines, "", stDim.Render("tab next field · enter on the last field reviews · esc cancels"))
	case modePick:
		lines := []string{e.pick.title, ""}
		if e.pick.loading {
			return "Add to project", append(lines, stDim.Render("reading…"))
		}
		return "Add to project", append(lines, e.pick.list.view(w, true, func(i, w int) string {
			it := e.pick.items[i]
			return "  " + it.Label + "  " + stDim.Render(it.Note)
		})...)
	case modeConfirm:
		return e.confirm.title, append(append([]string{}, e.confirm.lines...), "",
			stWarn.Render("enter confirms · esc cancels (nothing is written)"))
	}
	return "", nil
}

// confirmKey runs the pending write on enter; esc drops it.
func (e *explorer) confirmKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, e.keys.Back):
		e.mode = modeBrowse
		return e.out.status(levelInfo, "cancelled: nothing was written")
	case key.Matches(k, e.keys.Confirm):
		e.mode = modeBrowse
		run, ctx := e.confirm.run, e.ctx
		e.busy = e.confirm.title
		return func() tea.Msg { return run(ctx) }
	}
	return nil
}
