package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Graph's size limits for mail, from Microsoft's "Attach large files to
// Outlook messages or events" and the REST request limit. The simulator
// takes "3 MB" as 3,000,000 bytes, the stricter reading.
const (
	// graphMaxRequest is the largest request body Graph takes (413 above).
	graphMaxRequest = 4 << 20
	// graphMaxInline bounds an inline fileAttachment ("under 3 MB").
	graphMaxInline = 3_000_000
	// graphMinUploadSession is the smallest file an upload session takes:
	// smaller ones must go inline (ErrorAttachmentSizeShouldNotBeLessThanMinimumSize).
	graphMinUploadSession = 3_000_000
	// graphMaxUploadSession is the largest (150 MB).
	graphMaxUploadSession = 150 << 20
	// uploadChunkUnit is the unit Microsoft asks byte ranges to be
	// multiples of; other sizes are served but recorded as violations.
	uploadChunkUnit = 320 << 10
	// uploadPrefix is where upload sessions' pre-authenticated URLs point
	// (Outlook's own host in the real service), below /graph.
	uploadPrefix = "/upload/AttachmentSessions/"
)

// MailAttachment is a file a sent message carried.
type MailAttachment struct {
	Name string `json:"name"`
	// ContentType is the file's MIME type ("media_type" in JSON, so that
	// it is not mistaken for a mail's content_type).
	ContentType string `json:"media_type"`
	Size        int    `json:"size"`
	// Uploaded is set when it came through an upload session.
	Uploaded bool `json:"uploaded,omitempty"`
	// Data is the file; left out of /_sim/state, which would grow by it.
	Data []byte `json:"-"`
}

// mailState holds drafts and upload sessions. Guarded by Sim.mu.
type mailState struct {
	drafts   map[string]*draft
	sessions map[string]*uploadSession
}

// draft is a message created with POST …/messages and not yet sent.
type draft struct {
	owner string // the mailbox's user id
	mail  Mail
}

// uploadSession is an attachment being uploaded to a draft.
type uploadSession struct {
	token   string
	draftID string
	att     MailAttachment // Size is the declared size
	expires time.Time
}

func (m *mailState) lazyInit() {
	if m.drafts == nil {
		m.drafts = map[string]*draft{}
		m.sessions = map[string]*uploadSession{}
	}
}

// Drafts returns the number of drafts not sent (nor deleted), so that tests
// can check a failed send cleaned up after itself.
func (s *Sim) Drafts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mb.drafts)
}

// tooLarge answers Graph's 413 for a request body over the limit.
func (s *Sim) tooLarge(w http.ResponseWriter, r *http.Request, n int) {
	s.graphError(w, r, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
		fmt.Sprintf("The maximum request length supported is 4MB (this request has %d bytes).", n))
}

