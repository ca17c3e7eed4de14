package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode"
)

// User is an Entra ID user as Graph holds it.
type User struct {
	ID                string
	DisplayName       string
	GivenName         string
	Surname           string
	UserPrincipalName string
	// Mail is empty when Graph returns null (no mailbox).
	Mail string
	// ProxyAddresses hold "SMTP:" (primary) and "smtp:" (alias) values.
	ProxyAddresses []string
	AccountEnabled bool
	// UserType is "Member" or "Guest".
	UserType   string
	JobTitle   string
	EmployeeID string
	OtherMails []string
	// The profile properties an attribute mapping may read; empty renders
	// as null (BusinessPhones as []).
	BusinessPhones []string
	MobilePhone    string
	OfficeLocation string
	Department     string
	CompanyName    string
	City           string
	Country        string
	State          string
	PostalCode     string
	StreetAddress  string
}

// Group is an Entra ID group. Members hold object ids of users, groups and
// devices, in the order Graph lists them.
type Group struct {
	ID              string
	DisplayName     string
	Description     string
	MailEnabled     bool
	SecurityEnabled bool
	// SKUs are the skuIds assigned to the group (group-based licensing).
	SKUs    []string
	Members []string
}

// Device is an Entra ID device; license groups sometimes hold them.
type Device struct {
	ID          string
	DisplayName string
}

// SKU is a subscribed licence plan of the tenant.
type SKU struct {
	SkuID         string
	SkuPartNumber string
	ConsumedUnits int
	PrepaidUnits  int
}

// ProcoreUser is a user of the Procore company directory.
type ProcoreUser struct {
	ID         int64
	FirstName  string
	LastName   string
	Email      string
	IsActive   bool
	IsEmployee bool
	JobTitle   string
	EmployeeID string
	OriginID   string
	// Address to Zip are the other profile fields of a company user
	// (procore_fields.go); empty renders as null.
	Address       string
	BusinessPhone string
	City          string
	CountryCode   string
	FaxNumber     string
	MobilePhone   string
	StateCode     string
	Zip           string
	// VendorID is zero when the user belongs to no vendor.
	VendorID int64
	// PermissionTemplateID is the company permission template, or zero.
	PermissionTemplateID int64
	// DefaultPermissionTemplateID is the template the user gets on the
	// projects they are added to, or zero.
	DefaultPermissionTemplateID int64
	CreatedAt                   time.Time
	UpdatedAt                   time.Time
}

// Vendor is a company in the Procore directory (subcontractors).
type Vendor struct {
	ID       int64
	Name     string
	IsActive bool
}

// Project is a Procore project. Members maps user id to the permission
// template the user has on the project.
type Project struct {
	ID      int64
	Name    string
	Number  string
	Active  bool
	Members map[int64]int64
}

// PermissionTemplate is a Procore permission template.
type PermissionTemplate struct {
	ID              int64
	Name            string
	ProjectSpecific bool
}

// Tenant is everything the simulator serves: the Entra directory and the
// Procore company. Build one with Generate, adjust it, and pass it in
// Options.Tenant.
type Tenant struct {
	Users   []*User
	Groups  []*Group
	Devices []*Device
	SKUs    []*SKU
	// AdminID is the Entra user behind delegated tokens (/me).
	AdminID string

	ProcoreUsers        []*ProcoreUser
	Vendors             []*Vendor
	Projects            []*Project
	PermissionTemplates []*PermissionTemplate
	// ProcoreAdminID is the Procore user behind user tokens (/rest/v1.0/me).
	ProcoreAdminID int64

	rng     *rand.Rand
	nextPID int64
	serial  int
	// locals and aliases keep generated addresses unique without scanning.
	locals  map[string]bool
	aliases map[string]bool
}

// Well-known SKU ids (from Microsoft's licensing reference).
const (
	SkuO365E1 = "18181a46-0d4e-45cd-891e-60aabd171b4e" // STANDARDPACK
	SkuM365E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965" // SPE_E3
	SkuM365E5 = "06ebc4ee-1bb5-47dd-8120-11324bc54e06" // SPE_E5
	SkuM365F3 = "66b55226-6b4f-492c-910c-a3b7a3c9d993" // SPE_F1
	SkuFlow   = "f30db892-07e9-47e9-837c-80727f46fd3d" // FLOW_FREE, assigned to no group
)

