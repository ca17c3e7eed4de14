package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
)

// graphBatch serves $batch: each part is answered (and faulted) on its
// own, and the answers come back in an order of their own.
func (s *Sim) graphBatch(g *graphReq) {
	var in struct {
		Requests []struct {
			ID      string            `json:"id"`
			Method  string            `json:"method"`
			URL     string            `json:"url"`
			Headers map[string]string `json:"headers"`
			Body    json.RawMessage   `json:"body"`
		} `json:"requests"`
	}
	if err := json.NewDecoder(g.r.Body).Decode(&in); err != nil {
		g.fail(s, http.StatusBadRequest, "BadRequest", "Invalid batch payload format: "+err.Error())
		return
	}
	if len(in.Requests) == 0 {
		g.fail(s, http.StatusBadRequest, "BadRequest", "Invalid batch payload format: no requests.")
		return
	}
	if len(in.Requests) > graphMaxBatch {
		g.fail(s, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Number of requests in the batch exceeds the limit of %d.", graphMaxBatch))
		return
	}
	seen := map[string]bool{}
	for _, br := range in.Requests {
		if br.ID == "" || seen[br.ID] {
			g.fail(s, http.StatusBadRequest, "BadRequest", "Invalid batch payload format: request ids must be present and unique ('"+br.ID+"').")
			return
		}
		seen[br.ID] = true
		// Graph defaults neither: a part without its method or url is a
		// malformed batch, not a GET of the root.
		if br.Method == "" || br.URL == "" {
			g.fail(s, http.StatusBadRequest, "BadRequest", "Invalid batch payload format: request '"+br.ID+"' needs both 'method' and 'url'.")
			return
		}
	}
	responses := make([]map[string]any, 0, len(in.Requests))
	for _, br := range in.Requests {
		rel := br.URL
		if strings.Contains(rel, "://") {
			responses = append(responses, map[string]any{"id": br.ID, "status": 400, "body": map[string]any{
				"error": map[string]any{"code": "BadRequest", "message": "Invalid request URI: batch requests take URLs relative to the version, like /groups."}}})
			continue
		}
		rel = "/" + strings.TrimPrefix(rel, "/")
		method := strings.ToUpper(br.Method)
		var body io.Reader = http.NoBody
		if len(br.Body) > 0 {
			body = bytes.NewReader(br.Body)
		}
		sub, err := http.NewRequestWithContext(g.r.Context(), method, g.vpath+rel, body)
		if err != nil {
			responses = append(responses, map[string]any{"id": br.ID, "status": 400, "body": map[string]any{
				"error": map[string]any{"code": "BadRequest", "message": "Invalid request URI: " + err.Error()}}})
			continue
		}
		sub.Host = g.r.Host
		sub.Header.Set("Authorization", g.r.Header.Get("Authorization"))
		for k, v := range br.Headers {
			sub.Header.Set(k, v)
		}
		if len(br.Body) > 0 && sub.Header.Get("Content-Type") == "" {
			sub.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		start := s.now()
		s.applyFaults(ServiceGraph, rec, sub, s.serveGraph, true)
		s.record(Request{Service: ServiceGraph, Method: method, Path: sub.URL.Path, Query: sub.URL.RawQuery,
			Header: redactHeader(sub.Header), Body: string(br.Body), Status: rec.Code, ResponseHeader: redactHeader(rec.Header()), Time: start, Batch: true})
		hdr := map[string]string{}
		for k := range rec.Header() {
			hdr[k] = rec.Header().Get(k)
		}
		part := map[string]any{"id": br.ID, "status": rec.Code, "headers": hdr}
		if b := rec.Body.Bytes(); len(b) > 0 {
			if json.Valid(b) {
				part["body"] = json.RawMessage(b)
			} else {
				part["body"] = base64.StdEncoding.EncodeToString(b)
			}
		}
		responses = append(responses, part)
	}
	// Graph answers in any order; shuffle so that no client relies on it.
	s.mu.Lock()
	s.rng.Shuffle(len(responses), func(i, j int) { responses[i], responses[j] = responses[j], responses[i] })
	s.mu.Unlock()
	writeJSON(g.w, http.StatusOK, map[string]any{"responses": responses})
}