// graphMail serves sendMail and drafts: /me|users/{id}/sendMail,
// …/messages, …/messages/{id}, …/messages/{id}/attachments[/createUploadSession]
// and …/messages/{id}/send.
func (s *Sim) graphMail(g *graphReq, u *User, key string, rest []string) {
	method := g.r.Method
	// Sending needs Mail.Send; drafts, attachments and upload sessions
	// need Mail.ReadWrite, which Mail.Send does not imply.
	send := rest[0] == "sendMail" || (len(rest) == 3 && rest[2] == "send")
	scope := "Mail.ReadWrite"
	if send {
		scope = "Mail.Send"
	}
	switch {
	case !hasAnyScope(g.tok, scope):
		g.fail(s, http.StatusForbidden, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
		return
	case u == nil:
		g.fail(s, http.StatusNotFound, "ErrorInvalidUser", fmt.Sprintf("The requested user '%s' is invalid.", key))
		return
	case !g.tok.app && u.ID != g.tok.subject:
		g.fail(s, http.StatusForbidden, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
		return
	case u.Mail == "":
		g.fail(s, http.StatusNotFound, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
		return
	}
	switch {
	case len(rest) == 1 && rest[0] == "sendMail" && method == http.MethodPost:
		s.graphSendMail(g, u)
	case len(rest) == 1 && method == http.MethodPost:
		s.graphCreateDraft(g, u)
	case len(rest) == 2 && method == http.MethodDelete:
		s.mu.Lock()
		d := s.mb.drafts[rest[1]]
		if d != nil && d.owner == u.ID {
			delete(s.mb.drafts, rest[1])
		}
		s.mu.Unlock()
		if d == nil || d.owner != u.ID {
			g.fail(s, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
			return
		}
		g.w.WriteHeader(http.StatusNoContent)
	case len(rest) == 3 && rest[2] == "attachments" && method == http.MethodPost:
		s.graphAddAttachment(g, u, rest[1])
	case len(rest) == 4 && rest[2] == "attachments" && rest[3] == "createUploadSession" && method == http.MethodPost:
		s.graphCreateUploadSession(g, u, rest[1])
	case len(rest) == 3 && rest[2] == "send" && method == http.MethodPost:
		s.graphSendDraft(g, u, rest[1])
	default:
		g.fail(s, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", strings.Join(rest, "/")))
	}
}

// messageIn is the message resource as clients send it.
type messageIn struct {
	Subject string `json:"subject"`
	Body    struct {
		ContentType string `json:"contentType"`
		Content     string `json:"content"`
	} `json:"body"`
	ToRecipients []addrIn       `json:"toRecipients"`
	CcRecipients []addrIn       `json:"ccRecipients"`
	Attachments  []attachmentIn `json:"attachments"`
}

type addrIn struct {
	EmailAddress struct {
		Address string `json:"address"`
		Name    string `json:"name"`
	} `json:"emailAddress"`
}

// attachmentIn is a fileAttachment as clients send it.
type attachmentIn struct {
	Type         string `json:"@odata.type"`
	Name         string `json:"name"`
	ContentType  string `json:"contentType"`
	ContentBytes string `json:"contentBytes"`
}

// readJSON reads a write request's JSON body into v, answering the error
// itself (and returning false) like Graph does.
func (s *Sim) readJSON(g *graphReq, v any) bool {
	if !strings.Contains(g.r.Header.Get("Content-Type"), "json") {
		g.fail(s, http.StatusBadRequest, "BadRequest", "Write requests (excluding DELETE) must contain the Content-Type header declaration.")
		return false
	}
	body, _ := io.ReadAll(g.r.Body)
	if len(bytes.TrimSpace(body)) == 0 {
		g.fail(s, http.StatusBadRequest, "ErrorInvalidRequest", "Empty Payload. JSON content expected.")
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		g.fail(s, http.StatusBadRequest, "RequestBodyRead", "Invalid JSON in request body: "+err.Error())
		return false
	}
	return true
}

// decodeAttachment checks one inline fileAttachment, answering the error
// itself when it is refused.
func (s *Sim) decodeAttachment(g *graphReq, a attachmentIn) (MailAttachment, bool) {
	if a.Type != "#microsoft.graph.fileAttachment" {
		g.fail(s, http.StatusBadRequest, "ErrorInvalidRequest",
			"An attachment needs \"@odata.type\": \"#microsoft.graph.fileAttachment\" (got '"+a.Type+"').")
		return MailAttachment{}, false
	}
	if a.Name == "" {
		g.fail(s, http.StatusBadRequest, "ErrorInvalidRequest", "The attachment's 'name' is required.")
		return MailAttachment{}, false
	}
	data, err := base64.StdEncoding.DecodeString(a.ContentBytes)
	if err != nil {
		g.fail(s, http.StatusBadRequest, "ErrorInvalidRequest", "The attachment's contentBytes is not valid base64: "+err.Error())
		return MailAttachment{}, false
	}
	if len(data) >= graphMaxInline {
		g.fail(s, http.StatusRequestEntityTooLarge, "ErrorAttachmentSizeTooLarge",
			fmt.Sprintf("Attachment %q is %d bytes; attachments of 3 MB or more need an upload session.", a.Name, len(data)))
		return MailAttachment{}, false
	}
	return MailAttachment{Name: a.Name, ContentType: a.ContentType, Size: len(data), Data: data}, true
}

// mailOf builds a Mail from a message resource, answering the error itself
// when an attachment is refused.
func (s *Sim) mailOf(g *graphReq, u *User, in *messageIn) (Mail, bool) {
	m := Mail{From: u.UserPrincipalName, Subject: in.Subject, ContentType: in.Body.ContentType, Content: in.Body.Content}
	for _, a := range in.ToRecipients {
		m.To = append(m.To, a.EmailAddress.Address)
	}
	for _, a := range in.CcRecipients {
		m.Cc = append(m.Cc, a.EmailAddress.Address)
	}
	if ct := strings.ToLower(m.ContentType); ct != "" && ct != "html" && ct != "text" {
		g.fail(s, http.StatusBadRequest, "RequestBodyRead", "Requested value '"+m.ContentType+"' was not found.")
		return m, false
	}
	for _, a := range in.Attachments {
		att, ok := s.decodeAttachment(g, a)
		if !ok {
			return m, false
		}
		m.Attachments = append(m.Attachments, att)
	}
	return m, true
}

// checkRecipients refuses a message that cannot be sent to anyone.
func (s *Sim) checkRecipients(g *graphReq, m Mail) bool {
	if len(m.To)+len(m.Cc) == 0 {
		g.fail(s, http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient isn't valid., A message can't be sent because it contains no recipients.")
		return false
	}
	for _, a := range append(slices.Clone(m.To), m.Cc...) {
		if !strings.Contains(a, "@") {
			g.fail(s, http.StatusBadRequest, "ErrorInvalidRecipients", "At least one recipient isn't valid., Recipient '"+a+"' is not resolved. All recipients must be resolved before a message can be submitted.")
			return false
		}
	}
	return true
}

func (s *Sim) graphSendMail(g *graphReq, u *User) {
	var in struct {
		Message         *messageIn `json:"message"`
		SaveToSentItems *bool      `json:"saveToSentItems"`
	}
	if !s.readJSON(g, &in) {
		return
	}
	if in.Message == nil {
		g.fail(s, http.StatusBadRequest, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty.")
		return
	}
	m, ok := s.mailOf(g, u, in.Message)
	if !ok || !s.checkRecipients(g, m) {
		return
	}
	m.SaveToSentItems = in.SaveToSentItems == nil || *in.SaveToSentItems
	m.Time = s.now()
	s.mu.Lock()
	s.insp.mails = append(s.insp.mails, m)
	s.mu.Unlock()
	g.w.WriteHeader(http.StatusAccepted)
}

func (s *Sim) graphCreateDraft(g *graphReq, u *User) {
	var in messageIn
	if !s.readJSON(g, &in) {
		return
	}
	m, ok := s.mailOf(g, u, &in)
	if !ok {
		return
	}
	id := "AAMkAD" + randomToken(24)
	s.mu.Lock()
	s.mb.lazyInit()
	s.mb.drafts[id] = &draft{owner: u.ID, mail: m}
	s.mu.Unlock()
	writeJSON(g.w, http.StatusCreated, map[string]any{
		"@odata.context": g.base + g.vpath + "/$metadata#users('" + u.ID + "')/messages/$entity",
		"id":             id, "isDraft": true, "subject": m.Subject,
		"createdDateTime": s.now().UTC().Format(time.RFC3339),
	})
}

// draftOf finds a draft of u, answering 404 itself when there is none.
// s.mu is held.
func (s *Sim) draftOf(g *graphReq, u *User, id string) *draft {
	d := s.mb.drafts[id]
	if d == nil || d.owner != u.ID {
		g.fail(s, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return nil
	}
	return d
}

func (s *Sim) graphAddAttachment(g *graphReq, u *User, id string) {
	var in attachmentIn
	if !s.readJSON(g, &in) {
		return
	}
	att, ok := s.decodeAttachment(g, in)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.draftOf(g, u, id)
	if d == nil {
		return
	}
	d.mail.Attachments = append(d.mail.Attachments, att)
	writeJSON(g.w, http.StatusCreated, map[string]any{
		"@odata.type": "#microsoft.graph.fileAttachment", "id": "AAMkAD" + randomToken(16),
		"name": att.Name, "contentType": att.ContentType, "size": att.Size, "isInline": false,
	})
}

func (s *Sim) graphCreateUploadSession(g *graphReq, u *User, id string) {
	var in struct {
		AttachmentItem *struct {
			AttachmentType string `json:"attachmentType"`
			Name           string `json:"name"`
			Size           int64  `json:"size"`
			ContentType    string `json:"contentType"`
		} `json:"AttachmentItem"`
	}
	if !s.readJSON(g, &in) {
		return
	}
	it := in.AttachmentItem
	switch {
	case it == nil:
		g.fail(s, http.StatusBadRequest, "ErrorInvalidParameter", "The value of the parameter 'AttachmentItem' is empty.")
		return
	case it.AttachmentType != "file":
		g.fail(s, http.StatusBadRequest, "ErrorInvalidParameter", "AttachmentItem.attachmentType must be 'file' (got '"+it.AttachmentType+"').")
		return
	case it.Name == "":
		g.fail(s, http.StatusBadRequest, "ErrorInvalidParameter", "AttachmentItem.name is required.")
		return
	case it.Size < graphMinUploadSession:
		g.fail(s, http.StatusBadRequest, "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
			"Attachment size must be greater than the minimum size: attach files under 3 MB with a POST to the attachments instead.")
		return
	case it.Size > graphMaxUploadSession:
		g.fail(s, http.StatusBadRequest, "ErrorAttachmentSizeTooLarge", "The attachment exceeds the maximum size of 150 MB.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draftOf(g, u, id) == nil {
		return
	}
	sid := randomToken(18)
	sess := &uploadSession{token: randomToken(32), draftID: id, expires: s.now().Add(15 * time.Minute),
		att: MailAttachment{Name: it.Name, ContentType: it.ContentType, Size: int(it.Size), Uploaded: true}}
	s.mb.sessions[sid] = sess
	writeJSON(g.w, http.StatusCreated, map[string]any{
		"@odata.context":     g.base + g.vpath + "/$metadata#microsoft.graph.uploadSession",
		"uploadUrl":          g.base + "/graph" + uploadPrefix + sid + "?authtoken=" + url.QueryEscape(sess.token),
		"expirationDateTime": sess.expires.UTC().Format(time.RFC3339Nano),
		"nextExpectedRanges": []string{"0-"},
	})
}

// serveUpload takes one byte range of an upload session. The URL carries
// its own credential; an Authorization header is refused, as Microsoft
// says not to send one.
func (s *Sim) serveUpload(w http.ResponseWriter, r *http.Request, sid string) {
	fail := func(status int, code, msg string) { s.graphError(w, r, status, code, msg) }
	if r.Method != http.MethodPut {
		fail(http.StatusMethodNotAllowed, "ErrorInvalidRequest", "Upload sessions take PUT.")
		return
	}
	if r.Header.Get("Authorization") != "" {
		s.mu.Lock()
		s.violation("graph: Authorization header sent to an upload session URL")
		s.mu.Unlock()
		fail(http.StatusUnauthorized, "InvalidAuthenticationToken",
			"Do not send an Authorization header to an upload session: its URL is pre-authenticated.")
		return
	}
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.mb.sessions[sid]
	switch {
	case sess == nil || r.URL.Query().Get("authtoken") != sess.token:
		fail(http.StatusUnauthorized, "InvalidAuthenticationToken", "The upload session's authtoken is missing or not valid.")
		return
	case !s.now().Before(sess.expires):
		delete(s.mb.sessions, sid)
		fail(http.StatusNotFound, "ErrorItemNotFound", "The upload session has expired.")
		return
	}
	var start, end, total int
	if _, err := fmt.Sscanf(r.Header.Get("Content-Range"), "bytes %d-%d/%d", &start, &end, &total); err != nil {
		fail(http.StatusBadRequest, "ErrorInvalidRequest", "Content-Range must be 'bytes {start}-{end}/{total}' (got '"+r.Header.Get("Content-Range")+"').")
		return
	}
	next := len(sess.att.Data)
	switch {
	case total != sess.att.Size:
		fail(http.StatusBadRequest, "ErrorInvalidRequest", fmt.Sprintf("Content-Range total %d differs from the session's size %d.", total, sess.att.Size))
		return
	case start != next:
		fail(http.StatusRequestedRangeNotSatisfiable, "ErrorInvalidRequest", fmt.Sprintf("Expected the range to start at %d.", next))
		return
	case end < start || end >= total || len(body) != end-start+1:
		fail(http.StatusBadRequest, "ErrorInvalidRequest", fmt.Sprintf("Content-Range %d-%d does not match the %d bytes sent.", start, end, len(body)))
		return
	}
	if end+1 < total && len(body)%uploadChunkUnit != 0 {
		s.violation("graph: upload session range of %d bytes is not a multiple of 320 KiB", len(body))
	}
	sess.att.Data = append(sess.att.Data, body...)
	if len(sess.att.Data) < total {
		writeJSON(w, http.StatusOK, map[string]any{
			"expirationDateTime": sess.expires.UTC().Format(time.RFC3339Nano),
			"nextExpectedRanges": []string{strconv.Itoa(len(sess.att.Data))},
		})
		return
	}
	delete(s.mb.sessions, sid)
	d := s.mb.drafts[sess.draftID]
	if d == nil {
		fail(http.StatusNotFound, "ErrorItemNotFound", "The message of this upload session no longer exists.")
		return
	}
	d.mail.Attachments = append(d.mail.Attachments, sess.att)
	w.Header().Set("Location", baseURL(r)+"/graph/v1.0/users('"+d.owner+"')/messages('"+sess.draftID+"')/attachments('"+randomToken(16)+"')")
	w.WriteHeader(http.StatusCreated)
}

func (s *Sim) graphSendDraft(g *graphReq, u *User, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.draftOf(g, u, id)
	if d == nil || !s.checkRecipients(g, d.mail) {
		return
	}
	delete(s.mb.drafts, id)
	m := d.mail
	m.SaveToSentItems, m.Time = true, s.now()
	s.insp.mails = append(s.insp.mails, m)
	g.w.WriteHeader(http.StatusAccepted)
}