// Display names of the seeded groups. The licence groups use an en dash.
const (
	GroupE3           = "License – Microsoft 365 E3"
	GroupE1           = "License – Office 365 E1"
	GroupF3           = "License – Microsoft 365 F3"
	GroupE5           = "License – Microsoft 365 E5"
	GroupAllStaff     = "All Staff"
	GroupOHare        = "Project – O'Hare Terminal"
	GroupFieldLeads   = "Field Supervisors"
	GroupProcoreAdmin = "Procore Admins"
)

// Seeded Procore ids.
const (
	TemplateStandard       int64 = 310001
	TemplateProjectManager int64 = 310002
	TemplateSuperintendent int64 = 310003
	TemplateSubcontractor  int64 = 310004
	TemplateReadOnly       int64 = 310005
	ProjectOHare           int64 = 5500101
	ProjectRiverside       int64 = 5500102
	ProjectHarbor          int64 = 5500103
	ProjectHQ              int64 = 5500104
)

var firstNames = []string{
	"Ana", "José", "Zoë", "Renée", "Søren", "Chloé", "Björn", "Łukasz", "François", "Siobhán",
	"Liam", "Olivia", "Noah", "Emma", "Mateo", "Aisha", "Kenji", "Priya", "Dmitri", "Fatima",
	"Marcus", "Grace", "Diego", "Hannah", "Tomás", "Ingrid", "Kwame", "Mei", "Rafael", "Sofia",
	"Andre", "Beatriz", "Connor", "Daniela", "Elif", "Farid", "Giulia", "Hiro", "Isabel", "Jamal",
}

var lastNames = []string{
	"O'Brien", "D'Angelo", "Müller", "García", "Ødegaard", "Nguyễn", "O'Neil-Smith", "van der Berg",
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Martínez", "Rodríguez", "Hernández", "López",
	"Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Pérez", "Thompson",
	"White", "Harris", "Sánchez", "Clark", "Ramírez", "Lewis", "Robinson", "Walker", "Young", "Allen",
	"King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson",
}

var jobTitles = []string{
	"Project Manager", "Superintendent", "Project Engineer", "Estimator", "Foreman", "Safety Manager",
	"Carpenter", "Electrician", "Site Coordinator", "Accountant", "Field Engineer", "Scheduler",
}

// subcontractors are the vendors whose people are in Procore but not in Entra.
var subcontractors = []struct{ name, domain string }{
	{"Fabrikam Concrete", "fabrikamconcrete.com"},
	{"Northwind Electric", "northwindelectric.com"},
	{"Tailspin Steel & Iron", "tailspinsteel.com"},
	{"Wingtip Plumbing", "wingtipplumbing.com"},
}

var guestDomains = []string{"fabrikam.com", "adatum.com", "litware.com"}

// baseTime anchors the generated timestamps so that output is deterministic.
var baseTime = time.Date(2023, 3, 6, 14, 0, 0, 0, time.UTC)

