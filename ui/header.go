package ui

import (
	"fmt"

	"github.com/charmbracelet/x/ansi"
)

// headerLines renders the two header lines: where we write, who is signed
// in, and the counts the panes repeat.
func (m *model) headerLines() []string {
	mark := func(name string, ok bool) string {
		if ok {
			return stOK.Render(name + " ●")
		}
		return stErr.Render(name + " ○")
	}
	company := m.hdr.Company
	if m.hdr.CompanyID != 0 {
		if company != "" {
			company += " "
		}
		company += fmt.Sprintf("#%d", m.hdr.CompanyID)
	}
	// Sign-in state is right-aligned and never truncated away. Who each
	// sign-in acts as follows its mark, so the admin sees whose name the
	// writes and the report carry.
	right := func(accW int) string {
		who := func(account string, ok bool) string {
			if !ok || account == "" {
				return ""
			}
			return " " + fit(account, min(ansi.StringWidth(account), accW))
		}
		return mark("graph", m.graph) + who(m.hdr.GraphAccount, m.graph) + "  " +
			mark("procore", m.proc) + who(m.hdr.ProcoreAccount, m.proc)
	}
	// Where the writes go comes first. When the line is short, the word
	// "tenant" goes first, then the accounts shrink (to 16 cells), then
	// the tenant is truncated: never the environment or the company.
	left := func(label string) string {
		return stTitle.Render("procsync") + stDim.Render(" │ ") + envBadge(m.hdr.Environment) + " " + stBold.Render(company) +
			stDim.Render(" │ ") + label + stBold.Render(m.hdr.Tenant)
	}
	l, r := left("tenant "), right(m.w)
	if ansi.StringWidth(l)+1+ansi.StringWidth(r) > m.w {
		l = left("")
		marks := ansi.StringWidth(right(0))
		accounts := 0
		for _, a := range []string{m.hdr.GraphAccount, m.hdr.ProcoreAccount} {
			if a != "" {
				accounts++
			}
		}
		if spare := m.w - ansi.StringWidth(l) - 1 - marks; accounts > 0 && spare < accounts*40 {
			r = right(max(16, spare/accounts-1))
		}
	}
	rw := ansi.StringWidth(r)
	l1 := fit(l, max(0, m.w-rw-1)) + " " + r
	l2 := stDim.Render("no snapshot yet")
	if m.rv != nil {
		l2 = m.rv.summary()
	}
	if m.screen == screenExplorer && m.ex != nil {
		l2 = m.ex.summary()
	}
	return []string{fit(l1, m.w), fit(l2, m.w)}
}
