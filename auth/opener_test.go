package auth

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"procsync/sync/sim"
)

// fetchEnv makes the test binary, run as the stand-in browser, fetch the
// URL in its first argument and exit (see TestMain).
const fetchEnv = "PROCSYNC_AUTH_TEST_FETCH"

// TestMain lets the test binary play the browser for TestDefaultOpenerStandIn:
// run with fetchEnv set, it GETs its argument with Go's HTTP client,
// following redirects as a browser would, and exits. No curl needed.
func TestMain(m *testing.M) {
	if os.Getenv(fetchEnv) == "1" {
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		resp, err := http.Get(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "stand-in browser:", err)
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestDefaultOpenerStandIn runs the real DefaultOpener (pkg/browser) with a
// stand-in xdg-open on PATH that fetches the URL and follows the redirect,
// as a browser would: the stand-in is this test binary (TestMain).
func TestDefaultOpenerStandIn(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the stand-in is an xdg-open shell script, which pkg/browser runs on Linux only")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	script := "#!/bin/sh\n" + fetchEnv + "=1 exec '" + self + "' \"$1\"\n"
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	srv := startSim(t, sim.Options{})
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	var out bytes.Buffer
	if err := LoginGraph(context.Background(), simGraphConfig(srv), store, LoginOptions{Out: &out, Timeout: 20 * time.Second}); err != nil {
		t.Fatalf("LoginGraph with the stand-in xdg-open: %v\n%s", err, out.String())
	}
	if srv.Sim.PKCEVerified() != 1 {
		t.Error("PKCE was not verified")
	}
}

// TestDefaultOpenerNoBrowser: with no browser on PATH, the flow says so,
// keeps the printed URL usable, and waits until its timeout.
func TestDefaultOpenerNoBrowser(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("PATH lookup of xdg-open is Linux behaviour")
	}
	t.Setenv("PATH", t.TempDir())
	cfg := GraphConfig{LoginURL: "http://127.0.0.1:1/identity", Tenant: "t", ClientID: "c"}
	var out bytes.Buffer
	store := &FileStore{Path: filepath.Join(t.TempDir(), "tokens.json")}
	err := LoginGraph(context.Background(), cfg, store, LoginOptions{Out: &out, Timeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "no answer from the browser") {
		t.Errorf("err = %v", err)
	}
	if !strings.Contains(out.String(), "Could not open a browser") || !strings.Contains(out.String(), "/authorize?") {
		t.Errorf("output:\n%s", out.String())
	}
}
