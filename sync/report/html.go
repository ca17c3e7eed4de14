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

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
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

// htmlData is the template's input: everything precomputed as text, so the
// template only lays it out and escapes it.
type htmlData struct {
	Title   string
	Summary string
	// Cancelled is the note of a run the operator stopped.
	Cancelled string
	// Recent is the line about the earlier runs (RecentLine).
	Recent   string
	Run      Run
	Facts    [][2]string
	Sections []tableView
	S        htmlStyles
	// Mail is set for the mailed body, which points at the attachment.
	Mail bool
}

type htmlStyles struct {
	Body, Title, Facts, FactKey, Note, Error, Table, HeadRow, Cell string
}

// tableView is a Section with its cells rendered to text.
type tableView struct {
	Title   string
	Note    string
	Columns []Column
	Rows    [][]string
	// Total is the section's number of rows; more than len(Rows) when the
	// table was cut, and then More says so.
	Total int
	More  string
}

// viewSections renders the run's sections; limit > 0 keeps the first limit
// rows of each (only those are rendered) and says how many more there are.
func viewSections(run Run, limit int) []tableView { return views(Sections(run), limit) }

// writeHTML renders the HTML report with the tables views (cut for the
// mail when mail is set). Every value from the directory (names,
// addresses, errors) is escaped by html/template.
func writeHTML(w io.Writer, run Run, views []tableView, mail bool) error {
	d := htmlData{
		Title:     Subject("", run),
		Summary:   shortSummary(run),
		Cancelled: cancelledNote(run),
		Recent:    RecentLine(run),
		Run:       run,
		Facts:     Facts(run),
		Sections:  views,
		Mail:      mail,
		S: htmlStyles{Body: styleBody, Title: styleTitle, Facts: styleFacts, FactKey: styleFactKey, Note: styleNote,
			Error: styleError, Table: styleTable, HeadRow: styleHeadRow, Cell: styleCell},
	}
	if err := htmlTemplate.Execute(w, d); err != nil {
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
