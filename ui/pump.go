package ui

import (
	"context"
	"sync"

	tea "charm.land/bubbletea/v2"
)

// pump carries a background operation's progress into the program without
// ever blocking the backend: progress values queue under a mutex and one
// wake-up is pending at most, so a burst of 100,000 events costs a handful
// of Updates.
type pump struct {
	screen screenID
	mu     sync.Mutex
	items  []any
	wake   chan struct{}
	final  chan tea.Msg
	ctx    context.Context
}

func newPump(s screenID, ctx context.Context) *pump {
	return &pump{screen: s, wake: make(chan struct{}, 1), final: make(chan tea.Msg, 1), ctx: ctx}
}

func (p *pump) push(v any) {
	p.mu.Lock()
	p.items = append(p.items, v)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *pump) take() []any {
	p.mu.Lock()
	defer p.mu.Unlock()
	it := p.items
	p.items = nil
	return it
}

// finish delivers the operation's result; it never blocks (capacity 1).
func (p *pump) finish(m tea.Msg) { p.final <- m }

// pumpMsg carries queued progress items; done is non-nil for the last one.
type pumpMsg struct {
	p     *pump
	items []any
	done  tea.Msg
}

func (p *pump) next() tea.Cmd {
	return func() tea.Msg {
		select {
		case <-p.wake:
			return pumpMsg{p: p, items: p.take()}
		case d := <-p.final:
			return pumpMsg{p: p, items: p.take(), done: d}
		}
	}
}

// start launches fn as the current operation of screen s.
func (m *model) start(s screenID, fn func(ctx context.Context, p *pump) tea.Msg) tea.Cmd {
	m.cancelAll()
	ctx, cancel := context.WithCancel(context.Background())
	p := newPump(s, ctx)
	m.op, m.cancel = p, cancel
	go func() { p.finish(fn(ctx, p)) }()
	return p.next()
}

func (m *model) cancelAll() {
	if m.cancel != nil {
		m.cancel()
	}
}
