// This file holds BenchmarkLean, the reference for what any client can
// reach on this machine with this simulator (issue 18): a deliberately lean
// client that
// does only what procsync's `--auto` run strictly needs on BenchmarkRun's
// tenant, in plain straight-line Go over net/http, with no journal, no plan,
// no report files and no retries, measured by the same timeline code in the
// same benchmark run. BenchmarkRun's x-floor is to be read against
// BenchmarkLean's: the simulator runs in the same process and spends this
// 2-core machine's CPU on every page it encodes and every user it creates,
// so part of the distance to the floor is the simulator's, not procsync's.
//
//	go test -run '^$' -bench 'BenchmarkLean$|BenchmarkRun$' -benchtime 1x -count 2 .

package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"golang.org/x/sync/errgroup"

	"procsync/sync/graph"
	"procsync/sync/roster"
	"procsync/sync/sim"
)

// BenchmarkLean runs the lean reference client against BenchmarkRun's
// tenants and reports BenchmarkRun's metrics (see its doc comment). Each run
// must create and reactivate exactly as many users as procsync does there
// (its plan: 7,475 creates and 726 reactivations at 20k, 36,940 and 3,553
// at 100k), so that the reference cannot look fast by doing less.
func BenchmarkLean(b *testing.B) {
	for _, tc := range []struct{ n, creates, reactivations int }{{20000, 7475, 726}, {100000, 36940, 3553}} {
		b.Run(fmt.Sprintf("%dk", tc.n/1000), func(b *testing.B) { benchLean(b, tc.n, tc.creates, tc.reactivations) })
	}
}

func benchLean(b *testing.B, n, wantCreates, wantReactivations int) {
	var tl timeline
	var wall time.Duration
	for range b.N {
		b.StopTimer()
		srv, err := sim.Start(sim.Options{Seed: 18, Members: n, Latency: runLatency})
		if err != nil {
			b.Fatal(err)
		}
		before := srv.Sim.ProcoreUsers()
		l := newLean(srv.URL)
		b.StartTimer()
		start := time.Now()
		err = l.run(context.Background())
		wall = time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatalf("lean run: %v", err)
		}
		after := srv.Sim.ProcoreUsers()
		if got := len(after) - len(before); got != wantCreates {
			b.Fatalf("lean run: %d new users in the directory, procsync creates %d", got, wantCreates)
		}
		if got := leanReactivated(before, after); got != wantReactivations {
			b.Fatalf("lean run: %d users reactivated, procsync reactivates %d", got, wantReactivations)
		}
		if v := srv.Sim.Violations(); len(v) > 0 {
			b.Fatalf("lean run: the simulator saw protocol violations: %q", v)
		}
		if len(srv.Sim.Mails()) != 1 {
			b.Fatalf("lean run: %d mails sent, want 1", len(srv.Sim.Mails()))
		}
		tl = timelineOf(srv.Sim.Requests())
		tl.setStart(start, start.Add(wall))
		l.hc.CloseIdleConnections()
		srv.Close()
		b.StartTimer()
	}
	reportTimeline(b, tl, wall)
}

// leanReactivated counts the users inactive before a run and active after.
func leanReactivated(before, after []sim.ProcoreUser) int {
	inactive := map[int64]bool{}
	for _, u := range before {
		if !u.IsActive {
			inactive[u.ID] = true
		}
	}
	n := 0
	for _, u := range after {
		if u.IsActive && inactive[u.ID] {
			n++
		}
	}
	return n
}

// lean is the reference client: the simulator's URLs, one HTTP client, the
// two app tokens once they are known, and the index the reads fill.
type lean struct {
	hc                   *http.Client
	base                 string
	graphTok, procoreTok string
	idx                  leanIndex
}

// The fixture's configuration (simFixture), as the lean client needs it.
var (
	leanPrefixes = []string{"License – Microsoft", "License – Office"}
	leanDomain   = sim.Domain
	leanReportTo = "it@contoso.com"
)

func newLean(base string) *lean {
	// Enough idle connections for every request in flight at once: the
	// default transport keeps two per host and dials the rest again.
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	return &lean{hc: &http.Client{Transport: tr}, base: base}
}

// run is the whole job: both tokens at once; the groups' members and the
// Procore directory at once, each page indexed as it arrives; then every
// users/sync batch at once, each sent as soon as the diff has filled it;
// then one mail.
func (l *lean) run(ctx context.Context) error {
	if err := l.read(ctx); err != nil {
		return err
	}
	return l.write(ctx)
}

