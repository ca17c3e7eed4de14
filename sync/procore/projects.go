package procore

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"procsync/internal/safetext"

	"procsync/sync/internal/httpx"
)

// ProjectUser is a user of a project's directory.
type ProjectUser struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	EmailAddress string `json:"email_address"`
	IsActive     bool   `json:"is_active"`
}

// ProjectUsers lists a project's users.
func (c *Client) ProjectUsers(ctx context.Context, projectID int64) ([]ProjectUser, error) {
	us, err := listAll[ProjectUser](ctx, c, fmt.Sprintf("list users of project %d", projectID),
		fmt.Sprintf("/rest/v1.0/projects/%d/users", projectID), nil, nil)
	for i := range us {
		us[i].Name, us[i].EmailAddress = safetext.Line(us[i].Name), safetext.Line(us[i].EmailAddress)
	}
	return us, err
}

// AddToProject adds an existing company user to a project with a permission
// template (0: the project's default).
func (c *Client) AddToProject(ctx context.Context, projectID, userID, permissionTemplateID int64) error {
	body := map[string]any{"user": map[string]any{}}
	if permissionTemplateID != 0 {
		body["user"] = map[string]any{"permission_template_id": permissionTemplateID}
	}
	path := fmt.Sprintf("/rest/v1.0/projects/%d/users/%d/actions/add", projectID, userID)
	_, err := c.do(ctx, fmt.Sprintf("add user %d to project %d", userID, projectID), http.MethodPost, path, body, nil)
	return err
}

// ProjectAssignment is one user-to-project entry of a bulk add.
type ProjectAssignment struct {
	UserID               int64 `json:"user_id"`
	ProjectID            int64 `json:"project_id"`
	PermissionTemplateID int64 `json:"permission_template_id,omitempty"`
}

// MaxBulkAdd is the most assignments one bulk add request may carry.
const MaxBulkAdd = 1000

// BulkAddFailure is an assignment Procore answered "failure" for.
type BulkAddFailure struct {
	ProjectAssignment
	// Reason says what Procore answered and what to check, since its
	// answer carries no explanation.
	Reason string
}

// BulkAddResult is what the bulk add answered, sorted into the three
// cases its answer allows.
type BulkAddResult struct {
	// Added are the assignments Procore answered "success" for (including
	// a user already on the project: Procore leaves those as they are).
	Added []ProjectAssignment
	// Failed are the assignments Procore answered "failure" for.
	Failed []BulkAddFailure
	// Unanswered are the assignments the answer does not mention; only the
	// project's directory can tell whether they landed.
	Unanswered []ProjectAssignment
	// RequestIDs are Procore's request ids of the requests sent, to quote
	// to Procore support about a failure.
	RequestIDs []string
}

// bulkAddFailureReason explains a "failure" entry, which carries no reason.
const bulkAddFailureReason = `Procore answered "failure" for this user and project without a reason; ` +
	"check that the user is active in the company directory, the project is active, and the permission template " +
	"(procore.permission_template_id) is available on that project, then run again"

// BulkAddToProjects adds users to projects (POST
// /rest/v1.1/companies/{company_id}/users/bulk_add, in requests of at most
// MaxBulkAdd). Procore answers {"<user id>": {"<project id>": "success" |
// "failure"}}; the result sorts every assignment into added, failed or
// unanswered. Adding a user who is already on the project changes nothing,
// so a request is retried like a GET. An error means a request got no
// usable answer; the result then holds what earlier requests settled.
func (c *Client) BulkAddToProjects(ctx context.Context, as []ProjectAssignment) (*BulkAddResult, error) {
	res := &BulkAddResult{}
	path := fmt.Sprintf("/rest/v1.1/companies/%d/users/bulk_add", c.companyID)
	for start := 0; start < len(as); start += MaxBulkAdd {
		part := as[start:min(start+MaxBulkAdd, len(as))]
		var answer map[string]map[string]string
		op := fmt.Sprintf("add %d project memberships", len(part))
		if len(as) > MaxBulkAdd {
			op = fmt.Sprintf("add project memberships %d–%d of %d", start+1, start+len(part), len(as))
		}
		h, err := c.do(httpx.WithIdempotent(ctx), op, http.MethodPost, path, map[string]any{"users": part}, &answer)
		if err != nil {
			return res, err
		}
		if id := requestID(h); id != "" {
			res.RequestIDs = append(res.RequestIDs, id)
		}
		res.sort(part, answer)
	}
	return res, nil
}

// sort files each assignment of part under what answer says about it.
func (r *BulkAddResult) sort(part []ProjectAssignment, answer map[string]map[string]string) {
	for _, a := range part {
		word, ok := answer[strconv.FormatInt(a.UserID, 10)][strconv.FormatInt(a.ProjectID, 10)]
		switch {
		case !ok:
			r.Unanswered = append(r.Unanswered, a)
		case strings.EqualFold(word, "success"):
			r.Added = append(r.Added, a)
		case strings.EqualFold(word, "failure"):
			r.Failed = append(r.Failed, BulkAddFailure{ProjectAssignment: a, Reason: bulkAddFailureReason})
		default:
			r.Failed = append(r.Failed, BulkAddFailure{ProjectAssignment: a,
				Reason: fmt.Sprintf("Procore answered %q for this user and project, neither success nor failure; check the project's directory and run again", safetext.Line(word))})
		}
	}
}
