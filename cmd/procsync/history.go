package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"procsync/internal/safetext"
	"procsync/sync/report"
	"procsync/sync/roster"
	"procsync/sync/store"
)

// Every string history prints comes from the journal, and through it from
// the directories and the services. New runs store it sanitised (the
// snapshot and the clients clean text as they read it), but a journal
// written by an older procsync may hold raw text: history cleans it again
// with safetext before it reaches the terminal or the JSON.

// HistoryOptions are the inputs of `procsync history`.
type HistoryOptions struct {
	IO *IOStreams
	// StateDir resolves the state directory that holds the journal.
	StateDir func() (string, error)

	JSON  bool
	CSV   bool
	RunID int64
	// Limit caps the runs listed; 0 lists them all (the default with
	// --since).
	Limit int
	// Since, when set, lists only the runs started since then.
	Since sinceFlag
	// Now is the clock --since durations count back from; nil means
	// time.Now.
	Now func() time.Time
}

// NewCmdHistory builds `procsync history [--since WHEN] [--json|--csv]
// [--run ID]`. runF, when not nil, replaces runHistory (tests).
func NewCmdHistory(f *Factory, runF func(context.Context, *HistoryOptions) error) *cobra.Command {
	opts := &HistoryOptions{IO: f.IO, StateDir: f.StateDir}
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Show past runs and what each did, from the journal",
		Long: `List the last runs recorded in the journal (<state dir>/journal.db): when,
in which mode, who approved, the plan counts, what was applied and the outcome.
With --run ID, list that run's actions one by one, with Procore ids, errors and
the service's request ids.

--since lists every run started since a date (2026-11-01, midnight on this
machine's clock), a time (2026-11-01T08:00:00Z) or a duration back from now
(7d, 36h, 90m); --limit still caps the list when given.

--csv prints the same rows as CSV for a spreadsheet: one line per run, or with
--run ID one per action, after a header row. Cells a spreadsheet would run as a
formula (starting with = + - @) are prefixed with a single quote. --json and
--csv cannot be combined.`,
		Example: `  procsync history
  procsync history --since 7d
  procsync history --since 2026-11-01 --csv > runs.csv
  procsync history --run 12
  procsync history --run 12 --csv > run-12.csv
  procsync history --json`,
		Args: noArgs,
		// The flag groups are checked here, before cobra would, so that a
		// clash is a usage error (exit 2) that says what to do.
		PreRunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			switch {
			case f.Changed("json") && f.Changed("csv"):
				return flagErrorf("--json and --csv cannot be combined: pick one output format")
			case f.Changed("since") && f.Changed("run"):
				return flagErrorf("--since lists runs and --run shows one run: use one or the other")
			}
			if err := cmd.ValidateFlagGroups(); err != nil {
				return &FlagError{Err: err}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Since.set() && !cmd.Flags().Changed("limit") {
				opts.Limit = 0
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runHistory(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON instead of a table")
	cmd.Flags().BoolVar(&opts.CSV, "csv", false, "print CSV (RFC 4180, with a header row) instead of a table")
	cmd.Flags().Int64Var(&opts.RunID, "run", 0, "show one run's actions")
	cmd.Flags().IntVar(&opts.Limit, "limit", 20, "how many runs to list (all with --since, unless given)")
	cmd.Flags().Var(&opts.Since, "since", "list the runs started since a date (2026-11-01), a time (2026-11-01T08:00:00Z) or a duration ago (7d, 36h)")
	cmd.MarkFlagsMutuallyExclusive("json", "csv")
	cmd.MarkFlagsMutuallyExclusive("since", "run")
	return cmd
}

// sinceFlag is --since: an absolute time, or a duration counted back from
// the moment the command runs.
type sinceFlag struct {
	raw string
	at  time.Time
	ago time.Duration
}

// sinceForms names what --since accepts, for its error.
const sinceForms = "want a date (2026-11-01), a time (2026-11-01T08:00:00Z) or a duration back from now (7d, 36h, 90m)"

// String implements pflag.Value.
func (f *sinceFlag) String() string { return f.raw }

// Type implements pflag.Value; it is what --help shows as the argument.
func (f *sinceFlag) Type() string { return "DATE|DURATION" }

// Set implements pflag.Value. A date alone is midnight on this machine's
// clock, the start of the day the admin means.
func (f *sinceFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	*f = sinceFlag{raw: s}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		f.at = t
		return nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		f.at = t
		return nil
	}
	d, err := time.ParseDuration(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
	}
	if err != nil || d <= 0 {
		*f = sinceFlag{}
		return errors.New(sinceForms)
	}
	f.ago = d
	return nil
}

func (f *sinceFlag) set() bool { return !f.at.IsZero() || f.ago > 0 }

// resolve is the time --since means when the command runs at now; zero when
// it was not given.
func (f *sinceFlag) resolve(now time.Time) time.Time {
	if f.ago > 0 {
		return now.Add(-f.ago)
	}
	return f.at
}

// runHistory lists the journal's runs, or one run's actions.
func runHistory(ctx context.Context, opts *HistoryOptions) error {
	out := opts.IO.Out
	dir, err := opts.StateDir()
	if err != nil {
		return err
	}
	path := filepath.Join(dir, store.FileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		// Reading the history must not create a journal (or the state
		// directory): no journal simply means no runs.
		return noHistory(out, path, opts)
	}
	st, err := store.Open(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	if opts.RunID > 0 {
		d, err := st.Run(ctx, opts.RunID)
		if errors.Is(err, store.ErrNotFound) {
			return noRun(opts.RunID, st.Path())
		}
		if err != nil {
			return err
		}
		switch {
		case opts.JSON:
			return writeJSON(out, runJSON(d.Run, d.Actions))
		case opts.CSV:
			return writeActionsCSV(out, d.Actions)
		}
		printRun(out, d)
		return nil
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	runs, err := st.RunsSince(ctx, opts.Since.resolve(now()), opts.Limit)
	if err != nil {
		return err
	}
	if opts.CSV {
		return writeRunsCSV(out, runs)
	}
	if opts.JSON {
		list := make([]any, 0, len(runs))
		for _, r := range runs {
			list = append(list, runJSON(r, nil))
		}
		return writeJSON(out, list)
	}
	if len(runs) == 0 {
		if opts.Since.set() {
			fmt.Fprintf(out, "No runs since %s in %s.\n", fmtTime(opts.Since.resolve(now())), st.Path())
			return nil
		}
		fmt.Fprintf(out, "No runs yet in %s.\n%s", st.Path(), demoHint)
		return nil
	}
	printRuns(out, runs)
	return nil
}

// noHistory answers history when there is no journal at path yet.
func noHistory(w io.Writer, path string, opts *HistoryOptions) error {
	switch {
	case opts.RunID > 0:
		return noRun(opts.RunID, path)
	case opts.JSON:
		return writeJSON(w, []any{})
	case opts.CSV:
		return writeRunsCSV(w, nil)
	}
	_, err := fmt.Fprintf(w, "No runs yet in %s.\n%s", path, demoHint)
	return err
}

// demoHint explains where demo runs went: `procsync demo` keeps its journal
// in a temporary directory unless it is given a state directory.
const demoHint = "Runs of `procsync demo` are kept in a temporary directory; run the demo with --state-dir DIR, then `procsync history --state-dir DIR`.\n"

func noRun(id int64, path string) error {
	return fmt.Errorf("history: no run %d in %s (procsync history lists the runs)", id, path)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// countsLine renders plan counts in plan order, leaving out zeros.
func countsLine(c roster.Counts) string {
	var parts []string
	for _, k := range roster.Kinds {
		if n := c[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func appliedLine(a map[roster.Status]int) string {
	var parts []string
	for _, s := range []roster.Status{roster.StatusDone, roster.StatusFailed, roster.StatusSkipped, store.StatusPending, roster.StatusPlanned} {
		if n := a[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, n))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func printRuns(w io.Writer, runs []store.Run) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tMODE\tBY\tOUTCOME\tPLAN\tAPPLIED")
	for _, r := range runs {
		mode := string(r.Mode)
		if r.DryRun {
			mode += " (dry run)"
		}
		applied := appliedLine(r.Applied)
		if len(r.Memberships) > 0 {
			applied += "; projects: " + appliedLine(r.Memberships)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, fmtTime(r.Started), mode, dash(safetext.Line(r.ApprovedBy)),
			safetext.Line(string(r.Outcome)), countsLine(r.Counts), applied)
	}
	tw.Flush()
}

func printRun(w io.Writer, d *store.RunDetail) {
	r := d.Run
	line := safetext.Line
	fmt.Fprintf(w, "Run %d  %s → %s  mode %s  by %s\n", r.ID, fmtTime(r.Started), fmtTime(r.Ended), line(string(r.Mode)), dash(line(r.ApprovedBy)))
	fmt.Fprintf(w, "Outcome: %s", line(string(r.Outcome)))
	if r.Error != "" {
		fmt.Fprintf(w, " (%s)", line(r.Error))
	}
	fmt.Fprintf(w, "\nEnvironment: %s, company %d, plan %s\nPlan: %s\n\n", dash(line(r.Environment)), r.CompanyID, dash(line(r.Fingerprint)), countsLine(r.Counts))
	if len(d.Actions) == 0 {
		fmt.Fprintln(w, "No actions were recorded for this run.")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tEMAIL\tNAME\tSTATUS\tPROCORE ID\tDETAIL")
		for _, a := range d.Actions {
			detail := a.Reason
			if a.Error != "" {
				detail = a.Error
				if a.RequestID != "" {
					detail += " (request " + a.RequestID + ")"
				}
			}
			id := "-"
			if a.ProcoreID != 0 {
				id = fmt.Sprint(a.ProcoreID)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", line(string(a.Kind)), line(a.Address),
				strings.TrimSpace(line(a.FirstName)+" "+line(a.LastName)), line(string(a.Status)), id, oneLine(line(detail)))
		}
		tw.Flush()
	}
	for _, rep := range d.Reports {
		sent := "saved, not sent"
		if rep.Sent {
			sent = "sent to " + line(strings.Join(rep.Recipients, ", "))
		}
		fmt.Fprintf(w, "\nReport: %s (%s)\n", line(rep.Path), sent)
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a table row on one line whatever the service answered.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// historyAction is actionJSON and what only the journal knows.
type historyAction struct {
	actionJSON
	RequestID string `json:"request_id,omitempty"`
	ProjectID int64  `json:"project_id,omitempty"`
}

type historyRun struct {
	ID          int64                 `json:"id"`
	Started     time.Time             `json:"started"`
	Ended       *time.Time            `json:"ended"`
	Mode        store.Mode            `json:"mode"`
	ApprovedBy  string                `json:"approved_by"`
	Environment string                `json:"environment"`
	CompanyID   int64                 `json:"company_id"`
	Fingerprint string                `json:"fingerprint"`
	DryRun      bool                  `json:"dry_run"`
	Outcome     store.RunOutcome      `json:"outcome"`
	Error       string                `json:"error,omitempty"`
	Plan        roster.Counts         `json:"plan"`
	Applied     map[roster.Status]int `json:"applied,omitempty"`
	Memberships map[roster.Status]int `json:"project_memberships,omitempty"`
	Actions     []historyAction       `json:"actions,omitempty"`
}

func runJSON(r store.Run, actions []store.Action) historyRun {
	// encoding/json escapes C0 controls but passes C1 ones (U+009B CSI,
	// U+009D OSC) through raw: clean here too.
	line, text := safetext.Line, safetext.Text
	h := historyRun{ID: r.ID, Started: r.Started, Mode: r.Mode, ApprovedBy: line(r.ApprovedBy), Environment: line(r.Environment),
		CompanyID: r.CompanyID, Fingerprint: line(r.Fingerprint), DryRun: r.DryRun, Outcome: r.Outcome, Error: text(r.Error),
		Plan: r.Counts, Applied: r.Applied, Memberships: r.Memberships}
	if !r.Ended.IsZero() {
		e := r.Ended
		h.Ended = &e
	}
	for _, a := range actions {
		h.Actions = append(h.Actions, historyAction{actionJSON: actionJSONOf(&a.Record, line, text), RequestID: line(a.RequestID), ProjectID: a.ProjectID})
	}
	return h
}

// The CSV columns of `history --csv` (runs) and `history --run ID --csv`
// (one run's actions). Times are RFC 3339 in UTC, counts are numbers, so a
// spreadsheet sorts and sums them as they are.
var (
	runsCSVHeader = []string{"run", "started", "ended", "mode", "dry_run", "approved_by", "environment", "company_id",
		"fingerprint", "outcome", "plan", "done", "failed", "skipped", "pending", "planned",
		"project_memberships_done", "project_memberships_failed", "error"}
	actionsCSVHeader = []string{"run", "action", "kind", "email", "first_name", "last_name", "entra_id", "procore_id",
		"project_id", "status", "reason", "error", "request_id", "intent_at", "done_at"}
)

// writeRunsCSV writes one CSV line per run; text from the journal is
// cleaned like the table's (safetext), the error keeping its line breaks.
func writeRunsCSV(w io.Writer, runs []store.Run) error {
	line, text := safetext.Line, safetext.Text
	rows := make([][]string, 0, len(runs))
	for _, r := range runs {
		plan := countsLine(r.Counts)
		if plan == "-" {
			plan = ""
		}
		n := func(m map[roster.Status]int, s roster.Status) string { return strconv.Itoa(m[s]) }
		rows = append(rows, []string{strconv.FormatInt(r.ID, 10), csvTime(r.Started), csvTime(r.Ended), string(r.Mode),
			strconv.FormatBool(r.DryRun), line(r.ApprovedBy), line(r.Environment), strconv.FormatInt(r.CompanyID, 10), line(r.Fingerprint),
			line(string(r.Outcome)), plan, n(r.Applied, roster.StatusDone), n(r.Applied, roster.StatusFailed),
			n(r.Applied, roster.StatusSkipped), n(r.Applied, store.StatusPending), n(r.Applied, roster.StatusPlanned),
			n(r.Memberships, roster.StatusDone), n(r.Memberships, roster.StatusFailed), text(r.Error)})
	}
	return writeCSV(w, runsCSVHeader, rows)
}

// writeActionsCSV writes one CSV line per action, cleaned as writeRunsCSV's.
func writeActionsCSV(w io.Writer, actions []store.Action) error {
	line, text := safetext.Line, safetext.Text
	rows := make([][]string, 0, len(actions))
	for _, a := range actions {
		id := func(n int64) string {
			if n == 0 {
				return ""
			}
			return strconv.FormatInt(n, 10)
		}
		rows = append(rows, []string{strconv.FormatInt(a.RunID, 10), strconv.FormatInt(a.ID, 10), line(string(a.Kind)), line(a.Address),
			line(a.FirstName), line(a.LastName), line(a.EntraID), id(a.ProcoreID), id(a.ProjectID), line(string(a.Status)),
			text(a.Reason), text(a.Error), line(a.RequestID), csvTime(a.IntentAt), csvTime(a.DoneAt)})
	}
	return writeCSV(w, actionsCSVHeader, rows)
}

// writeCSV writes header and rows as RFC 4180 CSV (encoding/csv quotes
// what needs it). report.SafeCell defuses every cell a spreadsheet would
// run as a formula, as the report's CSV does.
func writeCSV(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("history: write CSV: %w", err)
	}
	for _, row := range rows {
		for i, c := range row {
			row[i] = report.SafeCell(c)
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("history: write CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("history: write CSV: %w", err)
	}
	return nil
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
