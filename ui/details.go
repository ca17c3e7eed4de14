package ui

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"procsync/sync/roster"
)

// detailLines lists every field of the row under the cursor of the
// focused pane, with the full reason wrapped. A plan row says exactly what
// it would write, or that it writes nothing and what would change that.
func (r *review) detailLines(w int, nu NewUserSettings) []string {
	var out []string
	add := func(k, v string) {
		wrapped := strings.Split(ansi.Wordwrap(v, max(10, w-22), ""), "\n")
		for i, l := range wrapped {
			label := ""
			if i == 0 {
				label = k
			}
			out = append(out, " "+stDim.Render(fit(label, 20))+" "+l)
		}
	}
	i := r.panes[r.focus].current()
	if i < 0 {
		return []string{" nothing selected"}
	}
	switch r.focus {
	case paneMembers:
		row := r.mrows[i]
		if row.m == nil {
			add("License group", r.groupNames[row.group])
			for _, g := range r.snap.Groups {
				if g.DisplayName == r.groupNames[row.group] {
					add("Group id", g.ID)
					add("Matched by", g.MatchedBy)
					add("Members read", Thousands(g.MemberCount))
				}
			}
			return out
		}
		r.memberDetail(row.m, add)
	case paneProcore:
		r.userDetail(r.users[i], add)
	case panePlan:
		a := &r.plan.Actions[i]
		add("Kind", kindLabel(a.Kind))
		add("Address", a.Address)
		if r.plan.CanApprove(a) {
			add("Approved", yesNo(a.Approved))
		}
		if r.outcome != nil {
			if st, ok := r.outcome.status[i]; ok {
				add("Last apply", string(st))
			}
		}
		add("Reason", a.Reason)
		writes := actionWrites(a, &r.plan, nu)
		for j, wr := range writes {
			label := ""
			if j == 0 {
				label = "Writes"
			}
			add(label, wr)
		}
		switch a.Kind {
		case roster.KindConflict:
			add("To resolve", conflictFix(a))
			out = append(out, r.pickLines(a, add)...)
		case roster.KindExcluded:
			add("To include", excludedFix(a, r.plan.Rules))
		}
		if a.Member != nil {
			out = append(out, "", " "+stTitle.Render("Entra ID member"))
			r.memberDetail(a.Member, add)
		}
		if a.User != nil {
			out = append(out, "", " "+stTitle.Render("Procore user"))
			r.userDetail(a.User, add)
		}
	}
	return out
}

// actionWrites lists what applying a would write to Procore, one field a
// line, as provision.Apply sends it.
func actionWrites(a *roster.Action, p *roster.Plan, nu NewUserSettings) []string {
	uid := ""
	if a.User != nil {
		uid = fmt.Sprintf("Procore user #%d: ", a.User.ID)
	}
	switch a.Kind {
	case roster.KindCreate:
		out := []string{
			"a new Procore user in the company directory",
			"email_address " + a.Address,
			fmt.Sprintf("first_name %q, last_name %q", a.FirstName, a.LastName),
			"is_employee " + fmt.Sprint(nu.IsEmployee) + " (procore.is_employee)",
			"is_active true",
		}
		for _, c := range a.Attributes {
			out = append(out, fmt.Sprintf("%s %q (Entra %s, [map])", c.Field, c.New, c.Entra))
		}
		if a.Member != nil {
			// The origin id keys the create, so a retry updates instead of
			// duplicating.
			out = append(out, "origin_id "+a.Member.ID+" (the Entra object id)")
		}
		if len(nu.ProjectIDs) == 0 {
			out = append(out, "no project memberships (procore.project_ids is empty)")
		} else {
			ids := make([]string, len(nu.ProjectIDs))
			for i, id := range nu.ProjectIDs {
				ids[i] = fmt.Sprint(id)
			}
			tmpl := "each project's default permission template"
			if nu.PermissionTemplateID != 0 {
				tmpl = fmt.Sprintf("permission template %d", nu.PermissionTemplateID)
			}
			out = append(out, fmt.Sprintf("added to projects %s with %s (procore.project_ids, procore.permission_template_id)",
				strings.Join(ids, ", "), tmpl))
		}
		return out
	case roster.KindReactivate:
		return []string{uid + "is_active true (reactivated; names and address unchanged)"}
	case roster.KindUpdate:
		return updateWrites(a, uid)
	case roster.KindProjectAdd:
		return projectAddWrites(a, uid)
	case roster.KindOffboard:
		if !p.CanApprove(a) {
			return []string{"nothing: offboarding is report-only (procore.offboard = \"report\"); set procore.offboard = \"deactivate\" to deactivate"}
		}
		return []string{uid + "is_active false (deactivated; the user and their history stay in Procore)"}
	}
	switch a.Kind {
	case roster.KindConflict:
		return []string{"nothing: a conflict is never applied until it is resolved"}
	case roster.KindExcluded:
		return []string{"nothing: an excluded person is never provisioned"}
	}
	return []string{"nothing: the Procore user already matches"}
}

var procoreIDs = regexp.MustCompile(`(?:Procore users? |under \S+: |, )(\d{2,})\b`)

