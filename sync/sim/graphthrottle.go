package sim

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Graph's directory ("identity and access") throttling, as Microsoft
// documents it: every request costs resource units, and an application may
// spend a fixed number of them per tenant in any 10 seconds. Past that,
// Graph answers 429 TooManyRequests with Retry-After. The simulator serves
// one tenant, so the budget is kept per application (client id).

// GraphResourceWindow is the span over which Graph's resource-unit budget
// is counted.
const GraphResourceWindow = 10 * time.Second

// The documented resource-unit budgets of an application+tenant pair per
// GraphResourceWindow, by tenant size.
const (
	// GraphResourceUnitsSmall is the budget in a tenant under 50 users.
	GraphResourceUnitsSmall = 3500
	// GraphResourceUnitsMedium is the budget in a tenant of 50 to 500 users.
	GraphResourceUnitsMedium = 5000
	// GraphResourceUnitsLarge is the budget in a tenant above 500 users.
	GraphResourceUnitsLarge = 8000
	// GraphResourceUnitsAuto, as Options.GraphResourceUnits, picks the
	// documented budget for the served tenant's number of users.
	GraphResourceUnitsAuto = -1
)

// GraphResourceUnitsFor is the documented budget of a tenant with that
// many users.
func GraphResourceUnitsFor(users int) int {
	switch {
	case users < 50:
		return GraphResourceUnitsSmall
	case users <= 500:
		return GraphResourceUnitsMedium
	default:
		return GraphResourceUnitsLarge
	}
}

// GraphCost is the resource-unit cost of a Graph request, per Microsoft's
// table of base costs: GET groups/{id}/members 3, transitiveMembers 5,
// subscribedSkus 3, users (the list) 2, and any other directory request 1
// (so listing groups and reading one group cost 1; the table does not list
// them). $select takes one off, $expand adds one, $top below 20 takes one
// off, and no request costs less than 1. path is relative to the version
// ("groups/{id}/members/microsoft.graph.user"). Two kinds of requests are
// free here: $batch itself, whose parts are charged one by one, and mail
// (sendMail, and drafts with their attachments and send), which Outlook
// serves under limits of its own (per mailbox, not modelled).
func GraphCost(method, path string, q url.Values) int {
	path = strings.Trim(path, "/")
	seg := strings.Split(path, "/")
	if path == "$batch" || seg[len(seg)-1] == "sendMail" || (len(seg) >= 3 && seg[2] == "messages") || (len(seg) >= 2 && seg[0] == "me" && seg[1] == "messages") {
		return 0
	}
	cost := 1
	if method == http.MethodGet {
		switch {
		case seg[0] == "groups" && len(seg) >= 3 && seg[2] == "members":
			cost = 3
		case seg[0] == "groups" && len(seg) >= 3 && seg[2] == "transitiveMembers":
			cost = 5
		case path == "subscribedSkus":
			cost = 3
		case path == "users":
			cost = 2
		}
	}
	if odataOpt(q, "select") != "" {
		cost--
	}
	if odataOpt(q, "expand") != "" {
		cost++
	}
	if top, err := strconv.Atoi(odataOpt(q, "top")); err == nil && top < 20 {
		cost--
	}
	return max(cost, 1)
}

// ruSpend is one charged request: when, and how many units.
type ruSpend struct {
	at   time.Time
	cost int
}

// graphBudget is the resource units spent per client id in the current
// window, oldest first. It has its own lock so that charging never waits
// on s.mu, which page building holds.
type graphBudget struct {
	mu        sync.Mutex
	units     int // per GraphResourceWindow; 0 means no budget
	spent     map[string][]ruSpend
	throttled int
}

func (b *graphBudget) init(units, users int) {
	if units == GraphResourceUnitsAuto {
		units = GraphResourceUnitsFor(users)
	}
	b.units = max(units, 0)
	b.spent = map[string][]ruSpend{}
}

// charge spends the cost of a request of clientID at now. It reports the
// units then in use and, when the budget cannot take the request, how
// long until it can (a throttled request spends nothing, as with Graph).
func (b *graphBudget) charge(clientID string, cost int, now time.Time) (used int, wait time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	list := b.spent[clientID]
	i := 0
	for i < len(list) && !now.Before(list[i].at.Add(GraphResourceWindow)) {
		i++
	}
	list = list[i:]
	for _, e := range list {
		used += e.cost
	}
	// A request dearer than the whole budget would never pass; it passes
	// on an empty window instead.
	need := min(cost, b.units)
	if over := used + need - b.units; over > 0 {
		b.spent[clientID] = list
		b.throttled++
		for _, e := range list {
			if over -= e.cost; over <= 0 {
				return used, e.at.Add(GraphResourceWindow).Sub(now), false
			}
		}
		return used, GraphResourceWindow, false // not reached: over <= used
	}
	b.spent[clientID] = append(list, ruSpend{at: now, cost: cost})
	return used + cost, 0, true
}

// GraphThrottled counts the Graph requests refused so far because their
// application's resource-unit budget was spent (Options.GraphResourceUnits).
// Injected 429 faults are counted by FaultsInjected instead.
func (s *Sim) GraphThrottled() int {
	s.gb.mu.Lock()
	defer s.gb.mu.Unlock()
	return s.gb.throttled
}

// GraphResourceUnits is the resource-unit budget per GraphResourceWindow
// in force, 0 when Graph is not throttled by cost.
func (s *Sim) GraphResourceUnits() int {
	return s.gb.units
}

// chargeGraph charges g to its application's budget. When the budget is
// spent it answers 429 TooManyRequests itself, with Retry-After in whole
// seconds until enough units free up, and reports false. Answers carry
// the headers Graph documents for directory requests: x-ms-resource-unit,
// and x-ms-throttle-limit-percentage past 80% of the budget.
func (s *Sim) chargeGraph(g *graphReq) bool {
	if s.gb.units <= 0 {
		return true
	}
	cost := GraphCost(g.r.Method, g.path, g.q)
	if cost == 0 {
		return true
	}
	used, wait, ok := s.gb.charge(g.tok.clientID, cost, s.now())
	h := g.w.Header()
	if !ok {
		secs := max(int(math.Ceil(wait.Seconds())), 1)
		h.Set("Retry-After", strconv.Itoa(secs))
		h.Set("x-ms-throttle-scope", "Tenant_Application/Read/"+g.tok.clientID+"/"+TenantGUID)
		h.Set("x-ms-throttle-information", "ResourceUnitLimitExceeded")
		g.fail(s, http.StatusTooManyRequests, "TooManyRequests", "Too many requests. Please try again later.")
		return false
	}
	h.Set("x-ms-resource-unit", strconv.Itoa(cost))
	if pct := float64(used) / float64(s.gb.units); pct > 0.8 {
		h.Set("x-ms-throttle-limit-percentage", fmt.Sprintf("%.1f", min(pct, 1.8)))
	}
	return true
}
