// Package windows holds the Task Scheduler definition and the PowerShell
// wrapper that run procsync on Windows. It has no Go code of its own: its
// tests hold the files to the schedule, the schema and the README.
package windows

import (
	"encoding/xml"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	taskFile    = "procsync-task.xml"
	wrapperFile = "run-procsync.ps1"
)

// task is the part of the task XML the schedule depends on. Field names
// match elements in any namespace; parseTree checks the namespace.
type task struct {
	XMLName  xml.Name `xml:"http://schemas.microsoft.com/windows/2004/02/mit/task Task"`
	Version  string   `xml:"version,attr"`
	Triggers struct {
		Calendar []calendarTrigger `xml:"CalendarTrigger"`
	} `xml:"Triggers"`
	Principals []principal `xml:"Principals>Principal"`
	Settings   struct {
		MultipleInstancesPolicy string
		ExecutionTimeLimit      string
		AllowHardTerminate      string
		Enabled                 string
	} `xml:"Settings"`
	Actions struct {
		Context string `xml:"Context,attr"`
		Exec    []struct {
			Command   string
			Arguments string
		} `xml:"Exec"`
	} `xml:"Actions"`
}

type calendarTrigger struct {
	Enabled       string
	StartBoundary string
	EndBoundary   string
	Repetition    struct {
		Interval          string
		Duration          string
		StopAtDurationEnd string
	}
	ScheduleByWeek *struct {
		WeeksInterval string
		DaysOfWeek    struct {
			Days []xml.Name `xml:",any"`
		}
	}
}

type principal struct {
	ID        string `xml:"id,attr"`
	UserID    string `xml:"UserId"`
	LogonType string
	RunLevel  string
}

// checkTask returns every way data fails to be the schedule the README
// promises: schema-valid task XML that runs the wrapper Monday to Friday,
// hourly from 05:00 to 17:00, whether the account is logged on or not, one
// run at a time and bounded, with no secret in it.
func checkTask(data []byte, wrapperLimit time.Duration) []error {
	root, err := parseTree(data)
	if err != nil {
		return []error{err}
	}
	errs := validate(root, "Task")
	errs = append(errs, secretsIn("task XML", string(data))...)

	var tk task
	if err := xml.Unmarshal(data, &tk); err != nil {
		return append(errs, err)
	}
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !slices.Contains([]string{"1.2", "1.3", "1.4"}, tk.Version) {
		bad("Task version=%q: want 1.2 or later (1.2 reads on every Windows since Vista and Server 2008)", tk.Version)
	}

	if len(tk.Triggers.Calendar) != 1 {
		bad("want exactly one CalendarTrigger, got %d", len(tk.Triggers.Calendar))
	} else {
		errs = append(errs, checkTrigger(tk.Triggers.Calendar[0])...)
	}

	if len(tk.Principals) != 1 {
		bad("want one Principal, got %d", len(tk.Principals))
	} else {
		p := tk.Principals[0]
		// Password: runs whether the account is logged on or not, with its
		// Credential Manager and the network (S4U has neither).
		if p.LogonType != "Password" {
			bad("Principal LogonType %q: want Password, which the wrapper's Credential Manager default needs", p.LogonType)
		}
		if p.RunLevel != "LeastPrivilege" {
			bad("Principal RunLevel %q: procsync needs no administrator rights, want LeastPrivilege", p.RunLevel)
		}
		if p.UserID != "" {
			bad("Principal UserId %q: the account is chosen at registration (schtasks /ru), not in the shared file", p.UserID)
		}
		if p.ID == "" || p.ID != tk.Actions.Context {
			bad("Actions Context %q must name the Principal id %q", tk.Actions.Context, p.ID)
		}
	}

	s := tk.Settings
	if s.MultipleInstancesPolicy != "IgnoreNew" {
		bad("MultipleInstancesPolicy %q: want IgnoreNew, so that two runs never overlap", s.MultipleInstancesPolicy)
	}
	if limit, err := parseDuration(s.ExecutionTimeLimit); err != nil || limit <= 0 || limit >= time.Hour {
		bad("Settings ExecutionTimeLimit %q: want a limit under the hour between runs", s.ExecutionTimeLimit)
	} else if wrapperLimit >= limit {
		bad("the wrapper's TimeoutMinutes (%v) must end procsync before the task's ExecutionTimeLimit (%v) ends the wrapper", wrapperLimit, limit)
	}
	if s.AllowHardTerminate == "false" {
		bad("AllowHardTerminate false would let a run outlive ExecutionTimeLimit")
	}
	if s.Enabled == "false" {
		bad("the task is disabled")
	}

	if len(tk.Actions.Exec) != 1 {
		bad("want one Exec action, got %d", len(tk.Actions.Exec))
	} else {
		errs = append(errs, checkExec(tk.Actions.Exec[0].Command, tk.Actions.Exec[0].Arguments)...)
	}
	return errs
}

