package provision

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"procsync/sync/graph"
	"procsync/sync/roster"
)

// projectReadConcurrency bounds the project directories the snapshot reads
// at once: rules name a handful of projects, and each read is paged.
const projectReadConcurrency = 4

// readProjects reads the users of every project the [[projects]] rules
// name, so that the plan adds nobody who is already there.
func (r *snapshotReads) readProjects(ctx context.Context) error {
	ids := roster.ProjectIDs(r.opts.Projects)
	if len(ids) == 0 {
		return nil
	}
	out := make([]roster.ProjectDirectory, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(projectReadConcurrency)
	for i, pid := range ids {
		g.Go(func() error {
			us, err := r.src.Procore.ProjectUsers(gctx, pid)
			if err != nil {
				return fmt.Errorf("snapshot: read the users of project %d (named by a [[projects]] rule): %w", pid, err)
			}
			dir := roster.ProjectDirectory{ProjectID: pid, UserIDs: make([]int64, len(us))}
			for j, u := range us {
				dir.UserIDs[j] = u.ID
			}
			slices.Sort(dir.UserIDs)
			out[i] = dir
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	r.projects = out
	return nil
}

// checkProjectGroups refuses a [[projects]] rule whose group is not one of
// the license groups the snapshot reads: only their members are read, so
// a rule on another group would silently add nobody.
func checkProjectGroups(groups []graph.MatchedGroup, rules []roster.ProjectRule) error {
	if len(rules) == 0 {
		return nil
	}
	gs := make([]roster.Group, len(groups))
	names := make([]string, len(groups))
	for i, g := range groups {
		gs[i] = roster.Group{ID: g.ID, DisplayName: g.DisplayName}
		names[i] = fmt.Sprintf("%q", g.DisplayName)
	}
	slices.Sort(names)
	var bad []string
	for _, r := range rules {
		if _, ok := roster.RuleGroup(gs, r.Group); ok {
			continue
		}
		where := r.Source
		if where == "" {
			where = "a [[projects]] rule"
		}
		bad = append(bad, fmt.Sprintf("%s: group %q is not one of the license groups procsync reads (%s)", where, r.Group, strings.Join(names, ", ")))
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%s; a rule's group must be a license group, named by its object id or display name: fix the group, or select it with groups.ids, groups.name_prefixes or groups.skus", strings.Join(bad, "; "))
}

// template returns the permission template of an open membership of
// project, and whether the configuration still adds anyone to it: a
// [[projects]] rule's template, else procore.permission_template_id when
// procore.project_ids lists it.
func (o ReconcileOptions) template(project int64) (int64, bool) {
	for _, r := range o.Projects {
		if slices.Contains(r.ProjectIDs, project) {
			return r.PermissionTemplateID, true
		}
	}
	if slices.Contains(o.ProjectIDs, project) {
		return o.PermissionTemplateID, true
	}
	return 0, false
}

// attachRows turns the plan's approved project_add rows into memberships.
// A row for a person this apply creates joins the memberships the create
// carries (journaled with it, sent once the user exists); when
// procore.project_ids already puts new users on that project, the row
// follows that membership rather than adding a second. A row for an
// existing user is a direct membership, sent after the user writes. A row
// whose create is not being applied is skipped: there is nobody to add;
// so is a row for an inactive user whose reactivation is not applied.
func (ap *applier) attachRows(items, rows []*applyItem) {
	if len(rows) == 0 {
		return
	}
	creates := map[*roster.Member]*applyItem{}
	for _, it := range items {
		if (it.a.Kind == roster.KindCreate || it.a.Kind == roster.KindReactivate) && it.a.Member != nil {
			creates[it.a.Member] = it
		}
	}
	for _, row := range rows {
		a := row.a
		pid, tmpl := a.Project.ProjectID, a.Project.PermissionTemplateID
		if a.User != nil {
			m := newMembership(a, pid, tmpl)
			m.Reason, m.ProcoreID, m.row = a.Reason, a.User.ID, row
			if !a.User.IsActive {
				if m.after = creates[a.Member]; m.after == nil || m.after.a.Kind != roster.KindReactivate {
					m.Status, m.Error = roster.StatusSkipped, inactiveText(a.User.ID)
				}
			}
			ap.direct = append(ap.direct, m)
			continue
		}
		it := creates[a.Member]
		if it == nil || it.a.Kind != roster.KindCreate {
			m := newMembership(a, pid, tmpl)
			m.Reason, m.row = a.Reason, row
			m.Status, m.Error = roster.StatusSkipped, "not added: the person's create was not applied"
			ap.direct = append(ap.direct, m)
			continue
		}
		if k := slices.IndexFunc(it.adds, func(m *membership) bool { return m.ProjectID == pid }); k >= 0 {
			it.adds[k].row = row
			continue
		}
		m := newMembership(a, pid, tmpl)
		m.Reason, m.row = a.Reason, row
		it.adds = append(it.adds, m)
	}
}

// journalDirect journals the direct memberships not journaled yet: those
// to send as pending (their request follows at once), the others as
// skipped (recordMemberships adds why). Never planned: Reconcile adds
// every open membership, and nobody approved these. It returns those to
// send.
func (ap *applier) journalDirect() ([]*membership, error) {
	var todo, send []*membership
	var intents []roster.Record
	for _, m := range ap.direct {
		if m.ID != 0 || m.recorded {
			continue
		}
		if m.Status == "" && m.after != nil && m.after.res.Status != roster.StatusDone {
			m.Status, m.Error = roster.StatusSkipped, inactiveText(m.ProcoreID)
		}
		in := m.Record
		if m.Status == "" {
			in.Status = ""
			send = append(send, m)
		} else {
			in.Status, in.Error = roster.StatusSkipped, ""
		}
		todo = append(todo, m)
		intents = append(intents, in)
	}
	if ap.opts.Journal == nil || len(intents) == 0 {
		return send, nil
	}
	ap.jmu.Lock()
	defer ap.jmu.Unlock()
	ids, err := ap.opts.Journal.RecordIntents(ap.journalCtx(), intents)
	if err != nil {
		return nil, fmt.Errorf("apply: journal %d project memberships: %w", len(intents), err)
	}
	if len(ids) != len(todo) {
		return nil, fmt.Errorf("apply: journal returned %d ids for %d project memberships", len(ids), len(todo))
	}
	for i, m := range todo {
		m.ID = ids[i]
	}
	return send, nil
}

func inactiveText(user int64) string {
	return fmt.Sprintf("not added: Procore user %d is inactive and its reactivation was not applied", user)
}

// settleDirect gives the direct memberships never sent (the apply stopped
// or was cancelled first) the outcome skipped, journaling them first: the
// next plan proposes them again.
func (ap *applier) settleDirect() {
	for _, m := range ap.direct {
		if m.Status == "" {
			m.Status, m.Error = roster.StatusSkipped, "not sent: the apply stopped first; the next run plans it again"
		}
	}
	if _, err := ap.journalDirect(); err != nil {
		ap.res.ProjectErrors = append(ap.res.ProjectErrors, err.Error())
	}
}

// collect fills the result: every item's outcome, every row's outcome
// from its membership, in plan order, and the memberships no row carries.
// Rows are reported as progress here, once their memberships settled.
func (ap *applier) collect(items, rows []*applyItem) {
	// Sized once: grown by appends, at 40,000 results this took a tenth
	// of a second after the last write.
	ap.res.Results = slices.Grow(ap.res.Results, len(items)+len(rows))
	for _, it := range items {
		ap.res.Results = append(ap.res.Results, it.res)
		for _, m := range it.adds {
			if m.row == nil {
				ap.res.Memberships = append(ap.res.Memberships, m.Record)
			}
		}
	}
	settled := map[*applyItem]*membership{}
	for _, it := range items {
		for _, m := range it.adds {
			if m.row != nil {
				settled[m.row] = m
			}
		}
	}
	for _, m := range ap.direct {
		settled[m.row] = m
	}
	for _, row := range rows {
		if m := settled[row]; m != nil {
			row.res.ID, row.res.ProcoreID = m.ID, m.ProcoreID
			row.res.Status, row.res.Error, row.res.RequestID = m.Status, m.Error, m.RequestID
		}
		if row.res.Status == "" {
			// The apply stopped before the membership could be journaled.
			row.res.Status, row.res.Error = roster.StatusSkipped, "not sent: the apply stopped first"
		}
		ap.emit(row)
		ap.res.Results = append(ap.res.Results, row.res)
	}
	if len(rows) > 0 {
		slices.SortFunc(ap.res.Results, func(a, b roster.Record) int { return cmp.Compare(a.Index, b.Index) })
	}
}
