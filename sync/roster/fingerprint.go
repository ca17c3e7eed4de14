package roster

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// fingerprint hashes the rules and, in plan order, every member and Procore
// user the plan is about: the inputs that mattered. Procore users no action
// mentions (subcontractors, inactive leavers) did not change the plan and
// are left out, so they do not change the fingerprint either.
func fingerprint(r *compiledRules, actions []Action) string {
	h := sha256.New()
	buf := make([]byte, 0, 40<<10)
	buf = appendStr(buf, "procsync plan v1")
	buf = appendStr(buf, r.attr)
	buf = appendBool(buf, r.IncludeGuests)
	buf = appendBool(buf, r.IncludeDisabled)
	buf = appendBool(buf, r.restricted())
	buf = appendStrs(buf, r.sortedDomains)
	buf = binary.AppendUvarint(buf, uint64(len(r.patterns)))
	for _, p := range r.patterns {
		buf = appendStr(buf, p.lower)
	}
	buf = appendBool(buf, r.Reactivate)
	buf = appendBool(buf, r.UpdateNames)
	buf = appendStr(buf, r.offboardMode())
	buf = r.Map.appendRules(buf)
	buf = appendProjectRules(buf, r.Projects)
	// Encode into one large buffer and hash it in big writes: the digest
	// then runs its block function over long runs instead of copying every
	// action's few hundred bytes through its 64-byte block buffer.
	for i := range actions {
		buf = encodeAction(buf, &actions[i])
		buf = r.Map.appendValues(buf, &actions[i])
		if len(buf) >= 32<<10 {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil))
}

// encodeAction appends an unambiguous encoding (length-prefixed fields) of
// the action's kind, address and raw inputs.
func encodeAction(buf []byte, a *Action) []byte {
	buf = appendStr(buf, string(a.Kind))
	buf = appendStr(buf, a.Address)
	if m := a.Member; m != nil {
		buf = append(buf, 'm')
		buf = appendStr(buf, m.ID)
		buf = appendStr(buf, m.GivenName)
		buf = appendStr(buf, m.Surname)
		buf = appendStr(buf, m.DisplayName)
		buf = appendStr(buf, m.UserPrincipalName)
		buf = appendStr(buf, m.Mail)
		buf = appendStrs(buf, m.ProxyAddresses)
		buf = appendBool(buf, m.AccountEnabled)
		buf = appendStr(buf, m.UserType)
		buf = appendStrs(buf, m.Groups)
	} else {
		buf = append(buf, '-')
	}
	if u := a.User; u != nil {
		buf = append(buf, 'u')
		buf = binary.AppendVarint(buf, u.ID)
		buf = appendStr(buf, u.FirstName)
		buf = appendStr(buf, u.LastName)
		buf = appendStr(buf, u.Email)
		buf = appendBool(buf, u.IsActive)
		buf = appendStr(buf, u.OriginID)
		buf = binary.AppendVarint(buf, u.UpdatedAt.Unix())
	} else {
		buf = append(buf, '-')
	}
	return appendProject(buf, a.Project)
}

func appendStr(buf []byte, s string) []byte {
	// A length under 128 is its own one-byte uvarint: the common case,
	// written without AppendUvarint's loop.
	if len(s) < 0x80 {
		buf = append(buf, byte(len(s)))
	} else {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
	}
	return append(buf, s...)
}

func appendStrs(buf []byte, ss []string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(ss)))
	for _, s := range ss {
		buf = appendStr(buf, s)
	}
	return buf
}

func appendBool(buf []byte, b bool) []byte {
	if b {
		return append(buf, 1)
	}
	return append(buf, 0)
}
