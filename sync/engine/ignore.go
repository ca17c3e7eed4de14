package engine

import (
	"context"
	"fmt"

	"procsync/sync/roster"
)

// loadIgnored adds the journal's ignore list to the snapshot, so that Plan
// (roster.Diff, which must not read the journal) excludes the people an
// admin told procsync to leave alone, in the TUI and in --auto alike.
func (e *Engine) loadIgnored(ctx context.Context, snap *roster.Snapshot) error {
	list, err := e.d.Store.IgnoreList(ctx)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	snap.Ignored = list
	return nil
}
