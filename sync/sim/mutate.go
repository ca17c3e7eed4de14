package sim

import (
	"fmt"
	"net/http"
	"strings"
)

// UpdateEntraUser changes the Entra user with object id id while the
// simulator serves, as an admin editing the directory would (a new job
// title, a new phone): f gets the user under the simulator's lock and must
// not keep it (replace slices such as BusinessPhones, never change them in
// place: pages already read hold them). It reports whether the user exists. Group membership is not
// changed here; f must not touch the user's ID or UserPrincipalName.
func (s *Sim) UpdateEntraUser(id string, f func(*User)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	if u == nil {
		return false
	}
	f(u)
	return true
}

// entraUserFields are the properties POST /_sim/entra_user may change: the
// profile an attribute mapping reads.
var entraUserFields = map[string]func(u *User, v string){
	"jobTitle":       func(u *User, v string) { u.JobTitle = v },
	"employeeId":     func(u *User, v string) { u.EmployeeID = v },
	"mobilePhone":    func(u *User, v string) { u.MobilePhone = v },
	"businessPhones": func(u *User, v string) { u.BusinessPhones = nonEmpty(v) },
	"officeLocation": func(u *User, v string) { u.OfficeLocation = v },
	"department":     func(u *User, v string) { u.Department = v },
	"companyName":    func(u *User, v string) { u.CompanyName = v },
	"city":           func(u *User, v string) { u.City = v },
	"country":        func(u *User, v string) { u.Country = v },
	"state":          func(u *User, v string) { u.State = v },
	"postalCode":     func(u *User, v string) { u.PostalCode = v },
	"streetAddress":  func(u *User, v string) { u.StreetAddress = v },
}

func nonEmpty(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
}

// serveEntraUser serves POST /_sim/entra_user: form value id (object id or
// userPrincipalName) and property=value pairs of entraUserFields, for
// scripts that change a member while procsync runs (UpdateEntraUser for
// Go tests).
func (s *Sim) serveEntraUser(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "sim: "+err.Error(), http.StatusBadRequest)
		return
	}
	id := r.PostForm.Get("id")
	var sets []func(*User)
	for k, vs := range r.PostForm {
		if k == "id" {
			continue
		}
		set, ok := entraUserFields[k]
		if !ok {
			http.Error(w, fmt.Sprintf("sim: POST /_sim/entra_user cannot change %q", k), http.StatusBadRequest)
			return
		}
		sets = append(sets, func(u *User) { set(u, vs[0]) })
	}
	s.mu.Lock()
	if u := s.usersByUPN[strings.ToLower(id)]; u != nil {
		id = u.ID
	}
	s.mu.Unlock()
	if !s.UpdateEntraUser(id, func(u *User) {
		for _, set := range sets {
			set(u)
		}
	}) {
		http.Error(w, fmt.Sprintf("sim: no Entra user %q", id), http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
