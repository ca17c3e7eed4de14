package sim

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// graphErr checks r is a Graph error answer with status and code.
func graphErr(t *testing.T, what string, r result, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: %d %s, want %d", what, r.status, r.body, status)
	}
	e, _ := r.json(t)["error"].(map[string]any)
	if e == nil || e["code"] != code || e["message"] == "" {
		t.Fatalf("%s: body %s, want Graph's error shape with code %s", what, r.body, code)
	}
	if inner, _ := e["innerError"].(map[string]any); inner == nil || inner["request-id"] == "" {
		t.Errorf("%s: no innerError.request-id in %s", what, r.body)
	}
}

func fileAtt(name string, n int) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.fileAttachment", "name": name, "contentType": "application/octet-stream",
		"contentBytes": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{'a'}, n))}
}

func mailBody(html string, atts ...map[string]any) map[string]any {
	m := map[string]any{"subject": "s", "body": map[string]any{"contentType": "HTML", "content": html},
		"toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": "it@contoso.com"}}}}
	if len(atts) > 0 {
		m["attachments"] = atts
	}
	return map[string]any{"message": m}
}

// TestGraphRequestLimit: any Graph request over 4 MB is refused 413 with
// Graph's error shape, on every endpoint, before anything else is checked.
func TestGraphRequestLimit(t *testing.T) {
	srv := start(t, Options{Seed: 2, Members: 30})
	h := bearerH(appGraphToken(t, srv))
	big := mailBody(strings.Repeat("x", 4<<20))
	for _, path := range []string{"/users/" + AdminUPN + "/sendMail", "/users/" + AdminUPN + "/messages", "/$batch", "/groups"} {
		graphErr(t, "POST "+path, do(t, "POST", srv.URL+"/graph/v1.0"+path, h, big), http.StatusRequestEntityTooLarge, "RequestEntityTooLarge")
	}
	// Just under the limit passes.
	ok := do(t, "POST", srv.URL+"/graph/v1.0/users/"+AdminUPN+"/sendMail", h, mailBody(strings.Repeat("x", 4<<20-1024)))
	if ok.status != http.StatusAccepted {
		t.Fatalf("sendMail under 4 MB: %d %s", ok.status, ok.body)
	}
}

// TestGraphInlineAttachmentLimit: an inline fileAttachment of 3 MB or more
// is refused even when the request is under 4 MB; a smaller one arrives.
func TestGraphInlineAttachmentLimit(t *testing.T) {
	srv := start(t, Options{Seed: 2, Members: 30})
	h := bearerH(appGraphToken(t, srv))
	u := srv.URL + "/graph/v1.0/users/" + AdminUPN + "/sendMail"
	graphErr(t, "3 MB inline", do(t, "POST", u, h, mailBody("<p/>", fileAtt("a.bin", 3_000_000))), http.StatusRequestEntityTooLarge, "ErrorAttachmentSizeTooLarge")
	noType := fileAtt("a.bin", 10)
	delete(noType, "@odata.type")
	graphErr(t, "no @odata.type", do(t, "POST", u, h, mailBody("<p/>", noType)), http.StatusBadRequest, "ErrorInvalidRequest")
	if r := do(t, "POST", u, h, mailBody("<p/>", fileAtt("a.bin", 2_900_000))); r.status != http.StatusAccepted {
		t.Fatalf("2.9 MB inline: %d %s", r.status, r.body)
	}
	m := srv.Sim.Mails()
	if len(m) != 1 || len(m[0].Attachments) != 1 || m[0].Attachments[0].Size != 2_900_000 || len(m[0].Attachments[0].Data) != 2_900_000 {
		t.Fatalf("mails = %+v", m)
	}
}

