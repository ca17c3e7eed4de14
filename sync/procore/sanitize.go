package procore

import "procsync/internal/safetext"

// Text read from Procore (names, addresses, ids typed by people) reaches
// the terminal, the journal and the report. It is cleaned here, once, as
// it is read, so that an escape sequence in a directory entry never does.

func (u *User) sanitize() {
	for _, s := range []*string{&u.FirstName, &u.LastName, &u.Name, &u.EmailAddress, &u.JobTitle} {
		*s = safetext.Line(*s)
	}
	u.EmployeeID = FlexString(safetext.Line(string(u.EmployeeID)))
	u.OriginID = FlexString(safetext.Line(string(u.OriginID)))
	u.Profile.sanitize()
	if u.Vendor != nil {
		u.Vendor.Name = safetext.Line(u.Vendor.Name)
	}
	for _, t := range []*Template{u.PermissionTemplate, u.CompanyPermissionTemplate} {
		if t != nil {
			t.Name = safetext.Line(t.Name)
		}
	}
}

func sanitizeUsers(us []User) []User {
	for i := range us {
		us[i].sanitize()
	}
	return us
}

// sanitized cleans u (if not nil) and returns it.
func sanitized(u *User) *User {
	if u != nil {
		u.sanitize()
	}
	return u
}
