package sim

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// skiptoken makes an opaque paging token bound to the query it pages.
func skiptoken(offset int, scope string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(scope))
	return "RFNwdAIA" + base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("sim:%d:%08x", offset, h.Sum32())))
}

func parseSkiptoken(tok, scope string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, "RFNwdAIA"))
	if err != nil || !strings.HasPrefix(tok, "RFNwdAIA") {
		return 0, false
	}
	var off int
	var sum uint32
	if _, err := fmt.Sscanf(string(raw), "sim:%d:%08x", &off, &sum); err != nil {
		return 0, false
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(scope))
	return off, sum == h.Sum32() && off >= 0
}

// page builds one page of a collection of n items, materialising only the
// items of the page through item. It answers errors itself and then
// reports false; the caller writes resp once it has released s.mu.
func (s *Sim) page(g *graphReq, context string, n int, item func(i int) any) (resp map[string]any, ok bool) {
	top := graphDefaultTop
	if raw := g.opt("top"); raw != "" {
		v, err := strconv.Atoi(raw)
		if err != nil || v < 1 || v > graphMaxTop {
			g.fail(s, http.StatusBadRequest, "Request_UnsupportedQuery", fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", raw, graphMaxTop))
			return nil, false
		}
		top = v
	}
	// The token is bound to the query without it, so it cannot be moved
	// to another collection.
	q := url.Values{}
	for k, v := range g.q {
		if k != "$skiptoken" && k != "skiptoken" {
			q[k] = v
		}
	}
	scope := g.r.URL.Path + "?" + q.Encode()
	off := 0
	if tok := g.opt("skiptoken"); tok != "" {
		o, ok := parseSkiptoken(tok, scope)
		if !ok {
			g.fail(s, http.StatusBadRequest, "Request_BadRequest", "The specified page token value has expired or is invalid.")
			return nil, false
		}
		off = o
	}
	end := min(off+top, n)
	value := make([]any, 0, max(0, end-off))
	for i := off; i < end; i++ {
		value = append(value, item(i))
	}
	resp = map[string]any{
		"@odata.context": g.base + g.vpath + "/$metadata#" + context,
		"value":          value,
	}
	if strings.EqualFold(g.opt("count"), "true") {
		resp["@odata.count"] = n
	}
	if end < n {
		q.Set("$skiptoken", skiptoken(end, scope))
		// Graph writes the option names with a literal "$", as clients do.
		resp["@odata.nextLink"] = g.base + g.r.URL.Path + "?" + strings.ReplaceAll(q.Encode(), "%24", "$")
	}
	return resp, true
}

func (s *Sim) graphSKUs(g *graphReq) {
	if g.opt("filter") != "" || g.opt("top") != "" || g.opt("orderby") != "" {
		g.fail(s, http.StatusBadRequest, "Request_UnsupportedQuery", "subscribedSkus supports only $select.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var objs []map[string]any
	for _, k := range s.t.SKUs {
		objs = append(objs, map[string]any{
			"accountId": TenantGUID, "accountName": "Contoso", "appliesTo": "User", "capabilityStatus": "Enabled",
			"consumedUnits": k.ConsumedUnits, "id": TenantGUID + "_" + k.SkuID, "skuId": k.SkuID,
			"skuPartNumber": k.SkuPartNumber, "servicePlans": []any{}, "subscriptionIds": []string{newGUID()},
			"prepaidUnits": map[string]int{"enabled": k.PrepaidUnits, "suspended": 0, "warning": 0, "lockedOut": 0},
		})
	}
	var sel selection
	if len(objs) > 0 {
		var err error
		if sel, err = parseSelect(g.opt("select"), objs[0]); err != nil {
			g.fail(s, http.StatusBadRequest, "Request_BadRequest", err.Error())
			return
		}
	}
	value := make([]map[string]any, 0, len(objs))
	for _, o := range objs {
		if sel == nil {
			delete(o, "@odata.type")
			value = append(value, o)
		} else {
			value = append(value, project(o, sel, nil, false))
		}
	}
	writeJSON(g.w, http.StatusOK, map[string]any{"@odata.context": g.base + g.vpath + "/$metadata#subscribedSkus", "value": value})
}
