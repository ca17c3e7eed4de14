package graph

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"procsync/internal/safetext"
)

// Graph's size limits for mail, as Microsoft documents them ("Attach large
// files to Outlook messages or events", and the 4 MB limit on any REST
// request).
const (
	// MaxRequestBody is the largest request body Graph accepts; a larger
	// one is answered 413 RequestEntityTooLarge.
	MaxRequestBody = 4 << 20
	// MaxInlineAttachment bounds an attachment sent inline (base64 in the
	// message or in one POST to its attachments): Microsoft says "under
	// 3 MB". The decimal 3,000,000 stays under both readings of "MB", and
	// its base64 (4,000,000 characters) leaves room in a 4 MiB request for
	// the JSON around it.
	MaxInlineAttachment = 3_000_000
	// MaxAttachment is the largest file an upload session takes (150 MB).
	MaxAttachment = 150 << 20
	// UploadChunk is the size of each PUT of an upload session: a multiple
	// of 320 KiB, as Microsoft recommends, and under 4 MB.
	UploadChunk = 10 * 320 << 10
)

// draftCleanup bounds deleting a draft after a failed send.
const draftCleanup = 30 * time.Second

// Attachment is a file attached to a Message.
type Attachment struct {
	// Name is the file name the recipient sees, e.g. "report.csv".
	Name string
	// ContentType is its MIME type, e.g. "text/csv".
	ContentType string
	Data        []byte
}

// Message is an email to send.
type Message struct {
	Subject string
	// HTML is the body; Text, if set, is used when HTML is empty.
	HTML string
	Text string
	To   []string
	// Attachments go inline when they fit one request, else through a
	// draft and upload sessions (see SendMail).
	Attachments []Attachment
}

// mailbox is where a message is sent from: the signed-in user ("/me") or a
// named mailbox (app-only).
type mailbox struct {
	path string // "/v1.0/me" or "/v1.0/users/{from}"
	as   string // " as {from}" for error texts, or ""
}

func mailboxOf(from string) mailbox {
	if from == "" {
		return mailbox{path: "/v1.0/me"}
	}
	return mailbox{path: "/v1.0/users/" + url.PathEscape(from), as: " as " + from}
}

// recipients is Graph's toRecipients array.
func recipients(to []string) []map[string]any {
	out := make([]map[string]any, len(to))
	for i, a := range to {
		out[i] = map[string]any{"emailAddress": map[string]string{"address": a}}
	}
	return out
}

// appendFileAttachment appends Graph's fileAttachment resource of a. The
// file's base64 is written straight into the body: it needs no JSON
// escaping, and a report's CSV is megabytes, which encoding/json would copy
// and scan twice more.
func appendFileAttachment(b []byte, a Attachment) ([]byte, error) {
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	head, err := json.Marshal(map[string]string{"@odata.type": "#microsoft.graph.fileAttachment", "name": a.Name, "contentType": ct})
	if err != nil {
		return nil, err
	}
	b = slices.Grow(b, len(head)+len(`,"contentBytes":""`)+base64.StdEncoding.EncodedLen(len(a.Data)))
	b = append(b, head[:len(head)-1]...)
	b = append(b, `,"contentBytes":"`...)
	b = base64.StdEncoding.AppendEncode(b, a.Data)
	return append(b, `"}`...), nil
}

// messageJSON is Graph's message resource of msg, without attachments.
func messageJSON(msg Message) map[string]any {
	ct, content := "HTML", msg.HTML
	if content == "" {
		ct, content = "Text", msg.Text
	}
	return map[string]any{
		"subject":      msg.Subject,
		"body":         map[string]string{"contentType": ct, "content": content},
		"toRecipients": recipients(msg.To),
	}
}

