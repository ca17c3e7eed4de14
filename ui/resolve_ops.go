package ui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Results of the Resolver calls, back to the root.
type (
	linkDoneMsg struct {
		address string
		userID  int64
		err     error
	}
	ignoreDoneMsg struct {
		address string
		err     error
	}
	ignoredListMsg struct {
		people []IgnoredPerson
		err    error
	}
	unignoreDoneMsg struct {
		address string
		err     error
	}
)

// resolveTimeout bounds one Resolver call: a link is one request, the
// ignore list one journal query.
const resolveTimeout = 2 * time.Minute

// resolver returns the backend's Resolver, or nil.
func (m *model) resolver() Resolver {
	r, _ := m.b.(Resolver)
	return r
}

// reviewShown returns the review when it is the screen shown.
func (m *model) reviewShown() *review {
	if m.screen == screenReview {
		return m.rv
	}
	return nil
}

// resolveCmd runs fn off the UI goroutine with a bounded context.
func resolveCmd(fn func(ctx context.Context) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
		defer cancel()
		return fn(ctx)
	}
}

// onResolveRequest carries out what the review asked through its outbox:
// a link, an ignore, the ignore list, an un-ignore. ok is false for any
// other message.
func (m *model) onResolveRequest(msg tea.Msg) (tea.Cmd, bool) {
	res := m.resolver()
	switch msg := msg.(type) {
	case linkRequestMsg:
		if res == nil || m.screen != screenReview {
			return nil, true
		}
		st := m.status.set(levelInfo, fmt.Sprintf("linking %s to Procore user %d…", msg.address, msg.user.ID))
		return tea.Batch(st, resolveCmd(func(ctx context.Context) tea.Msg {
			return linkDoneMsg{address: msg.address, userID: msg.user.ID, err: res.Link(ctx, msg.member, msg.address, msg.user)}
		})), true
	case ignoreRequestMsg:
		if res == nil || m.screen != screenReview {
			return nil, true
		}
		return resolveCmd(func(ctx context.Context) tea.Msg {
			return ignoreDoneMsg{address: msg.address, err: res.Ignore(ctx, msg.member, msg.address, msg.reason)}
		}), true
	case ignoredListRequestMsg:
		if res == nil {
			return nil, true
		}
		return resolveCmd(func(ctx context.Context) tea.Msg {
			people, err := res.Ignored(ctx)
			return ignoredListMsg{people: people, err: err}
		}), true
	case unignoreRequestMsg:
		if res == nil {
			return nil, true
		}
		return resolveCmd(func(ctx context.Context) tea.Msg {
			return unignoreDoneMsg{address: msg.p.Address, err: res.Unignore(ctx, msg.p)}
		}), true
	}
	return nil, false
}

// onResolveResult shows what a Resolver call did and, when it changed
// anything, reads both directories again so that the plan shows it.
func (m *model) onResolveResult(msg tea.Msg) (tea.Cmd, bool) {
	var done, fail string
	var err error
	switch msg := msg.(type) {
	case linkDoneMsg:
		err = msg.err
		done = fmt.Sprintf("linked %s to Procore user %d (origin_id written); reading again", msg.address, msg.userID)
		fail = fmt.Sprintf("link %s to Procore user %d", msg.address, msg.userID)
	case ignoreDoneMsg:
		err = msg.err
		done = fmt.Sprintf("ignored %s; reading again", msg.address)
		fail = "ignore " + msg.address
	case unignoreDoneMsg:
		err = msg.err
		done = fmt.Sprintf("%s is no longer ignored; reading again", msg.address)
		fail = "un-ignore " + msg.address
	case ignoredListMsg:
		if m.rv == nil {
			return nil, true
		}
		if msg.err != nil {
			m.rv.ignored = nil
			return m.status.set(levelError, fmt.Sprintf("read the ignore list: %v", msg.err)), true
		}
		m.rv.showIgnored(msg.people)
		return nil, true
	default:
		return nil, false
	}
	if err != nil {
		return m.status.set(levelError, fmt.Sprintf("%s: %v", fail, err)), true
	}
	if m.screen != screenReview {
		return m.status.set(levelInfo, done), true
	}
	return tea.Batch(m.status.set(levelInfo, done), m.startSnapshot()), true
}