func checkTrigger(tr calendarTrigger) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if tr.Enabled == "false" {
		bad("the trigger is disabled")
	}
	if tr.EndBoundary != "" {
		bad("EndBoundary %q would stop the schedule one day", tr.EndBoundary)
	}
	start, err := parseLocal(tr.StartBoundary)
	if err != nil {
		bad("StartBoundary %q: want a local time with no offset, such as 2025-01-06T05:00:00, so that 05:00 is the machine's 05:00", tr.StartBoundary)
	} else if h, m, s := start.Clock(); h != 5 || m != 0 || s != 0 {
		bad("StartBoundary %q: the first run must start at 05:00:00", tr.StartBoundary)
	}

	w := tr.ScheduleByWeek
	if w == nil {
		bad("want a weekly schedule (ScheduleByWeek)")
	} else {
		if w.WeeksInterval != "1" {
			bad("WeeksInterval %q: want every week", w.WeeksInterval)
		}
		var days []string
		for _, d := range w.DaysOfWeek.Days {
			days = append(days, d.Local)
		}
		want := []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}
		sorted := slices.Clone(days)
		slices.SortFunc(sorted, func(a, b string) int { return slices.Index(want, a) - slices.Index(want, b) })
		if !slices.Equal(sorted, want) {
			bad("DaysOfWeek %v: want exactly Monday to Friday", days)
		}
	}

	// Starts at 05:00 and every Interval within Duration: Microsoft's
	// IRepetitionPattern remarks say an interval of 1 minute for 4 minutes
	// launches the task 5 times, so the end of the duration is a run too.
	every, err1 := parseDuration(tr.Repetition.Interval)
	span, err2 := parseDuration(tr.Repetition.Duration)
	switch {
	case err1 != nil || err2 != nil:
		bad("Repetition Interval %q Duration %q: want PT1H for PT12H", tr.Repetition.Interval, tr.Repetition.Duration)
	case every != time.Hour:
		bad("Repetition Interval %s: want hourly runs (PT1H)", tr.Repetition.Interval)
	case err == nil && start.Add(span/every*every).Format("15:04") != "17:00":
		bad("Repetition Duration %s: the last run starts at %s, want 17:00", tr.Repetition.Duration, start.Add(span/every*every).Format("15:04"))
	}
	if tr.Repetition.StopAtDurationEnd == "true" {
		bad("StopAtDurationEnd true would stop the 17:00 run as it starts")
	}
	return errs
}