// Generate builds a deterministic tenant for a construction company on
// Microsoft 365 with members license-group members (DefaultMembers if
// members <= 0), and a Procore directory that holds part of them plus
// subcontractors. The same seed and size always give the same tenant.
func Generate(seed int64, members int) *Tenant {
	if members <= 0 {
		members = DefaultMembers
	}
	t := NewTenant(seed)
	e3 := t.AddGroup(GroupE3, SkuM365E3)
	e1 := t.AddGroup(GroupE1, SkuO365E1)
	f3 := t.AddGroup(GroupF3, SkuM365F3)
	e5 := t.AddGroup(GroupE5, SkuM365E5)
	all := t.AddGroup(GroupAllStaff)
	all.MailEnabled = true
	ohare := t.AddGroup(GroupOHare)
	leads := t.AddGroup(GroupFieldLeads)
	admins := t.AddGroup(GroupProcoreAdmin)
	r := t.rng

	admin := t.newUser("Megan", "Bowen", "megan.bowen", false)
	admin.JobTitle = "IT Administrator"
	t.AdminID = admin.ID
	e5.Members = append(e5.Members, admin.ID)
	admins.Members = append(admins.Members, admin.ID)

	var people []*User
	people = append(people, admin)
	for i := 1; i < members; i++ {
		fn := firstNames[r.IntN(len(firstNames))]
		ln := lastNames[r.IntN(len(lastNames))]
		guest := i%25 == 3
		u := t.newUser(fn, ln, "", guest)
		switch {
		case i == 7:
			// HTML-like text must be escaped by whoever renders it.
			u.GivenName = "<b>Bold</b>"
			u.DisplayName = "<b>Bold</b> " + u.Surname
		case i%31 == 5:
			u.Mail = "" // no mailbox: Graph returns null, only the UPN is left
			u.ProxyAddresses = nil
		case i%27 == 4:
			u.AccountEnabled = false
		}
		// Spread over the licence groups: E3 45%, E1 25%, F3 25%, E5 5%.
		var g *Group
		switch x := r.IntN(100); {
		case x < 45:
			g = e3
		case x < 70:
			g = e1
		case x < 95:
			g = f3
		default:
			g = e5
		}
		g.Members = append(g.Members, u.ID)
		// Some people hold two licences (one person, two groups).
		if i%19 == 2 {
			other := e5
			if g == e5 {
				other = e3
			}
			other.Members = append(other.Members, u.ID)
		}
		people = append(people, u)
	}

	// Field supervisors: users outside any licence group, reachable only
	// through the nested group inside the F3 group.
	nLeads := max(3, members/40)
	for range nLeads {
		u := t.newUser(firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))], "", false)
		u.JobTitle = "Field Supervisor"
		leads.Members = append(leads.Members, u.ID)
		people = append(people, u)
	}
	f3.Members = append(f3.Members, leads.ID)
	// Shared site tablets are members of the F3 group too.
	for i := 1; i <= 3; i++ {
		d := &Device{ID: t.newGUID(), DisplayName: fmt.Sprintf("SITE-TABLET-%02d", i)}
		t.Devices = append(t.Devices, d)
		f3.Members = append(f3.Members, d.ID)
	}
	// Staff without a licence: only in All Staff.
	for range max(2, members/20) {
		u := t.newUser(firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))], "", false)
		people = append(people, u)
	}
	for _, u := range people {
		if u.UserType == "Member" && u.AccountEnabled {
			all.Members = append(all.Members, u.ID)
		}
		if r.IntN(4) == 0 {
			ohare.Members = append(ohare.Members, u.ID)
		}
	}

	t.SKUs = []*SKU{
		{SkuID: SkuM365E3, SkuPartNumber: "SPE_E3"},
		{SkuID: SkuO365E1, SkuPartNumber: "STANDARDPACK"},
		{SkuID: SkuM365F3, SkuPartNumber: "SPE_F1"},
		{SkuID: SkuM365E5, SkuPartNumber: "SPE_E5"},
		{SkuID: SkuFlow, SkuPartNumber: "FLOW_FREE", PrepaidUnits: 10000},
	}
	t.RecountSKUs()

	t.seedProcore(people)
	return t
}

// NewTenant returns an empty tenant whose ids derive from seed; add to it
// with AddGroup, AddUsers and AddProcoreUsers.
func NewTenant(seed int64) *Tenant {
	return &Tenant{
		rng:     rand.New(rand.NewPCG(uint64(seed), 0xC0FFEE)),
		nextPID: 1800001,
		locals:  map[string]bool{},
		aliases: map[string]bool{},
	}
}

