package provision

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"procsync/sync/procore"
	"procsync/sync/roster"
)

// ApplyOptions configure Apply.
type ApplyOptions struct {
	// Procore is the client that writes. Required.
	Procore *procore.Client
	// Journal receives every intent before its request and every outcome
	// after; nil applies without a journal (tests, the sandbox explorer).
	Journal Journal
	// ProjectIDs are the projects every new user is added to, with
	// PermissionTemplateID (0: each project's default). The plan's
	// project_add rows ([[projects]] rules) carry their own template.
	ProjectIDs           []int64
	PermissionTemplateID int64
	// IsEmployee is written on creation.
	IsEmployee bool
	// BatchSize bounds a sync request; 0 or more than procore.MaxSyncBatch
	// means procore.MaxSyncBatch, and then, with InFlight > 1, the first
	// request (the one that goes alone) carries at most probeBatch users.
	BatchSize int
	// Concurrency bounds the one-POST-per-user fallback; 0 means
	// DefaultFallbackConcurrency.
	Concurrency int
	// InFlight bounds the sync batches (and project bulk adds) sent at
	// once; 0 means 1, one after another. Each batch's intents are still
	// journaled before its request, and the next batch's while it is in
	// flight.
	InFlight int
	// Listed are records journaled alongside the apply as they are: the
	// plan's rows it does not send (planned). Nothing waits on them, so
	// they are written once the first request is on its way.
	Listed []roster.Record
	// InFlightTimeout bounds a request that cancellation lets finish;
	// 0 means DefaultInFlightTimeout.
	InFlightTimeout time.Duration
	// Progress, if set, gets one event per action outcome. Calls are
	// serialised; it must not block long.
	Progress func(roster.ApplyProgress)
}

// DefaultFallbackConcurrency is how many single-user POSTs the fallback
// sends at once: few enough to stay inside Procore's spike limit.
const DefaultFallbackConcurrency = 4

// DefaultInFlightTimeout bounds the request allowed to finish after a cancel.
const DefaultInFlightTimeout = 2 * time.Minute

// probeBatch is the size of the first sync request when batches go in
// flight together at the default size. That request goes alone: its answer
// says whether users/sync is allowed at all (403: one POST per user) and
// what the rate limit is. Procore's time on a batch grows with its size, so
// a small first request lets the full batches start sooner.
const probeBatch = 100

// fallbackRetries is how many times the fallback re-sends a POST whose
// answer was lost or refused for the moment, after checking the directory.
const fallbackRetries = 3

// ApplyResult is what Apply did.
type ApplyResult struct {
	// Results hold one outcome per approved action, in plan order, with
	// the action's Index.
	Results []roster.Record
	// Fallback is set when the sync endpoint was refused (403) and users
	// were written one request each.
	Fallback bool
	// ProjectErrors lists project memberships that could not be added.
	ProjectErrors []string
	// Memberships are the new users' project memberships of
	// ApplyOptions.ProjectIDs (KindProjectAdd, ProcoreID the user), one per
	// created user and configured project, in plan order; the outcome of a
	// plan's project_add row is in Results instead. Each one is journaled
	// as an intent; a failed one stays open in the journal and the next
	// run's Reconcile adds it.
	Memberships []roster.Record
}

// ResultCursor finds the outcomes of plan actions asked for in plan order
// (Next) without a search each: Results are in plan order too.
type ResultCursor struct {
	results []roster.Record
	k       int
}

// Cursor returns a cursor at the start of the results; r may be nil (no
// apply), and then nothing has an outcome.
func (r *ApplyResult) Cursor() ResultCursor {
	if r == nil {
		return ResultCursor{}
	}
	return ResultCursor{results: r.Results}
}

// Next returns the outcome of plan action i, if it was approved; each
// call's i must be larger than the last's.
func (c *ResultCursor) Next(i int) (roster.Record, bool) {
	for c.k < len(c.results) && c.results[c.k].Index < i {
		c.k++
	}
	if c.k < len(c.results) && c.results[c.k].Index == i {
		return c.results[c.k], true
	}
	return roster.Record{}, false
}

// Counts returns the number of results per status.
func (r *ApplyResult) Counts() map[roster.Status]int {
	c := map[roster.Status]int{}
	for _, x := range r.Results {
		c[x.Status]++
	}
	return c
}

// ErrCancelledText is the outcome error of intents never sent because the
// apply was cancelled.
const ErrCancelledText = "cancelled"

type applyItem struct {
	a *roster.Action
	// res is the outcome; its ID is the intent's journal id.
	res roster.Record
	// unknown is set when a request failed in a way that may or may not
	// have taken effect; the directory decides.
	unknown bool
	// adds are a create's project memberships, journaled with the intents
	// so that no crash can lose them.
	adds []*membership
	// journaled is set once the intent (and its adds) are in the journal.
	journaled bool
}

