package report

// This file keeps the report's renderer as it was before the rows were
// rendered by hand (issue 18): html/template ranging over every cell, and
// encoding/csv with the original SafeCell. TestRendererUnchanged compares
// its output with today's, byte for byte.

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"unicode"

	"procsync/sync/roster"
)

// oldRender renders run as the old renderer did: the complete HTML, the
// mailed HTML and the CSV.
func oldRender(run Run) (full, mail string, csvData []byte, err error) {
	secs := oldSections(run)
	var f, m, c bytes.Buffer
	if err := oldWriteHTML(&f, run, oldViews(secs, 0), false); err != nil {
		return "", "", nil, err
	}
	if err := oldWriteHTML(&m, run, oldViews(secs, MailRows), true); err != nil {
		return "", "", nil, err
	}
	if err := oldWriteCSV(&c, secs); err != nil {
		return "", "", nil, err
	}
	return f.String(), m.String(), c.Bytes(), nil
}

var oldHTMLTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"css": func(s string) template.CSS { return template.CSS(s) },
	"headStyle": func(i int) template.CSS {
		if i == 0 {
			return template.CSS(styleHeadCellFirst)
		}
		return template.CSS(styleHeadCellRest)
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
</head>
<body style="{{css .S.Body}}">
<p style="{{css .S.Title}}"><strong>{{.Summary}}</strong></p>
{{- if .Recent}}
<p style="{{css .S.Note}}">{{.Recent}}</p>
{{- end}}
{{- if .Run.Cancelled}}
<p style="{{css .S.Note}}">{{.Cancelled}}</p>
{{- end}}
{{- if .Run.Error}}
<p style="{{css .S.Error}}">The run stopped with an error: {{.Run.Error}}</p>
{{- end}}
<table role="presentation" style="{{css .S.Facts}}">
{{- range .Facts}}
<tr><td style="{{css $.S.FactKey}}">{{index . 0}}</td><td>{{index . 1}}</td></tr>
{{- end}}
</table>
{{- range .Sections}}
<h3 style="{{css $.S.Title}}">{{.Title}} ({{.Total}})</h3>
{{- if .Note}}
<p style="{{css $.S.Note}}">{{.Note}}</p>
{{- end}}
<table style="{{css $.S.Table}}">
<thead>
<tr style="{{css $.S.HeadRow}}">
{{- range $i, $c := .Columns}}<th style="{{headStyle $i}}">{{$c}}</th>{{end -}}
</tr>
</thead>
<tbody>
{{- range $r := .Rows}}
<tr>{{range $c := $r}}<td style="{{css $.S.Cell}}">{{$c}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
{{- if .More}}
<p style="{{css $.S.Note}}"><em>{{.More}}</em></p>
{{- end}}
{{- end}}
{{- if not .Sections}}
<p>Every license-group member already has a Procore user; nothing needed doing.</p>
{{- end}}
{{- if .Mail}}
<p style="{{css .S.Note}}">The attached CSV (zipped when large) lists every row of this report.</p>
{{- end}}
<p style="font-size:11px;color:#777777;margin-top:18px;">Sent by procsync.</p>
</body>
</html>
`))

type oldHTMLData struct {
	Title   string
	Summary string
	// Cancelled is the note of a run the operator stopped.
	Cancelled string
	// Recent is the line about the earlier runs (RecentLine).
	Recent   string
	Run      Run
	Facts    [][2]string
	Sections []oldTableView
	S        oldHTMLStyles
	// Mail is set for the mailed body, which points at the attachment.
	Mail bool
}

type oldHTMLStyles struct {
	Body, Title, Facts, FactKey, Note, Error, Table, HeadRow, Cell string
}

type oldTableView struct {
	Title   string
	Note    string
	Columns []Column
	Rows    [][]string
	// Total is the section's number of rows; more than len(Rows) when the
	// table was cut, and then More says so.
	Total int
	More  string
}

func oldWriteHTML(w io.Writer, run Run, views []oldTableView, mail bool) error {
	d := oldHTMLData{
		Title:     Subject("", run),
		Summary:   shortSummary(run),
		Cancelled: cancelledNote(run),
		Recent:    RecentLine(run),
		Run:       run,
		Facts:     Facts(run),
		Sections:  views,
		Mail:      mail,
		S: oldHTMLStyles{Body: styleBody, Title: styleTitle, Facts: styleFacts, FactKey: styleFactKey, Note: styleNote,
			Error: styleError, Table: styleTable, HeadRow: styleHeadRow, Cell: styleCell},
	}
	if err := oldHTMLTemplate.Execute(w, d); err != nil {
		return fmt.Errorf("report: render HTML: %w", err)
	}
	return nil
}

func oldViews(secs []Section, limit int) []oldTableView {
	out := make([]oldTableView, len(secs))
	for i, s := range secs {
		rows := s.Rows
		v := oldTableView{Title: s.Title, Note: s.Note, Columns: s.Columns, Total: len(rows)}
		if limit > 0 && len(rows) > limit {
			rows = rows[:limit]
			v.More = moreText(limit, v.Total)
		}
		v.Rows = make([][]string, len(rows))
		for j, r := range rows {
			cells := make([]string, len(s.Columns))
			for k, c := range s.Columns {
				cells[k] = oldCell(r, c)
			}
			v.Rows[j] = cells
		}
		out[i] = v
	}
	return out
}

func oldSections(run Run) []Section {
	done := []Column{ColName, ColEmail, ColProcoreID}
	specs := []struct {
		title, note string
		cols        []Column
		match       func(Row) bool
	}{
		{"Created", "", done, oldIsKind(roster.KindCreate, roster.StatusDone)},
		{"Reactivated", "", done, oldIsKind(roster.KindReactivate, roster.StatusDone)},
		{"Updated", "", append(done[:len(done):len(done)], ColReason), oldIsKind(roster.KindUpdate, roster.StatusDone)},
		{"Deactivated", "", done, oldIsKind(roster.KindOffboard, roster.StatusDone)},
		{"Added to projects", "", append(done[:len(done):len(done)], ColProject), oldIsKind(roster.KindProjectAdd, roster.StatusDone)},
		{"Failed", "These were not applied. The next run tries them again.",
			[]Column{ColKind, ColName, ColEmail, ColError}, func(r Row) bool { return r.Status == roster.StatusFailed }},
		{"Skipped", "", []Column{ColKind, ColName, ColEmail, ColReason},
			func(r Row) bool { return r.Status == roster.StatusSkipped && r.Kind.Actionable() }},
		{"Planned, not applied", plannedNote(run), []Column{ColKind, ColName, ColEmail, ColReason},
			func(r Row) bool { return r.Status == roster.StatusPlanned && r.Kind.Actionable() }},
		{"Conflicts", "Ambiguous matches that procsync will not resolve on its own; fix them in Entra ID or Procore.",
			[]Column{ColName, ColEmail, ColReason}, func(r Row) bool { return r.Kind == roster.KindConflict }},
	}
	var out []Section
	if run.Held != nil && len(run.Held.Rows) > 0 {
		out = append(out, Section{
			Title:   "Held back by the brake",
			Note:    strings.Join(append(run.Held.Reasons(), run.Held.HowToAllow()), " "),
			Columns: []Column{ColKind, ColName, ColEmail, ColReason},
			Rows:    run.Held.Rows,
		})
	}
	for _, sp := range specs {
		var rows []Row
		for _, r := range run.Rows {
			if sp.match(r) {
				rows = append(rows, r)
			}
		}
		if len(rows) > 0 {
			out = append(out, Section{Title: sp.title, Note: sp.note, Columns: sp.cols, Rows: rows})
		}
	}
	// The brake section leads: when a run is refused it is the news.
	return out
}

func oldIsKind(k roster.Kind, s roster.Status) func(Row) bool {
	return func(r Row) bool { return r.Kind == k && r.Status == s }
}

func oldCell(r Row, c Column) string {
	switch c {
	case ColName:
		return strings.TrimSpace(r.FirstName + " " + r.LastName)
	case ColEmail:
		return r.Email
	case ColKind:
		return string(r.Kind)
	case ColProcoreID:
		if r.ProcoreID == 0 {
			return ""
		}
		return fmt.Sprint(r.ProcoreID)
	case ColEntraID:
		return r.EntraID
	case ColReason:
		return r.Reason
	case ColError:
		return r.Error
	case ColProject:
		if r.ProjectID == 0 {
			return ""
		}
		return fmt.Sprint(r.ProjectID)
	}
	return ""
}

func oldWriteCSV(w io.Writer, secs []Section) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("report: write CSV: %w", err)
	}
	for _, s := range secs {
		for _, r := range s.Rows {
			id := ""
			if r.ProcoreID != 0 {
				id = strconv.FormatInt(r.ProcoreID, 10)
			}
			rec := []string{s.Title, string(r.Kind), string(r.Status), r.Email, r.FirstName, r.LastName, r.EntraID, id, r.Reason, r.Error}
			for i := range rec {
				rec[i] = oldSafeCell(rec[i])
			}
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("report: write CSV: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: write CSV: %w", err)
	}
	return nil
}

func oldSafeCell(s string) string {
	if s == "" {
		return s
	}
	if s[0] == '\t' || s[0] == '\r' {
		return "'" + s
	}
	rest := strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	if rest != "" && strings.ContainsRune("=+-@", rune(rest[0])) {
		return "'" + s
	}
	return s
}
