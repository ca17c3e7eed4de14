package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pagedMembers serves a group's members three pages of two, with the
// nextLink written by link (its JSON member, or "" for none) after or before
// the value array, and signals each page's request on asked.
func pagedMembers(t *testing.T, link func(next string) string, linkFirst bool, asked chan<- int) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := strconv.Atoi(r.URL.Query().Get("p"))
		if asked != nil {
			asked <- p
		}
		value := fmt.Sprintf(`"value":[{"id":"u%d","mail":"a%d@contoso.com"},{"id":"v%d","mail":"b%d@contoso.com"}]`, p, p, p, p)
		parts := []string{`"@odata.count":6`, value}
		if p < 2 {
			l := link(srv.URL + "/v1.0/groups/g/members/microsoft.graph.user?p=" + strconv.Itoa(p+1))
			if linkFirst {
				parts = append([]string{l}, parts...)
			} else {
				parts = append(parts, l)
			}
		}
		w.Header().Set("request-id", "rid-"+strconv.Itoa(p))
		fmt.Fprint(w, "{"+strings.Join(parts, ",")+"}")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A page's nextLink is followed wherever the answer puts it and in
// whatever case its name is written (as the page is decoded): a listing
// that stopped early would read as people removed from the group.
func TestMemberPagesFollowNextLinkAnywhere(t *testing.T) {
	for _, tc := range []struct {
		name      string
		link      func(string) string
		linkFirst bool
	}{
		{"before the value", func(u string) string { return fmt.Sprintf(`"@odata.nextLink":%q`, u) }, true},
		{"after the value", func(u string) string { return fmt.Sprintf(`"@odata.nextLink":%q`, u) }, false},
		{"another case", func(u string) string { return fmt.Sprintf(`"@odata.NEXTLINK":%q`, u) }, false},
		{"repeated, the last counts", func(u string) string { return fmt.Sprintf(`"@odata.nextLink":null,"@odata.nextLink":%q`, u) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := pagedMembers(t, tc.link, tc.linkFirst, nil)
			users, err := New(srv.Client(), srv.URL).Members(context.Background(), Group{ID: "g", DisplayName: "License – E3"}, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, u := range users {
				ids = append(ids, u.ID)
			}
			if got := strings.Join(ids, " "); got != "u0 v0 u1 v1 u2 v2" {
				t.Errorf("members %q, want all three pages", got)
			}
		})
	}
}

// The next page is asked for before the current one is handed over: the
// work on a page (the snapshot converts it) overlaps the next request
// instead of delaying it. Here the callback for page 0 waits until page 1
// has been asked for.
func TestMemberPagesAskForTheNextPageFirst(t *testing.T) {
	asked := make(chan int, 8)
	srv := pagedMembers(t, func(u string) string { return fmt.Sprintf(`"@odata.nextLink":%q`, u) }, false, asked)
	var got []int
	err := New(srv.Client(), srv.URL).MemberPages(context.Background(), Group{ID: "g"}, false, nil, func(users []User, total int) error {
		page, _ := strconv.Atoi(strings.TrimPrefix(users[0].ID, "u"))
		got = append(got, page)
		if page == 2 {
			return nil
		}
		for {
			select {
			case p := <-asked:
				if p == page+1 {
					return nil
				}
			case <-time.After(10 * time.Second):
				return fmt.Errorf("page %d was not asked for while page %d was handed over", page+1, page)
			}
		}
	})
	if err != nil || fmt.Sprint(got) != "[0 1 2]" {
		t.Fatalf("pages %v, err %v", got, err)
	}
}

// A page that arrives as JSON but not as a page of users names the request
// and the request id, and the listing stops there.
func TestMemberPagesMalformedPage(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("request-id", "rid-"+r.URL.Query().Get("p"))
		if r.URL.Query().Get("p") == "" {
			fmt.Fprintf(w, `{"value":[{"id":"u0"}],"@odata.nextLink":%q}`, srv.URL+"/v1.0/groups/g/members?p=1")
			return
		}
		fmt.Fprint(w, `{"value":[{"id":7}]}`)
	}))
	defer srv.Close()
	_, err := New(srv.Client(), srv.URL).Members(context.Background(), Group{ID: "g", DisplayName: "License – E3"}, false, nil)
	var ge *Error
	if !errors.As(err, &ge) || !strings.Contains(ge.Message, "malformed answer") || ge.RequestID != "rid-1" ||
		!strings.Contains(ge.Op, "page 2") || !strings.Contains(ge.Request, "p=1") {
		t.Fatalf("err = %#v, want a malformed page 2 naming its request and request id", err)
	}
}
