package main

import (
	"fmt"
	"io"
	"sync"

	"procsync/sync/roster"
)

// progressLine shows a headless run's progress on stderr, one line
// rewritten in place, and only when stderr is a terminal: log shippers
// get the slog lines, not a stream of carriage returns.
type progressLine struct {
	w       io.Writer
	on      bool
	mu      sync.Mutex
	groups  int
	members map[string]int
	users   int
	total   int
	shown   bool
}

func newProgressLine(w io.Writer, on bool) *progressLine {
	return &progressLine{w: w, on: on, members: map[string]int{}, total: -1}
}

func (p *progressLine) snapshot(ev roster.SnapshotProgress) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev.Kind {
	case roster.ProgressGroups:
		p.groups = ev.Groups
	case roster.ProgressMembers:
		p.members[ev.Group] = ev.Read
	case roster.ProgressProcore:
		p.users, p.total = ev.Read, ev.Total
	}
	n := 0
	for _, v := range p.members {
		n += v
	}
	total := "?"
	if p.total >= 0 {
		total = fmt.Sprint(p.total)
	}
	p.print(fmt.Sprintf("reading: %d license groups, %d members, Procore users %d/%s", p.groups, n, p.users, total))
}

func (p *progressLine) apply(ev roster.ApplyProgress) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf("applying: %d/%d  %s %s %s", ev.Done, ev.Total, ev.Status, ev.Kind, ev.Address)
	if ev.RateLimitLimit > 0 {
		line += fmt.Sprintf("  (Procore budget %d/%d)", ev.RateLimitRemaining, ev.RateLimitLimit)
	}
	p.print(line)
}

func (p *progressLine) print(s string) {
	if len(s) > 100 {
		s = s[:100]
	}
	fmt.Fprintf(p.w, "\r\033[K%s", s)
	p.shown = true
}

// done ends the progress line so that what follows starts on a fresh line.
func (p *progressLine) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