// read gets both tokens at once, then reads the license groups' members
// and the whole Procore directory, active and inactive, at once.
func (l *lean) read(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		l.graphTok, err = l.token(gctx, "/identity/"+sim.TenantID+"/oauth2/v2.0/token", url.Values{
			"grant_type": {"client_credentials"}, "client_id": {sim.GraphClientID}, "client_secret": {sim.GraphClientSecret},
			"scope": {"https://graph.microsoft.com/.default"}})
		return err
	})
	g.Go(func() (err error) {
		l.procoreTok, err = l.token(gctx, "/procore-login/oauth/token", url.Values{
			"grant_type": {"client_credentials"}, "client_id": {sim.ProcoreClientID}, "client_secret": {sim.ProcoreClientSecret}})
		return err
	})
	if err := g.Wait(); err != nil {
		return err
	}
	g, gctx = errgroup.WithContext(ctx)
	g.Go(func() error { return l.members(gctx) })
	g.Go(func() error { return l.directory(gctx, l.usersURL()) })
	g.Go(func() error { return l.directory(gctx, l.usersURL()+"/inactive") })
	return g.Wait()
}

func (l *lean) usersURL() string {
	return fmt.Sprintf("%s/procore/rest/v1.0/companies/%d/users", l.base, sim.CompanyID)
}

// write sends every users/sync batch at once and, once all have answered,
// the report mail.
func (l *lean) write(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	created, reactivated := 0, 0
	l.idx.batches(func(batch []leanSync) {
		for _, e := range batch {
			if e.ID == 0 {
				created++
			} else {
				reactivated++
			}
		}
		g.Go(func() error {
			// Escaped for HTML as encoding/json does, so that the body is
			// procsync's byte for byte.
			body, err := json.Marshal(struct {
				Updates []leanSync `json:"updates"`
			}{batch}, jsontext.EscapeForHTML(true))
			if err != nil {
				return err
			}
			var out struct {
				Errors []jsontext.Value `json:"errors"`
			}
			if _, err := l.do(gctx, http.MethodPatch, l.usersURL()+"/sync", body, &out); err != nil {
				return err
			}
			if len(out.Errors) > 0 {
				return fmt.Errorf("users/sync refused %d entries, the first: %s", len(out.Errors), out.Errors[0])
			}
			return nil
		})
	})
	if err := g.Wait(); err != nil {
		return err
	}
	html := fmt.Sprintf("<html><body><h1>procsync lean reference</h1><p>%d users created, %d reactivated.</p></body></html>", created, reactivated)
	mail, err := json.Marshal(map[string]any{
		"message": map[string]any{
			"subject":      "procsync lean reference",
			"body":         map[string]string{"contentType": "HTML", "content": html},
			"toRecipients": []any{map[string]any{"emailAddress": map[string]string{"address": leanReportTo}}},
		},
		"saveToSentItems": true,
	})
	if err != nil {
		return err
	}
	_, err = l.do(ctx, http.MethodPost, l.base+"/graph/v1.0/users/"+url.PathEscape(sim.AdminUPN)+"/sendMail", mail, nil)
	return err
}

// token gets an app token with the client credentials grant.
func (l *lean) token(ctx context.Context, path string, form url.Values) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if _, err := l.send(req, &out); err != nil {
		return "", err
	}
	return out.AccessToken, nil
}

// do sends one API request with the token of the service rawURL belongs to
// and decodes a JSON answer into out, if not nil.
func (l *lean) do(ctx context.Context, method, rawURL string, body []byte, out any) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.HasPrefix(rawURL, l.base+"/procore/") {
		req.Header.Set("Authorization", "Bearer "+l.procoreTok)
		req.Header.Set("Procore-Company-Id", strconv.FormatInt(sim.CompanyID, 10))
	} else {
		req.Header.Set("Authorization", "Bearer "+l.graphTok)
	}
	if strings.Contains(rawURL, "/members/") {
		// The member listing's cast with $select, as procsync sends it.
		req.Header.Set("ConsistencyLevel", "eventual")
	}
	return l.send(req, out)
}

func (l *lean) send(req *http.Request, out any) (http.Header, error) {
	resp, err := l.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, msg)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
	} else {
		err = json.UnmarshalRead(resp.Body, out)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	return resp.Header, nil
}