type applier struct {
	ctx  context.Context
	opts ApplyOptions
	pc   *procore.Client

	mu    sync.Mutex
	done  int
	total int
	res   *ApplyResult
	// stopErr is why no further batch is sent (under mu).
	stopErr error

	// direct are the memberships of existing users (project_add rows not
	// riding on a create), sent after the user writes.
	direct []*membership
	// jmu serialises the journal's writes: batches in flight record their
	// outcomes while the next batch's intents are written, and SQLite
	// takes one writer at a time anyway (a Go mutex waits without the
	// busy handler's sleeps).
	jmu sync.Mutex
	// listed counts the opts.Listed already journaled (coordinator only).
	listed int
	// outq are outcomes of sent batches handed over to the journal's
	// writer (under mu), outReady its wake-up; see sendBatches.
	outq     []*applyItem
	outReady chan struct{}
	// fbmu makes batches that fall back to one POST per user do so one
	// batch at a time, so that opts.Concurrency bounds the POSTs.
	fbmu sync.Mutex
}

// Apply carries out the plan's approved actions. Creates, reactivations,
// updates and (approved) deactivations go through Procore's company-user
// sync endpoint in batches, creates keyed by origin_id = Entra object id so
// that a repeated batch updates instead of duplicating. If that endpoint is
// refused (403), users are written one request each with bounded
// concurrency, and the directory is re-read before any retry. New users are
// then added to opts.ProjectIDs, and the approved project_add rows'
// people to their projects, in bulk (projects.go).
//
// Every intent is journaled before its request and its outcome after. When
// ctx is cancelled the request in flight finishes (bounded by
// InFlightTimeout), the unsent intents get outcome skipped ("cancelled"),
// and Apply returns the partial result with ctx.Err().
func Apply(ctx context.Context, plan *roster.Plan, opts ApplyOptions) (*ApplyResult, error) {
	if opts.Procore == nil {
		return nil, errors.New("apply: no Procore client")
	}
	// The first batch goes alone (sendBatches); with batches in flight and
	// the default size it is a probe of probeBatch users, so that the
	// batches behind it wait for a small request, not Procore's largest.
	first := opts.BatchSize
	if opts.BatchSize <= 0 || opts.BatchSize > procore.MaxSyncBatch {
		opts.BatchSize = procore.MaxSyncBatch
		first = opts.BatchSize
		if opts.InFlight > 1 {
			first = probeBatch
		}
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultFallbackConcurrency
	}
	if opts.InFlightTimeout <= 0 {
		opts.InFlightTimeout = DefaultInFlightTimeout
	}
	if opts.InFlight <= 0 {
		opts.InFlight = 1
	}
	ap := &applier{ctx: ctx, opts: opts, pc: opts.Procore, res: &ApplyResult{}}

	// The plan's project_add rows are not user writes: they ride on the
	// creates they belong to, or go out in bulk adds after the writes.
	var items, rows []*applyItem
	n := 0
	for i := range plan.Actions {
		if a := &plan.Actions[i]; a.Approved && plan.CanApprove(a) {
			n++
		}
	}
	// One allocation for all of them: at 100,000 members this loop stands
	// between the plan and the first write, and tens of thousands of small
	// allocations there met the garbage collector at its busiest.
	slab := make([]applyItem, 0, n)
	for i := range plan.Actions {
		a := &plan.Actions[i]
		if a.Approved && plan.CanApprove(a) {
			res := roster.RecordOf(a, "")
			res.Index = i
			slab = append(slab, applyItem{a: a, res: res})
			it := &slab[len(slab)-1]
			if a.Kind == roster.KindProjectAdd {
				rows = append(rows, it)
				continue
			}
			items = append(items, it)
		}
	}
	ap.total = len(items) + len(rows)
	defer func() { ap.collect(items, rows) }()
	for _, it := range items {
		if it.a.Kind != roster.KindCreate {
			continue
		}
		for _, pid := range opts.ProjectIDs {
			it.adds = append(it.adds, newMembership(it.a, pid, opts.PermissionTemplateID))
		}
	}
	ap.attachRows(items, rows)
	if len(items) == 0 {
		if len(rows) == 0 {
			return ap.res, ap.recordListed(len(opts.Listed))
		}
		// Only memberships of existing users: no user write comes first.
		var err error
		if ctx.Err() == nil {
			err = ap.addNewUsersToProjects(nil)
		}
		ap.settleMemberships(nil, "not sent: the apply stopped early; the next run plans it again")
		return ap.res, errors.Join(err, ap.recordListed(len(opts.Listed)), ctx.Err())
	}
	batches := [][]*applyItem{items[:min(first, len(items))]}
	for start := len(batches[0]); start < len(items); start += opts.BatchSize {
		batches = append(batches, items[start:min(start+opts.BatchSize, len(items))])
	}
	// Only the first batch's intents stand between the plan and the first
	// request; the others are journaled while earlier batches are in
	// flight.
	if err := ap.recordIntents(batches[0]); err != nil {
		return ap.res, errors.Join(err, ap.recordListed(len(opts.Listed)))
	}
	// Runs after every return below (before the results are collected):
	// memberships a cancel or an error kept from being sent get an outcome
	// that the next run acts on.
	defer func() {
		why := "not sent: the apply was cancelled; the next run adds it"
		if ctx.Err() == nil {
			why = "not sent: the apply stopped early; the next run adds it"
		}
		ap.settleMemberships(items, why)
	}()

	if err := ap.sendBatches(batches); err != nil {
		return ap.res, err
	}
	if err := ctx.Err(); err != nil {
		return ap.res, err
	}
	if err := ap.addNewUsersToProjects(items); err != nil {
		return ap.res, err
	}
	return ap.res, nil
}

