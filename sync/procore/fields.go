package procore

import "procsync/internal/safetext"

// Profile holds the company user fields an attribute mapping may write
// besides job_title and employee_id (which User and UserInput carry on
// their own), named as Procore's company user endpoints name them.
type Profile struct {
	Address       string `json:"address,omitempty"`
	BusinessPhone string `json:"business_phone,omitempty"`
	City          string `json:"city,omitempty"`
	CountryCode   string `json:"country_code,omitempty"`
	FaxNumber     string `json:"fax_number,omitempty"`
	MobilePhone   string `json:"mobile_phone,omitempty"`
	StateCode     string `json:"state_code,omitempty"`
	Zip           string `json:"zip,omitempty"`
}

// field returns a pointer to the named field ("mobile_phone"), or nil.
func (p *Profile) field(name string) *string {
	switch name {
	case "address":
		return &p.Address
	case "business_phone":
		return &p.BusinessPhone
	case "city":
		return &p.City
	case "country_code":
		return &p.CountryCode
	case "fax_number":
		return &p.FaxNumber
	case "mobile_phone":
		return &p.MobilePhone
	case "state_code":
		return &p.StateCode
	case "zip":
		return &p.Zip
	}
	return nil
}

func (p *Profile) sanitize() {
	for _, s := range []*string{&p.Address, &p.BusinessPhone, &p.City, &p.CountryCode, &p.FaxNumber, &p.MobilePhone, &p.StateCode, &p.Zip} {
		*s = safetext.Line(*s)
	}
}

// Field returns the user's value of a mappable field ("job_title",
// "mobile_phone") and whether the field is one User reads.
func (u *User) Field(name string) (string, bool) {
	switch name {
	case "job_title":
		return u.JobTitle, true
	case "employee_id":
		return string(u.EmployeeID), true
	}
	if f := u.Profile.field(name); f != nil {
		return *f, true
	}
	return "", false
}

// SetField sets a mappable field of the input and reports whether the
// field is one UserInput writes. An empty value is left out of the body,
// like every empty field of UserInput.
func (in *UserInput) SetField(name, v string) bool {
	switch name {
	case "job_title":
		in.JobTitle = v
		return true
	case "employee_id":
		in.EmployeeID = v
		return true
	}
	if f := in.Profile.field(name); f != nil {
		*f = v
		return true
	}
	return false
}
