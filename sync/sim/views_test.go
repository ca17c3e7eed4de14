package sim

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"
	"unicode"

	"pgregory.net/rapid"
)

// The fast encoders must write exactly what json.Marshal writes for the
// map forms the handlers used to build, so that no answer changes.

// awkward strings exercise every escape encoding/json makes.
var awkward = []string{"", "plain", `quote " back \ slash`, "<script>&amp;</script>", "tab\tnew\nline\r\b\f\x00\x1f\x7f",
	"Zoë Ångström 日本", "line\u2028para\u2029", "bad \xff utf8 \xe2\x82", "smtp:ana@contoso.com"}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range awkward {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.OneOf(rapid.String(), rapid.StringOf(rapid.RuneFrom(nil, unicode.Cc, unicode.Zl, unicode.Zp, unicode.Latin, unicode.P))).Draw(t, "s")
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
		raw := string(rapid.SliceOf(rapid.Byte()).Draw(t, "raw"))
		want, _ = json.Marshal(raw)
		if got := appendJSONString(nil, raw); string(got) != string(want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s", raw, got, want)
		}
	})
}

func TestMarshalJSONMatchesEncodingJSON(t *testing.T) {
	type other struct {
		A string `json:"a"`
	}
	for _, v := range []any{
		nil, "x<y", true, false, 0, -42, int64(1 << 40), 1.5, []string(nil), []string{}, []string{"a", "b&"},
		[]any(nil), []any{1, "two", nil, []string{"3"}}, map[string]any(nil), map[string]any{},
		map[string]any{"b": 1, "a": map[string]any{"z": nil, "@odata.type": "#t"}, "A": []map[string]any{{"k": "v"}}, "<": other{"o"}},
		[]map[string]any(nil), json.RawMessage(`{ "spaced" : [1, 2] }`), map[string]string{"z": "1", "a": "2"},
	} {
		want, werr := json.Marshal(v)
		got, gerr := marshalJSON(nil, v)
		if string(got) != string(want) || (werr == nil) != (gerr == nil) {
			t.Errorf("marshalJSON(%#v) = %s, %v; want %s, %v", v, got, gerr, want, werr)
		}
	}
}

func testUsers() []*User {
	var out []*User
	for i, s := range awkward {
		u := &User{ID: "id-" + s, DisplayName: s, GivenName: s, Surname: awkward[(i+1)%len(awkward)], UserPrincipalName: s + "@contoso.com",
			Mail: s, AccountEnabled: i%2 == 0, UserType: "Member", JobTitle: s, EmployeeID: s}
		if i%3 != 0 {
			u.ProxyAddresses = []string{"SMTP:" + s, "smtp:alias"}
			u.OtherMails = []string{s}
		}
		out = append(out, u)
	}
	return append(out, &User{})
}

func TestUserPropsCoverUserObject(t *testing.T) {
	keys := slices.Sorted(maps.Keys(userObject(&User{})))
	if got := slices.Sorted(maps.Keys(userProps)); !slices.Equal(got, keys) {
		t.Fatalf("userProps has %v, userObject has %v", got, keys)
	}
	for _, u := range testUsers() {
		obj := userObject(u)
		for _, k := range keys {
			want, _ := json.Marshal(obj[k])
			if got := userProps[k](nil, u); string(got) != string(want) {
				t.Errorf("user %q property %s = %s, want %s", u.ID, k, got, want)
			}
		}
	}
}

func TestUserViewMatchesProject(t *testing.T) {
	sels := []selection{nil, {"id"}, {"id", "givenName", "surname", "displayName", "userPrincipalName", "mail", "proxyAddresses", "accountEnabled", "userType"},
		{"mailEnabled", "displayName"}, {"otherMails", "employeeId", "usageLocation", "businessPhones", "id", "id"}}
	for _, sel := range sels {
		for _, withType := range []bool{false, true} {
			p := newUserProjection(sel, withType)
			for _, u := range testUsers() {
				want, _ := json.Marshal(project(userObject(u), sel, userDefaults, withType))
				got, _ := marshalJSON(nil, userView{p: p, u: *u})
				if string(got) != string(want) {
					t.Errorf("select %v withType %v user %q:\n got %s\nwant %s", sel, withType, u.ID, got, want)
				}
			}
		}
	}
}

func TestProcoreUserViewMatchesProcoreUserJSON(t *testing.T) {
	s := New(Options{Members: 50})
	s.mu.Lock()
	defer s.mu.Unlock()
	users := slices.Clone(s.t.ProcoreUsers)
	if len(s.t.Vendors) == 0 || len(s.t.PermissionTemplates) == 0 {
		t.Fatal("demo tenant has no vendors or templates to refer to")
	}
	when := time.Date(2024, 2, 29, 23, 59, 58, 0, time.FixedZone("x", -7*3600))
	for i, str := range awkward {
		users = append(users, &ProcoreUser{ID: int64(i + 1), FirstName: str, LastName: awkward[(i+2)%len(awkward)], Email: str,
			IsActive: i%2 == 0, IsEmployee: i%3 == 0, JobTitle: str, EmployeeID: str, OriginID: str,
			VendorID: s.t.Vendors[i%len(s.t.Vendors)].ID, PermissionTemplateID: s.t.PermissionTemplates[i%len(s.t.PermissionTemplates)].ID,
			CreatedAt: when, UpdatedAt: when.Add(time.Hour)})
	}
	users = append(users, &ProcoreUser{VendorID: -1, PermissionTemplateID: -1})
	var page procoreUserPage
	var maps []map[string]any
	for _, u := range users {
		v := s.procoreView(u)
		want, _ := json.Marshal(s.procoreUserJSON(u, false))
		if got, _ := marshalJSON(nil, v); string(got) != string(want) {
			t.Errorf("user %d:\n got %s\nwant %s", u.ID, got, want)
		}
		page = append(page, v)
		maps = append(maps, s.procoreUserJSON(u, false))
	}
	want, _ := json.Marshal(maps)
	if got, _ := marshalJSON(nil, page); string(got) != string(want) {
		t.Error("a page of users encodes differently from json.Marshal of their maps")
	}
}
