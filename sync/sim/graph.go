package sim

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Graph paging limits, as documented for groups and members.
const (
	graphDefaultTop = 100
	graphMaxTop     = 999
	graphMaxBatch   = 20
)

// graphError answers with Graph's error body and its request ids.
func (s *Sim) graphError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	reqID := w.Header().Get("request-id")
	if reqID == "" {
		reqID = newGUID()
		w.Header().Set("request-id", reqID)
	}
	clientID := r.Header.Get("client-request-id")
	if clientID == "" {
		clientID = reqID
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]any{
			"date":              s.now().UTC().Format("2006-01-02T15:04:05"),
			"request-id":        reqID,
			"client-request-id": clientID,
		},
	}})
}

// graphReq carries what the Graph handlers need about one request.
type graphReq struct {
	w     http.ResponseWriter
	r     *http.Request
	tok   *token
	q     url.Values
	path  string // after /v1.0/
	base  string // scheme://host
	vpath string // "/graph/v1.0"
}

// opt reads an OData system query option, with or without its "$".
func (g *graphReq) opt(name string) string { return odataOpt(g.q, name) }

// odataOpt reads an OData system query option of q, with or without its "$".
func odataOpt(q url.Values, name string) string {
	if v := q.Get("$" + name); v != "" {
		return v
	}
	return q.Get(name)
}

func (g *graphReq) advanced() bool {
	return strings.EqualFold(g.r.Header.Get("ConsistencyLevel"), "eventual")
}

func (g *graphReq) fail(s *Sim, status int, code, msg string) {
	s.graphError(g.w, g.r, status, code, msg)
}

