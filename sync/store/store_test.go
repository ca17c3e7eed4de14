package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"procsync/sync/roster"
)

// childEnv makes the test binary act as a helper process (see TestMain), so
// that locks and crashes are tested across real processes.
const childEnv = "PROCSYNC_STORE_TEST_CHILD"

func TestMain(m *testing.M) {
	switch role := os.Getenv(childEnv); role {
	case "":
		os.Exit(m.Run())
	case "lock":
		childLock(os.Getenv("STATE_DIR"))
	case "crash":
		childCrash(os.Getenv("STATE_DIR"))
	default:
		fmt.Fprintf(os.Stderr, "unknown child role %q\n", role)
		os.Exit(2)
	}
}

// childLock takes the lock, says so, and holds it until stdin closes.
func childLock(dir string) {
	l, err := Lock(dir)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	_, _ = os.Stdin.Read(make([]byte, 1))
	_ = l.Unlock()
	os.Exit(0)
}

// childCrash writes a run, three pending intents and one outcome, prints the
// action ids, then waits to be killed without ever closing the journal.
func childCrash(dir string) {
	s, err := Open(dir)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	run, err := s.BeginRun(ctx, RunInfo{Mode: ModeAuto, Fingerprint: "fp-crash"})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	ids, err := s.RecordIntents(ctx, run, []roster.Record{
		{Kind: roster.KindCreate, Address: "a@contoso.com", EntraID: "e-a"},
		{Kind: roster.KindCreate, Address: "b@contoso.com", EntraID: "e-b"},
		{Kind: roster.KindCreate, Address: "c@contoso.com", EntraID: "e-c"},
	})
	if err == nil {
		err = s.RecordOutcome(ctx, roster.Record{ID: ids[0], Status: roster.StatusDone, ProcoreID: 501})
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("written", run, ids[0], ids[1], ids[2])
	_, _ = os.Stdin.Read(make([]byte, 1))
	os.Exit(3)
}

func startChild(t *testing.T, role, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+role, "STATE_DIR="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	buf := make([]byte, 256)
	n, err := stdout.Read(buf)
	if err != nil {
		t.Fatalf("child %s: %v", role, err)
	}
	return cmd, strings.TrimSpace(string(buf[:n]))
}

var errAny = errors.New("any error")

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestMigrationsAreNumberedInOrder(t *testing.T) {
	for i, m := range migrations {
		if m.version != i+1 {
			t.Errorf("migrations[%d] has version %d, want %d", i, m.version, i+1)
		}
	}
}

func TestOpenMigratesAndReopens(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	ctx := context.Background()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	run, err := s.BeginRun(ctx, RunInfo{Mode: ModeTUI, ApprovedBy: "ana@contoso.com", Counts: roster.Counts{roster.KindCreate: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, dir)
	var versions, mode int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM schema_version`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions != len(migrations) {
		t.Errorf("schema_version has %d rows after reopen, want %d (each migration once)", versions, len(migrations))
	}
	// Every journaled intent would pay for an index nothing reads.
	var unread int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'actions_address'`).Scan(&unread); err != nil || unread != 0 {
		t.Errorf("actions_address index: %d, %v; want dropped", unread, err)
	}
	var jm string
	if err := s.db.QueryRow(`PRAGMA journal_mode`).Scan(&jm); err != nil || jm != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", jm, err)
	}
	if err := s.db.QueryRow(`PRAGMA foreign_keys`).Scan(&mode); err != nil || mode != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", mode, err)
	}
	d, err := s.Run(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if d.ApprovedBy != "ana@contoso.com" || d.Counts[roster.KindCreate] != 2 || d.Outcome != RunRunning {
		t.Errorf("run after reopen = %+v", d.Run)
	}
	for _, name := range []string{dir, filepath.Join(dir, FileName)} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if got := fi.Mode().Perm(); got&^want != 0 {
			t.Errorf("%s has mode %v, want at most %v", name, got, want)
		}
	}
}

