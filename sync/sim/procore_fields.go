package sim

import (
	"slices"
	"sort"
)

// profile maps the company user's profile fields, as Procore names them,
// to where the simulator keeps them: what the listings and single-user
// answers return and what create, update and sync entries may set.
func (u *ProcoreUser) profile() map[string]*string {
	return map[string]*string{
		"address": &u.Address, "business_phone": &u.BusinessPhone, "city": &u.City,
		"country_code": &u.CountryCode, "fax_number": &u.FaxNumber, "mobile_phone": &u.MobilePhone,
		"state_code": &u.StateCode, "zip": &u.Zip,
	}
}

// syncEntryFields are the properties of a users/sync entry in Procore's
// OpenAPI description of the endpoint.
var syncEntryFields = []string{
	"address", "avatar", "business_phone", "business_phone_extension", "city",
	"company_permission_template_id", "country_code", "default_permission_template_id",
	"email_address", "email_signature", "employee_id", "fax_number", "first_name", "id",
	"initials", "is_active", "is_employee", "job_title", "last_name", "mobile_phone", "notes",
	"origin_data", "origin_id", "state_code", "vendor_id", "work_classification_id", "zip",
}

// unknownSyncFields refuses an entry that names a property the endpoint
// does not have, the way Procore refuses an entry it cannot apply: in the
// answer's errors, per field. nil when every field is known.
func unknownSyncFields(in userInput) fieldErrors {
	var keys []string
	for k := range in {
		if !slices.Contains(syncEntryFields, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	sort.Strings(keys)
	fe := fieldErrors{}
	for _, k := range keys {
		fe.add(k, "is not a permitted parameter")
	}
	return fe
}
