package provision

import (
	"errors"
	"fmt"
	"sync"
)

// sendBatches sends the batches in order, the first alone and then up to
// opts.InFlight at once. This goroutine writes the journal while batches
// are in flight, in order of urgency: the intents of the batch about to be
// sent (pending just before its request: an intent is durable before its
// request), then the next batch's intents (planned), and only while every
// slot is taken the outcomes that answered batches have handed over, then
// the rows not applied. So a batch never waits behind another's outcomes,
// and the journal's own time is spent while the network works. (The rare
// answers that are not a plain success, a 401, one nobody can verify, a
// 403's one-POST-per-user fallback, are journaled by their batch under
// jmu.)
//
// The first error that stops the apply (refused credentials, an answer
// nobody can verify, the journal) lets the batches in flight finish and
// gives the unsent ones the outcome skipped; so does a cancel of ap.ctx,
// whose error is then returned.
func (ap *applier) sendBatches(batches [][]*applyItem) error {
	var wg sync.WaitGroup
	slots := make(chan struct{}, ap.opts.InFlight)
	stopAt := len(batches)
	// first is closed once the first batch's answer is known and its
	// outcomes handed over (or, for any other answer, journaled).
	first := make(chan struct{})
	if ap.opts.InFlight > 1 {
		// One batch at a time journals each batch's outcomes (and reports
		// them) before the next is sent, as a person watching expects.
		ap.outReady = make(chan struct{}, 1)
	}
	for k, b := range batches {
		if k == 1 {
			// The first batch goes alone: its answer says whether the
			// sync endpoint is allowed at all (a 403 means one POST per
			// user for everything) and what the rate limit is, and a
			// stop during it (SIGTERM) leaves one request in flight.
			ap.journalUntil(first)
		}
		// Waits for a batch in flight to finish when all slots are taken.
		ap.journalUntilSent(slots)
		if ap.stopped() != nil || ap.ctx.Err() != nil {
			<-slots
			stopAt = k
			break
		}
		if ap.fellBack() {
			// One POST per user from here on: no batch runs beside it,
			// so that opts.Concurrency bounds the requests (the fallback
			// marks its chunks pending itself).
			wg.Wait()
		} else if err := ap.markPending(b); err != nil {
			// Marked here, not in the goroutine, so that the journal's
			// other writes below cannot come before it.
			<-slots
			ap.stop(err)
			stopAt = k
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if k == 0 {
				defer close(first)
			}
			if err := ap.sendBatch(b); err != nil {
				ap.stop(err)
			}
		}()
		if k+1 < len(batches) {
			if err := ap.recordIntents(batches[k+1]); err != nil {
				ap.stop(err)
				stopAt = k + 1
				break
			}
		}
	}
	all := make(chan struct{})
	go func() { wg.Wait(); close(all) }()
	ap.journalUntil(all)
	err := errors.Join(ap.flushOutcomes(), ap.recordListed(len(ap.opts.Listed)))
	var rest []*applyItem
	for _, b := range batches[stopAt:] {
		rest = append(rest, b...)
	}
	stopErr := errors.Join(ap.stopped(), err)
	switch {
	case ap.ctx.Err() != nil:
		cerr := ap.cancelRest(rest, ap.ctx.Err())
		if stopErr != nil {
			cerr = errors.Join(stopErr, cerr)
		}
		return cerr
	case stopErr != nil:
		if jerr := ap.cancelRestWith(rest, "not sent: "+stopErr.Error()); jerr != nil {
			stopErr = errors.Join(stopErr, jerr)
		}
		return stopErr
	}
	return nil
}

// journalUntilSent takes a slot, journaling handed-over outcomes and the
// rows not applied while none is free.
func (ap *applier) journalUntilSent(slots chan<- struct{}) {
	for {
		select {
		case slots <- struct{}{}:
			return
		default:
		}
		if !ap.journalSome() {
			select {
			case slots <- struct{}{}:
				return
			case <-ap.outReady:
			}
		}
	}
}

// journalUntil journals handed-over outcomes and the rows not applied until
// done is closed.
func (ap *applier) journalUntil(done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		default:
		}
		if !ap.journalSome() {
			select {
			case <-done:
				return
			case <-ap.outReady:
			}
		}
	}
}

// journalSome writes the outcomes handed over so far or, when there are
// none, a part of the rows not applied; it reports whether it had anything
// to write. An error stops the apply.
func (ap *applier) journalSome() bool {
	ap.mu.Lock()
	queued := len(ap.outq) > 0
	ap.mu.Unlock()
	switch {
	case queued:
		if err := ap.flushOutcomes(); err != nil {
			ap.stop(err)
		}
	case ap.listed < len(ap.opts.Listed) && ap.stopped() == nil:
		if err := ap.recordListed(listedPart); err != nil {
			ap.stop(err)
		}
	default:
		return false
	}
	return true
}

// handOver queues a sent batch's outcomes for the journal's writer
// (sendBatches); without one (outReady nil) they are journaled at once.
func (ap *applier) handOver(items []*applyItem) error {
	if ap.outReady == nil {
		return ap.record(items)
	}
	ap.mu.Lock()
	ap.outq = append(ap.outq, items...)
	ap.mu.Unlock()
	select {
	case ap.outReady <- struct{}{}:
	default:
	}
	return nil
}

// flushOutcomes journals every outcome handed over so far, in one
// transaction, and then reports them.
func (ap *applier) flushOutcomes() error {
	ap.mu.Lock()
	items := ap.outq
	ap.outq = nil
	ap.mu.Unlock()
	if len(items) == 0 {
		return nil
	}
	return ap.record(items)
}

// sendBatch writes one batch through the sync endpoint, or one user per
// request once that endpoint has been refused.
func (ap *applier) sendBatch(b []*applyItem) error {
	if !ap.fellBack() {
		err := ap.syncBatch(b)
		if !errors.Is(err, errSyncForbidden) {
			return err
		}
		ap.mu.Lock()
		ap.res.Fallback = true
		ap.mu.Unlock()
	}
	ap.fbmu.Lock()
	defer ap.fbmu.Unlock()
	return ap.fallback(b)
}

func (ap *applier) fellBack() bool {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	return ap.res.Fallback
}

// stop records why no further batch is sent; every error is kept.
func (ap *applier) stop(err error) {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	ap.stopErr = errors.Join(ap.stopErr, err)
}

func (ap *applier) stopped() error {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	return ap.stopErr
}

// listedPart is how many of opts.Listed are journaled at a time while the
// batches in flight take every slot: small, so that a slot that frees
// waits little.
const listedPart = 500

// recordListed journals up to n more of opts.Listed.
func (ap *applier) recordListed(n int) error {
	rest := ap.opts.Listed[ap.listed:]
	if ap.opts.Journal == nil || len(rest) == 0 {
		return nil
	}
	part := rest[:min(n, len(rest))]
	ap.jmu.Lock()
	defer ap.jmu.Unlock()
	if _, err := ap.opts.Journal.RecordIntents(ap.journalCtx(), part); err != nil {
		return fmt.Errorf("apply: journal %d of the %d rows not applied: %w", len(part), len(ap.opts.Listed), err)
	}
	ap.listed += len(part)
	return nil
}
