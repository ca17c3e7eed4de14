package httpx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// benchMember is a Graph member as procsync selects it: most of what a run
// decodes is pages of these and of Procore users.
type benchMember struct {
	ID                string   `json:"id"`
	GivenName         string   `json:"givenName"`
	Surname           string   `json:"surname"`
	DisplayName       string   `json:"displayName"`
	UserPrincipalName string   `json:"userPrincipalName"`
	Mail              string   `json:"mail"`
	ProxyAddresses    []string `json:"proxyAddresses"`
	AccountEnabled    bool     `json:"accountEnabled"`
	UserType          string   `json:"userType"`
	JobTitle          string   `json:"jobTitle"`
	Department        string   `json:"department"`
	BusinessPhones    []string `json:"businessPhones"`
}

type benchPage struct {
	NextLink string        `json:"@odata.nextLink"`
	Value    []benchMember `json:"value"`
}

// benchPageJSON is a page of 999 members, Graph's largest.
func benchPageJSON() []byte {
	var b bytes.Buffer
	b.WriteString(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects","@odata.nextLink":"https://graph.microsoft.com/v1.0/groups/g/members?$skiptoken=x","value":[`)
	for i := range 999 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"@odata.type":"#microsoft.graph.user","id":"%08d-1111-2222-3333-444455556666","givenName":"Given%d","surname":"Surname%d","displayName":"Given%d Surname%d","userPrincipalName":"g.s%d@contoso.com","mail":"g.s%d@contoso.com","proxyAddresses":["SMTP:g.s%d@contoso.com","smtp:g%d@contoso.onmicrosoft.com"],"accountEnabled":true,"userType":"Member","jobTitle":"Project Engineer","department":"Field Operations","businessPhones":["+1 555 0100"]}`,
			i, i, i, i, i, i, i, i, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// BenchmarkDecodePage decodes one page of members as answers are decoded
// (DecodeJSON) and, for comparison, with encoding/json: the reason
// decodeOptions' decoder is used.
func BenchmarkDecodePage(b *testing.B) {
	data := benchPageJSON()
	b.Run("DecodeJSON", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var p benchPage
			if err := DecodeJSON(bytes.NewReader(data), &p); err != nil || len(p.Value) != 999 {
				b.Fatal(len(p.Value), err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var p benchPage
			if err := json.Unmarshal(data, &p); err != nil || len(p.Value) != 999 {
				b.Fatal(len(p.Value), err)
			}
		}
	})
}