var errSyncForbidden = errors.New("sync endpoint refused (403)")

// inFlight returns the context of a request that must finish even if the
// run is cancelled: stopping halfway would leave its effect unknown.
func (ap *applier) inFlight() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ap.ctx), ap.opts.InFlightTimeout)
}

// journalCtx is for journal writes, which must land even after a cancel,
// or the journal would stop telling the truth.
func (ap *applier) journalCtx() context.Context { return context.WithoutCancel(ap.ctx) }

func (ap *applier) recordIntents(items []*applyItem) error {
	if ap.opts.Journal == nil || len(items) == 0 {
		return nil
	}
	ap.jmu.Lock()
	defer ap.jmu.Unlock()
	// The memberships are journaled (planned) in the same transaction as
	// the creates: whatever happens after, the journal knows they are owed.
	intents := make([]roster.Record, 0, len(items))
	for _, it := range items {
		intents = append(intents, roster.RecordOf(it.a, roster.StatusPlanned))
	}
	for _, it := range items {
		for _, m := range it.adds {
			in := m.Record
			in.Status = roster.StatusPlanned
			intents = append(intents, in)
		}
	}
	ids, err := ap.opts.Journal.RecordIntents(ap.journalCtx(), intents)
	if err != nil {
		return fmt.Errorf("apply: journal intents: %w", err)
	}
	if len(ids) != len(intents) {
		return fmt.Errorf("apply: journal returned %d ids for %d intents", len(ids), len(intents))
	}
	for i, it := range items {
		it.res.ID, it.journaled = ids[i], true
	}
	k := len(items)
	for _, it := range items {
		for _, m := range it.adds {
			m.ID = ids[k]
			k++
		}
	}
	return nil
}

func (ap *applier) markPending(items []*applyItem) error {
	if ap.opts.Journal == nil {
		return nil
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.res.ID
	}
	ap.jmu.Lock()
	defer ap.jmu.Unlock()
	if err := ap.opts.Journal.MarkPending(ap.journalCtx(), ids); err != nil {
		return fmt.Errorf("apply: journal %d intents as pending: %w", len(ids), err)
	}
	return nil
}

// record journals the items' outcomes in one transaction, then reports them.
func (ap *applier) record(items []*applyItem) error {
	if ap.opts.Journal != nil {
		outs := make([]roster.Record, len(items))
		for i, it := range items {
			outs[i] = it.res
		}
		ap.jmu.Lock()
		err := ap.opts.Journal.RecordOutcomes(ap.journalCtx(), outs)
		ap.jmu.Unlock()
		if err != nil {
			return fmt.Errorf("apply: journal %d outcomes: %w", len(outs), err)
		}
	}
	for _, it := range items {
		ap.emit(it)
	}
	return nil
}

func (ap *applier) emit(it *applyItem) {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	ap.done++
	if ap.opts.Progress == nil {
		return
	}
	rl := ap.pc.RateLimit()
	ap.opts.Progress(roster.ApplyProgress{Record: it.res, Done: ap.done, Total: ap.total,
		RateLimitRemaining: rl.Remaining, RateLimitLimit: rl.Limit})
}

func (ap *applier) cancelRest(rest []*applyItem, cause error) error {
	if err := ap.cancelRestWith(rest, ErrCancelledText); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// cancelRestWith gives intents that were never sent the outcome skipped,
// journaling first those whose batch had not been journaled yet.
func (ap *applier) cancelRestWith(rest []*applyItem, why string) error {
	if len(rest) == 0 {
		return nil
	}
	var unjournaled []*applyItem
	for _, it := range rest {
		if !it.journaled {
			unjournaled = append(unjournaled, it)
		}
	}
	if err := ap.recordIntents(unjournaled); err != nil {
		return err
	}
	for _, it := range rest {
		it.res.Status, it.res.Error = roster.StatusSkipped, why
	}
	return ap.record(rest)
}
