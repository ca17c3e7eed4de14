package sim

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Views of the two large collections (Graph group members, Procore company
// users) that encode straight to JSON. They hold copies taken under s.mu,
// so that the page is encoded and written after the lock is released, and
// they write the same bytes as json.Marshal of userObject/project and
// procoreUserJSON (views_test.go holds them to that).

// userProps encodes each property of userObject. The keys and values must
// stay those of userObject; a test compares every key.
var userProps = map[string]func(b []byte, u *User) []byte{
	"@odata.type":       func(b []byte, _ *User) []byte { return appendJSONString(b, "#microsoft.graph.user") },
	"id":                func(b []byte, u *User) []byte { return appendJSONString(b, u.ID) },
	"displayName":       func(b []byte, u *User) []byte { return appendJSONString(b, u.DisplayName) },
	"givenName":         func(b []byte, u *User) []byte { return appendJSONStringOrNull(b, u.GivenName) },
	"surname":           func(b []byte, u *User) []byte { return appendJSONStringOrNull(b, u.Surname) },
	"userPrincipalName": func(b []byte, u *User) []byte { return appendJSONString(b, u.UserPrincipalName) },
	"mail":              func(b []byte, u *User) []byte { return appendJSONStringOrNull(b, u.Mail) },
	"proxyAddresses":    func(b []byte, u *User) []byte { return appendJSONStrings(b, u.ProxyAddresses) },
	"accountEnabled":    func(b []byte, u *User) []byte { return strconv.AppendBool(b, u.AccountEnabled) },
	"userType":          func(b []byte, u *User) []byte { return appendJSONString(b, u.UserType) },
	"jobTitle":          func(b []byte, u *User) []byte { return appendJSONStringOrNull(b, u.JobTitle) },
	"employeeId":        func(b []byte, u *User) []byte { return appendJSONStringOrNull(b, u.EmployeeID) },
	"otherMails":        func(b []byte, u *User) []byte { return appendJSONStrings(b, u.OtherMails) },
	"businessPhones":    func(b []byte, u *User) []byte { return appendJSONStrings(b, u.BusinessPhones) },
	"mobilePhone":       func(b []byte, u *User) []byte { return appendJSONStringOrNull(b, u.MobilePhone) },
	"officeLocation":    func(b []byte, u *User) []byte { return appendJSONStringOrNull(b, u.OfficeLocation) },
	"preferredLanguage": appendNull,
	"department":        func(b []byte, u *User) []byte { return appendJSONStringOrNull(b, u.Department) },
	"companyName":       func(b []byte, u *User) []byte { return appendJSONStringOrNull(b, u.CompanyName) },
	"city":              func(b []byte, u *User) []byte { return appendJSONStringOrNull(b, u.City) },
	"country":           func(b []byte, u *User) []byte { return appendJSONStringOrNull(b, u.Country) },
	"state":             func(b []byte, u *User) []byte { return appendJSONStringOrNull(b, u.State) },
	"postalCode":        func(b []byte, u *User) []byte { return appendJSONStringOrNull(b, u.PostalCode) },
	"streetAddress":     func(b []byte, u *User) []byte { return appendJSONStringOrNull(b, u.StreetAddress) },
	"usageLocation":     func(b []byte, _ *User) []byte { return appendJSONString(b, "US") },
}

func appendNull(b []byte, _ *User) []byte { return append(b, "null"...) }

// userField is one property of a projection: its quoted name and colon,
// and its encoder.
type userField struct {
	name []byte
	enc  func(b []byte, u *User) []byte
}

// userProjection is a $select compiled once per request: the properties
// project(userObject(u), sel, userDefaults, withType) keeps, in the sorted
// order json.Marshal writes map keys in.
type userProjection struct {
	fields []userField
}

func newUserProjection(sel selection, withType bool) *userProjection {
	keys := []string(sel)
	if sel == nil {
		keys = userDefaults
	}
	names := make([]string, 0, len(keys)+2)
	for _, k := range keys {
		// A $select over a mixed collection may name group or device
		// properties; project skips them on a user.
		if _, ok := userProps[k]; ok {
			names = append(names, k)
		}
	}
	names = append(names, "id")
	if withType {
		names = append(names, "@odata.type")
	}
	slices.Sort(names)
	names = slices.Compact(names)
	p := &userProjection{fields: make([]userField, len(names))}
	for i, k := range names {
		p.fields[i] = userField{name: append(appendJSONString(nil, k), ':'), enc: userProps[k]}
	}
	return p
}

// userView is one user as a projection shows it. u is a copy; its slices
// are shared with the tenant, which the simulator never mutates after New.
type userView struct {
	p *userProjection
	u User
}

func (v userView) appendJSON(b []byte) []byte {
	b = append(b, '{')
	for i, f := range v.p.fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f.name...)
		b = f.enc(b, &v.u)
	}
	return append(b, '}')
}

