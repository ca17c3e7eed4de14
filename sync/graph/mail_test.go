package graph_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"procsync/sync/graph"
	"procsync/sync/internal/httpx"
	"procsync/sync/sim"
)

// noise returns n incompressible bytes, like a zipped report.
func noise(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, uint64(n)))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// checkRequests fails the test for any Graph request over 4 MB, any upload
// PUT that carries a token or a range of a size Microsoft advises against,
// and any rule of Graph the simulator saw broken.
func checkRequests(t *testing.T, srv *sim.Server) []sim.Request {
	t.Helper()
	var graphReqs []sim.Request
	for _, r := range srv.Sim.Requests() {
		if r.Service != sim.ServiceGraph {
			continue
		}
		graphReqs = append(graphReqs, r)
		if len(r.Body) > graph.MaxRequestBody {
			t.Errorf("%s %s sent %d bytes, over Graph's 4 MB", r.Method, r.Path, len(r.Body))
		}
		if r.Method == http.MethodPut && r.Header.Get("Authorization") != "" {
			t.Errorf("PUT %s carried an Authorization header", r.Path)
		}
		if r.Status >= 300 {
			t.Errorf("%s %s answered %d", r.Method, r.Path, r.Status)
		}
	}
	if v := srv.Sim.Violations(); len(v) > 0 {
		t.Errorf("violations: %q", v)
	}
	return graphReqs
}

func endpoints(reqs []sim.Request) []string {
	var out []string
	for _, r := range reqs {
		if r.Method == http.MethodGet {
			continue
		}
		p := r.Path
		if i := strings.Index(p, "/messages/"); i >= 0 {
			rest := p[i+len("/messages/"):]
			_, tail, _ := strings.Cut(rest, "/")
			p = p[:i] + "/messages/{id}"
			if tail != "" {
				p += "/" + tail
			}
		}
		if strings.Contains(p, "/upload/") {
			p = "upload"
		}
		out = append(out, r.Method+" "+strings.TrimPrefix(p, "/graph/v1.0/users/"+sim.AdminUPN))
	}
	return out
}

