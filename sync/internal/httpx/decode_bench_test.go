package httpx_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"procsync/sync/graph"
	"procsync/sync/internal/httpx"
)

// benchPage is a page of Graph members as procsync decodes it: most of
// what a run decodes is pages of these and of Procore users.
type benchPage struct {
	NextLink string       `json:"@odata.nextLink"`
	Value    []graph.User `json:"value"`
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
			if err := httpx.DecodeJSON(bytes.NewReader(data), &p); err != nil || len(p.Value) != 999 {
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
