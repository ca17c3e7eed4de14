package graph

import "testing"

// TestPermissionFor: each request procsync sends maps to the permission
// that Microsoft documents for it, with or without a path prefix before
// the version.
func TestPermissionFor(t *testing.T) {
	tests := []struct {
		req  string
		want string
	}{
		{"GET /v1.0/subscribedSkus", "graph-licenseassignment-read-all"},
		{"GET /graph/v1.0/subscribedSkus?$select=skuId", "graph-licenseassignment-read-all"},
		{"GET /v1.0/groups?$filter=x", "graph-groupmember-read-all"},
		{"GET /v1.0/groups/g1/members/microsoft.graph.user?$top=999", "graph-groupmember-read-all"},
		{"GET /v1.0/me?$select=id", "graph-user-read-all"},
		{"GET /v1.0/users", "graph-user-read-all"},
		{"POST /v1.0/me/sendMail", "graph-mail-send"},
		{"POST /v1.0/users/a%40b.com/sendMail", "graph-mail-send"},
		{"POST /v1.0/me/messages", "graph-mail-readwrite"},
		{"POST /v1.0/users/a%40b.com/messages", "graph-mail-readwrite"},
		{"POST /v1.0/users/a%40b.com/messages/m1/attachments", "graph-mail-readwrite"},
		{"POST /v1.0/me/messages/m1/attachments/createUploadSession", "graph-mail-readwrite"},
		{"DELETE /v1.0/me/messages/m1", "graph-mail-readwrite"},
		{"POST /v1.0/me/messages/m1/send", "graph-mail-send"},
		{"GET /v1.0/organization", ""},
	}
	for _, tc := range tests {
		p, _ := permissionFor(tc.req)
		if p.Anchor != tc.want {
			t.Errorf("permissionFor(%q) = %q, want %q", tc.req, p.Anchor, tc.want)
		}
	}
}
