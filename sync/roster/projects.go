package roster

import (
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// KindProjectAdd is one person added to one Procore project: a plan row
// (a [[projects]] rule says the members of a group belong on a project and
// the person is not on it yet) and, with the same kind, the journal record
// of every project membership Apply sends, including those of
// procore.project_ids that a create carries without a plan row of its own.
// A membership whose add failed or was interrupted stays open in the
// journal until a later run's Reconcile adds it.
const KindProjectAdd Kind = "project_add"

// ProjectRule is one [[projects]] rule of the configuration: the members of
// Group are added to each of ProjectIDs with PermissionTemplateID.
type ProjectRule struct {
	// Group is a license group's Entra object id or display name, compared
	// case-insensitively with the snapshot's groups.
	Group string
	// ProjectIDs are the Procore projects the group's members belong on.
	ProjectIDs []int64
	// PermissionTemplateID is the template of the memberships the rule
	// adds; 0 means each project's default.
	PermissionTemplateID int64
	// Source says where the rule is configured ("projects[1] (line 14)"),
	// for errors about it found only at run time.
	Source string
}

// ProjectAdd is what a project_add row adds: one project, with its
// permission template, because a rule names a group the person is in.
type ProjectAdd struct {
	ProjectID            int64
	PermissionTemplateID int64
	// Group is the display name of the license group the rule matched.
	Group string
}

// ProjectDirectory is one project's users as the snapshot read them: the
// plan adds nobody who is already there.
type ProjectDirectory struct {
	ProjectID int64
	// UserIDs are the Procore ids of the project's users, sorted.
	UserIDs []int64
}

// ProjectIDs returns every project the rules name, sorted, each once: the
// projects whose users the snapshot reads.
func ProjectIDs(rules []ProjectRule) []int64 {
	var out []int64
	for _, r := range rules {
		out = append(out, r.ProjectIDs...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// RuleGroup returns the license group of gs that a rule's group names (by
// object id or display name, case-insensitively), or false if none does.
func RuleGroup(gs []Group, name string) (Group, bool) {
	name = strings.TrimSpace(name)
	for _, g := range gs {
		if strings.EqualFold(g.ID, name) {
			return g, true
		}
	}
	for _, g := range gs {
		if strings.EqualFold(g.DisplayName, name) {
			return g, true
		}
	}
	return Group{}, false
}

// projectRowKind reports whether k is the kind of a member who is or will
// be a Procore user: a create (added once it exists), a reactivation, an
// update or a person in sync. Conflicts, exclusions and offboards get no
// project row.
func projectRowKind(k Kind) bool {
	switch k {
	case KindCreate, KindReactivate, KindUpdate, KindInSync:
		return true
	}
	return false
}

// projectAdds appends one project_add row per member and project that the
// rules put a member on and that the project's directory does not already
// hold. A person is added to a project once, by the first rule that names
// it, however many of the person's groups lead there.
func (d *differ) projectAdds(actions []Action) []Action {
	rules := d.rules.Projects
	if len(rules) == 0 {
		return actions
	}
	on := make(map[int64]map[int64]bool, len(d.s.Projects))
	for _, p := range d.s.Projects {
		set := make(map[int64]bool, len(p.UserIDs))
		for _, id := range p.UserIDs {
			set[id] = true
		}
		on[p.ProjectID] = set
	}
	// Each rule's group by display name: Member.Groups holds names.
	groupOf := make([]string, len(rules))
	for i, r := range rules {
		if g, ok := RuleGroup(d.s.Groups, r.Group); ok {
			groupOf[i] = g.DisplayName
		}
	}
	n := len(actions)
	for i := range n {
		a := &actions[i]
		if a.Member == nil || !projectRowKind(a.Kind) {
			continue
		}
		var seen []int64
		for ri, r := range rules {
			if groupOf[ri] == "" || !slices.Contains(a.Member.Groups, groupOf[ri]) {
				continue
			}
			for _, pid := range r.ProjectIDs {
				if slices.Contains(seen, pid) || (a.User != nil && on[pid][a.User.ID]) {
					continue
				}
				seen = append(seen, pid)
				actions = append(actions, Action{
					Kind: KindProjectAdd, Address: a.Address, Member: a.Member, User: a.User,
					FirstName: a.FirstName, LastName: a.LastName,
					Reason:  projectReason(a, groupOf[ri], pid, r.PermissionTemplateID),
					Project: &ProjectAdd{ProjectID: pid, PermissionTemplateID: r.PermissionTemplateID, Group: groupOf[ri]},
				})
			}
		}
	}
	return actions
}

func projectReason(a *Action, group string, project, template int64) string {
	var b strings.Builder
	b.WriteString("member of ")
	b.WriteString(strconv.Quote(group))
	b.WriteString(": add to project ")
	b.WriteString(strconv.FormatInt(project, 10))
	if template != 0 {
		b.WriteString(" with permission template ")
		b.WriteString(strconv.FormatInt(template, 10))
	}
	switch {
	case a.User == nil:
		b.WriteString(" once the create made the Procore user")
	case a.Kind == KindReactivate:
		b.WriteString(" (Procore user ")
		b.WriteString(strconv.FormatInt(a.User.ID, 10))
		b.WriteString(", inactive until reactivated)")
	default:
		b.WriteString(" (Procore user ")
		b.WriteString(strconv.FormatInt(a.User.ID, 10))
		b.WriteString(", not on the project)")
	}
	return b.String()
}

// appendProjectRules encodes the project rules for the fingerprint. No
// rules encode as nothing, so that plans without them keep the
// fingerprint they had before rules existed.
func appendProjectRules(buf []byte, rules []ProjectRule) []byte {
	if len(rules) == 0 {
		return buf
	}
	buf = appendStr(buf, "projects")
	buf = binary.AppendUvarint(buf, uint64(len(rules)))
	for _, r := range rules {
		buf = appendStr(buf, r.Group)
		buf = binary.AppendUvarint(buf, uint64(len(r.ProjectIDs)))
		for _, id := range r.ProjectIDs {
			buf = binary.AppendVarint(buf, id)
		}
		buf = binary.AppendVarint(buf, r.PermissionTemplateID)
	}
	return buf
}

// appendProject encodes a project_add row's project; other rows encode
// nothing, keeping their encoding as it was.
func appendProject(buf []byte, p *ProjectAdd) []byte {
	if p == nil {
		return buf
	}
	buf = append(buf, 'p')
	buf = binary.AppendVarint(buf, p.ProjectID)
	buf = binary.AppendVarint(buf, p.PermissionTemplateID)
	return appendStr(buf, p.Group)
}

// validateProjects reports the first project rule Diff could not use.
func validateProjects(rules []ProjectRule) error {
	for _, r := range rules {
		where := r.Source
		if where == "" {
			where = "a [[projects]] rule"
		}
		if strings.TrimSpace(r.Group) == "" {
			return errors.New("rules: " + where + ": group is empty; name a license group by object id or display name")
		}
		if len(r.ProjectIDs) == 0 {
			return errors.New("rules: " + where + ": no project (set project_id or project_ids)")
		}
		for _, id := range r.ProjectIDs {
			if id <= 0 {
				return errors.New("rules: " + where + ": " + strconv.FormatInt(id, 10) + " is not a project id")
			}
		}
		if r.PermissionTemplateID < 0 {
			return errors.New("rules: " + where + ": permission_template_id must be a template id or 0 for the project's default")
		}
	}
	return nil
}
