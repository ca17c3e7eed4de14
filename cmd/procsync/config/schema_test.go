package config

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestSchemaIsTheStructTags: a configuration written from the struct (every
// tagged field set) parses back to the same values, so no tagged field can
// be missing from the keys the loader accepts or carry another shape.
func TestSchemaIsTheStructTags(t *testing.T) {
	want := &Config{
		Graph: Graph{Tenant: "contoso.onmicrosoft.com", ClientID: "g", Cloud: "usgov",
			APIURLOverride: "https://graph.example.com", LoginURLOverride: "https://login.example.com"},
		Groups: Groups{NamePrefixes: []string{"License"}, SKUs: []string{"SPE_E3"}, IDs: []string{"6fd2c87f-b296-42f0-b197-1e91e994b900"},
			Nested: true, IncludeGuests: true, IncludeDisabled: true, AllowedDomains: []string{"contoso.com"}, Exclude: []string{"svc-*@contoso.com"}},
		Match: Match{EmailAttribute: "userPrincipalName"},
		Procore: Procore{Environment: "federal", CompanyID: 7, ClientID: "p", RedirectURI: DefaultRedirectURI,
			APIURLOverride: "https://api.example.com", LoginURLOverride: "https://plogin.example.com", ProjectIDs: []int64{1, 2},
			PermissionTemplateID: 3, IsEmployee: true, Reactivate: true, UpdateNames: true, Offboard: "deactivate"},
		Report: Report{To: []string{"it@contoso.com"}, From: "p@contoso.com", Subject: "s", Send: "never"},
		Auto:   Auto{MaxCreates: 1, MaxDeactivations: 2, MaxReactivations: 3},
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(want); err != nil {
		t.Fatal(err)
	}
	got, err := Parse(buf.Bytes(), "round.toml")
	if err != nil {
		t.Fatalf("Parse of the struct's own encoding: %v\n%s", err, buf.String())
	}
	got.Path = ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	for _, k := range []string{"graph", "graph.api_url", "procore.project_ids", "auto.max_reactivations"} {
		if _, ok := schema[k]; !ok {
			t.Errorf("schema lacks %s", k)
		}
	}
	if _, ok := schema["graph.client_secret"]; ok {
		t.Error(`a toml:"-" field is a key of the file`)
	}
}
