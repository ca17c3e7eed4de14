package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"procsync/sync/internal/httpx"
	"procsync/sync/procore"
	"procsync/sync/roster"
)

// TestAddMembershipsBulkAnswer holds addMemberships to the answer of
// POST /rest/v1.1/companies/{id}/users/bulk_add as Procore's spec gives it:
// {"<user id>": {"<project id>": "success" | "failure"}}. "success" is done
// without reading any directory, "failure" is a failed membership whose
// error says what Procore answered and what to check, and only a pair
// absent from the answer is settled by the project's directory.
func TestAddMembershipsBulkAnswer(t *testing.T) {
	const company = 77
	// Project 1 lists user 12 (absent from the answer, but it landed);
	// project 2 lists nobody.
	onProject := map[int64][]int64{1: {12}, 2: {}}
	answer := map[string]map[string]string{
		"10": {"1": "success"},
		"11": {"1": "failure"},
		// 12 on 1 and 13 on 2: not in the answer.
		"14": {"2": "success", "1": "failure"},
	}
	var (
		mu             sync.Mutex
		directoryReads []int64
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-bulk-1")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == fmt.Sprintf("/rest/v1.1/companies/%d/users/bulk_add", company):
			var body struct {
				Users []procore.ProjectAssignment `json:"users"`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			_ = json.NewEncoder(w).Encode(answer)
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/rest/v1.0/projects/"):
			var pid int64
			fmt.Sscanf(r.URL.Path, "/rest/v1.0/projects/%d/users", &pid)
			mu.Lock()
			directoryReads = append(directoryReads, pid)
			mu.Unlock()
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
		want          roster.Status
		errHas        string
	}{
		{10, 1, roster.StatusDone, ""},
		{11, 1, roster.StatusFailed, `Procore answered "failure"`},
		{12, 1, roster.StatusDone, ""},
		{13, 2, roster.StatusFailed, "without an entry"},
		{14, 2, roster.StatusDone, ""},
		{14, 1, roster.StatusFailed, "permission template"},
	}
	var ms []*membership
	for _, tt := range tests {
		ms = append(ms, &membership{Record: roster.Record{Kind: roster.KindProjectAdd, ProcoreID: tt.user, ProjectID: tt.project, Address: fmt.Sprintf("u%d@contoso.com", tt.user)}})
	}
	addMemberships(context.Background(), pc, ms, false, 1)
	for i, tt := range tests {
		m := ms[i]
		if m.Status != tt.want || !strings.Contains(m.Error, tt.errHas) {
			t.Errorf("user %d project %d: %s %q, want %s %q", tt.user, tt.project, m.Status, m.Error, tt.want, tt.errHas)
		}
		if m.Status == roster.StatusFailed && !strings.Contains(m.Error, fmt.Sprintf("to project %d", tt.project)) {
			t.Errorf("user %d: the error %q does not name the project", tt.user, m.Error)
		}
		if m.Status == roster.StatusFailed && m.RequestID != "req-bulk-1" {
			t.Errorf("user %d project %d: request id %q, want the bulk add's", tt.user, tt.project, m.RequestID)
		}
	}
	// Only the projects of unanswered pairs are read (1 for user 12, 2 for
	// user 13), once each.
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(directoryReads) != "[1 2]" {
		t.Errorf("project directories read: %v, want [1 2]", directoryReads)
	}
}