// TestSendMailSmallGoesInline: a message with a small attachment is one
// sendMail (Mail.Send only), and the attachment arrives whole.
func TestSendMailSmallGoesInline(t *testing.T) {
	c, srv := simClient(t, sim.Options{Seed: 3, Members: 20})
	csv := []byte("section,email\nCreated,a@contoso.com\n")
	err := c.SendMail(context.Background(), sim.AdminUPN, graph.Message{Subject: "s", HTML: "<p>x</p>", To: []string{"it@contoso.com"},
		Attachments: []graph.Attachment{{Name: "report.csv", ContentType: "text/csv", Data: csv}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(endpoints(checkRequests(t, srv)), "; "); got != "POST /sendMail" {
		t.Errorf("requests = %s, want one sendMail", got)
	}
	m := srv.Sim.Mails()
	if len(m) != 1 || len(m[0].Attachments) != 1 || !bytes.Equal(m[0].Attachments[0].Data, csv) || m[0].Attachments[0].Name != "report.csv" {
		t.Fatalf("mails = %+v", m)
	}
}

// TestSendMailTwoAttachmentsInline: the sendMail body is written by hand
// around the attachments' base64; with two of them (and a name that JSON
// must escape) it is still one valid request and both arrive whole.
func TestSendMailTwoAttachmentsInline(t *testing.T) {
	c, srv := simClient(t, sim.Options{Seed: 3, Members: 20})
	a, b := []byte("section,email\n"), []byte{0, 1, 2, 250, 251, 252}
	err := c.SendMail(context.Background(), sim.AdminUPN, graph.Message{Subject: "s", HTML: "<p>\"x\" & y</p>", To: []string{"it@contoso.com"},
		Attachments: []graph.Attachment{{Name: "a \"1\".csv", ContentType: "text/csv", Data: a}, {Name: "b.bin", Data: b}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(endpoints(checkRequests(t, srv)), "; "); got != "POST /sendMail" {
		t.Errorf("requests = %s, want one sendMail", got)
	}
	m := srv.Sim.Mails()
	if len(m) != 1 || len(m[0].Attachments) != 2 || !bytes.Equal(m[0].Attachments[0].Data, a) || m[0].Attachments[0].Name != `a "1".csv` ||
		!bytes.Equal(m[0].Attachments[1].Data, b) || m[0].Attachments[1].Name != "b.bin" {
		t.Fatalf("mails = %+v", m)
	}
}

// TestSendMailLargeAttachmentUploads covers issue 13 item 1's transport: a
// 7 MB attachment goes through a draft and an upload session whose PUTs
// carry no token, are multiples of 320 KiB and stay under 4 MB; the draft
// is then sent and none is left behind.
func TestSendMailLargeAttachmentUploads(t *testing.T) {
	c, srv := simClient(t, sim.Options{Seed: 3, Members: 20})
	data := noise(7 << 20)
	err := c.SendMail(context.Background(), sim.AdminUPN, graph.Message{Subject: "big", HTML: "<p>big</p>", To: []string{"it@contoso.com"},
		Attachments: []graph.Attachment{{Name: "report.zip", ContentType: "application/zip", Data: data}}})
	if err != nil {
		t.Fatal(err)
	}
	reqs := checkRequests(t, srv)
	var puts int
	for _, r := range reqs {
		if r.Method == http.MethodPut {
			puts++
			if n := len(r.Body); n%(320<<10) != 0 && !strings.HasSuffix(r.Header.Get("Content-Range"), "/"+strconv.Itoa(len(data))) {
				t.Errorf("PUT of %d bytes is not a multiple of 320 KiB", n)
			}
		}
	}
	if want := (len(data) + graph.UploadChunk - 1) / graph.UploadChunk; puts != want {
		t.Errorf("%d PUTs, want %d", puts, want)
	}
	eps := endpoints(reqs)
	if eps[0] != "POST /messages" || eps[1] != "POST /messages/{id}/attachments/createUploadSession" || eps[len(eps)-1] != "POST /messages/{id}/send" {
		t.Errorf("requests = %q", eps)
	}
	m := srv.Sim.Mails()
	if len(m) != 1 || len(m[0].Attachments) != 1 || !bytes.Equal(m[0].Attachments[0].Data, data) {
		t.Fatalf("the attachment did not arrive whole: %+v", m)
	}
	if m[0].Content != "<p>big</p>" || m[0].To[0] != "it@contoso.com" {
		t.Errorf("mail = %+v", m[0])
	}
	if n := srv.Sim.Drafts(); n != 0 {
		t.Errorf("%d drafts left", n)
	}
}

// TestSendMailBodyAndAttachmentOverLimit: each part is under its limit but
// together they pass 4 MB, so the attachment is posted to a draft on its
// own (an upload session refuses files under 3 MB).
func TestSendMailBodyAndAttachmentOverLimit(t *testing.T) {
	c, srv := simClient(t, sim.Options{Seed: 3, Members: 20})
	data := noise(2_500_000)
	html := "<p>" + strings.Repeat("x", 1_500_000) + "</p>"
	err := c.SendMail(context.Background(), sim.AdminUPN, graph.Message{Subject: "s", HTML: html, To: []string{"it@contoso.com"},
		Attachments: []graph.Attachment{{Name: "report.zip", ContentType: "application/zip", Data: data}}})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(endpoints(checkRequests(t, srv)), "; ")
	if got != "POST /messages; POST /messages/{id}/attachments; POST /messages/{id}/send" {
		t.Errorf("requests = %s", got)
	}
	if m := srv.Sim.Mails(); len(m) != 1 || !bytes.Equal(m[0].Attachments[0].Data, data) {
		t.Fatal("the attachment did not arrive whole")
	}
}

// TestSendMailWithoutMailReadWrite: a tenant that granted Mail.Send only
// gets an error naming Mail.ReadWrite and where to grant it, and no draft
// is left behind.
func TestSendMailWithoutMailReadWrite(t *testing.T) {
	c, srv := simClient(t, sim.Options{Seed: 3, Members: 20,
		GraphAppRoles: []string{"GroupMember.Read.All", "User.Read.All", "Mail.Send"}})
	err := c.SendMail(context.Background(), sim.AdminUPN, graph.Message{Subject: "s", HTML: "<p>x</p>", To: []string{"it@contoso.com"},
		Attachments: []graph.Attachment{{Name: "r.zip", Data: noise(3_500_000)}}})
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Status != http.StatusForbidden {
		t.Fatalf("err = %v, want a 403", err)
	}
	for _, want := range []string{"Mail.ReadWrite", "docs/setup.md#graph-mail-readwrite"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if len(srv.Sim.Mails()) != 0 || srv.Sim.Drafts() != 0 {
		t.Errorf("mails %d, drafts %d after a refused send", len(srv.Sim.Mails()), srv.Sim.Drafts())
	}
}

// TestSubscribedSKUsForbiddenNamesPermission covers issue 13 item 2: the
// simulator enforces the SKU permission, and the client's 403 names it and
// the setup anchor.
func TestSubscribedSKUsForbiddenNamesPermission(t *testing.T) {
	c, _ := simClient(t, sim.Options{Seed: 3, Members: 20,
		GraphAppRoles: []string{"GroupMember.Read.All", "User.Read.All", "Mail.Send"}})
	_, err := c.GroupsBySKU(context.Background(), []string{"SPE_E3"})
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Status != http.StatusForbidden || ge.Code != "Authorization_RequestDenied" {
		t.Fatalf("err = %v, want 403 Authorization_RequestDenied", err)
	}
	for _, want := range []string{"LicenseAssignment.Read.All", "Organization.Read.All", "docs/setup.md#graph-licenseassignment-read-all"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	for _, role := range []string{"LicenseAssignment.Read.All", "Directory.Read.All", "Organization.Read.All"} {
		c, _ := simClient(t, sim.Options{Seed: 3, Members: 20, GraphAppRoles: []string{"GroupMember.Read.All", role}})
		if _, err := c.SubscribedSKUs(context.Background()); err != nil {
			t.Errorf("with %s: %v", role, err)
		}
	}
}

// TestPermissionAnchorsExist: every anchor a 403 points at exists in
// docs/setup.md.
func TestPermissionAnchorsExist(t *testing.T) {
	doc, err := os.ReadFile("../../docs/setup.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range graph.Permissions {
		if !bytes.Contains(doc, []byte(`id="`+p.Anchor+`"`)) {
			t.Errorf("docs/setup.md has no anchor %q (for %s)", p.Anchor, p)
		}
	}
}

// delegatedClient signs in to the simulator as its admin with the code
// flow, asking for scope, and returns a client with that user token.
func delegatedClient(t *testing.T, srv *sim.Server, scope string) *graph.Client {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	redirect := "http://localhost:53123/callback"
	verifier := oauth2.GenerateVerifier()
	q := url.Values{"client_id": {sim.GraphClientID}, "response_type": {"code"}, "redirect_uri": {redirect}, "scope": {scope}, "state": {"s"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
	resp, err := noFollow.Get(srv.URL + "/identity/" + sim.TenantID + "/oauth2/v2.0/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	conf := oauth2.Config{ClientID: sim.GraphClientID, RedirectURL: redirect,
		Endpoint: oauth2.Endpoint{TokenURL: srv.URL + "/identity/" + sim.TenantID + "/oauth2/v2.0/token", AuthStyle: oauth2.AuthStyleInParams}}
	tok, err := conf.Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	return graph.New(oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(tok)), srv.URL+"/graph",
		graph.WithRetry(httpx.Options{WaitScale: 0.001}))
}

// TestSendMailDelegated: with a signed-in admin's token the message goes
// from /me, inline or through a draft.
func TestSendMailDelegated(t *testing.T) {
	srv, err := sim.Start(sim.Options{Seed: 3, Members: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := delegatedClient(t, srv, "openid offline_access Mail.Send Mail.ReadWrite")
	for _, n := range []int{1000, 3_500_000} {
		data := noise(n)
		err := c.SendMail(context.Background(), "", graph.Message{Subject: "s", HTML: "<p>x</p>", To: []string{"it@contoso.com"},
			Attachments: []graph.Attachment{{Name: "r.zip", ContentType: "application/zip", Data: data}}})
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		m := srv.Sim.Mails()
		if last := m[len(m)-1]; last.From != sim.AdminUPN || !bytes.Equal(last.Attachments[0].Data, data) {
			t.Fatalf("%d bytes: mail %+v", n, last)
		}
	}
	checkRequests(t, srv)
	// Without Mail.ReadWrite the big one is refused, naming it.
	c = delegatedClient(t, srv, "openid offline_access Mail.Send")
	err = c.SendMail(context.Background(), "", graph.Message{Subject: "s", HTML: "x", To: []string{"it@contoso.com"},
		Attachments: []graph.Attachment{{Name: "r.zip", Data: noise(3_500_000)}}})
	if err == nil || !strings.Contains(err.Error(), "Mail.ReadWrite") {
		t.Fatalf("err = %v, want a 403 naming Mail.ReadWrite", err)
	}
}

// TestSendMailFailureDeletesDraft: when the draft exists but sending it is
// refused (here: no Mail.Send), the draft is deleted and the error names
// Mail.Send.
func TestSendMailFailureDeletesDraft(t *testing.T) {
	c, srv := simClient(t, sim.Options{Seed: 3, Members: 20, GraphAppRoles: []string{"Mail.ReadWrite"}})
	err := c.SendMail(context.Background(), sim.AdminUPN, graph.Message{Subject: "s", HTML: "<p>x</p>", To: []string{"it@contoso.com"},
		Attachments: []graph.Attachment{{Name: "r.zip", Data: noise(3_200_000)}}})
	if err == nil || !strings.Contains(err.Error(), "docs/setup.md#graph-mail-send") {
		t.Fatalf("err = %v, want a 403 naming Mail.Send", err)
	}
	var deletes int
	for _, r := range srv.Sim.Requests() {
		if r.Method == http.MethodDelete && r.Status == http.StatusNoContent {
			deletes++
		}
	}
	if deletes != 1 || srv.Sim.Drafts() != 0 || len(srv.Sim.Mails()) != 0 {
		t.Errorf("%d deletes, %d drafts, %d mails after a refused send", deletes, srv.Sim.Drafts(), len(srv.Sim.Mails()))
	}
}