// MarshalJSON encodes the view, for values that reach encoding/json.
func (v userView) MarshalJSON() ([]byte, error) { return v.appendJSON(nil), nil }

// idName is a {"id", "name"} reference (vendor, permission template).
type idName struct {
	id   int64
	name string
}

// procoreUserView is a copy of a Procore user and the vendor and template
// it refers to, encoded as procoreUserJSON renders it.
type procoreUserView struct {
	u                  ProcoreUser
	vendor, tmpl       idName
	hasVendor, hasTmpl bool
}

// procoreView copies u for encoding after s.mu is released. s.mu is held.
func (s *Sim) procoreView(u *ProcoreUser) procoreUserView {
	v := procoreUserView{u: *u}
	if vd := s.vendors[u.VendorID]; vd != nil {
		v.vendor, v.hasVendor = idName{vd.ID, vd.Name}, true
	}
	if t := s.templates[u.PermissionTemplateID]; t != nil {
		v.tmpl, v.hasTmpl = idName{t.ID, t.Name}, true
	}
	return v
}

func appendIDName(b []byte, ref idName, ok bool) []byte {
	if !ok {
		return append(b, "null"...)
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, ref.id, 10)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, ref.name)
	return append(b, '}')
}

// appendJSON writes procoreUserJSON's keys in json.Marshal's sorted order.
func (v procoreUserView) appendJSON(b []byte) []byte {
	u := &v.u
	b = append(b, `{"address":`...)
	b = appendJSONStringOrNull(b, u.Address)
	b = append(b, `,"avatar":null,"business_phone":`...)
	b = appendJSONStringOrNull(b, u.BusinessPhone)
	b = append(b, `,"city":`...)
	b = appendJSONStringOrNull(b, u.City)
	b = append(b, `,"company_permission_template":`...)
	b = appendIDName(b, v.tmpl, v.hasTmpl)
	b = append(b, `,"country_code":`...)
	b = appendJSONStringOrNull(b, u.CountryCode)
	b = append(b, `,"created_at":"`...)
	b = u.CreatedAt.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","email_address":`...)
	b = appendJSONString(b, u.Email)
	b = append(b, `,"employee_id":`...)
	b = appendJSONStringOrNull(b, u.EmployeeID)
	b = append(b, `,"fax_number":`...)
	b = appendJSONStringOrNull(b, u.FaxNumber)
	b = append(b, `,"first_name":`...)
	b = appendJSONString(b, u.FirstName)
	b = append(b, `,"id":`...)
	b = strconv.AppendInt(b, u.ID, 10)
	b = append(b, `,"is_active":`...)
	b = strconv.AppendBool(b, u.IsActive)
	b = append(b, `,"is_employee":`...)
	b = strconv.AppendBool(b, u.IsEmployee)
	b = append(b, `,"job_title":`...)
	b = appendJSONStringOrNull(b, u.JobTitle)
	b = append(b, `,"last_login_at":null,"last_name":`...)
	b = appendJSONString(b, u.LastName)
	b = append(b, `,"login":`...)
	b = appendJSONString(b, u.Email)
	b = append(b, `,"mobile_phone":`...)
	b = appendJSONStringOrNull(b, u.MobilePhone)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, strings.TrimSpace(u.FirstName+" "+u.LastName))
	b = append(b, `,"origin_id":`...)
	b = appendJSONStringOrNull(b, u.OriginID)
	b = append(b, `,"permission_template":null,"state_code":`...)
	b = appendJSONStringOrNull(b, u.StateCode)
	b = append(b, `,"updated_at":"`...)
	b = u.UpdatedAt.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","vendor":`...)
	b = appendIDName(b, v.vendor, v.hasVendor)
	b = append(b, `,"zip":`...)
	b = appendJSONStringOrNull(b, u.Zip)
	return append(b, '}')
}

// MarshalJSON encodes the view, for values that reach encoding/json.
func (v procoreUserView) MarshalJSON() ([]byte, error) { return v.appendJSON(nil), nil }

// procoreUserPage is a page of company users, encoded as a JSON array.
type procoreUserPage []procoreUserView

func (p procoreUserPage) appendJSON(b []byte) []byte {
	b = append(b, '[')
	for i := range p {
		if i > 0 {
			b = append(b, ',')
		}
		b = p[i].appendJSON(b)
	}
	return append(b, ']')
}
