package config

import (
	"bytes"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"procsync/sync/roster"
)

// ProjectRule is one [[projects]] table: the members of Group are added to
// the Procore project ProjectID (or each of ProjectIDs) with
// PermissionTemplateID. Group must be one of the license groups procsync
// reads, by object id or display name: only their members are read, so a
// rule on any other group would add nobody. Where the file alone can tell
// (only groups.ids, or only groups.name_prefixes, select the groups) that
// is checked here; otherwise the snapshot checks it against the groups it
// resolved and names this rule's key and line.
type ProjectRule struct {
	Group                string  `toml:"group"`
	ProjectID            int64   `toml:"project_id"`
	ProjectIDs           []int64 `toml:"project_ids"`
	PermissionTemplateID int64   `toml:"permission_template_id"`

	// source is "file:line: projects[i]", for errors found at run time.
	source string
}

// Projects returns the rule's projects: project_id or project_ids.
func (r ProjectRule) Projects() []int64 {
	if r.ProjectID != 0 {
		return []int64{r.ProjectID}
	}
	return r.ProjectIDs
}

// projectRules maps the [[projects]] tables onto roster's rules.
func (c *Config) projectRules() []roster.ProjectRule {
	if len(c.Projects) == 0 {
		return nil
	}
	out := make([]roster.ProjectRule, len(c.Projects))
	for i, r := range c.Projects {
		out[i] = roster.ProjectRule{Group: strings.TrimSpace(r.Group), ProjectIDs: slices.Clone(r.Projects()),
			PermissionTemplateID: r.PermissionTemplateID, Source: r.source}
	}
	return out
}

// projectSchema is the keys of one [[projects]] table.
var projectSchema = schemaOf(reflect.TypeFor[ProjectRule](), "")

// elementKey is the key of an array of tables' element i: "projects[0].group".
func elementKey(table string, i int, key string) string {
	k := fmt.Sprintf("%s[%d]", table, i)
	if key != "" {
		k += "." + key
	}
	return k
}

