package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestPrefixFilter(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"License – Microsoft"}, "startswith(displayName,'License – Microsoft')"},
		{[]string{"O'Brien", "x"}, "startswith(displayName,'O''Brien') or startswith(displayName,'x')"},
		{[]string{"''"}, "startswith(displayName,'''''')"},
	}
	for _, tc := range tests {
		if got := PrefixFilter(tc.in); got != tc.want {
			t.Errorf("PrefixFilter(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Op: `list members of "License – Microsoft 365 E3"`, Status: 403, Code: "Authorization_RequestDenied",
			Message: "Insufficient privileges to complete the operation.", RequestID: "1234-abcd"},
			`graph: list members of "License – Microsoft 365 E3": 403 Authorization_RequestDenied: Insufficient privileges to complete the operation. (request-id 1234-abcd)`},
		{&Error{Op: "read signed-in user", Status: 502}, "graph: read signed-in user: 502 Bad Gateway"},
		{&Error{Op: "send mail", Err: errors.New("connection reset by peer")}, "graph: send mail: connection reset by peer"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q\nwant      %q", got, tc.want)
		}
	}
}

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// fakeGraph serves one group with n members in pages of 999 and records
// the requests it saw.
type fakeGraph struct {
	mu   sync.Mutex
	reqs []*http.Request
	n    int
	fail string // answer 403 to paths containing it
}

func (f *fakeGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.reqs = append(f.reqs, r.Clone(context.Background()))
	f.mu.Unlock()
	if f.fail != "" && strings.Contains(r.URL.Path, f.fail) {
		w.Header().Set("request-id", "rid-1")
		w.WriteHeader(403)
		fmt.Fprint(w, `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"request-id":"rid-1"}}}`)
		return
	}
	switch {
	case r.URL.Path == "/v1.0/groups":
		json.NewEncoder(w).Encode(map[string]any{"value": []Group{
			{ID: "g1", DisplayName: "License – Microsoft 365 E3"}, {ID: "g2", DisplayName: "license – office E1"}}})
	case strings.HasSuffix(r.URL.Path, "/members/microsoft.graph.user"):
		skip := 0
		fmt.Sscan(r.URL.Query().Get("skip"), &skip)
		page := map[string]any{"@odata.count": f.n}
		var users []User
		for i := skip; i < min(skip+PageSize, f.n); i++ {
			users = append(users, User{ID: fmt.Sprintf("u%05d", i), Mail: fmt.Sprintf("u%d@contoso.com", i)})
		}
		page["value"] = users
		if skip+PageSize < f.n {
			q := r.URL.Query()
			q.Set("skip", fmt.Sprint(skip+PageSize))
			page["@odata.nextLink"] = "http://" + r.Host + r.URL.Path + "?" + q.Encode()
		}
		json.NewEncoder(w).Encode(page)
	default:
		http.NotFound(w, r)
	}
}

func TestMembersPagesAndShape(t *testing.T) {
	f := &fakeGraph{n: 2500}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := New(srv.Client(), srv.URL)
	var pages []int
	us, err := c.Members(context.Background(), Group{ID: "g1", DisplayName: "E3"}, false, func(read, total int) {
		if total != 2500 {
			t.Errorf("total = %d, want 2500", total)
		}
		pages = append(pages, read)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 2500 || fmt.Sprint(pages) != "[999 1998 2500]" {
		t.Fatalf("read %d users in pages %v", len(us), pages)
	}
	seen := map[string]bool{}
	for _, u := range us {
		if seen[u.ID] {
			t.Fatalf("user %s twice", u.ID)
		}
		seen[u.ID] = true
	}
	for _, r := range f.reqs {
		q := r.URL.Query()
		if q.Get("$select") != MemberSelect || q.Get("$top") != "999" || q.Get("$count") != "true" {
			t.Errorf("query %q lacks $select/$top/$count", r.URL.RawQuery)
		}
		if r.Header.Get("ConsistencyLevel") != "eventual" {
			t.Errorf("no ConsistencyLevel header")
		}
		if !guidRE.MatchString(r.Header.Get("client-request-id")) {
			t.Errorf("client-request-id %q is not a GUID", r.Header.Get("client-request-id"))
		}
	}
}

func TestGroupsByPrefix(t *testing.T) {
	f := &fakeGraph{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := New(srv.Client(), srv.URL)
	gs, err := c.GroupsByPrefix(context.Background(), []string{"License – Microsoft", "License – Office"})
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 2 || gs[0].MatchedBy != "License – Microsoft" || gs[1].MatchedBy != "License – Office" {
		t.Fatalf("groups = %+v", gs)
	}
	raw := f.reqs[0].URL.RawQuery
	if strings.ContainsAny(raw, " '–") {
		t.Errorf("query not percent-encoded: %s", raw)
	}
	want := "startswith(displayName,'License – Microsoft') or startswith(displayName,'License – Office')"
	if got := f.reqs[0].URL.Query().Get("$filter"); got != want {
		t.Errorf("$filter = %q, want %q", got, want)
	}
}

func TestMembersErrorAsOperatorSeesIt(t *testing.T) {
	f := &fakeGraph{n: 10, fail: "/members"}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := New(srv.Client(), srv.URL)
	_, err := c.Members(context.Background(), Group{ID: "g1", DisplayName: "License – Microsoft 365 E3"}, false, nil)
	want := `graph: list members of "License – Microsoft 365 E3": 403 Authorization_RequestDenied: Insufficient privileges to complete the operation. (request-id rid-1)` +
		`. This call needs the Graph permission GroupMember.Read.All (or Group.Read.All or Directory.Read.All), granted with admin consent; see docs/setup.md#graph-groupmember-read-all`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	var ge *Error
	if !errors.As(err, &ge) || ge.Code != "Authorization_RequestDenied" {
		t.Fatalf("not a *graph.Error with the code: %#v", err)
	}
}

// FuzzDecoders feeds arbitrary bytes to the decoders of Graph answers: they
// may refuse, never panic.
func FuzzDecoders(f *testing.F) {
	for _, s := range []string{`{"error":{"code":"X","message":"m","innerError":{"request-id":"r"}}}`,
		`{"value":[{"id":"1","proxyAddresses":["SMTP:a@b"]}],"@odata.nextLink":"x","@odata.count":1}`, `{`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		resp := &http.Response{StatusCode: 400, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(b))}
		if e := parseError("op", "GET /", resp); e.Error() == "" {
			t.Fatal("empty error text")
		}
		var p page[User]
		_ = json.Unmarshal(b, &p)
	})
}
