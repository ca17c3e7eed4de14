package report

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"time"
)

// Attachment is the complete list of a run as a file for the mail.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// attachment makes the run's CSV data the mail's attachment: the plain CSV
// when it is under inlineLimit bytes (what the mail service takes inline),
// else the CSV zipped.
//
// Why zip rather than go straight to an upload session: a report CSV
// compresses about fivefold, so a 50,000-user report still travels inline
// in the one sendMail request, which needs only the Mail.Send permission.
// An upload session needs a draft, and so Mail.ReadWrite on the sending
// mailbox, a far broader grant; it is left to the mail client for the rare
// zip that is still too big. A small CSV stays plain, since it opens with a
// click.
func attachment(run Run, data []byte, inlineLimit int) (Attachment, error) {
	name := "procsync-" + FileBase(run)
	if len(data) < inlineLimit {
		return Attachment{Name: name + ".csv", ContentType: "text/csv", Data: data}, nil
	}
	z, err := zipFile(name+".csv", data, run.Started)
	if err != nil {
		return Attachment{}, fmt.Errorf("report: zip the CSV: %w", err)
	}
	return Attachment{Name: name + ".zip", ContentType: "application/zip", Data: z}, nil
}

// zipFile returns a zip archive holding data as name.
func zipFile(name string, data []byte, modified time.Time) ([]byte, error) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	// The fastest level: a report CSV still shrinks about fourfold, and the
	// mail waits for this.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	hdr := &zip.FileHeader{Name: name, Method: zip.Deflate}
	if !modified.IsZero() {
		hdr.Modified = modified.UTC()
	}
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
