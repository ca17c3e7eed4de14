package sync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	stdsync "sync"
	"time"

	"golang.org/x/sync/errgroup"

	"procsync/sync/procore"
)

// ApplyOptions configure Apply.
type ApplyOptions struct {
	// Procore is the client that writes. Required.
	Procore *procore.Client
	// Journal receives every intent before its request and every outcome
	// after; nil applies without a journal (tests, the sandbox explorer).
	Journal Journal
	// ProjectIDs are the projects new users are added to, with
	// PermissionTemplateID (0: each project's default).
	ProjectIDs           []int64
	PermissionTemplateID int64
	// IsEmployee is written on creation.
	IsEmployee bool
	// BatchSize bounds a sync request; 0 or more than procore.MaxSyncBatch
	// means procore.MaxSyncBatch.
	BatchSize int
	// Concurrency bounds the one-POST-per-user fallback; 0 means
	// DefaultFallbackConcurrency.
	Concurrency int
	// InFlightTimeout bounds a request that cancellation lets finish;
	// 0 means DefaultInFlightTimeout.
	InFlightTimeout time.Duration
	// Progress, if set, gets one event per action outcome. Calls are
	// serialised; it must not block long.
	Progress func(ApplyEvent)
}

// DefaultFallbackConcurrency is how many single-user POSTs the fallback
// sends at once: few enough to stay inside Procore's spike limit.
const DefaultFallbackConcurrency = 4

// DefaultInFlightTimeout bounds the request allowed to finish after a cancel.
const DefaultInFlightTimeout = 2 * time.Minute

// fallbackRetries is how many times the fallback re-sends a POST whose
// answer was lost or refused for the moment, after checking the directory.
const fallbackRetries = 3

// ApplyEvent reports one action's outcome while Apply runs.
type ApplyEvent struct {
	// Index is the action's index in Plan.Actions.
	Index     int
	Kind      Kind
	Address   string
	Status    Status
	ProcoreID int64
	Error     string
	// Done of Total approved actions have an outcome.
	Done, Total int
	// RateLimit is Procore's budget as last announced.
	RateLimit procore.RateLimit
}

// ActionResult is the outcome of one approved action.
type ActionResult struct {
	// Index is the action's index in Plan.Actions.
	Index     int
	Status    Status
	ProcoreID int64
	// Error is why the action failed or was skipped; for a done create it
	// may say that adding the user to a project failed.
	Error     string
	RequestID string
}

// ApplyResult is what Apply did.
type ApplyResult struct {
	// Results hold one entry per approved action, in plan order.
	Results []ActionResult
	// Fallback is set when the sync endpoint was refused (403) and users
	// were written one request each.
	Fallback bool
	// ProjectErrors lists project memberships that could not be added.
	ProjectErrors []string
	// Memberships are the new users' project memberships, one per created
	// user and configured project, in plan order. Each one is journaled as a
	// KindProjectAdd intent; a failed one stays open in the journal and the
	// next run's Reconcile adds it.
	Memberships []MembershipResult
}

// Result returns the result for plan action i, if it was approved.
func (r *ApplyResult) Result(i int) (ActionResult, bool) {
	// Results are in plan order, so sorted by Index.
	k, ok := slices.BinarySearchFunc(r.Results, i, func(x ActionResult, i int) int { return cmp.Compare(x.Index, i) })
	if !ok {
		return ActionResult{}, false
	}
	return r.Results[k], true
}

// Counts returns the number of results per status.
func (r *ApplyResult) Counts() map[Status]int {
	c := map[Status]int{}
	for _, x := range r.Results {
		c[x.Status]++
	}
	return c
}

// ErrCancelledText is the outcome error of intents never sent because the
// apply was cancelled.
const ErrCancelledText = "cancelled"

type applyItem struct {
	a   *Action
	jid int64
	res ActionResult
	// unknown is set when a request failed in a way that may or may not
	// have taken effect; the directory decides.
	unknown bool
	// adds are a create's project memberships, journaled with the intents
	// so that no crash can lose them.
	adds []*MembershipResult
}

type applier struct {
	ctx  context.Context
	opts ApplyOptions
	pc   *procore.Client

	mu    stdsync.Mutex
	done  int
	total int
	res   *ApplyResult
}