// seedProcore fills the Procore side: vendors, templates, projects, the
// admin, part of the Entra people (with the mismatches a real directory
// has) and subcontractors.
func (t *Tenant) seedProcore(people []*User) {
	r := t.rng
	t.PermissionTemplates = []*PermissionTemplate{
		{ID: TemplateStandard, Name: "Standard Employee"},
		{ID: TemplateProjectManager, Name: "Project Manager", ProjectSpecific: true},
		{ID: TemplateSuperintendent, Name: "Superintendent", ProjectSpecific: true},
		{ID: TemplateSubcontractor, Name: "Subcontractor", ProjectSpecific: true},
		{ID: TemplateReadOnly, Name: "Read Only"},
	}
	t.Projects = []*Project{
		{ID: ProjectOHare, Name: "O'Hare Terminal 5 Expansion", Number: "24-101", Active: true, Members: map[int64]int64{}},
		{ID: ProjectRiverside, Name: "Riverside Medical Center", Number: "24-114", Active: true, Members: map[int64]int64{}},
		{ID: ProjectHarbor, Name: "Harbor Bridge Retrofit", Number: "22-087", Active: false, Members: map[int64]int64{}},
		{ID: ProjectHQ, Name: "Contoso HQ Fit-Out", Number: "25-003", Active: true, Members: map[int64]int64{}},
	}
	for i, sc := range subcontractors {
		t.Vendors = append(t.Vendors, &Vendor{ID: 720001 + int64(i), Name: sc.name, IsActive: true})
	}

	for i, u := range people {
		if u.UserType == "Guest" {
			continue
		}
		addr := u.Mail
		if addr == "" {
			addr = u.UserPrincipalName
		}
		if i != 0 && r.IntN(100) >= 60 {
			continue // not in Procore yet: a create candidate
		}
		pu := t.newProcoreUser(u.GivenName, u.Surname, addr)
		pu.IsEmployee = true
		pu.JobTitle = u.JobTitle
		pu.PermissionTemplateID = TemplateStandard
		switch {
		case i == 0:
			t.ProcoreAdminID = pu.ID
			pu.Email = strings.ToLower(addr)
		case i%11 == 1:
			pu.Email = strings.ToUpper(addr) // same person, different case
		case i%13 == 2 && len(u.ProxyAddresses) > 1:
			// Matched only through an alias.
			pu.Email = strings.TrimPrefix(u.ProxyAddresses[1], "smtp:")
		case i%9 == 4:
			pu.IsActive = false // left once, may come back
		default:
			pu.Email = strings.ToLower(addr)
		}
		if i%3 == 0 {
			pu.OriginID = u.ID // synced before
		}
		if i%29 == 6 && len(u.ProxyAddresses) > 1 {
			// A second account under an alias: Procore holds a duplicate
			// of this person, which only a conflict can resolve.
			if alias := strings.TrimPrefix(u.ProxyAddresses[1], "smtp:"); !strings.EqualFold(alias, pu.Email) {
				dup := t.newProcoreUser(u.GivenName, u.Surname, alias)
				dup.IsEmployee = true
			}
		}
		for _, p := range t.Projects {
			if r.IntN(3) == 0 {
				p.Members[pu.ID] = TemplateProjectManager + int64(r.IntN(2))
			}
		}
	}
	// Leavers: employees still active in Procore but in no licence group.
	for range max(2, len(people)/30) {
		fn, ln := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		pu := t.newProcoreUser(fn, ln, t.uniqueLocal(fn, ln)+"@"+Domain)
		pu.IsEmployee = true
		pu.PermissionTemplateID = TemplateStandard
	}
	// Subcontractors from other domains, each with their vendor.
	for i := range max(8, len(people)/6) {
		sc := subcontractors[i%len(subcontractors)]
		fn, ln := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		pu := t.newProcoreUser(fn, ln, fmt.Sprintf("%s.%s%d@%s", asciiFold(fn), asciiFold(ln), i, sc.domain))
		pu.Email = strings.ToLower(pu.Email)
		pu.VendorID = t.Vendors[i%len(t.Vendors)].ID
		pu.PermissionTemplateID = TemplateSubcontractor
		pu.JobTitle = "Subcontractor"
		pu.IsActive = i%10 != 9
		if i%2 == 0 {
			t.Projects[i%len(t.Projects)].Members[pu.ID] = TemplateSubcontractor
		}
	}
}

// lazy prepares a Tenant built as a literal for the Add helpers.
func (t *Tenant) lazy() {
	if t.rng == nil {
		t.rng = rand.New(rand.NewPCG(uint64(len(t.Users)), 0xC0FFEE))
	}
	if t.locals == nil {
		t.locals = map[string]bool{}
		t.aliases = map[string]bool{}
		for _, u := range t.Users {
			local, _, _ := strings.Cut(strings.ToLower(u.UserPrincipalName), "@")
			t.locals[local] = true
		}
	}
	if t.nextPID == 0 {
		t.nextPID = 1800001
		for _, p := range t.ProcoreUsers {
			t.nextPID = max(t.nextPID, p.ID+1)
		}
	}
}

