package engine_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"

	"procsync/sync/engine"
	"procsync/sync/sim"
)

// simProcessEnv, set to a member count, makes this test binary serve a
// simulated tenant instead of running tests (see TestMain): the process
// BenchmarkRunApart measures against.
const simProcessEnv = "PROCSYNC_BENCH_SIM_MEMBERS"

func TestMain(m *testing.M) {
	if n := os.Getenv(simProcessEnv); n != "" {
		os.Exit(serveSimProcess(n))
	}
	os.Exit(m.Run())
}

// serveSimProcess serves BenchmarkRun's tenant of n members, prints its URL
// on stdout and serves until stdin is closed.
func serveSimProcess(n string) int {
	members, err := strconv.Atoi(n)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	srv, err := sim.Start(sim.Options{Seed: 18, Members: members, Latency: runLatency})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.Close()
	fmt.Println(srv.URL)
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// BenchmarkRunApart is BenchmarkRun with the simulator in a process of its
// own (this test binary started again, see TestMain), as a real tenant is:
// its heap (the whole tenant) is then not procsync's garbage collector's to
// scan, nor its allocations procsync's to pay for. The two processes still
// share this machine's cores. It reports BenchmarkRun's metrics, from the
// simulator's request log read over HTTP.
func BenchmarkRunApart(b *testing.B) {
	for _, n := range []int{20000, 100000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) { benchRunApart(b, n) })
	}
}

func benchRunApart(b *testing.B, n int) {
	benchRuns(b, func() (*engine.Engine, func() []sim.Request, func()) {
		url, stop := startSimProcess(b, n)
		eng, err := engine.New(urlFixture(b, url, nil, nil).d)
		if err != nil {
			stop()
			b.Fatal(err)
		}
		return eng, func() []sim.Request { return simRequests(b, url) }, stop
	})
}

// startSimProcess starts the simulator process with n members and returns
// its URL and how to stop it.
func startSimProcess(b *testing.B, n int) (string, func()) {
	b.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), simProcessEnv+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stop := func() {
		stdin.Close()
		cmd.Wait()
	}
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(url, "http://127.0.0.1:") {
		stop()
		b.Fatalf("the simulator process printed %q (%v), not its URL", url, err)
	}
	return strings.TrimSpace(url), stop
}

// simRequests reads the simulator's request log over HTTP.
func simRequests(b *testing.B, url string) []sim.Request {
	b.Helper()
	resp, err := http.Get(url + "/_sim/requests")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var reqs []sim.Request
	if err := json.UnmarshalRead(resp.Body, &reqs); err != nil {
		b.Fatalf("/_sim/requests: %v", err)
	}
	return reqs
}