func (s *Sim) serveGraph(w http.ResponseWriter, r *http.Request) {
	reqID := newGUID()
	w.Header().Set("request-id", reqID)
	if c := r.Header.Get("client-request-id"); c != "" {
		w.Header().Set("client-request-id", c)
	} else {
		w.Header().Set("client-request-id", reqID)
	}
	w.Header().Set("x-ms-ags-diagnostic", `{"ServerInfo":{"DataCenter":"Simulated","Slice":"E","Ring":"1","ScaleUnit":"000","RoleInstance":"SIM"}}`)
	// Graph refuses any request body over 4 MB before looking further.
	body, _ := io.ReadAll(r.Body)
	if len(body) > graphMaxRequest {
		s.tooLarge(w, r, len(body))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rest := strings.TrimPrefix(r.URL.Path, "/graph")
	if sid, ok := strings.CutPrefix(rest, uploadPrefix); ok {
		s.serveUpload(w, r, sid)
		return
	}
	version := ""
	for _, v := range []string{"/v1.0/", "/beta/"} {
		if strings.HasPrefix(rest, v) {
			version = strings.Trim(v, "/")
			rest = strings.TrimPrefix(rest, v)
		}
	}
	if version == "" {
		s.graphError(w, r, http.StatusBadRequest, "BadRequest", "Invalid version: "+strings.TrimPrefix(rest, "/"))
		return
	}
	tok, why := s.checkToken(r, ServiceGraph)
	if tok == nil {
		msg := map[string]string{
			"missing": "Access token is empty.",
			"invalid": "IDX14100: JWT is not well formed, there are no dots (.).",
			"expired": "Lifetime validation failed, the token is expired.",
		}[why]
		if why == "invalid" && strings.Count(bearer(r), ".") == 2 {
			msg = "Access token validation failure. Invalid audience."
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
		s.graphError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
		return
	}
	g := &graphReq{w: w, r: r, tok: tok, q: r.URL.Query(), path: strings.Trim(rest, "/"), base: baseURL(r), vpath: "/graph/" + version}
	if !s.chargeGraph(g) {
		return
	}
	if g.opt("skip") != "" {
		g.fail(s, http.StatusBadRequest, "Request_BadRequest", "'$skip' is not supported by the service.")
		return
	}
	seg := strings.Split(g.path, "/")
	method := r.Method
	switch {
	case g.path == "$batch" && method == http.MethodPost:
		s.graphBatch(g)
	case seg[0] == "groups" && method == http.MethodGet:
		if !hasAnyScope(tok, "GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All") {
			g.fail(s, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
			return
		}
		switch len(seg) {
		case 1:
			s.graphListGroups(g)
		case 2:
			s.graphGetGroup(g, seg[1])
		default:
			s.graphMembers(g, seg[1], seg[2:])
		}
	case g.path == "subscribedSkus" && method == http.MethodGet:
		// The group and user permissions do not cover the tenant's
		// licences: Microsoft lists these, least privileged first.
		if !hasAnyScope(tok, "LicenseAssignment.Read.All", "Organization.Read.All", "Directory.Read.All",
			"LicenseAssignment.ReadWrite.All", "Organization.ReadWrite.All", "Directory.ReadWrite.All") {
			g.fail(s, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
			return
		}
		s.graphSKUs(g)
	case seg[0] == "me":
		if tok.app {
			g.fail(s, http.StatusBadRequest, "BadRequest", "/me request is only valid with delegated authentication flow.")
			return
		}
		s.graphUser(g, tok.subject, seg[1:])
	case seg[0] == "users":
		if len(seg) == 1 && method == http.MethodGet {
			s.graphListUsers(g)
			return
		}
		s.graphUser(g, seg[1], seg[2:])
	default:
		g.fail(s, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", seg[0]))
	}
}

func hasAnyScope(t *token, scopes ...string) bool {
	for _, sc := range t.scopes {
		for _, want := range scopes {
			if strings.EqualFold(sc, want) {
				return true
			}
		}
	}
	return false
}

// Object shapes. Each function returns every property; defaults lists
// those returned without $select.

var userDefaults = []string{"businessPhones", "displayName", "givenName", "id", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName"}

func userObject(u *User) map[string]any {
	return map[string]any{
		"@odata.type": "#microsoft.graph.user", "id": u.ID, "displayName": u.DisplayName,
		"givenName": nilIfEmpty(u.GivenName), "surname": nilIfEmpty(u.Surname),
		"userPrincipalName": u.UserPrincipalName, "mail": nilIfEmpty(u.Mail),
		"proxyAddresses": nonNil(slices.Clone(u.ProxyAddresses)), "accountEnabled": u.AccountEnabled,
		"userType": u.UserType, "jobTitle": nilIfEmpty(u.JobTitle), "employeeId": nilIfEmpty(u.EmployeeID),
		"otherMails": nonNil(slices.Clone(u.OtherMails)), "businessPhones": nonNil(slices.Clone(u.BusinessPhones)),
		"mobilePhone": nilIfEmpty(u.MobilePhone), "officeLocation": nilIfEmpty(u.OfficeLocation), "preferredLanguage": nil,
		"department": nilIfEmpty(u.Department), "companyName": nilIfEmpty(u.CompanyName), "usageLocation": "US",
		"city": nilIfEmpty(u.City), "country": nilIfEmpty(u.Country), "state": nilIfEmpty(u.State),
		"postalCode": nilIfEmpty(u.PostalCode), "streetAddress": nilIfEmpty(u.StreetAddress),
	}
}

var groupDefaults = []string{"id", "displayName", "description", "mail", "mailEnabled", "mailNickname", "securityEnabled", "groupTypes", "createdDateTime", "visibility"}

func groupObject(g *Group) map[string]any {
	lic := make([]map[string]any, 0, len(g.SKUs))
	for _, sku := range g.SKUs {
		lic = append(lic, map[string]any{"disabledPlans": []string{}, "skuId": sku})
	}
	nick := strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, g.DisplayName)
	var mail any
	if g.MailEnabled {
		mail = strings.ToLower(nick) + "@" + Domain
	}
	return map[string]any{
		"@odata.type": "#microsoft.graph.group", "id": g.ID, "displayName": g.DisplayName,
		"description": nilIfEmpty(g.Description), "mail": mail, "mailEnabled": g.MailEnabled,
		"mailNickname": nick, "securityEnabled": g.SecurityEnabled, "groupTypes": []string{},
		"createdDateTime": baseTime.Format(time.RFC3339), "visibility": nil, "assignedLicenses": lic,
	}
}

var deviceDefaults = []string{"id", "displayName", "deviceId", "operatingSystem", "accountEnabled"}

func deviceObject(d *Device) map[string]any {
	return map[string]any{
		"@odata.type": "#microsoft.graph.device", "id": d.ID, "displayName": d.DisplayName,
		"deviceId": d.ID, "operatingSystem": "Windows", "accountEnabled": true,
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// selection is a parsed $select: canonical property names, or nil for the
// type's defaults.
type selection []string

// parseSelect checks $select against the properties of the given object
// shapes (any one of them must have each property).
func parseSelect(raw string, shapes ...map[string]any) (selection, error) {
	if raw == "" {
		return nil, nil
	}
	var out selection
	for _, p := range strings.Split(raw, ",") {
		p = strings.TrimSpace(p)
		found := ""
		for _, shape := range shapes {
			for k := range shape {
				if strings.EqualFold(k, p) && !strings.HasPrefix(k, "@") {
					found = k
				}
			}
		}
		if found == "" {
			//lint:ignore ST1005 the text is Graph's own error message, answered verbatim
			return nil, fmt.Errorf("Could not find a property named '%s' on type 'microsoft.graph.directoryObject'.", p)
		}
		out = append(out, found)
	}
	return out, nil
}

// project keeps the selected (or default) properties of obj; withType
// keeps @odata.type, which Graph sends in mixed collections.
func project(obj map[string]any, sel selection, defaults []string, withType bool) map[string]any {
	keys := []string(sel)
	if sel == nil {
		keys = defaults
	}
	out := make(map[string]any, len(keys)+1)
	for _, k := range keys {
		if v, ok := obj[k]; ok {
			out[k] = v
		}
	}
	out["id"] = obj["id"] // Graph always returns the id
	if withType {
		out["@odata.type"] = obj["@odata.type"]
	}
	return out
}

func (s *Sim) graphListGroups(g *graphReq) {
	if resp, ok := s.listGroups(g); ok {
		writeJSON(g.w, http.StatusOK, resp)
	}
}

// listGroups builds the page graphListGroups answers, under s.mu.
func (s *Sim) listGroups(g *graphReq) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var objs []map[string]any
	for _, gr := range s.t.Groups {
		objs = append(objs, groupObject(gr))
	}
	sel, err := parseSelect(g.opt("select"), groupObject(&Group{}))
	if err != nil {
		g.fail(s, http.StatusBadRequest, "Request_BadRequest", err.Error())
		return nil, false
	}
	objs, ok := s.filterObjects(g, objs)
	if !ok {
		return nil, false
	}
	if f := strings.Fields(g.opt("orderby")); len(f) > 0 {
		if !strings.EqualFold(f[0], "displayName") {
			g.fail(s, http.StatusBadRequest, "Request_UnsupportedQuery", "Sorting not supported for '"+f[0]+"'.")
			return nil, false
		}
		slices.SortStableFunc(objs, func(a, b map[string]any) int {
			c := strings.Compare(strings.ToLower(a["displayName"].(string)), strings.ToLower(b["displayName"].(string)))
			if len(f) > 1 && strings.EqualFold(f[1], "desc") {
				return -c
			}
			return c
		})
	}
	return s.page(g, "groups", len(objs), func(i int) any { return project(objs[i], sel, groupDefaults, false) })
}

// filterObjects applies $filter; it answers the error itself and reports
// false when the filter is invalid.
func (s *Sim) filterObjects(g *graphReq, objs []map[string]any) ([]map[string]any, bool) {
	raw := g.opt("filter")
	if raw == "" {
		return objs, true
	}
	pred, err := parseFilter(raw, g.advanced())
	if err != nil {
		code := "BadRequest"
		if strings.Contains(err.Error(), "not supported") {
			code = "Request_UnsupportedQuery"
		}
		g.fail(s, http.StatusBadRequest, code, err.Error())
		return nil, false
	}
	out := objs[:0:0]
	for _, o := range objs {
		if pred(o, nil) {
			out = append(out, o)
		}
	}
	return out, true
}

func (s *Sim) graphGetGroup(g *graphReq, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gr := s.groups[id]
	if gr == nil {
		g.fail(s, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
		return
	}
	obj := groupObject(gr)
	sel, err := parseSelect(g.opt("select"), obj)
	if err != nil {
		g.fail(s, http.StatusBadRequest, "Request_BadRequest", err.Error())
		return
	}
	out := project(obj, sel, groupDefaults, false)
	out["@odata.context"] = g.base + g.vpath + "/$metadata#groups/$entity"
	writeJSON(g.w, http.StatusOK, out)
}

// graphMembers serves groups/{id}/members and transitiveMembers, with or
// without the /microsoft.graph.user cast.
func (s *Sim) graphMembers(g *graphReq, id string, rest []string) {
	transitive := false
	switch rest[0] {
	case "members":
	case "transitiveMembers":
		transitive = true
	default:
		g.fail(s, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", rest[0]))
		return
	}
	cast := false
	if len(rest) > 1 {
		if len(rest) > 2 || (rest[1] != "microsoft.graph.user" && rest[1] != "graph.user") {
			g.fail(s, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", strings.Join(rest[1:], "/")))
			return
		}
		cast = true
	}
	if transitive && cast && !g.advanced() {
		g.fail(s, http.StatusBadRequest, "Request_UnsupportedQuery",
			"The type cast on transitiveMembers requires advanced query capabilities: send 'ConsistencyLevel: eventual' and $count=true.")
		return
	}
	if resp, ok := s.members(g, id, transitive, cast); ok {
		writeJSON(g.w, http.StatusOK, resp)
	}
}

// members builds the page graphMembers answers, under s.mu. Users, nearly
// all of a license group, are copied into views that encode after the
// lock is released; groups and devices go through project as maps.
func (s *Sim) members(g *graphReq, id string, transitive, cast bool) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gr := s.groups[id]
	if gr == nil {
		g.fail(s, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
		return nil, false
	}
	ml := s.memberIDs(gr, transitive, cast)
	ids, users := ml.ids, ml.users
	var shapes []map[string]any
	if cast {
		shapes = []map[string]any{userObject(&User{})}
	} else {
		shapes = []map[string]any{userObject(&User{}), groupObject(&Group{}), deviceObject(&Device{})}
	}
	sel, err := parseSelect(g.opt("select"), shapes...)
	if err != nil {
		g.fail(s, http.StatusBadRequest, "Request_BadRequest", err.Error())
		return nil, false
	}
	proj := newUserProjection(sel, !cast)
	obj := func(i int) any {
		m := ids[i]
		if u := users[i]; u != nil {
			return userView{p: proj, u: *u}
		}
		switch {
		case s.groups[m] != nil:
			return project(groupObject(s.groups[m]), sel, groupDefaults, true)
		case s.devices[m] != nil:
			return project(deviceObject(s.devices[m]), sel, deviceDefaults, true)
		}
		return map[string]any{"@odata.type": "#microsoft.graph.directoryObject", "id": m}
	}
	if g.opt("filter") != "" {
		// Filtering needs every object; build them only in that case.
		full := make([]map[string]any, 0, len(ids))
		for _, m := range ids {
			switch {
			case s.users[m] != nil:
				full = append(full, userObject(s.users[m]))
			case s.groups[m] != nil:
				full = append(full, groupObject(s.groups[m]))
			case s.devices[m] != nil:
				full = append(full, deviceObject(s.devices[m]))
			}
		}
		full, ok := s.filterObjects(g, full)
		if !ok {
			return nil, false
		}
		ids = make([]string, 0, len(full))
		users = make([]*User, 0, len(full))
		for _, o := range full {
			id := o["id"].(string)
			ids = append(ids, id)
			users = append(users, s.users[id])
		}
	}
	context := "directoryObjects"
	if cast {
		context = "users"
	}
	return s.page(g, context, len(ids), obj)
}

// memberKey names one resolved member list: a group, direct or
// transitive, all objects or users only.
type memberKey struct {
	group            string
	transitive, cast bool
}

// memberList is a resolved member list: object ids, and for each the
// user, or nil when the member is a group, a device or unknown.
type memberList struct {
	ids   []string
	users []*User
}

// memberIDs resolves the members a members request pages over. Graph data
// never changes after New, so the list is resolved once per request shape:
// resolving a 12,000-member group on every page of 999 made paging
// quadratic, and looking each member up again per page costs as much as
// encoding it. Callers must not modify the result. s.mu is held.
func (s *Sim) memberIDs(gr *Group, transitive, cast bool) memberList {
	key := memberKey{gr.ID, transitive, cast}
	if ml, ok := s.memberLists[key]; ok {
		return ml
	}
	var ids []string
	if transitive {
		seen := map[string]bool{gr.ID: true}
		var walk func(*Group)
		walk = func(x *Group) {
			for _, m := range x.Members {
				if seen[m] {
					continue
				}
				seen[m] = true
				ids = append(ids, m)
				if sub := s.groups[m]; sub != nil {
					walk(sub)
				}
			}
		}
		walk(gr)
	} else {
		ids = gr.Members
	}
	if cast {
		users := make([]string, 0, len(ids))
		for _, m := range ids {
			if s.users[m] != nil {
				users = append(users, m)
			}
		}
		ids = users
	}
	ml := memberList{ids: ids, users: make([]*User, len(ids))}
	for i, m := range ids {
		ml.users[i] = s.users[m]
	}
	if s.memberLists == nil {
		s.memberLists = map[memberKey]memberList{}
	}
	s.memberLists[key] = ml
	return ml
}

func (s *Sim) graphListUsers(g *graphReq) {
	if !hasAnyScope(g.tok, "User.Read.All", "User.ReadBasic.All", "Directory.Read.All") {
		g.fail(s, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	if resp, ok := s.listUsers(g); ok {
		writeJSON(g.w, http.StatusOK, resp)
	}
}

// listUsers builds the page graphListUsers answers, under s.mu.
func (s *Sim) listUsers(g *graphReq) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	objs := make([]map[string]any, 0, len(s.t.Users))
	for _, u := range s.t.Users {
		objs = append(objs, userObject(u))
	}
	sel, err := parseSelect(g.opt("select"), userObject(&User{}))
	if err != nil {
		g.fail(s, http.StatusBadRequest, "Request_BadRequest", err.Error())
		return nil, false
	}
	objs, ok := s.filterObjects(g, objs)
	if !ok {
		return nil, false
	}
	return s.page(g, "users", len(objs), func(i int) any { return project(objs[i], sel, userDefaults, false) })
}

// lookupUser finds a user by object id or UPN. s.mu is held.
func (s *Sim) lookupUser(key string) *User {
	if u := s.users[key]; u != nil {
		return u
	}
	return s.usersByUPN[strings.ToLower(key)]
}

// graphUser serves /me[...] and /users/{id|upn}[...].
func (s *Sim) graphUser(g *graphReq, key string, rest []string) {
	s.mu.Lock()
	u := s.lookupUser(key)
	s.mu.Unlock()
	if len(rest) > 0 && (rest[0] == "sendMail" || rest[0] == "messages") {
		s.graphMail(g, u, key, rest)
		return
	}
	if len(rest) > 0 || g.r.Method != http.MethodGet {
		g.fail(s, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", strings.Join(rest, "/")))
		return
	}
	if u == nil {
		g.fail(s, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", key))
		return
	}
	obj := userObject(u)
	sel, err := parseSelect(g.opt("select"), obj)
	if err != nil {
		g.fail(s, http.StatusBadRequest, "Request_BadRequest", err.Error())
		return
	}
	out := project(obj, sel, userDefaults, false)
	out["@odata.context"] = g.base + g.vpath + "/$metadata#users/$entity"
	writeJSON(g.w, http.StatusOK, out)
}