// AddGroup adds an empty group with the given licences (skuIds) and returns it.
func (t *Tenant) AddGroup(name string, skuIDs ...string) *Group {
	t.lazy()
	g := &Group{ID: t.newGUID(), DisplayName: name, SecurityEnabled: true, SKUs: skuIDs}
	t.Groups = append(t.Groups, g)
	return g
}

// GroupByName returns the group with that display name, or nil.
func (t *Tenant) GroupByName(name string) *Group {
	for _, g := range t.Groups {
		if g.DisplayName == name {
			return g
		}
	}
	return nil
}

// UserByID returns the user with that object id, or nil.
func (t *Tenant) UserByID(id string) *User {
	for _, u := range t.Users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

// AddUsers adds n new enabled member users with unique addresses in Domain
// as direct members of the named group (created, unlicensed, if missing)
// and returns them. It is how tests build large groups.
func (t *Tenant) AddUsers(group string, n int) []*User {
	t.lazy()
	g := t.GroupByName(group)
	if g == nil {
		g = t.AddGroup(group)
	}
	out := make([]*User, 0, n)
	for range n {
		t.serial++
		fn := firstNames[t.serial%len(firstNames)]
		ln := lastNames[(t.serial/len(firstNames))%len(lastNames)]
		u := t.newUserLocal(fn, ln, fmt.Sprintf("user%06d", t.serial), false)
		g.Members = append(g.Members, u.ID)
		out = append(out, u)
	}
	return out
}

// AddUser adds u (given an id if it has none, and Member/enabled defaults
// left as set) as a direct member of the named groups, created unlicensed
// when missing, and returns it. Tests use it for hand-made edge cases.
func (t *Tenant) AddUser(u *User, groups ...string) *User {
	t.lazy()
	if u.ID == "" {
		u.ID = t.newGUID()
	}
	if u.UserType == "" {
		u.UserType = "Member"
	}
	local, _, _ := strings.Cut(strings.ToLower(u.UserPrincipalName), "@")
	t.locals[local] = true
	t.Users = append(t.Users, u)
	for _, name := range groups {
		g := t.GroupByName(name)
		if g == nil {
			g = t.AddGroup(name)
		}
		g.Members = append(g.Members, u.ID)
	}
	return u
}

// AddProcoreUser adds p to the Procore directory, giving it the next id
// when it has none, and returns it.
func (t *Tenant) AddProcoreUser(p *ProcoreUser) *ProcoreUser {
	t.lazy()
	if p.ID == 0 {
		p.ID = t.nextPID
	}
	t.nextPID = max(t.nextPID, p.ID+1)
	if p.CreatedAt.IsZero() {
		p.CreatedAt, p.UpdatedAt = baseTime, baseTime
	}
	t.ProcoreUsers = append(t.ProcoreUsers, p)
	return p
}

// AddProcoreUsers adds n new Procore users with unique addresses (in
// domain, or Domain when empty), active or not, and returns them. It is
// how tests build large directories.
func (t *Tenant) AddProcoreUsers(n int, domain string, active bool) []*ProcoreUser {
	t.lazy()
	if domain == "" {
		domain = Domain
	}
	out := make([]*ProcoreUser, 0, n)
	for range n {
		t.serial++
		local := fmt.Sprintf("procore%06d", t.serial)
		t.locals[local] = true
		pu := t.newProcoreUser(firstNames[t.serial%len(firstNames)], lastNames[t.serial%len(lastNames)],
			local+"@"+domain)
		pu.IsActive = active
		pu.IsEmployee = domain == Domain
		out = append(out, pu)
	}
	return out
}

// RecountSKUs sets each SKU's ConsumedUnits to the number of distinct
// direct user members of the groups it is assigned to, and makes sure
// PrepaidUnits covers it.
func (t *Tenant) RecountSKUs() {
	users := make(map[string]bool, len(t.Users))
	for _, u := range t.Users {
		users[u.ID] = true
	}
	for _, s := range t.SKUs {
		seen := map[string]bool{}
		for _, g := range t.Groups {
			if !slices.Contains(g.SKUs, s.SkuID) {
				continue
			}
			for _, m := range g.Members {
				if users[m] {
					seen[m] = true
				}
			}
		}
		s.ConsumedUnits = len(seen)
		if s.PrepaidUnits < s.ConsumedUnits {
			s.PrepaidUnits = (s.ConsumedUnits/25 + 1) * 25
		}
	}
}

func (t *Tenant) newGUID() string {
	r := t.rng
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x",
		r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, 0x8000|r.Uint32()&0x3fff, r.Uint64()&0xffffffffffff)
}

