package windows

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// taskNS is the namespace of Task Scheduler's task XML.
const taskNS = "http://schemas.microsoft.com/windows/2004/02/mit/task"

// element is one element of the task XML, with what the schema check needs.
type element struct {
	name     string
	attrs    []xml.Attr
	text     string
	line     int
	children []*element
}

// parseTree reads the task XML into a tree. It refuses what Task Scheduler
// refuses and encoding/xml lets through: a declared encoding (schtasks
// reads the file into UTF-16 first, then fails on encoding="UTF-8"; a
// declared UTF-16 would be false of an ASCII file), text outside ASCII
// (schtasks would read it in the machine's ANSI code page), and "--" inside
// a comment.
func parseTree(data []byte) (*element, error) {
	for i, b := range data {
		if b > 0x7f {
			return nil, fmt.Errorf("byte %d is not ASCII: keep the file ASCII so that its encoding cannot be misread", i)
		}
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var root *element
	var stack []*element
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := d.InputPos()
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target == "xml" && strings.Contains(string(t.Inst), "encoding") {
				return nil, fmt.Errorf("line %d: the declaration %q names an encoding: schtasks refuses encoding=\"UTF-8\" in an ASCII file, and UTF-16 would not be true; leave it out", line, t.Inst)
			}
		case xml.Comment:
			if bytes.Contains(t, []byte("--")) {
				return nil, fmt.Errorf("line %d: \"--\" inside a comment is not XML", line)
			}
		case xml.StartElement:
			if t.Name.Space != taskNS {
				return nil, fmt.Errorf("line %d: <%s> is in namespace %q, want %q", line, t.Name.Local, t.Name.Space, taskNS)
			}
			e := &element{name: t.Name.Local, attrs: t.Attr, line: line}
			if len(stack) == 0 {
				if root != nil {
					return nil, fmt.Errorf("line %d: a second root element", line)
				}
				root = e
			} else {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, e)
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// group is a complex type of the schema: which children it takes, in which
// order, which it requires, and which attributes it has.
type group struct {
	// seq says the children come in the order of slots (xs:sequence);
	// otherwise in any order (xs:all). A slot "A|B" is an xs:choice.
	seq bool
	// many says a child may repeat (Triggers, Actions).
	many     bool
	slots    []string
	required []string
	attrs    []string
}

// complexTypes is the part of Microsoft's Task Scheduler schema that the
// task file uses, keyed by element path, transcribed from the schema pages
// (taskType, registrationInfoType, triggersType, triggerBaseType,
// calendarTriggerType, repetitionType, weeklyScheduleType, daysOfWeekType,
// principalsType, principalType, settingsType, idleSettingsType,
// actionsType, execType). An element with no entry here or in simpleTypes
// is an error: Task Scheduler refuses a node it does not expect, so a
// misspelt name would only show when the task is registered.
var complexTypes = map[string]group{
	"Task": {
		slots:    []string{"RegistrationInfo", "Triggers", "Settings", "Data", "Principals", "Actions"},
		required: []string{"Actions"},
		attrs:    []string{"version"},
	},
	"Task/RegistrationInfo": {
		slots: []string{"URI", "SecurityDescriptor", "Source", "Date", "Author", "Version", "Description", "Documentation"},
	},
	"Task/Triggers": {
		many:  true,
		slots: []string{"BootTrigger", "RegistrationTrigger", "IdleTrigger", "TimeTrigger", "EventTrigger", "LogonTrigger", "SessionStateChangeTrigger", "CalendarTrigger"},
	},
	"Task/Triggers/CalendarTrigger": {
		seq: true,
		slots: []string{"Enabled", "StartBoundary", "EndBoundary", "Repetition", "ExecutionTimeLimit",
			"RandomDelay", "ScheduleByDay|ScheduleByWeek|ScheduleByMonth|ScheduleByMonthDayOfWeek"},
		// StartBoundary is "required for time and calendar triggers".
		required: []string{"StartBoundary", "ScheduleByDay|ScheduleByWeek|ScheduleByMonth|ScheduleByMonthDayOfWeek"},
		attrs:    []string{"id"},
	},
	"Task/Triggers/CalendarTrigger/Repetition": {
		slots:    []string{"Interval", "Duration", "StopAtDurationEnd"},
		required: []string{"Interval"},
	},
	"Task/Triggers/CalendarTrigger/ScheduleByWeek": {
		slots: []string{"WeeksInterval", "DaysOfWeek"},
	},
	"Task/Triggers/CalendarTrigger/ScheduleByWeek/DaysOfWeek": {
		slots: []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
	},
	"Task/Principals": {
		slots:    []string{"Principal"},
		required: []string{"Principal"},
	},
	"Task/Principals/Principal": {
		slots: []string{"UserId", "LogonType", "GroupId", "DisplayName", "RunLevel", "ProcessTokenSidType", "RequiredPrivileges"},
		attrs: []string{"id"},
	},
	"Task/Settings": {
		slots: []string{"AllowStartOnDemand", "RestartOnFailure", "MultipleInstancesPolicy", "DisallowStartIfOnBatteries",
			"StopIfGoingOnBatteries", "AllowHardTerminate", "StartWhenAvailable", "NetworkProfileName",
			"RunOnlyIfNetworkAvailable", "WakeToRun", "Enabled", "Hidden", "DeleteExpiredTaskAfter", "IdleSettings",
			"NetworkSettings", "ExecutionTimeLimit", "Priority", "RunOnlyIfIdle"},
	},
	"Task/Settings/IdleSettings": {
		slots: []string{"Duration", "WaitTimeout", "StopOnIdleEnd", "RestartOnIdle"},
	},
	"Task/Actions": {
		many:     true,
		slots:    []string{"Exec", "ComHandler", "SendEmail", "ShowMessage"},
		required: []string{"Exec|ComHandler|SendEmail|ShowMessage"},
		attrs:    []string{"Context"},
	},
	"Task/Actions/Exec": {
		slots:    []string{"Command", "Arguments", "WorkingDirectory"},
		required: []string{"Command"},
		attrs:    []string{"id"},
	},
}

// simpleTypes checks the text of each leaf element the file uses.
var simpleTypes = map[string]func(string) error{
	"Task/RegistrationInfo/Author":                                      anyString,
	"Task/RegistrationInfo/Description":                                 anyString,
	"Task/Triggers/CalendarTrigger/Enabled":                             boolean,
	"Task/Triggers/CalendarTrigger/StartBoundary":                       dateTime,
	"Task/Triggers/CalendarTrigger/EndBoundary":                         dateTime,
	"Task/Triggers/CalendarTrigger/ExecutionTimeLimit":                  duration,
	"Task/Triggers/CalendarTrigger/RandomDelay":                         duration,
	"Task/Triggers/CalendarTrigger/Repetition/Interval":                 durationBetween(time.Minute, 31*24*time.Hour),
	"Task/Triggers/CalendarTrigger/Repetition/Duration":                 durationBetween(time.Minute, 0),
	"Task/Triggers/CalendarTrigger/Repetition/StopAtDurationEnd":        boolean,
	"Task/Triggers/CalendarTrigger/ScheduleByWeek/WeeksInterval":        intBetween(1, 52),
	"Task/Triggers/CalendarTrigger/ScheduleByWeek/DaysOfWeek/Sunday":    empty,
	"Task/Triggers/CalendarTrigger/ScheduleByWeek/DaysOfWeek/Monday":    empty,
	"Task/Triggers/CalendarTrigger/ScheduleByWeek/DaysOfWeek/Tuesday":   empty,
	"Task/Triggers/CalendarTrigger/ScheduleByWeek/DaysOfWeek/Wednesday": empty,
	"Task/Triggers/CalendarTrigger/ScheduleByWeek/DaysOfWeek/Thursday":  empty,
	"Task/Triggers/CalendarTrigger/ScheduleByWeek/DaysOfWeek/Friday":    empty,
	"Task/Triggers/CalendarTrigger/ScheduleByWeek/DaysOfWeek/Saturday":  empty,
	"Task/Principals/Principal/UserId":                                  nonEmpty,
	"Task/Principals/Principal/LogonType":                               oneOf("S4U", "Password", "InteractiveToken", "InteractiveTokenOrPassword"),
	"Task/Principals/Principal/RunLevel":                                oneOf("LeastPrivilege", "HighestAvailable"),
	"Task/Settings/AllowStartOnDemand":                                  boolean,
	"Task/Settings/MultipleInstancesPolicy":                             oneOf("Parallel", "Queue", "IgnoreNew", "StopExisting"),
	"Task/Settings/DisallowStartIfOnBatteries":                          boolean,
	"Task/Settings/StopIfGoingOnBatteries":                              boolean,
	"Task/Settings/AllowHardTerminate":                                  boolean,
	"Task/Settings/StartWhenAvailable":                                  boolean,
	"Task/Settings/RunOnlyIfNetworkAvailable":                           boolean,
	"Task/Settings/WakeToRun":                                           boolean,
	"Task/Settings/Enabled":                                             boolean,
	"Task/Settings/Hidden":                                              boolean,
	"Task/Settings/RunOnlyIfIdle":                                       boolean,
	"Task/Settings/ExecutionTimeLimit":                                  duration,
	"Task/Settings/Priority":                                            intBetween(0, 10),
	"Task/Settings/IdleSettings/StopOnIdleEnd":                          boolean,
	"Task/Settings/IdleSettings/RestartOnIdle":                          boolean,
	"Task/Actions/Exec/Command":                                         nonEmpty,
	"Task/Actions/Exec/Arguments":                                       anyString,
	"Task/Actions/Exec/WorkingDirectory":                                nonEmpty,
}

// validate checks e and its subtree against complexTypes and simpleTypes.
func validate(e *element, path string) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("line %d: %s: %s", e.line, path, fmt.Sprintf(format, args...)))
	}
	if check, ok := simpleTypes[path]; ok {
		if len(e.children) > 0 {
			bad("a simple element has child elements")
		}
		if len(e.attrs) > 0 {
			bad("a simple element has attributes")
		}
		if err := check(e.text); err != nil {
			bad("%v", err)
		}
		return errs
	}
	g, ok := complexTypes[path]
	if !ok {
		bad("not an element of the task schema (or not one this test knows)")
		return errs
	}
	for _, a := range e.attrs {
		if a.Name == (xml.Name{Local: "xmlns"}) {
			continue // the default namespace, checked by parseTree
		}
		if a.Name.Space != "" || !slices.Contains(g.attrs, a.Name.Local) {
			bad("unknown attribute %q", a.Name.Local)
		}
	}
	if strings.TrimSpace(e.text) != "" {
		bad("text %q among child elements", strings.TrimSpace(e.text))
	}
	slot := func(name string) int {
		for i, s := range g.slots {
			if slices.Contains(strings.Split(s, "|"), name) {
				return i
			}
		}
		return -1
	}
	seen := map[int]bool{}
	last := -1
	for _, c := range e.children {
		i := slot(c.name)
		switch {
		case i < 0:
			bad("<%s> is not allowed here", c.name)
			continue
		case seen[i] && !g.many:
			bad("<%s> appears twice", c.name)
		case g.seq && i < last:
			bad("<%s> is out of order: the schema's sequence is %s", c.name, strings.Join(g.slots, ", "))
		}
		seen[i] = true
		last = max(last, i)
		errs = append(errs, validate(c, path+"/"+c.name)...)
	}
	for _, r := range g.required {
		if !seen[slot(strings.Split(r, "|")[0])] {
			bad("<%s> is required", r)
		}
	}
	return errs
}

