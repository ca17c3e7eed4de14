package httpx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// MaxBody bounds the answer DecodeJSON reads. The largest answer procsync
// asks for is one page of the Procore directory: at most 2,000 users of
// 1–2 KB of JSON each, 2–4 MB; a Graph page of 999 members with $select is
// under 1 MB. 32 MiB is eight times the largest of them, so no real answer
// comes near it, while a hostile or broken server streaming an endless body
// costs one bounded buffer per concurrent read instead of all the memory.
const MaxBody = 32 << 20

// ErrTooLarge is matched (errors.Is) by DecodeJSON's error for an answer
// larger than MaxBody.
var ErrTooLarge = errors.New("answer too large")

// bodyBufs recycles the buffers answers are read into: a page of 1,000 users
// is about half a megabyte, and reading pages concurrently would otherwise
// allocate (and grow by doubling) a fresh one each time.
var bodyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// DecodeJSON reads the whole body, at most MaxBody bytes, into a pooled
// buffer and unmarshals it into out. It is cheaper than json.Decoder for
// large answers, which scans and copies the input while growing its own
// buffer. A longer body fails with an error matching ErrTooLarge, without
// reading the rest; Call names the request in it.
func DecodeJSON(body io.Reader, out any) error {
	return decodeJSON(body, out, MaxBody)
}

func decodeJSON(body io.Reader, out any, limit int64) error {
	buf := bodyBufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		// Keep unusually large buffers out of the pool.
		if buf.Cap() <= 8<<20 {
			bodyBufs.Put(buf)
		}
	}()
	// One byte more than the limit tells a body of exactly the limit
	// from a longer one.
	n, err := buf.ReadFrom(io.LimitReader(body, limit+1))
	if err != nil {
		return err
	}
	if n > limit {
		return fmt.Errorf("%w: the answer is larger than %s, procsync's bound for one answer; "+
			"the server (or a proxy in front of it) is sending far more than the request asked for", ErrTooLarge, size(limit))
	}
	return json.Unmarshal(buf.Bytes(), out, decodeOptions)
}

// Unmarshal decodes data as DecodeJSON decodes an answer: for an answer
// read as it came (a page whose next page is asked for before it is
// decoded) and decoded later.
func Unmarshal(data []byte, out any) error {
	return json.Unmarshal(data, out, decodeOptions)
}

// decodeOptions keep encoding/json's leniency towards what a service
// sends: names matched without regard to case, invalid UTF-8 replaced
// rather than refused, the last of duplicate names kept. Answers are
// decoded with the prototype of encoding/json/v2 (in the standard library
// from Go 1.25 behind GOEXPERIMENT=jsonv2) rather than encoding/json
// because it is about 1.8 times as fast on a page of members, and pages of
// users are most of what a run decodes (BenchmarkDecodePage). Types with an
// UnmarshalJSON method keep it.
var decodeOptions = json.JoinOptions(
	json.MatchCaseInsensitiveNames(true),
	jsontext.AllowInvalidUTF8(true),
	jsontext.AllowDuplicateNames(true),
)

// size renders a byte count as people read it.
func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
