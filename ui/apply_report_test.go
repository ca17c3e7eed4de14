package ui

import (
	"errors"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"procsync/sync/roster"
)

// approvedPlan is the demo plan with its first two creates approved.
func approvedPlan(t *testing.T) *roster.Plan {
	t.Helper()
	f := newFake(EnvSandbox)
	plan := f.Plan(f.snap)
	n := 0
	for i := range plan.Actions {
		if plan.Actions[i].Kind == roster.KindCreate && n < 2 {
			plan.Actions[i].Approved = true
			n++
		}
	}
	if n != 2 {
		t.Fatalf("the demo plan has %d creates, want 2 or more", n)
	}
	return &plan
}

// TestApplyScreenAlone: the apply screen folds progress events in, follows
// the last row written until moved by hand (G follows again), and asks the
// root to stop on esc.
func TestApplyScreenAlone(t *testing.T) {
	plan := approvedPlan(t)
	keys := DefaultKeyMap()
	keys.setScreen(screenApply, false)
	out := &outbox{}
	a := newApplyScreen(Context{Header: newFake(EnvSandbox).hdr, Width: 120, Height: 34, Out: out}, &keys, plan)
	first := -1
	for i := range plan.Actions {
		if plan.Actions[i].Approved && first < 0 {
			first = i
		}
	}
	a.Update([]roster.ApplyProgress{{Record: roster.Record{Index: first, Status: roster.StatusDone, ProcoreID: 4242}, RateLimitRemaining: 3590, RateLimitLimit: 3600}})
	v := ansi.Strip(a.View())
	for _, want := range []string{"Applying 2 actions to Contoso Construction", "1 / 2", "✓ 1 done", "Procore #4242", "3,590 / 3,600 requests left"} {
		if !strings.Contains(v, want) {
			t.Errorf("apply screen lacks %q:\n%s", want, v)
		}
	}
	a.Update(press("k"))
	if a.follow {
		t.Error("moving by hand kept following the rows written")
	}
	a.Update(press("G"))
	if !a.follow {
		t.Error("G did not follow the rows written again")
	}
	if _, sent := keyIn(t, a, out, press("esc")); len(sent) != 1 || sent[0] != (cancelApplyMsg{}) {
		t.Errorf("esc told the root %v, want a stop", sent)
	}
}

// TestReportScreenAlone: the report asks the root to send (once at a
// time), to open the HTML and to go back; a send's result updates it.
func TestReportScreenAlone(t *testing.T) {
	keys := DefaultKeyMap()
	keys.setScreen(screenReport, false)
	res := &ApplyResult{Recipients: []string{"it@contoso.com"}, HTMLPath: "/tmp/report.html", Results: []roster.Record{
		{Index: 0, Kind: roster.KindCreate, Address: "ana@contoso.com", Status: roster.StatusDone, ProcoreID: 1},
		{Index: 1, Kind: roster.KindCreate, Address: "ben@contoso.com", Status: roster.StatusDone, ProcoreID: 2},
	}}
	out := &outbox{}
	var c Component = newReport(Context{Width: 120, Height: 34, Out: out}, &keys, res, 2)
	if v := ansi.Strip(c.View()); !strings.Contains(v, "to it@contoso.com   not sent yet") || !strings.Contains(v, "2 done, 0 failed") {
		t.Errorf("report:\n%s", v)
	}
	rootMsg := func(k string) tea.Msg {
		var sent []tea.Msg
		c, sent = keyIn(t, c, out, press(k))
		if len(sent) > 1 {
			t.Errorf("%s told the root %v, want one message at most", k, sent)
		}
		if len(sent) == 0 {
			return nil
		}
		return sent[0]
	}
	sendResult := func(err error) statusMsg {
		c, _ = c.Update(sendDone{err: err})
		sent := out.drain()
		if len(sent) != 1 {
			t.Fatalf("a send result told the root %v", sent)
		}
		return sent[0].(statusMsg)
	}
	if got := rootMsg("s"); got != (sendReportMsg{res: res}) {
		t.Errorf("s = %v, want a send request", got)
	}
	if got := rootMsg("s"); got != nil {
		t.Errorf("s while sending = %v, want nothing", got)
	}
	if st := sendResult(errors.New("smtp 421")); st.level != levelError || !strings.Contains(st.text, "press s to retry") {
		t.Errorf("a failed send said %v", st)
	}
	rootMsg("s")
	if st := sendResult(nil); !res.Sent || st.text != "report sent to it@contoso.com" {
		t.Errorf("a sent report said %v (sent %v)", st, res.Sent)
	}
	if st, ok := rootMsg("s").(statusMsg); !ok || st.text != "the report was already sent" {
		t.Errorf("s after sending = %v", st)
	}
	if got := rootMsg("o"); got != (openReportMsg{res: res}) {
		t.Errorf("o = %v", got)
	}
	if got := rootMsg("enter"); got != (reportDoneMsg{}) {
		t.Errorf("enter = %v", got)
	}
	if got := rootMsg("q"); got != (quitRequestMsg{}) {
		t.Errorf("q = %v", got)
	}
}
