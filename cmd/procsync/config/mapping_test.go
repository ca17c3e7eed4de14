package config

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"procsync/sync/roster"
)

// TestMapParses: a [map] table becomes the rules' mapping, auto.updates
// their AutoUpdates, and the Entra properties to select follow the table.
func TestMapParses(t *testing.T) {
	src := minimal + "[auto]\nupdates = true\n[map]\njobTitle = \"job_title\"\nmobilePhone = \"mobile_phone\"\n"
	cfg, err := Parse([]byte(src), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Rules()
	want := roster.Mapping{{Entra: "jobTitle", Procore: "job_title"}, {Entra: "mobilePhone", Procore: "mobile_phone"}}
	if !slices.Equal(r.Map, want) || !r.AutoUpdates {
		t.Errorf("Rules() map %v auto updates %v, want %v and true", r.Map, r.AutoUpdates, want)
	}
	if got := r.Map.EntraSelect(); !slices.Equal(got, []string{"jobTitle", "mobilePhone"}) {
		t.Errorf("EntraSelect = %v", got)
	}
	cfg, err = Parse([]byte(minimal), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	if r := cfg.Rules(); r.Map != nil || r.AutoUpdates {
		t.Errorf("without [map]: %v %v, want no mapping and auto.updates off", r.Map, r.AutoUpdates)
	}
}

// TestMapErrorsNameKeyAndLine: every bad entry of [map] is reported at its
// key and line, with what to write instead.
func TestMapErrorsNameKeyAndLine(t *testing.T) {
	// minimal is 7 lines: [map] is line 8, its first key line 9.
	for _, tt := range []struct {
		name, body string
		line       int
		key, want  string
	}{
		{"unknown Entra property", "jobTitle = \"job_title\"\njobtitel = \"job_title\"\n", 10, "map.jobtitel", `(did you mean "jobTitle"?)`},
		{"unknown Procore field", "mobilePhone = \"mobile\"\n", 9, "map.mobilePhone", `"mobile" is not a Procore user field`},
		{"Entra name as the field", "jobTitle = \"jobTitle\"\n", 9, "map.jobTitle", `(did you mean "job_title"?)`},
		{"field written twice", "businessPhones = \"mobile_phone\"\nmobilePhone = \"mobile_phone\"\n", 10, "map.mobilePhone", "businessPhones already writes mobile_phone"},
		{"not a string", "\njobTitle = 3\n", 10, "map.jobTitle", "must be a string, not an integer"},
		{"not a table", "", 1, "map", "must be a table of strings"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := minimal + "[map]\n" + tt.body
			if tt.key == "map" {
				// A top-level key after [procore] would belong to it.
				src = "map = \"jobTitle\"\n" + minimal
			}
			_, err := Parse([]byte(src), "conf.toml")
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("Parse = %v, want one config error\n%s", err, src)
			}
			if e := errs[0]; e.Line != tt.line || e.Key != tt.key || !strings.Contains(e.Msg, tt.want) {
				t.Errorf("got %v\nwant line %d key %s msg containing %q", e, tt.line, tt.key, tt.want)
			}
		})
	}
}