// addAt records a problem at an element key and line.
func (p *parser) addAt(key string, line int, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.name, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// checkTables checks the keys and value types of every element of the
// array of tables k ([[projects]]), once however often the library lists
// k. The locator of locate.go cannot reach into an array's elements, so
// lines come from tableLines.
func (p *parser) checkTables(k toml.Key) {
	name := k.String()
	if name != "projects" || p.checkedTables {
		return
	}
	p.checkedTables = true
	elems, _ := lookup(p.raw, k).([]map[string]any)
	for i, el := range elems {
		keys := make([]string, 0, len(el))
		for key := range el {
			keys = append(keys, key)
		}
		slices.SortFunc(keys, func(a, b string) int { return p.elementLine(name, i, a) - p.elementLine(name, i, b) })
		for _, key := range keys {
			want, ok := projectSchema[key]
			line := p.elementLine(name, i, key)
			if !ok {
				msg := "unknown key"
				if s := closest(key, projectSchema); s != "" {
					msg += fmt.Sprintf(" (did you mean %s?)", s)
				}
				p.addAt(elementKey(name, i, key), line, "%s; a [[projects]] table holds group, project_id or project_ids, and permission_template_id", msg)
				continue
			}
			if v := el[key]; !fits(want, v) {
				p.addAt(elementKey(name, i, key), line, "must be %s, not %s", want, typeName(v))
			}
		}
	}
}

// closest is the key of schema nearest to key, if it is a likely typo.
func closest(key string, schema map[string]kind) string {
	return nearest(key, slices.Collect(maps.Keys(schema)), 3)
}

// validateProjects checks the [[projects]] rules' values: a group, one
// project key, positive ids, a template per project that no other rule
// or procore.project_ids contradicts, and, where the file can tell, a
// group that is a license group.
func (p *parser) validateProjects(c *Config) {
	const t = "projects"
	elems, _ := lookup(p.raw, toml.Key{t}).([]map[string]any)
	template := map[int64]string{} // project → the key that set its template
	tmplOf := map[int64]int64{}
	if len(c.Procore.ProjectIDs) > 0 {
		for _, id := range c.Procore.ProjectIDs {
			template[id], tmplOf[id] = "procore.project_ids", c.Procore.PermissionTemplateID
		}
	}
	for i := range c.Projects {
		r := &c.Projects[i]
		var el map[string]any
		if i < len(elems) {
			el = elems[i]
		}
		line := func(key string) int { return p.elementLine(t, i, key) }
		r.source = fmt.Sprintf("%s:%d: %s", p.name, line(""), elementKey(t, i, ""))
		group := strings.TrimSpace(r.Group)
		switch {
		case group == "":
			p.addAt(elementKey(t, i, "group"), line("group"), `required: the license group whose members are added, by object id or display name, e.g. group = "License – Microsoft 365 E3"`)
		default:
			if msg := licenseGroupProblem(group, c.Groups); msg != "" {
				p.addAt(elementKey(t, i, "group"), line("group"), "%s", msg)
			}
		}
		_, hasOne := el["project_id"]
		_, hasMany := el["project_ids"]
		switch {
		case !hasOne && !hasMany:
			p.addAt(elementKey(t, i, "project_id"), line(""), "required: the Procore project the group's members are added to, e.g. project_id = 5678 (or project_ids = [5678, 5679])")
		case hasOne && hasMany:
			p.addAt(elementKey(t, i, "project_ids"), line("project_ids"), "set project_id or project_ids, not both")
		case hasOne && r.ProjectID <= 0:
			p.addAt(elementKey(t, i, "project_id"), line("project_id"), "must be a positive project id, not %d", r.ProjectID)
		case hasMany && len(r.ProjectIDs) == 0:
			p.addAt(elementKey(t, i, "project_ids"), line("project_ids"), "is empty: list the Procore projects the group's members are added to")
		case hasMany:
			for j, id := range r.ProjectIDs {
				if id <= 0 {
					p.addAt(elementKey(t, i, "project_ids"), line("project_ids"), "entry %d (%d) is not a project id", j+1, id)
				} else if slices.Index(r.ProjectIDs, id) < j {
					p.addAt(elementKey(t, i, "project_ids"), line("project_ids"), "project %d is listed twice", id)
				}
			}
		}
		if r.PermissionTemplateID < 0 {
			p.addAt(elementKey(t, i, "permission_template_id"), line("permission_template_id"), "must be a permission template id or 0 for the project's default, not %d", r.PermissionTemplateID)
		}
		// One membership has one template: two rules (or a rule and
		// procore.project_ids) disagreeing on it would make the result
		// depend on which ran first.
		for _, id := range r.Projects() {
			prev, seen := template[id]
			if seen && tmplOf[id] != r.PermissionTemplateID {
				p.addAt(elementKey(t, i, "permission_template_id"), line("permission_template_id"),
					"project %d gets permission template %d here but %d from %s; a membership has one template, so give them the same",
					id, r.PermissionTemplateID, tmplOf[id], prev)
				continue
			}
			if !seen {
				template[id], tmplOf[id] = elementKey(t, i, "permission_template_id"), r.PermissionTemplateID
			}
		}
	}
}

// licenseGroupProblem says why group cannot be a license group, when the
// file alone can tell: only groups.ids select the groups and group is an
// object id not among them, or only groups.name_prefixes do and group is
// a display name none of them starts. Otherwise (SKUs, or mixed
// selectors) the snapshot checks it against the groups it resolved.
func licenseGroupProblem(group string, g Groups) string {
	const fix = "; a [[projects]] rule's group must be one of the license groups procsync reads (only their members are read)"
	if IsGUID(group) {
		if len(g.IDs) > 0 && len(g.NamePrefixes) == 0 && len(g.SKUs) == 0 &&
			!slices.ContainsFunc(g.IDs, func(id string) bool { return strings.EqualFold(id, group) }) {
			return fmt.Sprintf("%q is not in groups.ids%s: add it there, or name a license group", group, fix)
		}
		return ""
	}
	if len(g.NamePrefixes) > 0 && len(g.SKUs) == 0 && len(g.IDs) == 0 &&
		!slices.ContainsFunc(g.NamePrefixes, func(pre string) bool {
			return len(group) >= len(pre) && strings.EqualFold(group[:len(pre)], pre)
		}) {
		return fmt.Sprintf("%q starts with none of groups.name_prefixes (%s)%s", group, quoteAll(g.NamePrefixes), fix)
	}
	return ""
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// headerRE matches a table header line, "[x]" or "[[x]]", and captures the
// name of an array-of-tables header.
var headerRE = regexp.MustCompile(`^\s*\[(\[)?\s*([^\]]*?)\s*\]`)

// elementLine is the line of key in element i of the array of tables
// name: the line that assigns it, or the element's [[name]] header when the
// key is "" or not there. The TOML library reports no positions for keys
// inside arrays of tables (see locate.go), so the file is scanned: each
// [[name]] header opens the next element, and any other header ends it.
// An array written inline (name = [{…}]) is located at name.
func (p *parser) elementLine(name string, i int, key string) int {
	lines := bytes.Split(p.data, []byte("\n"))
	n, header := -1, 0
	for l, raw := range lines {
		m := headerRE.FindSubmatch(raw)
		if m == nil {
			if n == i && key != "" && assigns(raw, key) {
				return l + 1
			}
			continue
		}
		if n == i {
			break
		}
		if len(m[1]) > 0 && string(m[2]) == name {
			n++
			if n == i {
				header = l + 1
			}
		}
	}
	if header == 0 {
		return p.line(toml.Key{name})
	}
	return header
}

// assigns reports whether a line assigns key, bare or quoted.
func assigns(line []byte, key string) bool {
	s := strings.TrimSpace(string(line))
	for _, k := range []string{key, `"` + key + `"`, "'" + key + "'"} {
		if rest, ok := strings.CutPrefix(s, k); ok && strings.HasPrefix(strings.TrimSpace(rest), "=") {
			return true
		}
	}
	return false
}
