package procore

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDirectoryTextIsCleanedWhenRead: an escape sequence in a Procore
// name (OSC 52 writes the operator's clipboard) never leaves the client.
func TestDirectoryTextIsCleanedWhenRead(t *testing.T) {
	const osc52 = `\u001b]52;c;cm0gLXJmIH4=\u0007`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/users") || strings.HasSuffix(r.URL.Path, "/inactive"):
			fmt.Fprintf(w, `[{"id":1,"first_name":"Ana%s","last_name":"Diaz","vendor":{"id":2,"name":"Steel%s"}}]`, osc52, osc52)
		case strings.HasSuffix(r.URL.Path, "/vendors"):
			fmt.Fprintf(w, `[{"id":2,"name":"Steel%s"}]`, osc52)
		default:
			fmt.Fprintf(w, `{"id":1,"login":"a@contoso.com","name":"Megan%s"}`, osc52)
		}
	}))
	defer srv.Close()
	c := New(srv.Client(), srv.URL, 42, WithRetry(retryFast))
	ctx := context.Background()
	us, err := c.Users(ctx, nil)
	if err != nil || len(us) != 1 || us[0].FirstName != "Ana" || us[0].Vendor.Name != "Steel" {
		t.Errorf("users = %+v, %v", us, err)
	}
	if vs, err := c.Vendors(ctx); err != nil || vs[0].Name != "Steel" {
		t.Errorf("vendors = %+v, %v", vs, err)
	}
	if me, err := c.Me(ctx); err != nil || me.Name != "Megan" {
		t.Errorf("me = %+v, %v", me, err)
	}
}
