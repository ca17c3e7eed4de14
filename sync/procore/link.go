package procore

import (
	"context"
	"fmt"
	"net/http"

	"procsync/sync/internal/httpx"
)

// SetOriginID writes originID as the origin_id of the existing company user
// id, through the company users sync endpoint (PATCH …/users/sync with one
// entry keyed by id: the one documented body that updates origin_id without
// restating the user's email and last name, which the spec of PATCH
// …/users/{id} requires). The entry carries an id, so the request is safe
// to repeat and is retried like a GET.
//
// The endpoint answers 200 even when it refuses the entry; a refusal (an
// unknown id, an origin_id another user holds) is returned as a *Error with
// status 422 and the field errors, naming the request and its request id.
func (c *Client) SetOriginID(ctx context.Context, id int64, originID string) (*User, error) {
	path := fmt.Sprintf("/rest/v1.0/companies/%d/users/sync", c.companyID)
	op := fmt.Sprintf("link user %d to origin_id %s", id, originID)
	body := map[string]any{"updates": []SyncUser{{ID: id, UserInput: UserInput{OriginID: originID}}}}
	var out struct {
		Entities []User      `json:"entities"`
		Errors   []SyncError `json:"errors"`
	}
	h, err := c.do(httpx.WithIdempotent(ctx), op, http.MethodPatch, path, body, &out)
	if err != nil {
		return nil, err
	}
	req := http.MethodPatch + " " + path
	for _, e := range out.Errors {
		if e.Input.ID == id || len(out.Errors) == 1 {
			return nil, &Error{Op: op, Status: http.StatusUnprocessableEntity, Message: e.Message(), RequestID: requestID(h), Request: req}
		}
	}
	for i := range out.Entities {
		if out.Entities[i].ID == id {
			return sanitized(&out.Entities[i]), nil
		}
	}
	return nil, &Error{Op: op, Status: http.StatusOK, Message: "the answer has no entry for this user", RequestID: requestID(h), Request: req}
}