// sendMailBody is the body of a sendMail request: msg with its attachments
// inline, saved to Sent Items.
func sendMailBody(msg Message) ([]byte, error) {
	m, err := json.Marshal(messageJSON(msg))
	if err != nil {
		return nil, err
	}
	b := append([]byte(`{"message":`), m[:len(m)-1]...)
	if len(msg.Attachments) > 0 {
		b = append(b, `,"attachments":[`...)
		for i, a := range msg.Attachments {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendFileAttachment(b, a); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	return append(b, `},"saveToSentItems":true}`...), nil
}

// SendMail sends msg, from the signed-in user's mailbox when from is "" (a
// delegated token) or as the mailbox from (app-only tokens).
//
// When the message and its attachments fit one request (under
// MaxRequestBody, every attachment under MaxInlineAttachment) it is one
// sendMail, which needs only Mail.Send. Otherwise it creates a draft,
// attaches each file (inline when under MaxInlineAttachment, else through
// an upload session) and sends the draft: that needs Mail.ReadWrite too.
// A failure after the draft exists deletes it, so no half-built report
// stays in Drafts.
//
// No step is repeated after a dropped connection, which could send the
// mail twice.
func (c *Client) SendMail(ctx context.Context, from string, msg Message) error {
	box := mailboxOf(from)
	for _, a := range msg.Attachments {
		if len(a.Data) > MaxAttachment {
			return fmt.Errorf("graph: send mail%s: attachment %s is %d bytes, more than the %d Graph accepts",
				box.as, a.Name, len(a.Data), MaxAttachment)
		}
	}
	small := true
	for _, a := range msg.Attachments {
		small = small && len(a.Data) < MaxInlineAttachment
	}
	if small {
		body, err := sendMailBody(msg)
		if err != nil {
			return fmt.Errorf("graph: send mail%s: encode: %w", box.as, err)
		}
		if len(body) <= MaxRequestBody {
			return c.do(ctx, "send mail"+box.as, http.MethodPost, box.path+"/sendMail", json.RawMessage(body), nil, nil)
		}
	}
	return c.sendDraft(ctx, box, msg)
}

// sendDraft sends msg through a draft: create it (body only), attach each
// file, send it.
func (c *Client) sendDraft(ctx context.Context, box mailbox, msg Message) error {
	draft, err := json.Marshal(messageJSON(msg))
	if err != nil {
		return fmt.Errorf("graph: create draft%s: encode: %w", box.as, err)
	}
	if len(draft) > MaxRequestBody {
		return fmt.Errorf("graph: create draft%s: the message body is %d bytes, more than the %d Graph accepts in one request; shorten the body",
			box.as, len(draft), MaxRequestBody)
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, "create draft"+box.as, http.MethodPost, box.path+"/messages", json.RawMessage(draft), &created, nil); err != nil {
		return err
	}
	if created.ID == "" {
		return &Error{Op: "create draft" + box.as, Message: "Graph answered without the draft's id"}
	}
	msgPath := box.path + "/messages/" + url.PathEscape(created.ID)
	err = c.fillAndSend(ctx, box, msgPath, msg.Attachments)
	if err != nil {
		// Best effort, bounded, even when ctx has ended: a draft left
		// behind is only clutter, and the caller needs the first error,
		// not this one.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), draftCleanup)
		_ = c.do(dctx, "delete draft"+box.as, http.MethodDelete, msgPath, nil, nil, nil)
		cancel()
	}
	return err
}

func (c *Client) fillAndSend(ctx context.Context, box mailbox, msgPath string, atts []Attachment) error {
	for _, a := range atts {
		op := "attach " + a.Name + box.as
		if len(a.Data) < MaxInlineAttachment {
			body, err := appendFileAttachment(nil, a)
			if err != nil {
				return fmt.Errorf("graph: %s: encode: %w", op, err)
			}
			if err := c.do(ctx, op, http.MethodPost, msgPath+"/attachments", json.RawMessage(body), nil, nil); err != nil {
				return err
			}
			continue
		}
		if err := c.upload(ctx, op, msgPath, a); err != nil {
			return err
		}
	}
	return c.do(ctx, "send mail"+box.as, http.MethodPost, msgPath+"/send", nil, nil, nil)
}

// upload attaches a through an upload session: PUTs of UploadChunk bytes to
// the session's pre-authenticated uploadUrl.
func (c *Client) upload(ctx context.Context, op, msgPath string, a Attachment) error {
	var sess struct {
		UploadURL string `json:"uploadUrl"`
	}
	item := map[string]any{"attachmentType": "file", "name": a.Name, "size": len(a.Data)}
	if a.ContentType != "" {
		item["contentType"] = a.ContentType
	}
	req := map[string]any{"AttachmentItem": item}
	if err := c.do(ctx, op+" (create upload session)", http.MethodPost, msgPath+"/attachments/createUploadSession", req, &sess, nil); err != nil {
		return err
	}
	u, err := url.Parse(sess.UploadURL)
	// The URL carries its own credential, and the file lists people:
	// https only, unless Graph itself is spoken to over plain http (a
	// simulator on loopback).
	plainOK := strings.HasPrefix(c.base, "http://")
	if err != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && plainOK) {
		return &Error{Op: op, Message: "Graph answered with an unusable uploadUrl: " + safetext.Line(sess.UploadURL)}
	}
	for off := 0; off < len(a.Data); off += UploadChunk {
		end := min(off+UploadChunk, len(a.Data))
		if err := c.putChunk(ctx, op, sess.UploadURL, a.Data[off:end], off, len(a.Data)); err != nil {
			return err
		}
	}
	return nil
}

// putChunk sends one byte range. It goes through c.uploader, which adds no
// Authorization header: Microsoft says not to send one, since the URL is
// pre-authenticated, and a bearer token there would go to another host.
func (c *Client) putChunk(ctx context.Context, op, uploadURL string, chunk []byte, off, total int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, uploadURL, bytes.NewReader(chunk))
	if err != nil {
		return fmt.Errorf("graph: %s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+len(chunk)-1, total))
	name := fmt.Sprintf("PUT upload session (bytes %d-%d/%d)", off, off+len(chunk)-1, total)
	resp, err := c.uploader.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &Error{Op: op, Request: name, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return parseError(op, name, resp)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return nil
}

// newUploader is the client for upload-session PUTs: no token, no
// redirects (a redirect could take the file elsewhere), bounded waits.
func newUploader() *http.Client {
	return &http.Client{
		Timeout: 5 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errors.New("refusing to follow a redirect from an upload session")
		},
	}
}