// members resolves the license groups and reads every group's members,
// each group's nextLink chain in its own goroutine, indexing each page.
func (l *lean) members(ctx context.Context) error {
	filter := make([]string, len(leanPrefixes))
	for i, p := range leanPrefixes {
		filter[i] = "startswith(displayName,'" + strings.ReplaceAll(p, "'", "''") + "')"
	}
	next := l.base + "/graph/v1.0/groups?$filter=" + url.QueryEscape(strings.Join(filter, " or ")) + "&$select=id%2CdisplayName&$top=999"
	var ids []string
	for next != "" {
		var page struct {
			Value []struct {
				ID string `json:"id"`
			} `json:"value"`
			NextLink string `json:"@odata.nextLink"`
		}
		if _, err := l.do(ctx, http.MethodGet, next, nil, &page); err != nil {
			return err
		}
		for _, g := range page.Value {
			ids = append(ids, g.ID)
		}
		next = page.NextLink
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, id := range ids {
		g.Go(func() error {
			next := l.base + "/graph/v1.0/groups/" + url.PathEscape(id) + "/members/microsoft.graph.user?$select=" +
				url.QueryEscape(graph.MemberSelect) + "&$top=999&$count=true"
			for next != "" {
				var page struct {
					Value    []graph.User `json:"value"`
					NextLink string       `json:"@odata.nextLink"`
				}
				if _, err := l.do(gctx, http.MethodGet, next, nil, &page); err != nil {
					return err
				}
				l.idx.addMembers(page.Value)
				next = page.NextLink
			}
			return nil
		})
	}
	return g.Wait()
}

// leanUser is a Procore company user, as far as the job needs it.
type leanUser struct {
	ID       int64  `json:"id"`
	Email    string `json:"email_address"`
	IsActive bool   `json:"is_active"`
	OriginID string `json:"origin_id"`
}

// directory reads one listing of the Procore directory: page 1 says the
// total and the page size, then every other page at once; each page is
// indexed as it arrives.
func (l *lean) directory(ctx context.Context, listURL string) error {
	var first []leanUser
	h, err := l.do(ctx, http.MethodGet, listURL+"?page=1&per_page=1000", nil, &first)
	if err != nil {
		return err
	}
	l.idx.addUsers(first)
	total, _ := strconv.Atoi(h.Get("Total"))
	per, _ := strconv.Atoi(h.Get("Per-Page"))
	if per <= 0 || total <= len(first) {
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	for p := 2; p <= (total+per-1)/per; p++ {
		g.Go(func() error {
			var page []leanUser
			if _, err := l.do(gctx, http.MethodGet, fmt.Sprintf("%s?page=%d&per_page=%d", listURL, p, per), nil, &page); err != nil {
				return err
			}
			l.idx.addUsers(page)
			return nil
		})
	}
	return g.Wait()
}

// leanSync is one users/sync entry: a create carries the address, the
// names, the Entra id as origin_id and is_employee (procsync's
// createInput with ApplySettings{IsEmployee: true}); a reactivation only
// the id.
type leanSync struct {
	ID         int64  `json:"id,omitzero"`
	Email      string `json:"email_address,omitempty"`
	FirstName  string `json:"first_name,omitempty"`
	LastName   string `json:"last_name,omitempty"`
	OriginID   string `json:"origin_id,omitempty"`
	IsEmployee bool   `json:"is_employee,omitzero"`
	IsActive   bool   `json:"is_active"`
}

// leanPerson is an eligible member: the address they are planned under
// and every address that identifies them.
type leanPerson struct {
	m     *graph.User
	addrs []string // the address first, then the aliases
}

// leanIndex is the diff's state, filled page by page while the other reads
// are still out, so that after the last read only the decisions are left.
// The rules are the ones the fixture gives procsync (roster.Rules{
// AllowedDomains: contoso.com, Reactivate: true}): each member once;
// enabled members (not guests) with a usable address in the domain are
// eligible; one whose addresses (mail or UPN, the other one and the smtp:
// proxies) and Entra id (origin_id) find no Procore user, and who shares no
// address with another eligible member, is created; one who finds exactly
// one Procore user, inactive, by an address, is reactivated. Everything
// else (in sync, conflicts) is left alone.
type leanIndex struct {
	mu    sync.Mutex
	users []leanUser
	// byAddr and byOrigin give a Procore user's index in users, or
	// leanSeveral.
	byAddr, byOrigin map[string]int32
	// seen are the members indexed, by Entra id; owners count the
	// eligible members under each address.
	seen   map[string]bool
	owners map[string]int32
	people []leanPerson
}

// leanSeveral stands for more than one Procore user under one key.
const leanSeveral = -2

func (x *leanIndex) addUsers(page []leanUser) {
	keys := make([]string, len(page))
	for i := range page {
		keys[i] = strings.ToLower(strings.TrimSpace(page[i].Email))
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.byAddr == nil {
		x.byAddr, x.byOrigin = make(map[string]int32), make(map[string]int32)
	}
	file := func(m map[string]int32, k string, n int32) {
		if _, ok := m[k]; ok {
			n = leanSeveral
		}
		m[k] = n
	}
	for i, u := range page {
		n := int32(len(x.users))
		x.users = append(x.users, u)
		file(x.byAddr, keys[i], n)
		if u.OriginID != "" {
			file(x.byOrigin, u.OriginID, n)
		}
	}
}

func (x *leanIndex) addMembers(page []graph.User) {
	ps := make([]leanPerson, 0, len(page))
	for k := range page {
		m := &page[k]
		if !m.AccountEnabled || strings.EqualFold(strings.TrimSpace(m.UserType), "Guest") {
			continue
		}
		if addrs := leanAddresses(m); addrs != nil && strings.HasSuffix(addrs[0], "@"+leanDomain) {
			ps = append(ps, leanPerson{m, addrs})
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.seen == nil {
		x.seen, x.owners = make(map[string]bool), make(map[string]int32)
	}
	for _, p := range ps {
		if x.seen[p.m.ID] {
			continue
		}
		x.seen[p.m.ID] = true
		for _, a := range p.addrs {
			x.owners[a]++
		}
		x.people = append(x.people, p)
	}
}

// batches decides every eligible member and hands the users/sync entries to
// send, 1,000 at a time, as soon as a batch is full. Call it after the reads.
func (x *leanIndex) batches(send func([]leanSync)) {
	batch := make([]leanSync, 0, 1000)
	for _, p := range x.people {
		if x.owners[p.addrs[0]] > 1 {
			continue
		}
		match, via, conflict := int32(-1), false, false
		for _, a := range p.addrs {
			u, ok := x.byAddr[a]
			if !ok {
				continue
			}
			if u == leanSeveral || x.owners[a] > 1 || match >= 0 && match != u {
				conflict = true
				break
			}
			match, via = u, true
		}
		if o, ok := x.byOrigin[p.m.ID]; ok && !conflict {
			conflict = o == leanSeveral || match >= 0 && match != o
			match = o
		}
		switch {
		case conflict:
			continue
		case match < 0:
			first, last := leanNames(p.m, p.addrs[0])
			batch = append(batch, leanSync{Email: p.addrs[0], FirstName: first, LastName: last, OriginID: p.m.ID, IsEmployee: true, IsActive: true})
		case via && !x.users[match].IsActive && (x.users[match].OriginID == "" || x.users[match].OriginID == p.m.ID):
			batch = append(batch, leanSync{ID: x.users[match].ID, IsActive: true})
		default:
			continue
		}
		if len(batch) == 1000 {
			send(batch)
			batch = make([]leanSync, 0, 1000)
		}
	}
	if len(batch) > 0 {
		send(batch)
	}
}

// leanAddresses returns a member's address (mail, else the UPN; never a
// guest UPN) and then its aliases, lower-cased, each once; nil when the
// address is not usable.
func leanAddresses(m *graph.User) []string {
	usable := func(v string) bool {
		return v != "" && !(strings.Contains(v, "#") && strings.Contains(strings.ToUpper(v), "#EXT#"))
	}
	mail, upn := strings.TrimSpace(m.Mail), strings.TrimSpace(m.UserPrincipalName)
	first, other := mail, upn
	if !usable(mail) {
		first, other = upn, ""
	}
	a, ok := roster.NormalizeAddress(first)
	if !usable(first) || !ok {
		return nil
	}
	addrs := []string{a}
	add := func(v string) {
		if a, ok := roster.NormalizeAddress(v); ok && usable(v) {
			for _, x := range addrs {
				if x == a {
					return
				}
			}
			addrs = append(addrs, a)
		}
	}
	add(other)
	for _, p := range m.ProxyAddresses {
		if p = strings.TrimSpace(p); len(p) > 5 && strings.EqualFold(p[:5], "smtp:") {
			add(p[5:])
		}
	}
	return addrs
}

// leanNames are the names a create writes: Entra's given name and
// surname, else the display name's, else the address's local part.
func leanNames(m *graph.User, addr string) (first, last string) {
	first, last = strings.Join(strings.Fields(m.GivenName), " "), strings.Join(strings.Fields(m.Surname), " ")
	if last != "" {
		return first, last
	}
	display := strings.Join(strings.Fields(m.DisplayName), " ")
	if display == "" {
		return first, addr[:strings.LastIndexByte(addr, '@')]
	}
	if before, after, ok := strings.Cut(display, ","); ok && strings.TrimSpace(before) != "" {
		last, display = strings.TrimSpace(before), strings.TrimSpace(after)
	} else if i := strings.LastIndexByte(display, ' '); i > 0 {
		last, display = display[i+1:], display[:i]
	} else {
		last, display = display, ""
	}
	if first == "" {
		first = display
	}
	return first, last
}
