package roster

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"runtime"
	"sync"
	"sync/atomic"
)

// fingerprint hashes the rules and, in plan order, every member and Procore
// user the plan is about: the inputs that mattered. Procore users no action
// mentions (subcontractors, inactive leavers) did not change the plan and
// are left out, so they do not change the fingerprint either.
//
// The actions are hashed in chunks of fingerprintChunk, on every core, and
// the fingerprint is the hash of the rules and the chunks' hashes: at
// 100,000 members hashing one after another was 85 ms between the last
// read and the first write. (Version 1 hashed everything in one stream, so
// its fingerprints differ from version 2's for the same plan.)
func fingerprint(r *compiledRules, actions []Action) string {
	// The rules only: the actions are hashed chunk by chunk below.
	buf := make([]byte, 0, 512)
	buf = appendStr(buf, "procsync plan v2")
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

	chunks := (len(actions) + fingerprintChunk - 1) / fingerprintChunk
	sums := make([][sha256.Size]byte, chunks)
	workers := min(runtime.GOMAXPROCS(0), chunks)
	var next atomic.Int64
	hashChunks := func() {
		scratch := make([]byte, 0, 40<<10)
		for {
			k := int(next.Add(1) - 1)
			if k >= chunks {
				return
			}
			sums[k] = hashActions(r, actions[k*fingerprintChunk:min((k+1)*fingerprintChunk, len(actions))], scratch)
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(hashChunks)
	}
	hashChunks()
	wg.Wait()

	h := sha256.New()
	h.Write(buf)
	for i := range sums {
		h.Write(sums[i][:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fingerprintChunk is how many actions fingerprint hashes together. Fixed,
// so that the fingerprint does not depend on the number of cores.
const fingerprintChunk = 4096

// hashActions hashes the encoding of actions, using buf as scratch.
func hashActions(r *compiledRules, actions []Action, buf []byte) [sha256.Size]byte {
	h := sha256.New()
	buf = buf[:0]
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
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
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
