package procore

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestForbiddenNamesThePermission: a 403 says which Procore permission or
// setting the call needs and which section of docs/setup.md explains
// granting it; Procore's own text ("Forbidden") does not.
func TestForbiddenNamesThePermission(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-403")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"errors":"Forbidden"}`)
	}))
	defer srv.Close()
	// The base carries a path prefix, as the simulator's does.
	c := New(srv.Client(), srv.URL+"/procore", 42, WithRetry(retryFast))
	ctx := context.Background()
	yes := true
	tests := []struct {
		op     string
		call   func() error
		anchor string
		names  string
	}{
		{"me", func() error { _, err := c.Me(ctx); return err }, SetupAppAccess, "App Management"},
		{"projects", func() error { _, err := c.Projects(ctx, ""); return err }, SetupAppAccess, "App Management"},
		{"users", func() error { _, err := c.Users(ctx, nil); return err }, SetupDirectoryRead, "Read Only"},
		{"vendors", func() error { _, err := c.Vendors(ctx); return err }, SetupDirectoryRead, "Read Only"},
		{"templates", func() error { _, err := c.PermissionTemplates(ctx); return err }, SetupDirectoryRead, "Read Only"},
		{"sync", func() error {
			_, err := c.SyncUsers(ctx, []SyncUser{{ID: 1, UserInput: UserInput{IsActive: &yes}}})
			return err
		}, SetupDirectoryAdmin, "Admin on the company Directory"},
		{"create", func() error {
			_, err := c.CreateUser(ctx, UserInput{EmailAddress: "a@contoso.com", LastName: "A"})
			return err
		}, SetupDirectoryAdmin, "Admin on the company Directory"},
		{"reactivate", func() error { _, err := c.ReactivateUser(ctx, 1); return err }, SetupDirectoryAdmin, "Admin on the company Directory"},
		{"bulk add", func() error {
			_, err := c.BulkAddToProjects(ctx, []ProjectAssignment{{UserID: 1, ProjectID: 2}})
			return err
		}, SetupProjectDirectory, "every project in procore.project_ids"},
		{"project users", func() error { _, err := c.ProjectUsers(ctx, 2); return err }, SetupProjectDirectory, "Directory tool of the project"},
		{"project add", func() error { return c.AddToProject(ctx, 2, 1, 0) }, SetupProjectDirectory, "Directory tool of the project"},
	}
	for _, tt := range tests {
		err := tt.call()
		if !IsForbidden(err) {
			t.Errorf("%s: err = %v, want a 403", tt.op, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "see "+tt.anchor) || !strings.Contains(msg, tt.names) || !strings.Contains(msg, "(request req-403)") {
			t.Errorf("%s: %q\nwant it to name %q and %q", tt.op, msg, tt.names, tt.anchor)
		}
	}
}
