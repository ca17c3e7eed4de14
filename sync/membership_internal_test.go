package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"procsync/sync/internal/httpx"
	"procsync/sync/procore"
)

// TestAddMembershipsRefusals: real Procore's answer to a duplicate add is
// not documented, so a refusal saying "already" is success, and any other
// refusal counts only if the project's directory does not list the user.
func TestAddMembershipsRefusals(t *testing.T) {
	const company = 77
	// Project 1 lists user 12 (the refusal was wrong about it); project 2
	// lists nobody.
	onProject := map[int64][]int64{1: {12}, 2: {}}
	refusals := map[[2]int64]string{
		{11, 1}: `{"user_id": ["has already been taken"]}`,
		{12, 1}: `{"base": ["Something odd"]}`,
		{13, 2}: `{"base": ["Project is archived"]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == fmt.Sprintf("/rest/v1.1/companies/%d/users/bulk_add", company):
			var body struct {
				Users []procore.ProjectAssignment `json:"users"`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			ents, errs := []any{}, []any{}
			for _, a := range body.Users {
				if e, ok := refusals[[2]int64{a.UserID, a.ProjectID}]; ok {
					errs = append(errs, map[string]any{"user_id": a.UserID, "project_id": a.ProjectID, "errors": json.RawMessage(e)})
				} else {
					ents = append(ents, a)
				}
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"entities": ents, "errors": errs})
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/rest/v1.0/projects/"):
			var pid int64
			fmt.Sscanf(r.URL.Path, "/rest/v1.0/projects/%d/users", &pid)
			users := []procore.ProjectUser{}
			for _, id := range onProject[pid] {
				users = append(users, procore.ProjectUser{ID: id})
			}
			_ = json.NewEncoder(w).Encode(users)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	pc := procore.New(srv.Client(), srv.URL, company, procore.WithRetry(httpx.Options{WaitScale: 0.001, MaxRetries: 2, BaseDelay: time.Millisecond}))

	tests := []struct {
		user, project int64
		want          Status
		errHas        string
	}{
		{10, 1, StatusDone, ""},
		{11, 1, StatusDone, ""},
		{12, 1, StatusDone, ""},
		{13, 2, StatusFailed, "Project is archived"},
	}
	var ms []*MembershipResult
	for _, tt := range tests {
		ms = append(ms, &MembershipResult{UserID: tt.user, ProjectID: tt.project, Address: fmt.Sprintf("u%d@contoso.com", tt.user)})
	}
	addMemberships(context.Background(), pc, ms, 0, false)
	for i, tt := range tests {
		m := ms[i]
		if m.Status != tt.want || !strings.Contains(m.Error, tt.errHas) {
			t.Errorf("user %d project %d: %s %q, want %s %q", tt.user, tt.project, m.Status, m.Error, tt.want, tt.errHas)
		}
		if m.Status == StatusFailed && !strings.Contains(m.Error, fmt.Sprintf("to project %d", tt.project)) {
			t.Errorf("user %d: the error %q does not name the project", tt.user, m.Error)
		}
	}
}

func TestAlreadyMember(t *testing.T) {
	for msg, want := range map[string]bool{
		"user_id has already been taken":      true,
		"User is ALREADY a member of project": true,
		"Project is archived":                 false,
		"":                                    false,
	} {
		if got := alreadyMember(msg); got != want {
			t.Errorf("alreadyMember(%q) = %v, want %v", msg, got, want)
		}
	}
}
