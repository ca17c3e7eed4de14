package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// procoreUserJSON renders a user as Procore's company user endpoints do.
// The listings and the reactivation answer refer to templates as objects
// (company_permission_template, permission_template); the single-user
// answers (read, create, update, project add) carry
// company_permission_template_id and default_permission_template_id
// instead. s.mu is held (it reads vendors and templates).
func (s *Sim) procoreUserJSON(u *ProcoreUser, single bool) map[string]any {
	var vendor any
	if v := s.vendors[u.VendorID]; v != nil {
		vendor = map[string]any{"id": v.ID, "name": v.Name}
	}
	out := map[string]any{
		"id": u.ID, "first_name": u.FirstName, "last_name": u.LastName,
		"name":          strings.TrimSpace(u.FirstName + " " + u.LastName),
		"email_address": u.Email, "is_active": u.IsActive, "is_employee": u.IsEmployee,
		"job_title": nilIfEmpty(u.JobTitle), "employee_id": nilIfEmpty(u.EmployeeID), "origin_id": nilIfEmpty(u.OriginID),
		"vendor": vendor,
		"avatar": nil, "last_login_at": nil,
		"created_at": u.CreatedAt.UTC().Format(time.RFC3339), "updated_at": u.UpdatedAt.UTC().Format(time.RFC3339),
	}
	for k, v := range u.profile() {
		out[k] = nilIfEmpty(*v)
	}
	if single {
		out["company_permission_template_id"] = nilIfZero(u.PermissionTemplateID)
		out["default_permission_template_id"] = nilIfZero(u.DefaultPermissionTemplateID)
		return out
	}
	var tmpl any
	if t := s.templates[u.PermissionTemplateID]; t != nil {
		tmpl = map[string]any{"id": t.ID, "name": t.Name}
	}
	out["login"] = u.Email
	out["company_permission_template"] = tmpl
	out["permission_template"] = nil
	return out
}

