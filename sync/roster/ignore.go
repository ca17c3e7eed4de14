package roster

// Ignore is one entry of the ignore list: an admin's decision that procsync
// leaves a person alone. It matches a member by Entra object id when it has
// one, else by address (any of the member's addresses).
type Ignore struct {
	// Address is the normalised (trimmed, lower-case) address; may be empty
	// when EntraID is set.
	Address string
	// EntraID is the member's Entra object id; may be empty.
	EntraID string
	// By is who decided: the signed-in admin, or the OS user for the CLI.
	By string
	// Reason is why, in the admin's words.
	Reason string
}

// ignoreIndex finds the ignore entry of a member.
type ignoreIndex struct {
	byID   map[string]*Ignore
	byAddr map[string]*Ignore
}

func newIgnoreIndex(list []Ignore) *ignoreIndex {
	if len(list) == 0 {
		return nil
	}
	ix := &ignoreIndex{byID: map[string]*Ignore{}, byAddr: map[string]*Ignore{}}
	for i := range list {
		g := &list[i]
		if g.EntraID != "" {
			if _, dup := ix.byID[g.EntraID]; !dup {
				ix.byID[g.EntraID] = g
			}
		}
		// Keyed as the plan's addresses are, so that a Unicode look-alike
		// (the Kelvin sign lower-cases to k) never ignores someone else.
		if a, ok := NormalizeAddress(g.Address); ok {
			if _, dup := ix.byAddr[a]; !dup {
				ix.byAddr[a] = g
			}
		}
	}
	return ix
}

// find returns the entry that ignores member m, whose resolved addresses
// are ma, or nil.
func (ix *ignoreIndex) find(m *Member, ma *memberAddress) *Ignore {
	if ix == nil {
		return nil
	}
	if m.ID != "" {
		if g := ix.byID[m.ID]; g != nil {
			return g
		}
	}
	if ma.addr != "" {
		if g := ix.byAddr[ma.addr]; g != nil {
			return g
		}
	}
	for _, a := range ma.aliases {
		if g := ix.byAddr[a]; g != nil {
			return g
		}
	}
	return nil
}

// IgnoredReason is the reason an ignored member's excluded action gives.
func IgnoredReason(g *Ignore) string {
	by := g.By
	if by == "" {
		by = "an admin"
	}
	return "ignored by " + by + ": " + g.Reason
}