// TestGraphDraftUploadSessionSend walks Microsoft's documented large
// attachment flow against the simulator, and checks its refusals: an
// upload session under 3 MB, a token on the upload URL, a range out of
// order, a send without Mail.Send or drafts without Mail.ReadWrite.
func TestGraphDraftUploadSessionSend(t *testing.T) {
	srv := start(t, Options{Seed: 2, Members: 30})
	tok := appGraphToken(t, srv)
	h := bearerH(tok)
	box := srv.URL + "/graph/v1.0/users/" + AdminUPN
	r := do(t, "POST", box+"/messages", h, mailBody("<p>big</p>")["message"])
	if r.status != http.StatusCreated {
		t.Fatalf("create draft: %d %s", r.status, r.body)
	}
	id, _ := r.json(t)["id"].(string)
	msg := box + "/messages/" + url.PathEscape(id)

	graphErr(t, "small session", do(t, "POST", msg+"/attachments/createUploadSession", h,
		map[string]any{"AttachmentItem": map[string]any{"attachmentType": "file", "name": "r.zip", "size": 1000}}),
		http.StatusBadRequest, "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize")
	graphErr(t, "no AttachmentItem", do(t, "POST", msg+"/attachments/createUploadSession", h, map[string]any{}),
		http.StatusBadRequest, "ErrorInvalidParameter")

	const size = 5_000_000
	r = do(t, "POST", msg+"/attachments/createUploadSession", h,
		map[string]any{"AttachmentItem": map[string]any{"attachmentType": "file", "name": "r.zip", "size": size}})
	if r.status != http.StatusCreated {
		t.Fatalf("create upload session: %d %s", r.status, r.body)
	}
	sess := r.json(t)
	upload, _ := sess["uploadUrl"].(string)
	if upload == "" || fmt.Sprint(sess["nextExpectedRanges"]) != "[0-]" || sess["expirationDateTime"] == nil {
		t.Fatalf("upload session = %v", sess)
	}
	data := bytes.Repeat([]byte("0123456789"), size/10)
	put := func(from, to int, hdr map[string]string) result {
		req, _ := http.NewRequest(http.MethodPut, upload, bytes.NewReader(data[from:to]))
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, to-1, size))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return result{resp.StatusCode, resp.Header, b}
	}
	graphErr(t, "PUT with a token", put(0, 10, h), http.StatusUnauthorized, "InvalidAuthenticationToken")
	if v := srv.Sim.Violations(); len(v) != 1 || !strings.Contains(v[0], "Authorization header") {
		t.Errorf("violations = %q", v)
	}
	const chunk = 10 * 320 << 10
	graphErr(t, "out of order", put(chunk, size, nil), http.StatusRequestedRangeNotSatisfiable, "ErrorInvalidRequest")
	r = put(0, chunk, nil)
	if r.status != http.StatusOK || fmt.Sprint(r.json(t)["nextExpectedRanges"]) != fmt.Sprintf("[%d]", chunk) {
		t.Fatalf("first range: %d %s", r.status, r.body)
	}
	r = put(chunk, size, nil)
	if r.status != http.StatusCreated || r.header.Get("Location") == "" {
		t.Fatalf("last range: %d %s", r.status, r.body)
	}
	if len(srv.Sim.Mails()) != 0 {
		t.Fatal("the draft was sent before /send")
	}

	// Sending needs Mail.Send; drafts need Mail.ReadWrite.
	noSend := start(t, Options{Seed: 2, Members: 30, GraphAppRoles: []string{"Mail.ReadWrite"}})
	graphErr(t, "sendMail without Mail.Send", do(t, "POST", noSend.URL+"/graph/v1.0/users/"+AdminUPN+"/sendMail",
		bearerH(appGraphToken(t, noSend)), mailBody("<p/>")), http.StatusForbidden, "ErrorAccessDenied")
	noRW := start(t, Options{Seed: 2, Members: 30, GraphAppRoles: []string{"Mail.Send"}})
	graphErr(t, "draft without Mail.ReadWrite", do(t, "POST", noRW.URL+"/graph/v1.0/users/"+AdminUPN+"/messages",
		bearerH(appGraphToken(t, noRW)), mailBody("<p/>")["message"]), http.StatusForbidden, "ErrorAccessDenied")

	r = do(t, "POST", msg+"/send", h, nil)
	if r.status != http.StatusAccepted {
		t.Fatalf("send: %d %s", r.status, r.body)
	}
	m := srv.Sim.Mails()
	if len(m) != 1 || m[0].Content != "<p>big</p>" || len(m[0].Attachments) != 1 || !m[0].Attachments[0].Uploaded ||
		!bytes.Equal(m[0].Attachments[0].Data, data) || srv.Sim.Drafts() != 0 {
		t.Fatalf("sent mail = %+v, drafts %d", m, srv.Sim.Drafts())
	}
	graphErr(t, "send twice", do(t, "POST", msg+"/send", h, nil), http.StatusNotFound, "ErrorItemNotFound")
}

