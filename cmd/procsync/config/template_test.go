package config

import (
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestCommentedRoundTrips(t *testing.T) {
	v := Values{
		Header:          "written by a test\nsecond line",
		Tenant:          "contoso.onmicrosoft.com",
		GraphClientID:   "g-id",
		Cloud:           "china",
		Environment:     "sandbox",
		CompanyID:       42,
		ProcoreClientID: "p-id",
		RedirectURI:     OOBRedirectURI,
		GraphAPIURL:     "http://127.0.0.1:1/graph",
		GraphLoginURL:   "http://127.0.0.1:1/identity",
		ProcoreAPIURL:   "http://127.0.0.1:1/procore",
		ProcoreLoginURL: "http://127.0.0.1:1/procore-login",
		ReportTo:        []string{"it@contoso.com"},
	}
	out := Commented(v)
	if !strings.HasPrefix(string(out), "# written by a test\n# second line\n") {
		t.Errorf("header not commented:\n%s", out)
	}
	cfg, err := Parse(out, "rendered.toml")
	if err != nil {
		t.Fatalf("rendered config does not parse: %v\n%s", err, out)
	}
	if cfg.Graph.Tenant != v.Tenant || cfg.Graph.Cloud != "china" || cfg.Procore.Environment != "sandbox" ||
		cfg.Procore.CompanyID != 42 || cfg.Procore.RedirectURI != OOBRedirectURI ||
		cfg.Graph.APIURL() != v.GraphAPIURL || cfg.Procore.LoginURL() != v.ProcoreLoginURL ||
		len(cfg.Report.To) != 1 || cfg.Report.To[0] != "it@contoso.com" {
		t.Errorf("round trip lost values: %+v", cfg)
	}
	// Every schema key is present in the template, set or commented out,
	// so the file written by init documents all of them.
	for k, kd := range schema {
		if kd == kTable || kd == kStringMap {
			if !strings.Contains(string(out), "["+k+"]") {
				t.Errorf("template lacks table [%s]", k)
			}
			continue
		}
		if kd == kTables {
			if !strings.Contains(string(out), "[["+k+"]]") {
				t.Errorf("template lacks [[%s]]", k)
			}
			for ek := range projectSchema {
				if !strings.Contains(string(out), ek+" = ") {
					t.Errorf("template lacks key %s of [[%s]]", ek, k)
				}
			}
			continue
		}
		name := k[strings.LastIndexByte(k, '.')+1:]
		if !strings.Contains(string(out), name+" = ") {
			t.Errorf("template lacks key %s", k)
		}
	}
}

// TestQuoteRoundTrips checks that any string survives Quote and the TOML
// parser, since init writes what an admin typed.
func TestQuoteRoundTrips(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.String().Draw(t, "s")
		cfg, err := Parse([]byte("[report]\nsubject = "+Quote(s)+"\n"+minimal), "q.toml")
		if strings.TrimSpace(s) == "" {
			return
		}
		if err != nil {
			t.Fatalf("Quote(%q) = %s does not parse: %v", s, Quote(s), err)
		}
		if cfg.Report.Subject != s {
			t.Fatalf("round trip %q -> %q", s, cfg.Report.Subject)
		}
	})
}
