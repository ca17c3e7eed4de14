package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"procsync/sync/roster"
)

// confirmScreen is the apply confirmation: what will be written, where, and
// in production the company name typed by hand.
type confirmScreen struct {
	ctx  Context
	keys *KeyMap

	counts   roster.Counts
	total    int
	needType bool
	typed    lineInput
	// names are the first approved people's names (address when nameless),
	// so that the admin sees who is about to be written.
	names []string
}

// applyRequestMsg asks the root to apply the approved rows: the admin
// confirmed.
type applyRequestMsg struct{}

// confirmNames is how many names the confirmation lists before "and N
// more".
const confirmNames = 3

// newConfirm builds the confirmation of plan's approved actions. keys is
// the root's key map, whose bindings the root enables for this screen.
func newConfirm(ctx Context, keys *KeyMap, plan *roster.Plan) *confirmScreen {
	c := &confirmScreen{ctx: ctx, keys: keys, counts: plan.ApprovedCounts()}
	for _, n := range c.counts {
		c.total += n
	}
	for i := range plan.Actions {
		a := &plan.Actions[i]
		if !a.Approved {
			continue
		}
		if len(c.names) == confirmNames {
			break
		}
		name := strings.TrimSpace(a.FirstName + " " + a.LastName)
		if name == "" {
			name = a.Address
		}
		c.names = append(c.names, name)
	}
	c.needType = isProduction(ctx.Header.Environment)
	c.typed = lineInput{prompt: "company name: ", active: c.needType}
	return c
}

// Init implements Component.
func (c *confirmScreen) Init() tea.Cmd { return nil }

// SetSize implements Component.
func (c *confirmScreen) SetSize(w, h int) { c.ctx.Width, c.ctx.Height = w, h }

// ShortHelp implements help.KeyMap.
func (c *confirmScreen) ShortHelp() []key.Binding { return c.keys.ShortHelp() }

// FullHelp implements help.KeyMap.
func (c *confirmScreen) FullHelp() [][]key.Binding { return c.keys.FullHelp() }

// typing reports whether the company name field has the keyboard.
func (c *confirmScreen) typing() bool { return c.needType }

// Update implements Component: esc goes back to the review, enter asks
// the root to apply (in production only once the company name matches).
func (c *confirmScreen) Update(msg tea.Msg) (Component, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return c, nil
	}
	hdr := c.ctx.Header
	switch {
	case key.Matches(k, c.keys.Back):
		c.ctx.Out.send(leaveMsg{from: screenConfirm})
		return c, c.ctx.Out.status(levelInfo, "apply cancelled; nothing was written")
	case key.Matches(k, c.keys.Confirm):
		if c.needType && !companyConfirmed(c.typed.value, hdr.Company) {
			return c, c.ctx.Out.status(levelError, companyPrompt(hdr.Company))
		}
		return c, c.ctx.Out.send(applyRequestMsg{})
	}
	if c.needType {
		c.typed.update(k)
	}
	return c, nil
}

// View implements Component.
func (c *confirmScreen) View() string {
	var b []string
	hdr, w := c.ctx.Header, c.ctx.Width
	company := hdr.Company
	if hdr.CompanyID != 0 {
		company += fmt.Sprintf(" (#%d)", hdr.CompanyID)
	}
	for _, l := range strings.Split(ansi.Wrap(c.question(), min(w-4, 76)-4, " "), "\n") {
		b = append(b, stTitle.Render(l))
	}
	b = append([]string{""}, append(b, "")...)
	b = append(b, "Procore company  "+stBold.Render(company))
	b = append(b, "Environment      "+envBadge(hdr.Environment))
	b = append(b, "Tenant           "+hdr.Tenant, "")
	for _, k := range roster.Kinds {
		if n := c.counts[k]; n > 0 {
			b = append(b, "  "+kindStyle[string(k)].Render(fit(kindLabel(k), 12))+" "+Thousands(n))
		}
	}
	b = append(b, "")
	if c.needType {
		b = append(b, stErr.Render("This writes to PRODUCTION."), "Type the company name to confirm:", "  "+c.typed.view())
	} else {
		b = append(b, "Nothing is written until you press enter.")
	}
	b = append(b, "", stDim.Render("enter apply · esc back to review"))
	return centerBox("Confirm", b, w, min(w-4, 76), c.ctx.Height)
}

// question is the confirmation's title: "Apply 1 approved action: Ana
// Díaz?", "Apply 7 approved actions: Ana Díaz, Emil Berg, Fatima Haddad and
// 4 more?".
func (c *confirmScreen) question() string {
	q := "Apply " + countNoun(c.total, "approved action", "approved actions")
	if len(c.names) == 0 {
		return q + "?"
	}
	q += ": " + strings.Join(c.names, ", ")
	if more := c.total - len(c.names); more > 0 {
		q += " and " + Thousands(more) + " more"
	}
	return q + "?"
}

// companyConfirmed reports whether the typed text names company: the one
// rule for confirming a production write (an apply, a link).
func companyConfirmed(typed, company string) bool {
	return strings.EqualFold(strings.TrimSpace(typed), strings.TrimSpace(company))
}

// companyPrompt is the error of a production write not yet confirmed.
func companyPrompt(company string) string {
	return fmt.Sprintf("type the company name %q to confirm a production write", company)
}