// TestGraphSKUsNeedPermission covers issue 13 item 2 in the simulator:
// subscribedSkus answers 403 Authorization_RequestDenied unless the token
// carries LicenseAssignment.Read.All, Organization.Read.All or
// Directory.Read.All, as app roles or delegated scopes.
func TestGraphSKUsNeedPermission(t *testing.T) {
	for _, tc := range []struct {
		roles  []string
		status int
	}{
		{[]string{"GroupMember.Read.All", "User.Read.All", "Mail.Send"}, http.StatusForbidden},
		{[]string{"LicenseAssignment.Read.All"}, http.StatusOK},
		{[]string{"Organization.Read.All"}, http.StatusOK},
		{[]string{"Directory.Read.All"}, http.StatusOK},
		{nil, http.StatusOK}, // the default registration has it
	} {
		srv := start(t, Options{Seed: 2, Members: 30, GraphAppRoles: tc.roles})
		r := do(t, "GET", srv.URL+"/graph/v1.0/subscribedSkus", bearerH(appGraphToken(t, srv)), nil)
		if tc.status == http.StatusForbidden {
			graphErr(t, fmt.Sprintf("roles %v", tc.roles), r, http.StatusForbidden, "Authorization_RequestDenied")
		} else if r.status != tc.status {
			t.Errorf("roles %v: %d %s", tc.roles, r.status, r.body)
		}
	}
	// Delegated: the scope the sign-in asked for decides.
	srv := start(t, Options{Seed: 2, Members: 30})
	for scope, status := range map[string]int{
		"openid offline_access GroupMember.Read.All User.Read.All Mail.Send":                            http.StatusForbidden,
		"openid offline_access GroupMember.Read.All User.Read.All Mail.Send LicenseAssignment.Read.All": http.StatusOK,
	} {
		tok := delegatedGraphToken(t, srv, scope)
		if r := do(t, "GET", srv.URL+"/graph/v1.0/subscribedSkus", bearerH(tok), nil); r.status != status {
			t.Errorf("scope %q: %d %s, want %d", scope, r.status, r.body, status)
		}
	}
}

// TestGraphBatchPartsNeedMethodAndURL: Graph defaults neither.
func TestGraphBatchPartsNeedMethodAndURL(t *testing.T) {
	srv := start(t, Options{Seed: 2, Members: 30})
	h := bearerH(appGraphToken(t, srv))
	for name, part := range map[string]map[string]any{
		"no method": {"id": "1", "url": "/groups"},
		"no url":    {"id": "1", "method": "GET"},
		"no id":     {"method": "GET", "url": "/groups"},
	} {
		graphErr(t, name, do(t, "POST", srv.URL+"/graph/v1.0/$batch", h, map[string]any{"requests": []any{part}}),
			http.StatusBadRequest, "BadRequest")
	}
}

// delegatedGraphToken signs in as the admin with the authorization code
// flow, asking for scope, and returns the access token.
func delegatedGraphToken(t *testing.T, srv *Server, scope string) string {
	t.Helper()
	verifier, challenge := pkcePair()
	redirect := "http://localhost:53123/callback"
	q := url.Values{"client_id": {GraphClientID}, "response_type": {"code"}, "redirect_uri": {redirect},
		"scope": {scope}, "state": {"s"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	r := do(t, "GET", srv.URL+"/identity/"+TenantID+"/oauth2/v2.0/authorize?"+q.Encode(), nil, nil)
	loc, _ := url.Parse(r.header.Get("Location"))
	r = do(t, "POST", tokenURL(srv), nil, url.Values{"grant_type": {"authorization_code"}, "client_id": {GraphClientID},
		"code": {loc.Query().Get("code")}, "redirect_uri": {redirect}, "code_verifier": {verifier}})
	if r.status != http.StatusOK {
		t.Fatalf("sign in with %q: %d %s", scope, r.status, r.body)
	}
	return r.json(t)["access_token"].(string)
}
