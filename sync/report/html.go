package report

import (
	"fmt"
	"html/template"
	"io"
)

// The seed flow's table style, inline: mail clients (Outlook above all)
// ignore or strip <style> blocks, so every element carries its own style.
// The figures are DESIGN.md's "Report" section.
const (
	styleTable = "width:100%;text-align:left;border-collapse:collapse;" +
		"border:1px solid #1C6EA4;background-color:#EEEEEE;"
	styleHeadRow = "background-color:#1C6EA4;border-bottom:2px solid #444444;"
	// Header cells repeat the row's background and bottom border, because
	// several clients drop styles on <tr>.
	styleHeadCell = "border:1px solid #AAAAAA;padding:3px 2px;background-color:#1C6EA4;" +
		"border-bottom:2px solid #444444;font-size:15px;font-weight:bold;color:#FFFFFF;"
	styleHeadCellFirst = styleHeadCell + "border-left:none;"
	styleHeadCellRest  = styleHeadCell + "border-left:2px solid #D0E4F5;"
	styleCell          = "border:1px solid #AAAAAA;padding:3px 2px;font-size:13px;"
	styleBody          = "font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:13px;color:#222222;"
	styleTitle         = "font-size:16px;margin:18px 0 6px 0;"
	styleFacts         = "border-collapse:collapse;font-size:13px;margin:0 0 8px 0;"
	styleFactKey       = "padding:1px 12px 1px 0;color:#555555;"
	styleNote          = "margin:4px 0 6px 0;"
	styleError         = "color:#B00020;font-weight:bold;"
)

// htmlTemplates lays out the report page around its tables' rows, which
// are rendered by appendRow (rows.go) once and shared by the complete and
// the mailed page: a template ranging over every cell cost more than the
// rest of the report at 50,000 rows. A page is "head", then per table
// "tableStart", its rows and "tableEnd", then "foot"; the text between the
// parts is exactly what one template over the whole page wrote before, and
// every value from the directory, the journal or a server (the title,
// facts, notes, the run error) is still escaped by html/template.
var htmlTemplates = template.Must(template.New("report").Funcs(template.FuncMap{
	"style": func(name string) (template.CSS, error) {
		s, ok := htmlStyles[name]
		if !ok {
			return "", fmt.Errorf("no style %q", name)
		}
		return template.CSS(s), nil
	},
	"headStyle": func(i int) template.CSS {
		if i == 0 {
			return template.CSS(styleHeadCellFirst)
		}
		return template.CSS(styleHeadCellRest)
	},
}).Parse(`{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
</head>
<body style="{{style "body"}}">
<p style="{{style "title"}}"><strong>{{.Summary}}</strong></p>
{{- if .Recent}}
<p style="{{style "note"}}">{{.Recent}}</p>
{{- end}}
{{- if .Cancelled}}
<p style="{{style "note"}}">{{.Cancelled}}</p>
{{- end}}
{{- if .Error}}
<p style="{{style "error"}}">The run stopped with an error: {{.Error}}</p>
{{- end}}
<table role="presentation" style="{{style "facts"}}">
{{- range .Facts}}
<tr><td style="{{style "factKey"}}">{{index . 0}}</td><td>{{index . 1}}</td></tr>
{{- end}}
</table>{{end}}

{{- define "tableStart"}}
<h3 style="{{style "title"}}">{{.Title}} ({{.Total}})</h3>
{{- if .Note}}
<p style="{{style "note"}}">{{.Note}}</p>
{{- end}}
<table style="{{style "table"}}">
<thead>
<tr style="{{style "headRow"}}">
{{- range $i, $c := .Columns}}<th style="{{headStyle $i}}">{{$c}}</th>{{end -}}
</tr>
</thead>
<tbody>{{end}}

{{- define "tableEnd"}}
</tbody>
</table>
{{- if .More}}
<p style="{{style "note"}}"><em>{{.More}}</em></p>
{{- end}}{{end}}

{{- define "foot"}}
{{- if .Empty}}
<p>Every license-group member already has a Procore user; nothing needed doing.</p>
{{- end}}
{{- if .Mail}}
<p style="{{style "note"}}">The attached CSV (zipped when large) lists every row of this report.</p>
{{- end}}
<p style="font-size:11px;color:#777777;margin-top:18px;">Sent by procsync.</p>
</body>
</html>
{{end}}`))

// htmlStyles are the styles the templates name.
var htmlStyles = map[string]string{
	"body": styleBody, "title": styleTitle, "facts": styleFacts, "factKey": styleFactKey, "note": styleNote,
	"error": styleError, "table": styleTable, "headRow": styleHeadRow,
}

// headData is the "head" template's input: everything precomputed as
// text, so the template only lays it out and escapes it.
type headData struct {
	Title   string
	Summary string
	// Recent is the line about the earlier runs (RecentLine).
	Recent string
	// Cancelled is the note of a run the operator stopped, if they did.
	Cancelled string
	// Error is the run-level error, if any.
	Error string
	Facts [][2]string
}

// tableData is the input of "tableStart" and "tableEnd".
type tableData struct {
	Title   string
	Note    string
	Columns []Column
	// Total is the table's number of rows; more than the page shows when
	// the table was cut for the mail, and then More says so.
	Total int
	More  string
}

// footData is the "foot" template's input.
type footData struct {
	// Empty is set when the report has no tables.
	Empty bool
	// Mail is set for the mailed body, which points at the attachment.
	Mail bool
}

func newHeadData(run Run) headData {
	d := headData{Title: Subject("", run), Summary: shortSummary(run), Recent: RecentLine(run), Error: run.Error, Facts: Facts(run)}
	if run.Cancelled {
		d.Cancelled = cancelledNote(run)
	}
	return d
}

// execute runs one of htmlTemplates' parts.
func execute(w io.Writer, name string, data any) error {
	if err := htmlTemplates.ExecuteTemplate(w, name, data); err != nil {
		return fmt.Errorf("report: render HTML: %w", err)
	}
	return nil
}

// MailRows is how many rows of each table the mailed HTML shows. The mail
// must stay readable and small (Graph takes 4 MB a request, attachment
// included); the attachment carries every row.
const MailRows = 200

// thousands formats n with comma separators: 50000 → "50,000".
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
