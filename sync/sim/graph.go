package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
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
	rest := strings.TrimPrefix(r.URL.Path, "/graph")
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
		"otherMails": nonNil(slices.Clone(u.OtherMails)), "businessPhones": []string{},
		"mobilePhone": nil, "officeLocation": nil, "preferredLanguage": nil,
		"department": nil, "companyName": nil, "usageLocation": "US",
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

// skiptoken makes an opaque paging token bound to the query it pages.
func skiptoken(offset int, scope string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(scope))
	return "RFNwdAIA" + base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("sim:%d:%08x", offset, h.Sum32())))
}

func parseSkiptoken(tok, scope string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, "RFNwdAIA"))
	if err != nil || !strings.HasPrefix(tok, "RFNwdAIA") {
		return 0, false
	}
	var off int
	var sum uint32
	if _, err := fmt.Sscanf(string(raw), "sim:%d:%08x", &off, &sum); err != nil {
		return 0, false
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(scope))
	return off, sum == h.Sum32() && off >= 0
}

// page builds one page of a collection of n items, materialising only the
// items of the page through item. It answers errors itself and then
// reports false; the caller writes resp once it has released s.mu.
func (s *Sim) page(g *graphReq, context string, n int, item func(i int) any) (resp map[string]any, ok bool) {
	top := graphDefaultTop
	if raw := g.opt("top"); raw != "" {
		v, err := strconv.Atoi(raw)
		if err != nil || v < 1 || v > graphMaxTop {
			g.fail(s, http.StatusBadRequest, "Request_UnsupportedQuery", fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", raw, graphMaxTop))
			return nil, false
		}
		top = v
	}
	// The token is bound to the query without it, so it cannot be moved
	// to another collection.
	q := url.Values{}
	for k, v := range g.q {
		if k != "$skiptoken" && k != "skiptoken" {
			q[k] = v
		}
	}
	scope := g.r.URL.Path + "?" + q.Encode()
	off := 0
	if tok := g.opt("skiptoken"); tok != "" {
		o, ok := parseSkiptoken(tok, scope)
		if !ok {
			g.fail(s, http.StatusBadRequest, "Request_BadRequest", "The specified page token value has expired or is invalid.")
			return nil, false
		}
		off = o
	}
	end := min(off+top, n)
	value := make([]any, 0, max(0, end-off))
	for i := off; i < end; i++ {
		value = append(value, item(i))
	}
	resp = map[string]any{
		"@odata.context": g.base + g.vpath + "/$metadata#" + context,
		"value":          value,
	}
	if strings.EqualFold(g.opt("count"), "true") {
		resp["@odata.count"] = n
	}
	if end < n {
		q.Set("$skiptoken", skiptoken(end, scope))
		// Graph writes the option names with a literal "$", as clients do.
		resp["@odata.nextLink"] = g.base + g.r.URL.Path + "?" + strings.ReplaceAll(q.Encode(), "%24", "$")
	}
	return resp, true
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

func (s *Sim) graphSKUs(g *graphReq) {
	if g.opt("filter") != "" || g.opt("top") != "" || g.opt("orderby") != "" {
		g.fail(s, http.StatusBadRequest, "Request_UnsupportedQuery", "subscribedSkus supports only $select.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var objs []map[string]any
	for _, k := range s.t.SKUs {
		objs = append(objs, map[string]any{
			"accountId": TenantGUID, "accountName": "Contoso", "appliesTo": "User", "capabilityStatus": "Enabled",
			"consumedUnits": k.ConsumedUnits, "id": TenantGUID + "_" + k.SkuID, "skuId": k.SkuID,
			"skuPartNumber": k.SkuPartNumber, "servicePlans": []any{}, "subscriptionIds": []string{newGUID()},
			"prepaidUnits": map[string]int{"enabled": k.PrepaidUnits, "suspended": 0, "warning": 0, "lockedOut": 0},
		})
	}
	var sel selection
	if len(objs) > 0 {
		var err error
		if sel, err = parseSelect(g.opt("select"), objs[0]); err != nil {
			g.fail(s, http.StatusBadRequest, "Request_BadRequest", err.Error())
			return
		}
	}
	value := make([]map[string]any, 0, len(objs))
	for _, o := range objs {
		if sel == nil {
			delete(o, "@odata.type")
			value = append(value, o)
		} else {
			value = append(value, project(o, sel, nil, false))
		}
	}
	writeJSON(g.w, http.StatusOK, map[string]any{"@odata.context": g.base + g.vpath + "/$metadata#subscribedSkus", "value": value})
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
	if len(rest) == 1 && rest[0] == "sendMail" && g.r.Method == http.MethodPost {
		s.graphSendMail(g, u, key)
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

func (s *Sim) graphSendMail(g *graphReq, u *User, key string) {
	if !hasAnyScope(g.tok, "Mail.Send") {
		g.fail(s, http.StatusForbidden, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
		return
	}
	if u == nil {
		g.fail(s, http.StatusNotFound, "ErrorInvalidUser", fmt.Sprintf("The requested user '%s' is invalid.", key))
		return
	}
	if !g.tok.app && u.ID != g.tok.subject {
		g.fail(s, http.StatusForbidden, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
		return
	}
	if u.Mail == "" {
		g.fail(s, http.StatusNotFound, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
		return
	}
	if !strings.Contains(g.r.Header.Get("Content-Type"), "json") {
		g.fail(s, http.StatusBadRequest, "BadRequest", "Write requests (excluding DELETE) must contain the Content-Type header declaration.")
		return
	}
	type addr struct {
		EmailAddress struct {
			Address string `json:"address"`
			Name    string `json:"name"`
		} `json:"emailAddress"`
	}
	var in struct {
		Message *struct {
			Subject string `json:"subject"`
			Body    struct {
				ContentType string `json:"contentType"`
				Content     string `json:"content"`
			} `json:"body"`
			ToRecipients []addr `json:"toRecipients"`
			CcRecipients []addr `json:"ccRecipients"`
		} `json:"message"`
		SaveToSentItems *bool `json:"saveToSentItems"`
	}
	body, _ := io.ReadAll(g.r.Body)
	if len(bytes.TrimSpace(body)) == 0 {
		g.fail(s, http.StatusBadRequest, "ErrorInvalidRequest", "Empty Payload. JSON content expected.")
		return
	}
	if err := json.Unmarshal(body, &in); err != nil {
		g.fail(s, http.StatusBadRequest, "RequestBodyRead", "Invalid JSON in request body: "+err.Error())
		return
	}
	if in.Message == nil {
		g.fail(s, http.StatusBadRequest, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty.")
		return
	}
	m := Mail{From: u.UserPrincipalName, Subject: in.Message.Subject, ContentType: in.Message.Body.ContentType,
		Content: in.Message.Body.Content, SaveToSentItems: in.SaveToSentItems == nil || *in.SaveToSentItems, Time: s.now()}
	for _, a := range in.Message.ToRecipients {
		m.To = append(m.To, a.EmailAddress.Address)
	}
	for _, a := range in.Message.CcRecipients {
		m.Cc = append(m.Cc, a.EmailAddress.Address)
	}
	if len(m.To)+len(m.Cc) == 0 {
		g.fail(s, http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient isn't valid., A message can't be sent because it contains no recipients.")
		return
	}
	for _, a := range append(slices.Clone(m.To), m.Cc...) {
		if !strings.Contains(a, "@") {
			g.fail(s, http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient isn't valid., Recipient '"+a+"' is not resolved. All recipients must be resolved before a message can be submitted.")
			return
		}
	}
	if ct := strings.ToLower(m.ContentType); ct != "" && ct != "html" && ct != "text" {
		g.fail(s, http.StatusBadRequest, "RequestBodyRead", "Requested value '"+m.ContentType+"' was not found.")
		return
	}
	s.mu.Lock()
	s.insp.mails = append(s.insp.mails, m)
	s.mu.Unlock()
	g.w.WriteHeader(http.StatusAccepted)
}

// graphBatch serves $batch: each part is answered (and faulted) on its
// own, and the answers come back in an order of their own.
func (s *Sim) graphBatch(g *graphReq) {
	var in struct {
		Requests []struct {
			ID      string            `json:"id"`
			Method  string            `json:"method"`
			URL     string            `json:"url"`
			Headers map[string]string `json:"headers"`
			Body    json.RawMessage   `json:"body"`
		} `json:"requests"`
	}
	if err := json.NewDecoder(g.r.Body).Decode(&in); err != nil {
		g.fail(s, http.StatusBadRequest, "BadRequest", "Invalid batch payload format: "+err.Error())
		return
	}
	if len(in.Requests) == 0 {
		g.fail(s, http.StatusBadRequest, "BadRequest", "Invalid batch payload format: no requests.")
		return
	}
	if len(in.Requests) > graphMaxBatch {
		g.fail(s, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Number of requests in the batch exceeds the limit of %d.", graphMaxBatch))
		return
	}
	seen := map[string]bool{}
	for _, br := range in.Requests {
		if br.ID == "" || seen[br.ID] {
			g.fail(s, http.StatusBadRequest, "BadRequest", "Invalid batch payload format: request ids must be present and unique ('"+br.ID+"').")
			return
		}
		seen[br.ID] = true
	}
	responses := make([]map[string]any, 0, len(in.Requests))
	for _, br := range in.Requests {
		rel := br.URL
		if strings.Contains(rel, "://") {
			responses = append(responses, map[string]any{"id": br.ID, "status": 400, "body": map[string]any{
				"error": map[string]any{"code": "BadRequest", "message": "Invalid request URI: batch requests take URLs relative to the version, like /groups."}}})
			continue
		}
		rel = "/" + strings.TrimPrefix(rel, "/")
		method := strings.ToUpper(br.Method)
		if method == "" {
			method = http.MethodGet
		}
		var body io.Reader = http.NoBody
		if len(br.Body) > 0 {
			body = bytes.NewReader(br.Body)
		}
		sub, err := http.NewRequestWithContext(g.r.Context(), method, g.vpath+rel, body)
		if err != nil {
			responses = append(responses, map[string]any{"id": br.ID, "status": 400, "body": map[string]any{
				"error": map[string]any{"code": "BadRequest", "message": "Invalid request URI: " + err.Error()}}})
			continue
		}
		sub.Host = g.r.Host
		sub.Header.Set("Authorization", g.r.Header.Get("Authorization"))
		for k, v := range br.Headers {
			sub.Header.Set(k, v)
		}
		if len(br.Body) > 0 && sub.Header.Get("Content-Type") == "" {
			sub.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		start := s.now()
		s.applyFaults(ServiceGraph, rec, sub, s.serveGraph, true)
		s.record(Request{Service: ServiceGraph, Method: method, Path: sub.URL.Path, Query: sub.URL.RawQuery,
			Header: redactHeader(sub.Header), Body: string(br.Body), Status: rec.Code, ResponseHeader: redactHeader(rec.Header()), Time: start, Batch: true})
		hdr := map[string]string{}
		for k := range rec.Header() {
			hdr[k] = rec.Header().Get(k)
		}
		part := map[string]any{"id": br.ID, "status": rec.Code, "headers": hdr}
		if b := rec.Body.Bytes(); len(b) > 0 {
			if json.Valid(b) {
				part["body"] = json.RawMessage(b)
			} else {
				part["body"] = base64.StdEncoding.EncodeToString(b)
			}
		}
		responses = append(responses, part)
	}
	// Graph answers in any order; shuffle so that no client relies on it.
	s.mu.Lock()
	s.rng.Shuffle(len(responses), func(i, j int) { responses[i], responses[j] = responses[j], responses[i] })
	s.mu.Unlock()
	writeJSON(g.w, http.StatusOK, map[string]any{"responses": responses})
}