func TestOpenOddDirectoryName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state dir ?#%41 ü")
	s := open(t, dir)
	if _, err := s.BeginRun(context.Background(), RunInfo{Mode: ModeAuto}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName+"-wal")); err != nil {
		t.Errorf("the journal's WAL is not next to %s: %v", filepath.Join(dir, FileName), err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`INSERT INTO schema_version (version, name, applied_at) VALUES (?, 'future', '')`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	_, err = Open(dir)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer journal: %v, want ErrSchemaTooNew", err)
	}
}

func TestIntentsAndOutcomes(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	run, err := s.BeginRun(ctx, RunInfo{Mode: ModeAuto, Environment: "sandbox", CompanyID: 42, Fingerprint: "fp1"})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := s.RecordIntents(ctx, run, []roster.Record{
		{Kind: roster.KindCreate, Address: "ana@contoso.com", EntraID: "e1", FirstName: "Ana", LastName: "Diaz", Reason: "new member"},
		{Kind: roster.KindCreate, Address: "bo@contoso.com", EntraID: "e2"},
		{Kind: roster.KindReactivate, Address: "cy@contoso.com", EntraID: "e3", ProcoreID: 4410},
		{Kind: roster.KindCreate, Address: "di@contoso.com", Status: roster.StatusPlanned},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 4 {
		t.Fatalf("got %d ids, want 4", len(ids))
	}
	if err := s.RecordOutcomes(ctx, []roster.Record{
		{ID: ids[0], Status: roster.StatusDone, ProcoreID: 5512, RequestID: "req-1"},
		{ID: ids[1], Status: roster.StatusFailed, Error: "procore: create user bo@contoso.com: 422 taken"},
	}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		id      int64
		o       roster.Record
		wantErr error // errAny: any error
	}{
		{"failed may become done after a retry", ids[1], roster.Record{Status: roster.StatusDone, ProcoreID: 5513}, nil},
		{"done is final", ids[0], roster.Record{Status: roster.StatusFailed, Error: "x"}, ErrFinal},
		{"unknown action", 99999, roster.Record{Status: roster.StatusDone}, ErrNotFound},
		{"pending is not an outcome", ids[2], roster.Record{Status: StatusPending}, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.ID = tt.id
			err := s.RecordOutcome(ctx, o)
			if tt.wantErr == errAny && err != nil {
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("RecordOutcome = %v, want %v", err, tt.wantErr)
			}
		})
	}

	// A batch with one done action among its outcomes is refused whole:
	// the pending one beside it stays pending.
	if err := s.RecordOutcomes(ctx, []roster.Record{
		{ID: ids[2], Status: roster.StatusDone, ProcoreID: 1},
		{ID: ids[0], Status: roster.StatusFailed, Error: "x"},
	}); !errors.Is(err, ErrFinal) {
		t.Fatalf("a batch overwriting a done action = %v, want ErrFinal", err)
	}

	// A bad intent in a batch must leave none of the batch behind.
	if _, err := s.RecordIntents(ctx, run, []roster.Record{{Kind: roster.KindCreate, Address: "ok@contoso.com"}, {Kind: roster.KindCreate}}); err == nil {
		t.Fatal("RecordIntents accepted an intent without an address")
	}

	if err := s.FinishRun(ctx, run, RunFailed, errors.New("1 action failed")); err != nil {
		t.Fatal(err)
	}
	d, err := s.Run(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Actions) != 4 {
		t.Fatalf("run has %d actions, want 4 (the failed batch must roll back): %+v", len(d.Actions), d.Actions)
	}
	a := d.Actions[0]
	if a.Status != roster.StatusDone || a.ProcoreID != 5512 || a.RequestID != "req-1" || a.FirstName != "Ana" || a.DoneAt.IsZero() || a.IntentAt.IsZero() {
		t.Errorf("action 0 = %+v", a)
	}
	if b := d.Actions[1]; b.Status != roster.StatusDone || b.ProcoreID != 5513 {
		t.Errorf("retried action = %+v, want done 5513", b)
	}
	if c := d.Actions[2]; c.Status != StatusPending || !c.DoneAt.IsZero() || c.ProcoreID != 4410 {
		t.Errorf("action without outcome = %+v, want pending", c)
	}
	if d.Outcome != RunFailed || d.Error != "1 action failed" || d.Ended.IsZero() {
		t.Errorf("finished run = %+v", d.Run)
	}
	want := map[roster.Status]int{roster.StatusDone: 2, StatusPending: 1, roster.StatusPlanned: 1}
	if fmt.Sprint(d.Applied) != fmt.Sprint(want) {
		t.Errorf("Applied = %v, want %v", d.Applied, want)
	}
	if err := s.FinishRun(ctx, 12345, RunDone, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("FinishRun of unknown run = %v, want ErrNotFound", err)
	}
}

func TestUnfinishedAndResolve(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	old, _ := s.BeginRun(ctx, RunInfo{Mode: ModeAuto, Fingerprint: "old"})
	ids, err := s.RecordIntents(ctx, old, []roster.Record{
		{Kind: roster.KindCreate, Address: "a@contoso.com"},
		{Kind: roster.KindCreate, Address: "b@contoso.com"},
		{Kind: roster.KindCreate, Address: "c@contoso.com", Status: roster.StatusPlanned},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOutcome(ctx, roster.Record{ID: ids[0], Status: roster.StatusDone}); err != nil {
		t.Fatal(err)
	}
	// planned → pending makes c unfinished too.
	if err := s.MarkPending(ctx, []int64{ids[2], ids[0]}); err != nil {
		t.Fatal(err)
	}

	cur, _ := s.BeginRun(ctx, RunInfo{Mode: ModeAuto, Fingerprint: "new"})
	interrupted, err := s.MarkInterrupted(ctx, cur)
	if err != nil {
		t.Fatal(err)
	}
	if len(interrupted) != 1 || interrupted[0] != old {
		t.Errorf("MarkInterrupted = %v, want [%d]", interrupted, old)
	}

	un, err := s.Unfinished(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range un {
		got = append(got, p.Address+"/"+p.RunFingerprint)
	}
	if want := "b@contoso.com/old c@contoso.com/old"; strings.Join(got, " ") != want {
		t.Fatalf("Unfinished = %v, want %s (done a must not be listed)", got, want)
	}
	if err := s.ResolvePending(ctx, cur, roster.Record{ID: un[0].ID, Status: roster.StatusDone, ProcoreID: 77}); err != nil {
		t.Fatal(err)
	}
	if err := s.ResolvePending(ctx, cur, roster.Record{ID: un[0].ID, Status: roster.StatusDone}); !errors.Is(err, ErrNotFound) {
		t.Errorf("second ResolvePending = %v, want ErrNotFound", err)
	}
	if err := s.ResolvePending(ctx, cur, roster.Record{ID: un[1].ID, Status: roster.StatusSkipped, Error: "not found in Procore; planned again"}); err != nil {
		t.Fatal(err)
	}
	if un, err := s.Unfinished(ctx); err != nil || len(un) != 0 {
		t.Fatalf("Unfinished after resolving = %v, %v; want none", un, err)
	}
	d, err := s.Run(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != RunInterrupted {
		t.Errorf("old run outcome = %s, want interrupted", d.Outcome)
	}
	if b := d.Actions[1]; b.ResolvedByRun != cur || b.ProcoreID != 77 {
		t.Errorf("resolved action = %+v, want resolved by %d with id 77", b, cur)
	}
	if a := d.Actions[0]; a.ResolvedByRun != 0 {
		t.Errorf("action done in its own run has ResolvedByRun %d", a.ResolvedByRun)
	}
}

func TestRunsAndReports(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	var ids []int64
	for i := range 3 {
		id, err := s.BeginRun(ctx, RunInfo{Mode: ModeAuto, Started: time.Date(2026, 1, 1+i, 5, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := s.RecordReport(ctx, Report{RunID: ids[1], Path: "/s/reports/r.html", Recipients: []string{"it@contoso.com"}, Sent: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordReport(ctx, Report{RunID: 999, Path: "x"}); err == nil {
		t.Error("RecordReport for an unknown run succeeded; foreign keys are off")
	}
	runs, err := s.Runs(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != ids[2] || runs[1].ID != ids[1] {
		t.Fatalf("Runs(2) = %+v, want the newest two, newest first", runs)
	}
	if !runs[1].Started.Equal(time.Date(2026, 1, 2, 5, 0, 0, 0, time.UTC)) {
		t.Errorf("Started = %v", runs[1].Started)
	}
	if all, _ := s.Runs(ctx, 0); len(all) != 3 {
		t.Errorf("Runs(0) returned %d runs, want all 3", len(all))
	}
	d, err := s.Run(ctx, ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Reports) != 1 || !d.Reports[0].Sent || d.Reports[0].SentAt.IsZero() || d.Reports[0].Recipients[0] != "it@contoso.com" {
		t.Errorf("reports = %+v", d.Reports)
	}
	if _, err := s.Run(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Run(999) = %v, want ErrNotFound", err)
	}
}

// TestCrashDurability kills a process that wrote intents without closing the
// journal, then checks that the next Open sees exactly what was committed.
func TestCrashDurability(t *testing.T) {
	dir := t.TempDir()
	cmd, line := startChild(t, "crash", dir)
	var run, a, b, c int64
	if _, err := fmt.Sscanf(line, "written %d %d %d %d", &run, &a, &b, &c); err != nil {
		t.Fatalf("child said %q: %v", line, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	ctx := context.Background()
	s := open(t, dir)
	un, err := s.Unfinished(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(un) != 2 || un[0].ID != b || un[1].ID != c || un[0].RunID != run {
		t.Fatalf("Unfinished after SIGKILL = %+v, want actions %d and %d of run %d", un, b, c, run)
	}
	d, err := s.Run(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if d.Actions[0].Status != roster.StatusDone || d.Actions[0].ProcoreID != 501 {
		t.Errorf("committed outcome lost: %+v", d.Actions[0])
	}
	if d.Outcome != RunRunning {
		t.Errorf("killed run outcome = %s, want running until MarkInterrupted", d.Outcome)
	}
}

func TestLockAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	cmd, line := startChild(t, "lock", dir)
	if line != "locked" {
		t.Fatalf("child said %q", line)
	}
	_, err := Lock(dir)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Lock while a child holds it = %v, want *LockedError", err)
	}
	host, _ := os.Hostname()
	if le.Holder == nil || le.Holder.PID != cmd.Process.Pid || le.Holder.Host != host {
		t.Errorf("holder = %+v, want pid %d on %s", le.Holder, cmd.Process.Pid, host)
	}
	wantMsg := fmt.Sprintf("another procsync run (pid %d on %s, started ", cmd.Process.Pid, host)
	if !strings.HasPrefix(err.Error(), wantMsg) || !strings.HasSuffix(err.Error(), ") holds "+filepath.Join(dir, LockFileName)) {
		t.Errorf("message = %q, want it to start %q and name the lock file", err, wantMsg)
	}

	// The child dies holding the lock: the OS releases it and the next
	// locker takes it over, learning who held it.
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	l, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after the holder died: %v", err)
	}
	if l.Stale == nil || l.Stale.PID != cmd.Process.Pid {
		t.Errorf("Stale = %+v, want the dead child pid %d", l.Stale, cmd.Process.Pid)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	// After a clean unlock nothing is stale.
	l, err = Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	if l.Stale != nil {
		t.Errorf("Stale after a clean unlock = %+v", l.Stale)
	}
}

func TestLockStaleFileTakeover(t *testing.T) {
	dir := t.TempDir()
	// A lock file left by a process that is gone (pid numbers this large are
	// not handed out), with no OS lock on it.
	stale := `{"pid":2147483000,"host":"old-host","started":"2026-01-01T05:00:00Z"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, LockFileName), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock over a stale file: %v", err)
	}
	defer l.Unlock()
	if l.Stale == nil || l.Stale.PID != 2147483000 || l.Stale.Host != "old-host" {
		t.Errorf("Stale = %+v", l.Stale)
	}
	b, _ := os.ReadFile(l.Path())
	if !strings.Contains(string(b), `"pid":`+strconv.Itoa(os.Getpid())) {
		t.Errorf("lock file holds %q, want this pid", b)
	}
	// A second lock in the same process also fails: flock locks belong to
	// the open file, so two opens conflict.
	if _, err := Lock(dir); err == nil {
		t.Error("second Lock in the same process succeeded")
	}
}

// TestConcurrentOpenMigratesOnce opens a fresh journal from several
// connections at once, as two processes starting together would.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dir := t.TempDir()
	const n = 4
	errs := make(chan error, n)
	stores := make(chan *Store, n)
	for range n {
		go func() {
			s, err := Open(dir)
			errs <- err
			stores <- s
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
		if s := <-stores; s != nil {
			defer s.Close()
		}
	}
	s := open(t, dir)
	var versions int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM schema_version`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions != len(migrations) {
		t.Errorf("schema_version has %d rows, want %d", versions, len(migrations))
	}
}

func benchIntents(n int) []roster.Record {
	in := make([]roster.Record, n)
	for i := range in {
		in[i] = roster.Record{Kind: roster.KindCreate, Address: fmt.Sprintf("user%05d@contoso.com", i), EntraID: fmt.Sprintf("e-%d", i), FirstName: "F", LastName: "L"}
	}
	return in
}

// BenchmarkRecordBatch1000 measures one sync batch's journal cost: 1000
// intents in one transaction, then their 1000 outcomes in another.
func BenchmarkRecordBatch1000(b *testing.B) {
	ctx := context.Background()
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	run, _ := s.BeginRun(ctx, RunInfo{Mode: ModeAuto})
	intents := benchIntents(1000)
	b.ResetTimer()
	for b.Loop() {
		ids, err := s.RecordIntents(ctx, run, intents)
		if err != nil {
			b.Fatal(err)
		}
		outs := make([]roster.Record, len(ids))
		for i, id := range ids {
			outs[i] = roster.Record{ID: id, Status: roster.StatusDone, ProcoreID: int64(i + 1)}
		}
		if err := s.RecordOutcomes(ctx, outs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnfinished measures the resume check over a journal of 10,000
// settled actions and 100 pending ones.
func BenchmarkUnfinished(b *testing.B) {
	ctx := context.Background()
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	run, _ := s.BeginRun(ctx, RunInfo{Mode: ModeAuto})
	ids, err := s.RecordIntents(ctx, run, benchIntents(10100))
	if err != nil {
		b.Fatal(err)
	}
	outs := make([]roster.Record, 10000)
	for i := range outs {
		outs[i] = roster.Record{ID: ids[i], Status: roster.StatusDone}
	}
	if err := s.RecordOutcomes(ctx, outs); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		un, err := s.Unfinished(ctx)
		if err != nil || len(un) != 100 {
			b.Fatalf("Unfinished = %d, %v", len(un), err)
		}
	}
}

func TestOutcomeKeepsKnownProcoreID(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	run, _ := s.BeginRun(ctx, RunInfo{Mode: ModeTUI})
	ids, err := s.RecordIntents(ctx, run, []roster.Record{{Kind: roster.KindReactivate, Address: "li@contoso.com", ProcoreID: 4410}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOutcome(ctx, roster.Record{ID: ids[0], Status: roster.StatusFailed, Error: "procore: reactivate li@contoso.com: 403"}); err != nil {
		t.Fatal(err)
	}
	d, _ := s.Run(ctx, run)
	if a := d.Actions[0]; a.ProcoreID != 4410 || a.Status != roster.StatusFailed {
		t.Errorf("action = %+v, want failed with Procore id 4410 kept", a)
	}
}
