package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"procsync/sync/engine"
	"procsync/sync/sim"
)

// runLatency is the round trip BenchmarkRun adds to every request: about
// what a tenant in another region sees.
const runLatency = 20 * time.Millisecond

// BenchmarkRun measures a whole headless run (issue 18): reconcile,
// snapshot, plan, brakes, apply, report mail, against the in-process
// simulator with 20 ms latency, with the production clients' default
// options. Besides the wall time it reports, from the simulator's own
// request timeline:
//
//	chain-s       the largest group's nextLink chain, the floor no client can beat
//	read-write-s  last read answer → first write request (plan, brakes, intents)
//	batch-gap-ms  the longest local gap between consecutive users/sync batches
//	write-mail-s  last write answer → the mail request
//	floor-s       chain-s + one users/sync round trip (the quickest: since
//	              the first batch is a 100-user probe, its round trip) + the
//	              mail's round trip, all measured in the same run (issue 18's
//	              baseline)
//	x-floor       wall time / floor-s
//	requests      requests sent
//	pre-read-s    the run's start → the first read (the tokens)
//	write-s       first write request → last write answer
//	post-mail-s   the mail's answer → the run's return (the saved report)
func BenchmarkRun(b *testing.B) {
	for _, n := range []int{20000, 100000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) { benchRun(b, n, 0) })
	}
}

// BenchmarkRunInFlight is BenchmarkRun at 20,000 members with 1, 2, 4 and
// 8 write batches in flight: how engine.DefaultInFlight was chosen.
func BenchmarkRunInFlight(b *testing.B) {
	for _, k := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("in-flight=%d", k), func(b *testing.B) { benchRun(b, 20000, k) })
	}
}

func benchRun(b *testing.B, n, inFlight int) {
	benchRuns(b, func() (*engine.Engine, func() []sim.Request, func()) {
		srv, eng := benchEngine(b, n, inFlight)
		return eng, srv.Sim.Requests, func() { srv.Close() }
	})
}

// benchRuns runs b.N headless runs, each against a tenant start sets up
// (with how to read its request log and how to stop it), and reports the
// last run's timeline.
func benchRuns(b *testing.B, start func() (eng *engine.Engine, requests func() []sim.Request, stop func())) {
	var tl timeline
	var wall time.Duration
	for range b.N {
		b.StopTimer()
		eng, requests, stop := start()
		b.StartTimer()
		t0 := time.Now()
		res, err := eng.RunAuto(context.Background(), engine.AutoOptions{})
		wall = time.Since(t0)
		b.StopTimer()
		if err != nil || failedOf(res) != 0 {
			b.Fatalf("RunAuto: %d failed, %v", failedOf(res), err)
		}
		tl = timelineOf(requests())
		tl.setStart(t0, t0.Add(wall))
		stop()
		b.StartTimer()
	}
	reportTimeline(b, tl, wall)
}

// reportTimeline reports a run's timeline and wall time as BenchmarkRun's
// metrics.
func reportTimeline(b *testing.B, tl timeline, wall time.Duration) {
	floor := tl.chain + tl.writeRTT + tl.mailRTT
	b.ReportMetric(tl.chain.Seconds(), "chain-s")
	b.ReportMetric(tl.readToWrite.Seconds(), "read-write-s")
	b.ReportMetric(float64(tl.batchGap)/float64(time.Millisecond), "batch-gap-ms")
	b.ReportMetric(tl.writeToMail.Seconds(), "write-mail-s")
	b.ReportMetric(floor.Seconds(), "floor-s")
	b.ReportMetric(wall.Seconds()/floor.Seconds(), "x-floor")
	b.ReportMetric(float64(tl.requests), "requests")
	b.ReportMetric(float64(tl.creates), "creates")
	b.ReportMetric(tl.beforeReads.Seconds(), "pre-read-s")
	b.ReportMetric(tl.writing.Seconds(), "write-s")
	b.ReportMetric(tl.afterMail.Seconds(), "post-mail-s")
}

