package graph

import "strings"

// Profile holds the user properties an attribute mapping may read. Graph
// returns them only when $select names them (MembersWith); a property not
// selected, or null, decodes as empty.
type Profile struct {
	BusinessPhones []string `json:"businessPhones"`
	City           string   `json:"city"`
	CompanyName    string   `json:"companyName"`
	Country        string   `json:"country"`
	Department     string   `json:"department"`
	EmployeeID     string   `json:"employeeId"`
	JobTitle       string   `json:"jobTitle"`
	MobilePhone    string   `json:"mobilePhone"`
	OfficeLocation string   `json:"officeLocation"`
	PostalCode     string   `json:"postalCode"`
	State          string   `json:"state"`
	StreetAddress  string   `json:"streetAddress"`
}

// Property returns the value of the named property ("jobTitle"), and
// whether Profile holds such a property. businessPhones gives its first
// entry: Procore has one business phone.
func (p *Profile) Property(name string) (string, bool) {
	switch name {
	case "businessPhones":
		if len(p.BusinessPhones) == 0 {
			return "", true
		}
		return p.BusinessPhones[0], true
	case "city":
		return p.City, true
	case "companyName":
		return p.CompanyName, true
	case "country":
		return p.Country, true
	case "department":
		return p.Department, true
	case "employeeId":
		return p.EmployeeID, true
	case "jobTitle":
		return p.JobTitle, true
	case "mobilePhone":
		return p.MobilePhone, true
	case "officeLocation":
		return p.OfficeLocation, true
	case "postalCode":
		return p.PostalCode, true
	case "state":
		return p.State, true
	case "streetAddress":
		return p.StreetAddress, true
	}
	return "", false
}

// memberSelect is MemberSelect plus the extra properties, each once.
func memberSelect(extra []string) string {
	if len(extra) == 0 {
		return MemberSelect
	}
	seen := map[string]bool{}
	for _, f := range strings.Split(MemberSelect, ",") {
		seen[f] = true
	}
	var b strings.Builder
	b.WriteString(MemberSelect)
	for _, e := range extra {
		if !seen[e] {
			seen[e] = true
			b.WriteByte(',')
			b.WriteString(e)
		}
	}
	return b.String()
}