// Apply carries out the plan's approved actions. Creates, reactivations,
// updates and (approved) deactivations go through Procore's company-user
// sync endpoint in batches, creates keyed by origin_id = Entra object id so
// that a repeated batch updates instead of duplicating. If that endpoint is
// refused (403), users are written one request each with bounded
// concurrency, and the directory is re-read before any retry. New users are
// then added to opts.ProjectIDs.
//
// Every intent is journaled before its request and its outcome after. When
// ctx is cancelled the request in flight finishes (bounded by
// InFlightTimeout), the unsent intents get outcome skipped ("cancelled"),
// and Apply returns the partial result with ctx.Err().
func Apply(ctx context.Context, plan *Plan, opts ApplyOptions) (*ApplyResult, error) {
	if opts.Procore == nil {
		return nil, errors.New("apply: no Procore client")
	}
	if opts.BatchSize <= 0 || opts.BatchSize > procore.MaxSyncBatch {
		opts.BatchSize = procore.MaxSyncBatch
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultFallbackConcurrency
	}
	if opts.InFlightTimeout <= 0 {
		opts.InFlightTimeout = DefaultInFlightTimeout
	}
	ap := &applier{ctx: ctx, opts: opts, pc: opts.Procore, res: &ApplyResult{}}

	var items []*applyItem
	for i := range plan.Actions {
		a := &plan.Actions[i]
		if a.Approved && plan.CanApprove(a) {
			items = append(items, &applyItem{a: a, res: ActionResult{Index: i}})
		}
	}
	ap.total = len(items)
	defer func() {
		for _, it := range items {
			ap.res.Results = append(ap.res.Results, it.res)
			for _, m := range it.adds {
				ap.res.Memberships = append(ap.res.Memberships, *m)
			}
		}
	}()
	if len(items) == 0 {
		return ap.res, nil
	}
	for _, it := range items {
		if it.a.Kind != KindCreate {
			continue
		}
		for _, pid := range opts.ProjectIDs {
			m := &MembershipResult{ProjectID: pid, Address: it.a.Address, FirstName: it.a.FirstName, LastName: it.a.LastName}
			if it.a.Member != nil {
				m.EntraID = it.a.Member.ID
			}
			it.adds = append(it.adds, m)
		}
	}
	if err := ap.recordIntents(items); err != nil {
		return ap.res, err
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

	fallback := false
	for start := 0; start < len(items); start += opts.BatchSize {
		batch := items[start:min(start+opts.BatchSize, len(items))]
		if err := ctx.Err(); err != nil {
			return ap.res, ap.cancelRest(items[start:], err)
		}
		var err error
		if !fallback {
			err = ap.syncBatch(batch)
			if errors.Is(err, errSyncForbidden) {
				fallback, ap.res.Fallback = true, true
				err = nil
			}
		}
		if fallback {
			err = ap.fallback(batch)
		}
		if err != nil {
			rest := items[min(start+opts.BatchSize, len(items)):]
			if ctx.Err() != nil {
				return ap.res, ap.cancelRest(rest, ctx.Err())
			}
			if jerr := ap.cancelRestWith(rest, "not sent: "+err.Error()); jerr != nil {
				err = errors.Join(err, jerr)
			}
			return ap.res, err
		}
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
	if ap.opts.Journal == nil {
		return nil
	}
	// The memberships are journaled (planned) in the same transaction as
	// the creates: whatever happens after, the journal knows they are owed.
	intents := make([]Intent, 0, len(items))
	for _, it := range items {
		intents = append(intents, IntentOf(it.a, StatusPlanned))
	}
	for _, it := range items {
		for _, m := range it.adds {
			intents = append(intents, m.Intent(StatusPlanned))
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
		it.jid = ids[i]
	}
	k := len(items)
	for _, it := range items {
		for _, m := range it.adds {
			m.JournalID = ids[k]
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
		ids[i] = it.jid
	}
	if err := ap.opts.Journal.MarkPending(ap.journalCtx(), ids); err != nil {
		return fmt.Errorf("apply: journal %d intents as pending: %w", len(ids), err)
	}
	return nil
}

// record journals the items' outcomes in one transaction, then reports them.
func (ap *applier) record(items []*applyItem) error {
	if ap.opts.Journal != nil {
		outs := make([]Outcome, len(items))
		for i, it := range items {
			outs[i] = Outcome{ID: it.jid, Status: it.res.Status, ProcoreID: it.res.ProcoreID, Error: it.res.Error, RequestID: it.res.RequestID}
		}
		if err := ap.opts.Journal.RecordOutcomes(ap.journalCtx(), outs); err != nil {
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
	ap.opts.Progress(ApplyEvent{
		Index: it.res.Index, Kind: it.a.Kind, Address: it.a.Address, Status: it.res.Status,
		ProcoreID: it.res.ProcoreID, Error: it.res.Error, Done: ap.done, Total: ap.total,
		RateLimit: ap.pc.RateLimit(),
	})
}

func (ap *applier) cancelRest(rest []*applyItem, cause error) error {
	if err := ap.cancelRestWith(rest, ErrCancelledText); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// cancelRestWith gives intents that were never sent the outcome skipped.
func (ap *applier) cancelRestWith(rest []*applyItem, why string) error {
	if len(rest) == 0 {
		return nil
	}
	for _, it := range rest {
		it.res.Status, it.res.Error = StatusSkipped, why
	}
	return ap.record(rest)
}

func (ap *applier) isEmployee() *bool {
	v := ap.opts.IsEmployee
	return &v
}

// syncEntry is the sync endpoint entry for an action: creates keyed by
// origin_id, everything else by the Procore id.
func (ap *applier) syncEntry(a *Action) procore.SyncUser {
	yes, no := true, false
	switch a.Kind {
	case KindCreate:
		return procore.SyncUser{UserInput: ap.createInput(a)}
	case KindReactivate:
		return procore.SyncUser{ID: a.User.ID, UserInput: procore.UserInput{IsActive: &yes}}
	case KindUpdate:
		return procore.SyncUser{ID: a.User.ID, UserInput: procore.UserInput{FirstName: a.FirstName, LastName: a.LastName}}
	default: // KindOffboard
		return procore.SyncUser{ID: a.User.ID, UserInput: procore.UserInput{IsActive: &no}}
	}
}

func (ap *applier) createInput(a *Action) procore.UserInput {
	yes := true
	return procore.UserInput{
		EmailAddress: a.Address, FirstName: a.FirstName, LastName: a.LastName,
		OriginID: a.Member.ID, IsEmployee: ap.isEmployee(), IsActive: &yes,
	}
}

func statusOf(err error) int {
	var pe *procore.Error
	if errors.As(err, &pe) {
		return pe.Status
	}
	return 0
}

func requestIDOf(err error) string {
	var pe *procore.Error
	if errors.As(err, &pe) {
		return pe.RequestID
	}
	return ""
}

// syncBatch sends one batch to the sync endpoint and reads back each
// user's entity or error.
func (ap *applier) syncBatch(batch []*applyItem) error {
	entries := make([]procore.SyncUser, len(batch))
	for i, it := range batch {
		entries[i] = ap.syncEntry(it.a)
	}
	if err := ap.markPending(batch); err != nil {
		return err
	}
	rctx, cancel := ap.inFlight()
	out, err := ap.pc.SyncUsers(rctx, entries)
	cancel()
	if err != nil {
		switch statusOf(err) {
		case http.StatusForbidden:
			// The batch was refused before anything happened; the
			// fallback sends it again one user at a time.
			return errSyncForbidden
		case http.StatusUnauthorized:
			for _, it := range batch {
				it.res.Status, it.res.Error, it.res.RequestID = StatusFailed, err.Error(), requestIDOf(err)
			}
			if jerr := ap.record(batch); jerr != nil {
				return errors.Join(err, jerr)
			}
			return err
		}
		// The batch may or may not have landed (a lost answer, retries
		// exhausted): only the directory can tell.
		return ap.verify(batch, err)
	}
	ix := newSyncIndex(out)
	for _, it := range batch {
		it.res.Status, it.res.Error = StatusFailed, "Procore answered the sync request without an entry for this user"
		if u, ok := ix.entity(it.a); ok {
			it.res.Status, it.res.ProcoreID, it.res.Error = StatusDone, u.ID, ""
		} else if e, ok := ix.failure(it.a); ok {
			it.res.Error = fmt.Sprintf("procore: %s %s: %s", it.a.Kind, it.a.Address, e.Message())
		}
	}
	return ap.record(batch)
}

// verify settles a batch whose request failed without a clear answer by
// reading the directory: done where the effect is there, failed otherwise.
// If the directory cannot be read either, the intents stay pending for the
// next run's Reconcile, and the error is returned.
func (ap *applier) verify(batch []*applyItem, cause error) error {
	dir, err := ap.readDirectory()
	if err != nil {
		return fmt.Errorf("%w; checking the directory afterwards also failed (%v), so the next run reconciles these %d users", cause, err, len(batch))
	}
	for _, it := range batch {
		if id, ok := dir.effect(IntentOf(it.a, "")); ok {
			it.res.Status, it.res.ProcoreID, it.res.Error = StatusDone, id, ""
		} else {
			it.res.Status, it.res.Error, it.res.RequestID = StatusFailed, cause.Error(), requestIDOf(cause)
		}
	}
	return ap.record(batch)
}

func (ap *applier) readDirectory() (*directory, error) {
	rctx, cancel := ap.inFlight()
	defer cancel()
	users, err := ap.pc.Users(rctx, nil)
	if err != nil {
		return nil, err
	}
	return newDirectory(users), nil
}

// fallback writes a batch one request per user, in chunks, so that the
// journal's pending window stays small.
func (ap *applier) fallback(batch []*applyItem) error {
	chunk := ap.opts.Concurrency * 8
	for start := 0; start < len(batch); start += chunk {
		part := batch[start:min(start+chunk, len(batch))]
		if err := ap.ctx.Err(); err != nil {
			return err
		}
		if err := ap.markPending(part); err != nil {
			return err
		}
		authErr := ap.postAll(part)
		for round := 0; round < fallbackRetries && authErr == nil; round++ {
			var unknown []*applyItem
			for _, it := range part {
				if it.unknown {
					unknown = append(unknown, it)
				}
			}
			if len(unknown) == 0 {
				break
			}
			// Before any retry, see whether the first attempt landed.
			dir, err := ap.readDirectory()
			if err != nil {
				break
			}
			var again []*applyItem
			for _, it := range unknown {
				if id, ok := dir.effect(IntentOf(it.a, "")); ok {
					it.unknown = false
					it.res.Status, it.res.ProcoreID, it.res.Error = StatusDone, id, ""
				} else if ap.ctx.Err() == nil && round < fallbackRetries-1 {
					again = append(again, it)
				} else {
					it.unknown = false
				}
			}
			authErr = ap.postAll(again)
		}
		for _, it := range part {
			// Still unknown: the directory could not be read. Failed is
			// the honest outcome only if we know; leave it to Reconcile
			// by reporting the error instead.
			if it.unknown {
				it.res.Status = StatusFailed
				it.res.Error += " (could not check the directory; the next run reconciles it)"
			}
		}
		if err := ap.record(part); err != nil {
			return err
		}
		if authErr != nil {
			return authErr
		}
	}
	return nil
}

// postAll sends one request per item with bounded concurrency. It returns
// an authentication error, which stops the apply.
func (ap *applier) postAll(items []*applyItem) error {
	if len(items) == 0 {
		return nil
	}
	var g errgroup.Group
	g.SetLimit(ap.opts.Concurrency)
	var (
		mu      stdsync.Mutex
		authErr error
	)
	for _, it := range items {
		g.Go(func() error {
			mu.Lock()
			stop := authErr != nil
			mu.Unlock()
			if stop || ap.ctx.Err() != nil {
				it.unknown = false
				it.res.Status, it.res.Error = StatusSkipped, ErrCancelledText
				if stop {
					it.res.Error = "not sent: Procore refused the credentials"
				}
				return nil
			}
			if err := ap.postOne(it); err != nil {
				mu.Lock()
				authErr = err
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	return authErr
}

// postOne writes one user. It returns an error only for a 401.
func (ap *applier) postOne(it *applyItem) error {
	rctx, cancel := ap.inFlight()
	defer cancel()
	it.unknown = false
	var (
		u   *procore.User
		err error
	)
	a := it.a
	switch a.Kind {
	case KindCreate:
		u, err = ap.pc.CreateUser(rctx, ap.createInput(a))
	case KindReactivate:
		// Procore reactivates through its own endpoint, not a PATCH of
		// is_active.
		u, err = ap.pc.ReactivateUser(rctx, a.User.ID)
	default:
		// PATCH …/users/{id} requires email_address and last_name in
		// every body: the user's current ones unless the action changes
		// them.
		e := ap.syncEntry(a)
		if e.EmailAddress == "" {
			e.EmailAddress = a.User.Email
		}
		if e.LastName == "" {
			e.LastName = a.User.LastName
		}
		u, err = ap.pc.UpdateUser(rctx, e.ID, e.UserInput)
	}
	if err == nil {
		it.res.Status, it.res.ProcoreID, it.res.Error, it.res.RequestID = StatusDone, u.ID, "", ""
		return nil
	}
	it.res.Status, it.res.Error, it.res.RequestID = StatusFailed, err.Error(), requestIDOf(err)
	st := statusOf(err)
	switch {
	case st == http.StatusUnauthorized:
		return err
	case st == 0, st >= 500, st == http.StatusTooManyRequests:
		it.unknown = true
	case a.Kind == KindCreate && procore.IsConflict(err) && strings.Contains(err.Error(), "taken"):
		// Perhaps our own earlier attempt, whose answer was lost.
		it.unknown = true
	}
	return nil
}

// addNewUsersToProjects adds the users created by this apply to the
// configured projects in bulk, journaling each membership's outcome. A
// membership that fails stays open in the journal for the next run; the
// returned error is only the journal's.
func (ap *applier) addNewUsersToProjects(items []*applyItem) error {
	var send []*MembershipResult
	for _, it := range items {
		for _, m := range it.adds {
			if it.res.Status == StatusDone && it.res.ProcoreID != 0 {
				m.UserID = it.res.ProcoreID
				send = append(send, m)
			}
		}
	}
	if len(send) == 0 {
		return nil
	}
	if ap.opts.Journal != nil {
		ids := make([]int64, len(send))
		for i, m := range send {
			ids[i] = m.JournalID
		}
		if err := ap.opts.Journal.MarkPending(ap.journalCtx(), ids); err != nil {
			return fmt.Errorf("apply: journal %d project memberships as pending: %w", len(ids), err)
		}
	}
	addMemberships(ap.ctx, ap.pc, send, ap.opts.PermissionTemplateID, false)
	return ap.recordMemberships(items)
}

// settleMemberships gives every membership still without an outcome one:
// failed (why) when its user was created, so that the next run adds it,
// and skipped when the user was not.
func (ap *applier) settleMemberships(items []*applyItem, why string) {
	for _, it := range items {
		for _, m := range it.adds {
			if m.Status != "" {
				continue
			}
			if it.res.Status == StatusDone && it.res.ProcoreID != 0 {
				m.UserID = it.res.ProcoreID
				m.Status, m.Error = StatusFailed, why
			} else {
				m.Status, m.Error = StatusSkipped, "not added: the user was not created"
			}
		}
	}
	if err := ap.recordMemberships(items); err != nil {
		ap.res.ProjectErrors = append(ap.res.ProjectErrors, err.Error())
	}
}

// recordMemberships journals the memberships that have an outcome not yet
// journaled, and notes the failures on the result and on their create.
func (ap *applier) recordMemberships(items []*applyItem) error {
	var out []*MembershipResult
	for _, it := range items {
		var failed []string
		for _, m := range it.adds {
			if m.Status == "" || m.recorded {
				continue
			}
			out = append(out, m)
			if m.Status == StatusFailed {
				failed = append(failed, fmt.Sprint(m.ProjectID))
				ap.res.ProjectErrors = append(ap.res.ProjectErrors, m.Error)
			}
		}
		if len(failed) > 0 {
			it.res.Error = fmt.Sprintf("created, but not added to project %s (the next run retries)", strings.Join(failed, ", "))
		}
	}
	var err error
	if ap.opts.Journal != nil {
		if outs := membershipOutcomes(out); len(outs) > 0 {
			if err = ap.opts.Journal.RecordOutcomes(ap.journalCtx(), outs); err != nil {
				err = fmt.Errorf("apply: journal %d project membership outcomes: %w", len(outs), err)
			}
		}
	}
	// Marked as journaled (or never to be, on a journal error), so that
	// settleMemberships does not record or count them twice.
	for _, m := range out {
		m.recorded = true
	}
	return err
}

// maxBulkAdd bounds one bulk-add request.
const maxBulkAdd = 1000

// syncIndex finds each action's entity or error in a sync answer. The
// entities are indexed like a directory read (by id, origin_id and address).
type syncIndex struct {
	*directory
	errOrigin, errKey map[string]*procore.SyncError
	errID             map[int64]*procore.SyncError
}

func newSyncIndex(out *procore.SyncResult) *syncIndex {
	ix := &syncIndex{
		directory: newDirectory(out.Entities),
		errOrigin: map[string]*procore.SyncError{}, errKey: map[string]*procore.SyncError{}, errID: map[int64]*procore.SyncError{},
	}
	for i := range out.Errors {
		e := &out.Errors[i]
		switch {
		case e.Input.ID != 0:
			ix.errID[e.Input.ID] = e
		case e.Input.OriginID != "":
			ix.errOrigin[e.Input.OriginID] = e
		default:
			ix.errKey[normAddr(e.Input.EmailAddress)] = e
		}
	}
	return ix
}

func (ix *syncIndex) entity(a *Action) (*procore.User, bool) {
	if a.Kind == KindCreate {
		if u, ok := ix.byOrigin[a.Member.ID]; ok {
			return u, true
		}
		u, ok := ix.byEmail[a.Address]
		return u, ok
	}
	u, ok := ix.byID[a.User.ID]
	return u, ok
}

func (ix *syncIndex) failure(a *Action) (*procore.SyncError, bool) {
	if a.Kind == KindCreate {
		if e, ok := ix.errOrigin[a.Member.ID]; ok {
			return e, true
		}
		e, ok := ix.errKey[a.Address]
		return e, ok
	}
	e, ok := ix.errID[a.User.ID]
	return e, ok
}

func normAddr(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
