package provision

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"procsync/sync/procore"
	"procsync/sync/roster"
)

// The requests of Apply: the sync endpoint in batches, and one request per
// user when that endpoint is refused.

func (ap *applier) isEmployee() *bool {
	v := ap.opts.IsEmployee
	return &v
}

// syncEntry is the sync endpoint entry for an action: creates keyed by
// origin_id, everything else by the Procore id.
func (ap *applier) syncEntry(a *roster.Action) procore.SyncUser {
	yes, no := true, false
	switch a.Kind {
	case roster.KindCreate:
		return procore.SyncUser{UserInput: ap.createInput(a)}
	case roster.KindReactivate:
		return procore.SyncUser{ID: a.User.ID, UserInput: procore.UserInput{IsActive: &yes}}
	case roster.KindUpdate:
		// Only what changes: the names when they do (an update of mapped
		// fields alone carries Procore's own names), and the changed
		// mapped fields.
		e := procore.SyncUser{ID: a.User.ID}
		if a.FirstName != a.User.FirstName || a.LastName != a.User.LastName {
			e.FirstName, e.LastName = a.FirstName, a.LastName
		}
		setAttributes(&e.UserInput, a.Attributes)
		return e
	default: // KindOffboard
		return procore.SyncUser{ID: a.User.ID, UserInput: procore.UserInput{IsActive: &no}}
	}
}

func (ap *applier) createInput(a *roster.Action) procore.UserInput {
	yes := true
	in := procore.UserInput{
		EmailAddress: a.Address, FirstName: a.FirstName, LastName: a.LastName,
		OriginID: a.Member.ID, IsEmployee: ap.isEmployee(), IsActive: &yes,
	}
	setAttributes(&in, a.Attributes)
	return in
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

// syncBatch sends one batch, already journaled as pending, to the sync
// endpoint and reads back each user's entity or error.
func (ap *applier) syncBatch(batch []*applyItem) error {
	entries := make([]procore.SyncUser, len(batch))
	for i, it := range batch {
		entries[i] = ap.syncEntry(it.a)
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
				it.res.Status, it.res.Error, it.res.RequestID = roster.StatusFailed, err.Error(), requestIDOf(err)
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
		it.res.Status, it.res.Error = roster.StatusFailed, "Procore answered the sync request without an entry for this user"
		if u, ok := ix.entity(it.a); ok {
			it.res.Status, it.res.ProcoreID, it.res.Error = roster.StatusDone, u.ID, ""
		} else if e, ok := ix.failure(it.a); ok {
			it.res.Error = fmt.Sprintf("procore: %s %s: %s", it.a.Kind, it.a.Address, e.Message())
		}
	}
	return ap.handOver(batch)
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
		if id, ok := dir.effect(roster.RecordOf(it.a, "")); ok {
			it.res.Status, it.res.ProcoreID, it.res.Error = roster.StatusDone, id, ""
		} else {
			it.res.Status, it.res.Error, it.res.RequestID = roster.StatusFailed, cause.Error(), requestIDOf(cause)
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
				if id, ok := dir.effect(roster.RecordOf(it.a, "")); ok {
					it.unknown = false
					it.res.Status, it.res.ProcoreID, it.res.Error = roster.StatusDone, id, ""
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
				it.res.Status = roster.StatusFailed
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
		mu      sync.Mutex
		authErr error
	)
	for _, it := range items {
		g.Go(func() error {
			mu.Lock()
			stop := authErr != nil
			mu.Unlock()
			if stop || ap.ctx.Err() != nil {
				it.unknown = false
				it.res.Status, it.res.Error = roster.StatusSkipped, ErrCancelledText
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
	case roster.KindCreate:
		u, err = ap.pc.CreateUser(rctx, ap.createInput(a))
	case roster.KindReactivate:
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
		it.res.Status, it.res.ProcoreID, it.res.Error, it.res.RequestID = roster.StatusDone, u.ID, "", ""
		return nil
	}
	it.res.Status, it.res.Error, it.res.RequestID = roster.StatusFailed, err.Error(), requestIDOf(err)
	st := statusOf(err)
	switch {
	case st == http.StatusUnauthorized:
		return err
	case st == 0, st >= 500, st == http.StatusTooManyRequests:
		it.unknown = true
	case a.Kind == roster.KindCreate && procore.IsConflict(err) && strings.Contains(err.Error(), "taken"):
		// Perhaps our own earlier attempt, whose answer was lost.
		it.unknown = true
	}
	return nil
}

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

func (ix *syncIndex) entity(a *roster.Action) (*procore.User, bool) {
	if a.Kind == roster.KindCreate {
		if u, ok := ix.byOrigin[a.Member.ID]; ok {
			return u, true
		}
		u, ok := ix.byEmail[a.Address]
		return u, ok
	}
	u, ok := ix.byID[a.User.ID]
	return u, ok
}

func (ix *syncIndex) failure(a *roster.Action) (*procore.SyncError, bool) {
	if a.Kind == roster.KindCreate {
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