// conflictFix says how an admin resolves a conflict: which Procore ids are
// involved and what to change on which side. It reads the reason that
// roster.Diff wrote, the only place the conflict's shape is recorded.
func conflictFix(a *roster.Action) string {
	var ids []string
	seen := map[string]bool{}
	for _, m := range procoreIDs.FindAllStringSubmatch(a.Reason, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			ids = append(ids, "#"+m[1])
		}
	}
	if a.User != nil && !seen[fmt.Sprint(a.User.ID)] {
		ids = append(ids, fmt.Sprintf("#%d", a.User.ID))
	}
	users := strings.Join(ids, ", ")
	rs := a.Reason
	switch {
	case strings.Contains(rs, "Procore holds"):
		return "Procore has several users under " + a.Address + " (" + users + "): in Procore's company directory, " +
			"change the email of (or deactivate) every one but the user this person should keep, then press r to read again."
	case strings.Contains(rs, "resolve to") || strings.Contains(rs, "have the address"):
		s := "Several Entra ID members share " + a.Address
		if users != "" {
			s += " (Procore user " + users + ")"
		}
		return s + ": in Entra ID, give each person their own mail (or userPrincipalName when match.email_attribute is " +
			"userPrincipalName), or add the extra accounts to groups.exclude; then press r."
	case strings.Contains(rs, "matches different Procore users"):
		return "This member's addresses lead to different Procore users (" + users + "): deactivate the duplicate in " +
			"Procore, or remove the stray address (proxyAddresses) in Entra ID; then press r."
	case strings.Contains(rs, "was created for this member"):
		return "Procore user " + users + " was created for this member under another address: change its email in " +
			"Procore to " + a.Address + ", or give the member that address back in Entra ID; then press r."
	case strings.Contains(rs, "was created for another member"):
		return "Procore user " + users + " belongs to another Entra ID member (its origin_id): if the address moved " +
			"to this person, change the user's email in Procore; otherwise fix this member's mail in Entra ID; then press r."
	}
	if users != "" {
		return "Procore user " + users + " and this member disagree: correct the address in Entra ID or in Procore " +
			"(company directory) so that one person has one address, then press r."
	}
	return "Correct the address in Entra ID or in Procore so that one person has one address, then press r."
}

// excludedFix names the setting that would include an excluded member, or
// says that the account itself has to change.
func excludedFix(a *roster.Action, rules roster.Rules) string {
	rs := strings.ToLower(a.Reason)
	m := a.Member
	switch {
	case strings.HasPrefix(rs, "ignored by "):
		return "press I for the ignored people and u there to un-ignore (or run procsync unignore " + a.Address + ")"
	case (m != nil && strings.EqualFold(strings.TrimSpace(m.UserType), "Guest") && !rules.IncludeGuests) || strings.Contains(rs, "guest"):
		return "set groups.include_guests = true in the config (guests are left out by default)"
	case (m != nil && !m.AccountEnabled && !rules.IncludeDisabled) || strings.Contains(rs, "disabled"):
		return "enable the account in Entra ID, or set groups.include_disabled = true in the config"
	case strings.Contains(rs, "allowed_domains"):
		d := a.Address
		if i := strings.LastIndexByte(d, '@'); i >= 0 {
			d = d[i+1:]
		}
		return fmt.Sprintf("add %q to groups.allowed_domains in the config", d)
	case strings.Contains(rs, "exclude pattern"):
		return "remove or narrow the matching pattern in groups.exclude in the config"
	case strings.Contains(rs, "procore.reactivate"):
		return "set procore.reactivate = true in the config"
	case strings.Contains(rs, "no usable address") || strings.Contains(rs, "invalid"):
		return "give the account a valid mail in Entra ID, or set match.email_attribute = \"userPrincipalName\" in the config"
	}
	return "see the reason: change the account in Entra ID or the groups.* settings in the config"
}
func (r *review) memberDetail(mb *roster.Member, add func(k, v string)) {
	add("Object id", mb.ID)
	add("Display name", mb.DisplayName)
	add("Given name", mb.GivenName)
	add("Surname", mb.Surname)
	add("Mail", mb.Mail)
	add("User principal name", mb.UserPrincipalName)
	add("Proxy addresses", strings.Join(mb.ProxyAddresses, ", "))
	add("Account enabled", yesNo(mb.AccountEnabled))
	add("User type", mb.UserType)
	add("License groups", strings.Join(mb.Groups, ", "))
}

func (r *review) userDetail(u *roster.ProcoreUser, add func(k, v string)) {
	add("Procore id", fmt.Sprint(u.ID))
	add("Email", u.Email)
	add("First name", u.FirstName)
	add("Last name", u.LastName)
	add("Active", yesNo(u.IsActive))
	add("Employee", yesNo(u.IsEmployee))
	add("Job title", u.JobTitle)
	add("Employee id", u.EmployeeID)
	add("Origin id", u.OriginID)
	if u.Vendor != nil {
		add("Vendor", fmt.Sprintf("%s (#%d)", u.Vendor.Name, u.Vendor.ID))
	} else {
		add("Vendor", "")
	}
	add("Created", fmtTime(u.CreatedAt))
	add("Updated", fmtTime(u.UpdatedAt))
}