// benchEngine starts a simulated tenant of n members with latency and
// returns it with an engine wired like `procsync --auto` (app-only, no
// brakes, the report mailed) and the production clients' default options;
// inFlight > 0 sets the write batches in flight.
func benchEngine(b *testing.B, n, inFlight int) (*sim.Server, *engine.Engine) {
	b.Helper()
	srv, err := sim.Start(sim.Options{Seed: 18, Members: n, Latency: runLatency})
	if err != nil {
		b.Fatal(err)
	}
	f := simFixture(b, srv, nil, nil)
	f.d.Apply.InFlight = inFlight
	eng, err := engine.New(f.d)
	if err != nil {
		b.Fatal(err)
	}
	return srv, eng
}

// timeline is a run's phases as the server saw them.
type timeline struct {
	chain, readToWrite, batchGap, writeToMail time.Duration
	// writeRTT is the quickest users/sync request, mailRTT the mail's.
	writeRTT, mailRTT time.Duration
	requests, creates int
	// beforeReads is the run's start → the first read request, writing the
	// first write request → the last write answer, afterMail the mail's
	// answer → the run's return.
	beforeReads, writing, afterMail time.Duration
	firstRead, mailEnd              time.Time
}

// setStart fills the phases that need the run's own start and end.
func (tl *timeline) setStart(start, end time.Time) {
	if !tl.firstRead.IsZero() {
		tl.beforeReads = tl.firstRead.Sub(start)
	}
	if !tl.mailEnd.IsZero() {
		tl.afterMail = end.Sub(tl.mailEnd)
	}
}

func isWrite(r sim.Request) bool {
	return r.Service == sim.ServiceProcore && r.Method != http.MethodGet && strings.Contains(r.Path, "/rest/")
}

func isRead(r sim.Request) bool {
	return r.Method == http.MethodGet && (r.Service == sim.ServiceGraph || (r.Service == sim.ServiceProcore && strings.Contains(r.Path, "/rest/")))
}

func timelineOf(reqs []sim.Request) timeline {
	tl := timeline{requests: len(reqs)}
	slices.SortFunc(reqs, func(a, b sim.Request) int { return a.Time.Compare(b.Time) })
	var lastRead, firstWrite, lastWrite, mail time.Time
	chains := map[string][2]time.Time{}
	var prevSync time.Time
	for _, r := range reqs {
		switch {
		case isRead(r) && firstWrite.IsZero():
			if tl.firstRead.IsZero() {
				tl.firstRead = r.Time
			}
			if r.End.After(lastRead) {
				lastRead = r.End
			}
			if i := strings.Index(r.Path, "/groups/"); i >= 0 && strings.Contains(r.Path, "/members") {
				id := strings.SplitN(r.Path[i+len("/groups/"):], "/", 2)[0]
				c := chains[id]
				if c[0].IsZero() {
					c[0] = r.Time
				}
				if r.End.After(c[1]) {
					c[1] = r.End
				}
				chains[id] = c
			}
		case isWrite(r):
			if firstWrite.IsZero() {
				firstWrite = r.Time
			}
			if r.End.After(lastWrite) {
				lastWrite = r.End
			}
			if strings.HasSuffix(r.Path, "/users/sync") {
				if d := r.End.Sub(r.Time); tl.writeRTT == 0 || d < tl.writeRTT {
					tl.writeRTT = d
				}
				tl.creates += strings.Count(r.Body, `"origin_id"`)
				if !prevSync.IsZero() && r.Time.Sub(prevSync) > tl.batchGap {
					tl.batchGap = r.Time.Sub(prevSync)
				}
				prevSync = r.End
			}
		case r.Service == sim.ServiceGraph && r.Method == http.MethodPost && strings.Contains(r.Path, "sendMail") && mail.IsZero():
			mail = r.Time
			tl.mailEnd = r.End
			tl.mailRTT = r.End.Sub(r.Time)
		}
	}
	for _, c := range chains {
		tl.chain = max(tl.chain, c[1].Sub(c[0]))
	}
	if !firstWrite.IsZero() {
		tl.readToWrite = firstWrite.Sub(lastRead)
		tl.writing = lastWrite.Sub(firstWrite)
	}
	if !mail.IsZero() && !lastWrite.IsZero() {
		tl.writeToMail = mail.Sub(lastWrite)
	}
	return tl
}