// checkExec wants Windows PowerShell, by full path, running the wrapper
// with -File (so that the script's exit code is the task's result) and
// without profiles or prompts.
func checkExec(command, args string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	lc := strings.ToLower(command)
	if !strings.HasSuffix(lc, `\windowspowershell\v1.0\powershell.exe`) ||
		!(strings.HasPrefix(lc, `%systemroot%\`) || strings.HasPrefix(lc, `c:\windows\`)) {
		bad("Exec Command %q: want the full path of Windows PowerShell, %%SystemRoot%%\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", command)
	}
	fields := strings.Fields(args)
	for _, opt := range []string{"-NoProfile", "-NonInteractive"} {
		if !slices.ContainsFunc(fields, func(f string) bool { return strings.EqualFold(f, opt) }) {
			bad("Exec Arguments %q: want %s", args, opt)
		}
	}
	i := slices.IndexFunc(fields, func(f string) bool { return strings.EqualFold(f, "-File") })
	if i < 0 || i+1 >= len(fields) {
		bad("Exec Arguments %q: want -File and the wrapper's path", args)
		return errs
	}
	script := strings.Trim(strings.Join(fields[i+1:], " "), `"`)
	if name := script[strings.LastIndexAny(script, `\/`)+1:]; name != wrapperFile {
		bad("Exec Arguments run %q: want the wrapper %s", script, wrapperFile)
	}
	return errs
}

// assignedRE finds a password or secret given a value, or passed to
// schtasks (/rp) or cmdkey (/pass:) instead of asked for; tokenRE finds a
// long run of letters and digits such as a client secret or a key.
var (
	assignedRE = regexp.MustCompile(`(?i)(?:password|secret|pwd)["']?(?:\s*=\s*|:)["']?[^\s"'<>*…]{6,}|/rp\s+[^\s*]|/pass:\S`)
	tokenRE    = regexp.MustCompile(`[A-Za-z0-9~._+/=-]{24,}`)
)

// secretsIn reports anything in text that looks like a secret.
func secretsIn(what, text string) []error {
	var errs []error
	for _, m := range assignedRE.FindAllString(text, -1) {
		errs = append(errs, fmt.Errorf("%s holds what looks like a secret: %q", what, m))
	}
	for _, m := range tokenRE.FindAllString(text, -1) {
		letters := strings.ContainsFunc(m, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' })
		if strings.Contains(m, "schemas.microsoft.com") || !letters || !strings.ContainsAny(m, "0123456789") {
			continue
		}
		errs = append(errs, fmt.Errorf("%s holds what looks like a secret: %q", what, m))
	}
	return errs
}

var timeoutRE = regexp.MustCompile(`\[int\]\$TimeoutMinutes\s*=\s*(\d+)`)

// wrapperTimeout is the default -TimeoutMinutes of run-procsync.ps1.
func wrapperTimeout(t *testing.T) time.Duration {
	t.Helper()
	m := timeoutRE.FindSubmatch(read(t, wrapperFile))
	if m == nil {
		t.Fatalf("%s: no [int]$TimeoutMinutes = N default", wrapperFile)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return time.Duration(n) * time.Minute
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestTaskXML holds procsync-task.xml to the schema subset in schema_test.go
// and to the schedule the README documents.
func TestTaskXML(t *testing.T) {
	for _, err := range checkTask(read(t, taskFile), wrapperTimeout(t)) {
		t.Error(err)
	}
}

// TestTaskXMLCheckFails breaks the task file in the ways that matter and
// wants checkTask to notice each one, so that TestTaskXML cannot pass on a
// file that no longer does what the README says.
func TestTaskXMLCheckFails(t *testing.T) {
	// A Windows checkout may have CRLF line ends; the mutations are written with LF.
	good := strings.ReplaceAll(string(read(t, taskFile)), "\r\n", "\n")
	tests := []struct {
		name string
		// want is part of the error that must name the breakage.
		want string
		// pairs are old, new strings, each old replaced once.
		pairs []string
	}{
		{"not well-formed", "XML syntax error", []string{"</Task>", ""}},
		{"other namespace", "namespace", []string{"windows/2004/02/mit/task", "windows/2004/02/mit/tasks"}},
		{"no version", "version", []string{` version="1.2"`, ""}},
		{"UTF-8 declared", "encoding", []string{`<?xml version="1.0"?>`, `<?xml version="1.0" encoding="UTF-8"?>`}},
		{"UTF-16 declared", "encoding", []string{`<?xml version="1.0"?>`, `<?xml version="1.0" encoding="UTF-16"?>`}},
		{"not ASCII", "ASCII", []string{"<Author>procsync", "<Author>procsync\u00a0"}},
		{"double hyphen in a comment", `"--"`, []string{"<!-- One run at a time", "<!-- One run -- at a time"}},
		{"misspelt element", "<MultipleInstancePolicy> is not allowed", []string{"<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>", "<MultipleInstancePolicy>IgnoreNew</MultipleInstancePolicy>"}},
		{"out of the schema's order", "out of order", []string{
			"      <Enabled>true</Enabled>\n      <!-- A past Monday", "      <!-- A past Monday",
			"      </Repetition>\n", "      </Repetition>\n      <Enabled>true</Enabled>\n"}},
		{"twice", "appears twice", []string{"<RunOnlyIfIdle>false</RunOnlyIfIdle>", "<RunOnlyIfIdle>false</RunOnlyIfIdle><RunOnlyIfIdle>false</RunOnlyIfIdle>"}},
		{"bad boolean", "not one of true, false", []string{"<StopAtDurationEnd>false", "<StopAtDurationEnd>no"}},
		{"bad duration", "not a duration", []string{"<ExecutionTimeLimit>PT45M<", "<ExecutionTimeLimit>45 minutes<"}},
		{"no Friday", "Monday to Friday", []string{"<Friday />", ""}},
		{"Saturday too", "Monday to Friday", []string{"<Friday />", "<Friday />\n<Saturday />"}},
		{"every other week", "every week", []string{"<WeeksInterval>1<", "<WeeksInterval>2<"}},
		{"starts at 06:00", "05:00:00", []string{"T05:00:00", "T06:00:00"}},
		{"UTC start", "local time", []string{"T05:00:00<", "T05:00:00Z<"}},
		{"every two hours", "hourly", []string{"<Interval>PT1H<", "<Interval>PT2H<"}},
		{"ends at 16:00", "want 17:00", []string{"<Duration>PT12H<", "<Duration>PT11H<"}},
		{"stops the last run", "StopAtDurationEnd", []string{"<StopAtDurationEnd>false", "<StopAtDurationEnd>true"}},
		{"only when logged on", "LogonType", []string{"<LogonType>Password<", "<LogonType>InteractiveToken<"}},
		{"as administrator", "RunLevel", []string{"<RunLevel>LeastPrivilege<", "<RunLevel>HighestAvailable<"}},
		{"an account in the file", "UserId", []string{"<LogonType>", "<UserId>CONTOSO\\svc-procsync</UserId>\n      <LogonType>"}},
		{"parallel runs", "IgnoreNew", []string{">IgnoreNew<", ">Parallel<"}},
		{"no time limit", "ExecutionTimeLimit", []string{"    <ExecutionTimeLimit>PT45M</ExecutionTimeLimit>\n", ""}},
		{"limit under the wrapper's", "TimeoutMinutes", []string{"<ExecutionTimeLimit>PT45M<", "<ExecutionTimeLimit>PT30M<"}},
		{"context names no principal", "Context", []string{`Context="Author"`, `Context="Other"`}},
		{"not PowerShell", "full path", []string{`%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe`, `powershell.exe`}},
		{"profile loaded", "-NoProfile", []string{"-NoProfile ", ""}},
		{"another script", "wrapper", []string{`run-procsync.ps1"`, `other.ps1"`}},
		{"a secret assigned", "secret", []string{"<Author>procsync", "<Author>PROCSYNC_GRAPH_CLIENT_SECRET=Zx8Q~abcd"}},
		{"a secret-looking token", "secret", []string{"<Author>procsync", "<Author>Zx8Q~abcdEFGH1234ijklMNOP5678"}},
		{"a password on the command line", "secret", []string{"/rp *", "/rp Winter2026"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			broken := good
			for i := 0; i < len(tt.pairs); i += 2 {
				if !strings.Contains(broken, tt.pairs[i]) {
					t.Fatalf("%s no longer contains %q: update this mutation", taskFile, tt.pairs[i])
				}
				broken = strings.Replace(broken, tt.pairs[i], tt.pairs[i+1], 1)
			}
			errs := checkTask([]byte(broken), 40*time.Minute)
			if !slices.ContainsFunc(errs, func(err error) bool { return strings.Contains(err.Error(), tt.want) }) {
				t.Errorf("with %q, checkTask says %v; want an error about %s", tt.pairs, errs, tt.want)
			}
		})
	}
}
