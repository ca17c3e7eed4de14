package main

import (
	"context"
	"errors"
	"time"

	"procsync/sync/roster"
	"procsync/sync/store"
)

// History implements ui.Backend: the History screen's chart counts the
// last days days in the machine's time zone (the admin's days), and lists
// the summaries of the runs of those days; their actions are read one run
// at a time by HistoryRun. It reads the journal the session opened;
// reading takes no lock, as `procsync history` does not.
func (b *tuiBackend) History(ctx context.Context, days int) (*roster.History, error) {
	st, err := b.historyJournal()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	counts, err := st.DailyCounts(ctx, days, now, time.Local)
	if err != nil {
		return nil, err
	}
	// The runs of the chart's days: from local midnight of its first day.
	runs, err := st.RunSummaries(ctx, counts[0].Day, 0)
	if err != nil {
		return nil, err
	}
	return &roster.History{Days: counts, Runs: runs}, nil
}

// HistoryRun implements ui.Backend: the actions of run id, in the order
// they were journaled, for the History screen's run view.
func (b *tuiBackend) HistoryRun(ctx context.Context, id int64) ([]roster.Record, error) {
	st, err := b.historyJournal()
	if err != nil {
		return nil, err
	}
	return st.RunActions(ctx, id)
}

// historyJournal is the journal the session opened, or an error that says
// when it opens.
func (b *tuiBackend) historyJournal() (*store.Store, error) {
	b.connectMu.Lock()
	st := b.s.journal
	b.connectMu.Unlock()
	if st == nil {
		return nil, errors.New("history: the journal is not open yet; it opens with the first read of the directories")
	}
	return st, nil
}
