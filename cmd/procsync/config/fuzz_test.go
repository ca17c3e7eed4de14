package config

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that no input panics the loader, and that every
// rejection is a located config.Errors rather than some other error.
func FuzzParse(f *testing.F) {
	seeds := []string{
		minimal,
		string(Commented(Values{Tenant: "t", GraphClientID: "g", CompanyID: 1, ProcoreClientID: "p"})),
		"",
		"[graph]\n",
		"graph = 1",
		"[[graph]]\ntenant = 1\n[[graph]]\n",
		"[graph]\ntenant = \"x\"\n[graph.sub]\nk = 1\n",
		"\"graph.tenant\" = 1\n",
		"graph.tenant = \"a\"\ngraph.client_id = \"b\"\nprocore = {company_id = 1, client_id = \"c\"}\n",
		"[report]\nto = [[1], {a = 1}]\n",
		"[procore]\nproject_ids = [1, 2.5, \"x\", true, 1979-05-27]\n",
		"[procore]\ncompany_id = 9223372036854775807\nclient_id = \"c\"\n[auto]\nmax_creates = -9223372036854775808\n",
		"[graph]\napi_url = \"http://[::1\"\nlogin_url = \"http://%zz\"\n",
		"[\"a,b\"]\n\"-\" = 1\n\"\" = 2\n",
		"a.b.c.d.e = 1\n[a]\n",
		"[graph]\ntenant = \"\\u0000\\uFFFF\"\n",
		"[report\n",
		"x = \"\"\"\nmulti\nline\"\"\"\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.toml")
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error is not config.Errors: %T %v", err, err)
			}
			for _, e := range errs {
				if e.Line < 0 || !strings.HasPrefix(e.Error(), "fuzz.toml") {
					t.Fatalf("bad error %+v", e)
				}
			}
			return
		}
		// Anything accepted resolves to usable hosts and holds the required values.
		if cfg.Graph.Tenant == "" || cfg.Graph.ClientID == "" || cfg.Procore.CompanyID <= 0 || cfg.Procore.ClientID == "" {
			t.Fatalf("accepted without required values: %+v", cfg)
		}
		for _, u := range []string{cfg.Graph.APIURL(), cfg.Graph.LoginURL(), cfg.Procore.APIURL(), cfg.Procore.LoginURL()} {
			if CheckURL(u) != nil {
				t.Fatalf("accepted config resolves to bad URL %q", u)
			}
		}
	})
}