// newUser creates a user with a unique address derived from the name;
// local overrides it.
func (t *Tenant) newUser(fn, ln, local string, guest bool) *User {
	if local == "" {
		local = t.uniqueLocal(fn, ln)
	}
	return t.newUserLocal(fn, ln, local, guest)
}

func (t *Tenant) newUserLocal(fn, ln, local string, guest bool) *User {
	t.locals[local] = true
	u := &User{
		ID:             t.newGUID(),
		GivenName:      fn,
		Surname:        ln,
		DisplayName:    fn + " " + ln,
		AccountEnabled: true,
		UserType:       "Member",
		JobTitle:       jobTitles[len(t.Users)%len(jobTitles)],
		EmployeeID:     fmt.Sprintf("E%05d", 10000+len(t.Users)),
	}
	if guest {
		dom := guestDomains[len(t.Users)%len(guestDomains)]
		u.UserType = "Guest"
		u.Mail = local + "@" + dom
		u.UserPrincipalName = local + "_" + dom + "#EXT#@" + TenantID
		u.ProxyAddresses = []string{"SMTP:" + u.Mail}
		u.EmployeeID = ""
	} else {
		u.UserPrincipalName = local + "@" + Domain
		// Mail keeps the capitals people type; addresses compare
		// case-insensitively.
		u.Mail = titleLocal(local) + "@" + Domain
		u.ProxyAddresses = []string{"SMTP:" + u.Mail, "smtp:" + t.alias(fn, ln) + "@" + Domain,
			"smtp:" + local + "@" + TenantID}
	}
	t.Users = append(t.Users, u)
	return u
}

func (t *Tenant) newProcoreUser(fn, ln, email string) *ProcoreUser {
	at := baseTime.Add(time.Duration(t.nextPID-1800000) * 97 * time.Minute)
	pu := &ProcoreUser{
		ID: t.nextPID, FirstName: fn, LastName: ln, Email: email, IsActive: true,
		CreatedAt: at, UpdatedAt: at,
	}
	t.nextPID++
	t.ProcoreUsers = append(t.ProcoreUsers, pu)
	return pu
}

// uniqueLocal returns "given.surname" folded to ASCII, made unique among
// the tenant's users and Procore users.
func (t *Tenant) uniqueLocal(fn, ln string) string {
	base := asciiFold(fn) + "." + asciiFold(ln)
	local := base
	for n := 2; t.locals[local]; n++ {
		local = fmt.Sprintf("%s%d", base, n)
	}
	t.locals[local] = true
	return local
}

// asciiFold lowers a name and drops accents, apostrophes and spaces, the
// way mail addresses are usually made from names.
func asciiFold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if f, ok := foldTable[r]; ok {
			b.WriteString(f)
			continue
		}
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// foldTable maps the accented letters of the name pools to ASCII.
var foldTable = map[rune]string{
	'á': "a", 'à': "a", 'â': "a", 'ä': "a", 'ã': "a", 'å': "a", 'é': "e", 'è': "e", 'ê': "e", 'ë': "e",
	'í': "i", 'ì': "i", 'î': "i", 'ï': "i", 'ó': "o", 'ò': "o", 'ô': "o", 'ö': "o", 'õ': "o", 'ø': "o",
	'ú': "u", 'ù': "u", 'û': "u", 'ü': "u", 'ñ': "n", 'ç': "c", 'ł': "l", 'ß': "ss", 'ễ': "e", 'ý': "y",
}

// titleLocal capitalises each dot-separated part: "ana.garcia" → "Ana.Garcia".
func titleLocal(local string) string {
	parts := strings.Split(local, ".")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, ".")
}

// alias is the short alias many tenants add, first initial + surname,
// numbered when taken so that no two people share one.
func (t *Tenant) alias(fn, ln string) string {
	f := asciiFold(fn)
	if f == "" {
		f = "x"
	}
	base := f[:1] + asciiFold(ln)
	a := base
	for n := 2; t.aliases[a] || t.locals[a]; n++ {
		a = fmt.Sprintf("%s%d", base, n)
	}
	t.aliases[a] = true
	return a
}