func nilIfZero(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// userLists returns the active and inactive users by id, cached per
// directory version so that paging stays linear. s.mu is held.
func (s *Sim) userLists() (active, inactive []*ProcoreUser) {
	if s.cacheVer != s.pver {
		s.activeList, s.inactivList = s.activeList[:0], s.inactivList[:0]
		for _, u := range s.t.ProcoreUsers {
			if u.IsActive {
				s.activeList = append(s.activeList, u)
			} else {
				s.inactivList = append(s.inactivList, u)
			}
		}
		s.cacheVer = s.pver
	}
	return s.activeList, s.inactivList
}

func (s *Sim) procoreListUsers(p *procoreReq, active bool) {
	s.mu.Lock()
	a, in := s.userLists()
	list := in
	if active {
		list = a
	}
	if search := strings.ToLower(p.r.URL.Query().Get("filters[search]")); search != "" {
		var hits []*ProcoreUser
		for _, u := range list {
			if strings.Contains(strings.ToLower(u.FirstName+" "+u.LastName+" "+u.Email), search) {
				hits = append(hits, u)
			}
		}
		list = hits
	}
	lo, hi := s.paging(p, len(list))
	// Copy the page under the lock; encode and write it after, so that
	// concurrent page requests are not serialised behind one another.
	out := make(procoreUserPage, 0, hi-lo)
	for _, u := range list[lo:hi] {
		out = append(out, s.procoreView(u))
	}
	s.mu.Unlock()
	writeJSON(p.w, http.StatusOK, out)
}

// fieldErrors are Procore's per-field validation messages.
type fieldErrors map[string][]string

func (fe fieldErrors) add(field, msg string) { fe[field] = append(fe[field], msg) }

// userInput is the writable part of a user, as sent.
type userInput map[string]any

func (in userInput) str(k string) (string, bool) {
	v, ok := in[k]
	if !ok {
		return "", false
	}
	if v == nil {
		return "", true
	}
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return fmt.Sprint(v), true
}

func (in userInput) boolean(k string) (bool, bool) {
	switch x := in[k].(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(x)
		return b, err == nil
	}
	return false, false
}

func (in userInput) id(k string) (int64, bool) {
	switch x := in[k].(type) {
	case float64:
		return int64(x), true
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}

func validEmail(e string) bool {
	local, dom, ok := strings.Cut(e, "@")
	return ok && local != "" && strings.Contains(dom, ".") && !strings.ContainsAny(e, " ,;<>") && !strings.Contains(dom, "@")
}

// applyUser validates in against u (nil for a create) and, when valid,
// writes it: into u, or into a new user it returns. s.mu is held.
func (s *Sim) applyUser(u *ProcoreUser, in userInput) (*ProcoreUser, fieldErrors) {
	fe := fieldErrors{}
	creating := u == nil
	email, hasEmail := in.str("email_address")
	if hasEmail || creating {
		switch {
		case email == "":
			fe.add("email_address", "can't be blank")
		case !validEmail(email):
			fe.add("email_address", "is invalid")
		default:
			if other := s.puByEmail[strings.ToLower(email)]; other != nil && other != u {
				fe.add("email_address", "has already been taken")
			}
		}
	}
	last, hasLast := in.str("last_name")
	if (hasLast || creating) && last == "" {
		fe.add("last_name", "can't be blank")
	}
	origin, hasOrigin := in.str("origin_id")
	if hasOrigin && origin != "" {
		if other := s.puByOrigin[origin]; other != nil && other != u {
			fe.add("origin_id", "has already been taken")
		}
	}
	vendorID, hasVendor := in.id("vendor_id")
	if hasVendor && vendorID != 0 && s.vendors[vendorID] == nil {
		fe.add("vendor_id", "is invalid")
	}
	tmplID, hasTmpl := in.id("company_permission_template_id")
	if hasTmpl && tmplID != 0 && s.templates[tmplID] == nil {
		fe.add("company_permission_template_id", "is invalid")
	}
	defID, hasDef := in.id("default_permission_template_id")
	if hasDef && defID != 0 && s.templates[defID] == nil {
		fe.add("default_permission_template_id", "is invalid")
	}
	if _, ok := in["permission_template_id"]; ok {
		// Procore drops parameters a company user does not have; the
		// caller meant a template that is not applied.
		s.violation("procore: permission_template_id in a company user body (company users take default_permission_template_id / company_permission_template_id); ignored")
	}
	if len(fe) > 0 {
		return nil, fe
	}
	now := s.now().UTC()
	if creating {
		u = &ProcoreUser{ID: s.nextPID, IsActive: true, IsEmployee: false, CreatedAt: now}
		s.nextPID++
		s.t.ProcoreUsers = append(s.t.ProcoreUsers, u)
		s.puByID[u.ID] = u
		s.insp.created = append(s.insp.created, u.ID)
	}
	if hasEmail {
		delete(s.puByEmail, strings.ToLower(u.Email))
		u.Email = email
		s.puByEmail[strings.ToLower(email)] = u
	}
	if hasLast {
		u.LastName = last
	}
	if v, ok := in.str("first_name"); ok {
		u.FirstName = v
	}
	if v, ok := in.str("job_title"); ok {
		u.JobTitle = v
	}
	if v, ok := in.str("employee_id"); ok {
		u.EmployeeID = v
	}
	for k, f := range u.profile() {
		if v, ok := in.str(k); ok {
			*f = v
		}
	}
	if v, ok := in.boolean("is_employee"); ok {
		u.IsEmployee = v
	}
	if v, ok := in.boolean("is_active"); ok {
		u.IsActive = v
	}
	if hasOrigin {
		if u.OriginID != "" {
			delete(s.puByOrigin, u.OriginID)
		}
		u.OriginID = origin
		if origin != "" {
			s.puByOrigin[origin] = u
		}
	}
	if hasVendor {
		u.VendorID = vendorID
	}
	if hasTmpl {
		u.PermissionTemplateID = tmplID
	}
	if hasDef {
		u.DefaultPermissionTemplateID = defID
	}
	u.UpdatedAt = now
	s.pver++
	return u, nil
}

// readUserBody decodes {"user": {...}}. With required, the user must
// carry email_address and last_name, as Procore's spec says of the create
// and update bodies; a missing one is a 422 in Procore's error shape.
func readUserBody(p *procoreReq, required bool) (userInput, bool) {
	var body struct {
		User userInput `json:"user"`
	}
	if err := json.NewDecoder(p.r.Body).Decode(&body); err != nil {
		procoreErr(p.w, http.StatusBadRequest, "Invalid JSON body: "+err.Error())
		return nil, false
	}
	if body.User == nil {
		writeJSON(p.w, http.StatusUnprocessableEntity, map[string]any{"errors": fieldErrors{"user": {"is missing"}}})
		return nil, false
	}
	if required {
		fe := fieldErrors{}
		for _, k := range []string{"email_address", "last_name"} {
			if _, ok := body.User[k]; !ok {
				fe.add(k, "is missing")
			}
		}
		if len(fe) > 0 {
			writeJSON(p.w, http.StatusUnprocessableEntity, map[string]any{"errors": fe})
			return nil, false
		}
	}
	return body.User, true
}

// procoreCreateUser serves POST companies/{id}/users, and POST
// projects/{pid}/users when projectID is set.
func (s *Sim) procoreCreateUser(p *procoreReq, projectID int64) {
	in, ok := readUserBody(p, true)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var proj *Project
	if projectID != 0 {
		if proj = s.projects[projectID]; proj == nil {
			procoreErr(p.w, http.StatusNotFound, fmt.Sprintf("Project %d not found", projectID))
			return
		}
	}
	var projTmpl int64
	if proj != nil {
		// permission_template_id is a project-user field: it places the
		// user on the project, not on the company user.
		projTmpl, _ = in.id("permission_template_id")
		delete(in, "permission_template_id")
	}
	u, fe := s.applyUser(nil, in)
	if fe != nil {
		status := http.StatusUnprocessableEntity
		if slices.Contains(fe["email_address"], "has already been taken") {
			status = s.opts.ProcoreDuplicateStatus
		}
		writeJSON(p.w, status, map[string]any{"errors": fe})
		return
	}
	if proj != nil {
		proj.Members[u.ID] = projTmpl
	}
	writeJSON(p.w, http.StatusCreated, s.procoreUserJSON(u, true))
}

func (s *Sim) procoreUpdateUser(p *procoreReq, id int64) {
	in, ok := readUserBody(p, true)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.puByID[id]
	if u == nil {
		procoreErr(p.w, http.StatusNotFound, fmt.Sprintf("User %d not found", id))
		return
	}
	if _, fe := s.applyUser(u, in); fe != nil {
		writeJSON(p.w, http.StatusUnprocessableEntity, map[string]any{"errors": fe})
		return
	}
	writeJSON(p.w, http.StatusOK, s.procoreUserJSON(u, true))
}

// procoreReactivate serves PATCH companies/{id}/users/inactive/{user_id}
// ("Reactivate company user", no body): the user becomes active and is
// answered in the listing shape. Reactivating an active user answers the
// same (the spec is silent; a repeated request must not fail).
func (s *Sim) procoreReactivate(p *procoreReq, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.puByID[id]
	if u == nil {
		procoreErr(p.w, http.StatusNotFound, fmt.Sprintf("User %d not found", id))
		return
	}
	if !u.IsActive {
		u.IsActive = true
		u.UpdatedAt = s.now().UTC()
		s.pver++
	}
	writeJSON(p.w, http.StatusOK, s.procoreUserJSON(u, false))
}

// procoreSync serves PATCH users/sync: up to 1000 updates, matched by id,
// then origin_id, else created; always 200 with entities and errors.
func (s *Sim) procoreSync(p *procoreReq) {
	var body struct {
		Updates []userInput `json:"updates"`
	}
	if err := json.NewDecoder(p.r.Body).Decode(&body); err != nil {
		procoreErr(p.w, http.StatusBadRequest, "Invalid JSON body: "+err.Error())
		return
	}
	if body.Updates == nil {
		writeJSON(p.w, http.StatusUnprocessableEntity, map[string]any{"errors": fieldErrors{"updates": {"is missing"}}})
		return
	}
	if len(body.Updates) > procoreMaxSync {
		procoreErr(p.w, http.StatusUnprocessableEntity, fmt.Sprintf("A maximum of %d updates can be sent in one request; got %d", procoreMaxSync, len(body.Updates)))
		return
	}
	s.mu.Lock()
	entities := make([]map[string]any, 0, len(body.Updates))
	errs := make([]map[string]any, 0)
	fail := func(in userInput, fe fieldErrors) {
		item := make(map[string]any, len(in)+1)
		for k, v := range in {
			item[k] = v
		}
		item["errors"] = fe
		errs = append(errs, item)
	}
	for _, in := range body.Updates {
		if fe := unknownSyncFields(in); fe != nil {
			fail(in, fe)
			continue
		}
		var target *ProcoreUser
		if id, ok := in.id("id"); ok {
			if target = s.puByID[id]; target == nil {
				fail(in, fieldErrors{"id": {"not found"}})
				continue
			}
		} else if origin, ok := in.str("origin_id"); ok && origin != "" {
			target = s.puByOrigin[origin]
		}
		u, fe := s.applyUser(target, in)
		if fe != nil {
			fail(in, fe)
			continue
		}
		entities = append(entities, s.procoreUserJSON(u, true))
	}
	// The answer holds copies, so it is encoded after the tenant is let
	// go: Procore answers requests side by side, and batches in flight
	// together must not queue behind each other's encoding here.
	s.mu.Unlock()
	writeJSON(p.w, http.StatusOK, map[string]any{"entities": entities, "errors": errs})
}
