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

// Attachment makes the run's CSV the mail's attachment: the plain CSV when
// it is under inlineLimit bytes (what the mail service takes inline), else
// the CSV zipped.
//
// Why zip rather than go straight to an upload session: a report CSV
// compresses about fivefold, so a 50,000-user report still travels inline
// in the one sendMail request, which needs only the Mail.Send permission.
// An upload session needs a draft, and so Mail.ReadWrite on the sending
// mailbox, a far broader grant; it is left to the mail client for the rare
// zip that is still too big. A small CSV stays plain, since it opens with a
// click.
func (r *Rendered) Attachment(inlineLimit int) (Attachment, error) {
	name := "procsync-" + FileBase(r.Run)
	if len(r.CSV) < inlineLimit {
		return Attachment{Name: name + ".csv", ContentType: "text/csv", Data: r.CSV}, nil
	}
	var z []byte
	var err error
	if r.zip != nil {
		// Render zipped it as it wrote it.
		z, err = r.zip.wait()
	} else {
		z, err = zipFile(name+".csv", r.CSV, r.Run.Started)
	}
	if err != nil {
		return Attachment{}, fmt.Errorf("report: zip the CSV: %w", err)
	}
	return Attachment{Name: name + ".zip", ContentType: "application/zip", Data: z}, nil
}

// zipAhead is the CSV size from which Render zips the CSV while it writes
// it: Graph's inline limit (graph.MaxInlineAttachment), which the engine
// passes to Attachment. A CSV that big is zipped for the mail, and zipping
// it beside the writing, on the other core, has the zip ready about when
// the CSV is. With another limit Attachment zips on demand; a report only
// saved (the TUI mails on request) zips in vain, beside the rest.
const zipAhead = 3_000_000

// zipper zips a CSV on its own goroutine as it is written, in the bytes
// zipFile makes of the whole (flate's output does not depend on how its
// input is split between writes).
type zipper struct {
	parts chan []byte
	done  chan struct{}
	data  []byte
	err   error
}

// startZip starts zipping a file called name; add gives it the data,
// close ends it.
func startZip(name string, modified time.Time) *zipper {
	z := &zipper{parts: make(chan []byte, 64), done: make(chan struct{})}
	go func() {
		defer close(z.done)
		var b bytes.Buffer
		zw, w, err := createZip(&b, name, modified)
		for p := range z.parts {
			if err == nil {
				_, err = w.Write(p)
			}
		}
		if err == nil {
			err = zw.Close()
		}
		z.data, z.err = b.Bytes(), err
	}()
	return z
}

// add zips p, which the caller must not change afterwards.
func (z *zipper) add(p []byte) { z.parts <- p }

// close says that all the data was added.
func (z *zipper) close() { close(z.parts) }

// wait returns the zip archive once it is complete.
func (z *zipper) wait() ([]byte, error) {
	<-z.done
	return z.data, z.err
}

// zipFile returns a zip archive holding data as name.
func zipFile(name string, data []byte, modified time.Time) ([]byte, error) {
	var b bytes.Buffer
	zw, w, err := createZip(&b, name, modified)
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

// createZip starts a zip archive in b with one file, name, to be written
// to w; closing zw ends it.
func createZip(b *bytes.Buffer, name string, modified time.Time) (zw *zip.Writer, w io.Writer, err error) {
	zw = zip.NewWriter(b)
	// The fastest level: a report CSV still shrinks about fourfold, and the
	// mail waits for this.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	hdr := &zip.FileHeader{Name: name, Method: zip.Deflate}
	if !modified.IsZero() {
		hdr.Modified = modified.UTC()
	}
	w, err = zw.CreateHeader(hdr)
	return zw, w, err
}
