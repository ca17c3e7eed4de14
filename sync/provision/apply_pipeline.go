package provision

import (
	"errors"
	"fmt"
	"sync"
)

// sendBatches sends the batches in order, the first alone and then up to
// opts.InFlight at once, and journals each next batch's intents while the
// earlier ones are in flight:
// an intent is durable before its request, but the journal's own time is
// spent while the network works. The first error that stops the apply
// (refused credentials, an answer nobody can verify, the journal) lets the
// batches in flight finish and gives the unsent ones the outcome skipped;
// so does a cancel of ap.ctx, whose error is then returned.
func (ap *applier) sendBatches(batches [][]*applyItem) error {
	var wg sync.WaitGroup
	slots := make(chan struct{}, ap.opts.InFlight)
	stopAt := len(batches)
	for k, b := range batches {
		if k == 1 {
			// The first batch goes alone: its answer says whether the
			// sync endpoint is allowed at all (a 403 means one POST per
			// user for everything) and what the rate limit is, and a
			// stop during it (SIGTERM) leaves one request in flight.
			wg.Wait()
		}
		// Waits for a batch in flight to finish when all slots are taken.
		slots <- struct{}{}
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
		// A part of the rows not applied while this batch is out: in
		// parts, so that no batch's outcomes or intents wait long.
		if err := ap.recordListed(listedPart); err != nil {
			ap.stop(err)
			stopAt = k + 1
			break
		}
	}
	wg.Wait()
	err := ap.recordListed(len(ap.opts.Listed))
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

// listedPart is how many of opts.Listed are journaled per batch sent.
const listedPart = 2000

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
