package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// procoreListProjectUsers serves GET projects/{pid}/users.
func (s *Sim) procoreListProjectUsers(p *procoreReq, pid int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	proj := s.projects[pid]
	if proj == nil {
		procoreErr(p.w, http.StatusNotFound, fmt.Sprintf("Project %d not found", pid))
		return
	}
	var list []*ProcoreUser
	for _, u := range s.t.ProcoreUsers {
		if _, ok := proj.Members[u.ID]; ok {
			list = append(list, u)
		}
	}
	lo, hi := s.paging(p, len(list))
	out := make([]map[string]any, 0, hi-lo)
	for _, u := range list[lo:hi] {
		j := s.procoreUserJSON(u, false)
		if t := s.templates[proj.Members[u.ID]]; t != nil {
			j["permission_template"] = map[string]any{"id": t.ID, "name": t.Name}
		}
		out = append(out, j)
	}
	writeJSON(p.w, http.StatusOK, out)
}

// procoreAddToProject serves POST projects/{pid}/users/{uid}/actions/add
// with an optional {"user": {"permission_template_id": N}}.
func (s *Sim) procoreAddToProject(p *procoreReq, pid, uid int64) {
	var body struct {
		User userInput `json:"user"`
	}
	if err := json.NewDecoder(p.r.Body).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		procoreErr(p.w, http.StatusBadRequest, "Invalid JSON body: "+err.Error())
		return
	}
	tmpl, _ := body.User.id("permission_template_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if fe := s.addToProject(pid, uid, tmpl); fe != nil {
		status := http.StatusUnprocessableEntity
		if _, ok := fe["project_id"]; ok {
			status = http.StatusNotFound
		} else if _, ok := fe["user_id"]; ok {
			status = http.StatusNotFound
		}
		writeJSON(p.w, status, map[string]any{"errors": fe})
		return
	}
	writeJSON(p.w, http.StatusCreated, s.procoreUserJSON(s.puByID[uid], true))
}

// addToProject puts a user on a project with a template. s.mu is held.
func (s *Sim) addToProject(pid, uid, tmpl int64) fieldErrors {
	proj := s.projects[pid]
	switch {
	case proj == nil:
		return fieldErrors{"project_id": {"not found"}}
	case s.puByID[uid] == nil:
		return fieldErrors{"user_id": {"not found"}}
	case tmpl != 0 && s.templates[tmpl] == nil:
		return fieldErrors{"permission_template_id": {"is invalid"}}
	}
	proj.Members[uid] = tmpl
	s.pver++
	return nil
}

// procoreBulkAdd serves POST /rest/v1.1/companies/{id}/users/bulk_add:
// at most procoreMaxBulkAdd {user_id, project_id, permission_template_id}
// triples, answered as Procore's spec gives it, {"<user id>": {"<project
// id>": "success" | "failure"}}. A user already on the project is a
// success and keeps their template. An entry without both ids cannot be
// keyed in the answer and is left out of it.
func (s *Sim) procoreBulkAdd(p *procoreReq) {
	var body struct {
		Users []userInput `json:"users"`
	}
	if err := json.NewDecoder(p.r.Body).Decode(&body); err != nil {
		procoreErr(p.w, http.StatusBadRequest, "Invalid JSON body: "+err.Error())
		return
	}
	if body.Users == nil {
		writeJSON(p.w, http.StatusUnprocessableEntity, map[string]any{"errors": fieldErrors{"users": {"is missing"}}})
		return
	}
	if len(body.Users) > procoreMaxBulkAdd {
		procoreErr(p.w, http.StatusUnprocessableEntity, fmt.Sprintf("A maximum of %d user_id, project_id, permission_template_id triples can be sent in one request; got %d", procoreMaxBulkAdd, len(body.Users)))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]string{}
	for _, in := range body.Users {
		uid, okU := in.id("user_id")
		pid, okP := in.id("project_id")
		if !okU || !okP {
			continue
		}
		tmpl, _ := in.id("permission_template_id")
		word := "success"
		if proj := s.projects[pid]; proj != nil {
			if _, member := proj.Members[uid]; member && s.puByID[uid] != nil {
				// Already on the project: left as it is.
				tmpl = -1
			}
		}
		if tmpl >= 0 {
			if fe := s.addToProject(pid, uid, tmpl); fe != nil {
				word = "failure"
			}
		}
		k := strconv.FormatInt(uid, 10)
		if out[k] == nil {
			out[k] = map[string]string{}
		}
		out[k][strconv.FormatInt(pid, 10)] = word
	}
	writeJSON(p.w, http.StatusOK, out)
}
