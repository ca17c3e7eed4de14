package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestMembersPagesDoNotLeakFields guards the reused page buffer: a user on
// page 2 whose mail is null must not inherit the mail of the user decoded
// into the same slot on page 1.
func TestMembersPagesDoNotLeakFields(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("page") == "" {
			fmt.Fprintf(w, `{"@odata.nextLink": %q, "value": [{"id": "1", "mail": "first@contoso.com", "accountEnabled": true, "proxyAddresses": ["smtp:old@contoso.com"]}]}`,
				srv.URL+"/v1.0/groups/g/members/microsoft.graph.user?page=2")
			return
		}
		fmt.Fprint(w, `{"value": [{"id": "2", "mail": null, "userPrincipalName": "second@contoso.com"}]}`)
	}))
	defer srv.Close()

	users, err := New(srv.Client(), srv.URL).Members(context.Background(), Group{ID: "g", DisplayName: "License – E3"}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 {
		t.Fatalf("got %d users, want 2", len(users))
	}
	second := users[1]
	if second.Mail != "" || second.AccountEnabled || len(second.ProxyAddresses) != 0 {
		t.Errorf("page 2's user inherited page 1's fields: %+v", second)
	}
	if users[0].Mail != "first@contoso.com" {
		t.Errorf("page 1's user changed: %+v", users[0])
	}
}