func anyString(string) error { return nil }

func nonEmpty(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("empty")
	}
	return nil
}

func empty(s string) error {
	if strings.TrimSpace(s) != "" {
		return fmt.Errorf("want an empty element, got %q", s)
	}
	return nil
}

// boolean accepts the two spellings Task Scheduler writes (xs:boolean also
// allows 1 and 0, which would only make the file harder to read).
func boolean(s string) error { return oneOf("true", "false")(s) }

func oneOf(values ...string) func(string) error {
	return func(s string) error {
		if !slices.Contains(values, s) {
			return fmt.Errorf("%q is not one of %s", s, strings.Join(values, ", "))
		}
		return nil
	}
}

func intBetween(lo, hi int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("%q is not a whole number from %d to %d", s, lo, hi)
		}
		return nil
	}
}

// dateTime is xs:dateTime as Task Scheduler uses it: a local time, or one
// with an offset when "synchronize across time zones" is set.
func dateTime(s string) error {
	if _, err := parseLocal(s); err == nil {
		return nil
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return fmt.Errorf("%q is not an xs:dateTime", s)
	}
	return nil
}

func parseLocal(s string) (time.Time, error) { return time.Parse("2006-01-02T15:04:05", s) }

func duration(s string) error {
	_, err := parseDuration(s)
	return err
}

// durationBetween bounds a duration as the schema does; hi 0 is no bound.
func durationBetween(lo, hi time.Duration) func(string) error {
	return func(s string) error {
		d, err := parseDuration(s)
		if err != nil {
			return err
		}
		if d < lo || hi > 0 && d > hi {
			return fmt.Errorf("%s is outside the schema's bounds", s)
		}
		return nil
	}
}

var durationRE = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

// parseDuration reads the xs:duration forms Task Scheduler writes
// (PnDTnHnMnS; no years or months, whose length varies).
func parseDuration(s string) (time.Duration, error) {
	m := durationRE.FindStringSubmatch(s)
	if m == nil || s == "P" || strings.HasSuffix(s, "T") {
		return 0, fmt.Errorf("%q is not a duration such as PT1H or P1DT30M", s)
	}
	var d time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if m[i+1] != "" {
			n, err := strconv.Atoi(m[i+1])
			if err != nil {
				return 0, fmt.Errorf("%q: %w", s, err)
			}
			d += time.Duration(n) * unit
		}
	}
	return d, nil
}
