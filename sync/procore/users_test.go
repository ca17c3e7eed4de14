package procore

import (
	"encoding/json"
	"strings"
	"testing"

	"procsync/sync/internal/httpx"
)

// FlexString takes a plain string as it is and everything else through a
// decoder: the fast path must agree with the decoder.
func TestFlexString(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{in: `"E-1001"`, want: "E-1001"},
		{in: `""`, want: ""},
		{in: `null`, want: ""},
		{in: `1001`, want: "1001"},
		{in: `-7.5e2`, want: "-7.5e2"},
		{in: `"a\"b"`, want: `a"b`},
		{in: `"a\\b"`, want: `a\b`},
		{in: `"\u00e9t\u00e9"`, want: "été"},
		{in: `"été"`, want: "été"},
		{in: `true`, err: true},
		{in: `{"id":1}`, err: true},
	} {
		var f FlexString
		err := json.Unmarshal([]byte(tc.in), &f)
		if (err != nil) != tc.err {
			t.Errorf("%s: err = %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if !tc.err && string(f) != tc.want {
			t.Errorf("%s: got %q, want %q", tc.in, f, tc.want)
		}
	}
	// A user's fields as a directory page carries them, decoded as the
	// client decodes answers.
	var u User
	if err := httpx.DecodeJSON(strings.NewReader(`{"id":7,"employee_id":42,"origin_id":"entra:9f0c"}`), &u); err != nil {
		t.Fatal(err)
	}
	if u.EmployeeID != "42" || u.OriginID != "entra:9f0c" {
		t.Errorf("user: employee_id %q, origin_id %q", u.EmployeeID, u.OriginID)
	}
}
