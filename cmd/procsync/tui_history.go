package main

import (
	"context"
	"errors"
	"time"

	"procsync/sync/roster"
)

// History implements ui.Backend: the History screen's chart counts the
// last days days in the machine's time zone (the admin's days), and lists
// the runs of those days with their actions. It reads the journal the
// session opened; reading takes no lock, as `procsync history` does not.
func (b *tuiBackend) History(ctx context.Context, days int) (*roster.History, error) {
	b.connectMu.Lock()
	st := b.s.journal
	b.connectMu.Unlock()
	if st == nil {
		return nil, errors.New("history: the journal is not open yet; it opens with the first read of the directories")
	}
	now := time.Now()
	counts, err := st.DailyCounts(ctx, days, now, time.Local)
	if err != nil {
		return nil, err
	}
	// The runs of the chart's days: from local midnight of its first day.
	runs, err := st.RunHistories(ctx, counts[0].Day, 0)
	if err != nil {
		return nil, err
	}
	return &roster.History{Days: counts, Runs: runs}, nil
}
