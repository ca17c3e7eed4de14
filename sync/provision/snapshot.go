package provision

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"procsync/internal/safetext"
	"procsync/sync/graph"
	"procsync/sync/internal/psort"
	"procsync/sync/procore"
	"procsync/sync/roster"
)

// Sources are the two services a snapshot reads.
type Sources struct {
	Graph   *graph.Client
	Procore *procore.Client
}

// SnapshotOptions say which license groups make up the snapshot and how to
// report progress. At least one of NamePrefixes, SKUs and GroupIDs must be
// set; the groups they select are united.
type SnapshotOptions struct {
	// NamePrefixes select groups whose display name starts with one of them.
	NamePrefixes []string
	// SKUs select groups assigning one of these licenses, by part number
	// (e.g. "SPE_E3").
	SKUs []string
	// GroupIDs select groups by object id.
	GroupIDs []string
	// Nested reads transitive members. Group-based licensing does not flow
	// through nested groups, hence the default of direct members.
	Nested bool
	// Concurrency bounds the groups whose members are read at once;
	// 0 means DefaultGroupConcurrency.
	Concurrency int
	// Progress, if set, receives progress events. Calls are serialised, so
	// it need not be safe for concurrent use, but it must not block long.
	Progress func(roster.SnapshotProgress)
	// Sequential reads everything one page at a time: groups one after the
	// other, then the Procore directory (whose client should then be built
	// with procore.WithConcurrency(1)). It is the seed flow's order, kept
	// for comparison in benchmarks and for very strict rate limits.
	Sequential bool
	// Now is the clock for TakenAt; nil means time.Now.
	Now func() time.Time
	// EmailAttribute is the plan's match.email_attribute
	// (roster.Rules.EmailAttribute): each page of members has its
	// addresses worked out for it as it arrives (roster.PrepareAddresses),
	// while the next page is on its way.
	EmailAttribute string
	// Map is the attribute mapping: its Entra properties are selected on
	// top of what the plan needs, and its fields of both sides are read
	// into the members' and users' Attributes. Nil reads no attributes.
	Map roster.Mapping
	// Projects are the [[projects]] rules: each rule's group must be one
	// of the license groups, and the users of the projects they name are
	// read with the rest (projects.go).
	Projects []roster.ProjectRule
}

// DefaultGroupConcurrency is how many groups' members are read at once by
// default: Graph answers each group's pages one after the other (the next
// link is only known from the previous page), so groups are the unit of
// parallelism.
const DefaultGroupConcurrency = 8

// TakeSnapshot reads both sides: it resolves the license groups, then reads
// the members of all of them (a bounded number at once) while it reads the
// whole Procore directory, active and inactive, at the same time. Members are
// merged by object id, with Groups naming every group they came from.
//
// It fails as a whole: if any read fails after the clients' retries, it
// returns that error and no snapshot, because a partial read would look
// like missing users and produce wrong creates or offboards.
//
// Every string from Graph is passed through safetext.Line here, once, as it
// is read (the Procore client cleans its own answers): names, addresses,
// titles and group names reach the plan, the TUI, `history` and the
// report, and an escape sequence in a display name (OSC 52 writes the
// clipboard, OSC 8 hides a link) must never reach an operator's terminal.
func TakeSnapshot(ctx context.Context, src Sources, opts SnapshotOptions) (*roster.Snapshot, error) {
	if src.Graph == nil || src.Procore == nil {
		return nil, errors.New("snapshot: both a Graph and a Procore client are required")
	}
	if len(opts.NamePrefixes)+len(opts.SKUs)+len(opts.GroupIDs) == 0 {
		return nil, errors.New("snapshot: no license groups configured (set groups.name_prefixes, groups.skus or groups.ids)")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	// The snapshot is as old as its first read.
	takenAt := now()
	r := &snapshotReads{src: src, opts: opts}
	if err := r.run(ctx); err != nil {
		// The clients' errors already say which read failed and how, in
		// the words the operator needs; a prefix would only bury that.
		return nil, err
	}
	return r.snapshot(takenAt), nil
}

// snapshotReads is one snapshot's concurrent reads and what they returned.
type snapshotReads struct {
	src  Sources
	opts SnapshotOptions

	pmu sync.Mutex // serialises opts.Progress

	groups []graph.MatchedGroup
	// members are each group's members and users the Procore directory,
	// already in procsync's terms: each page of members is converted (and
	// cleaned) as it arrives, and the directory as soon as its read ends,
	// while the other reads go on, so that after the last page only the
	// merge is left.
	members [][]roster.Member // per group
	users   []roster.ProcoreUser

	// projects are the directories of the projects the rules name.
	projects []roster.ProjectDirectory
}

// progress reports p, one call at a time: the reads run concurrently and
// the callback need not be safe for that.
func (r *snapshotReads) progress(p roster.SnapshotProgress) {
	if r.opts.Progress == nil {
		return
	}
	r.pmu.Lock()
	defer r.pmu.Unlock()
	r.opts.Progress(p)
}

// run reads Graph (the groups, then their members) and the Procore
// directory at the same time, unless opts.Sequential.
func (r *snapshotReads) run(ctx context.Context) error {
	conc := r.opts.Concurrency
	if conc <= 0 {
		conc = DefaultGroupConcurrency
	}
	g, gctx := errgroup.WithContext(ctx)
	if r.opts.Sequential {
		conc = 1
		g.SetLimit(1)
	}
	// Graph first: with Sequential the limit of 1 runs them in this order.
	g.Go(func() error { return r.readGraph(gctx, conc) })
	g.Go(func() error { return r.readProcore(gctx) })
	g.Go(func() error { return r.readProjects(gctx) })
	return g.Wait()
}

func (r *snapshotReads) readProcore(ctx context.Context) error {
	users, err := r.src.Procore.Users(ctx, func(read, total int) {
		r.progress(roster.SnapshotProgress{Kind: roster.ProgressProcore, Read: read, Total: total})
	})
	if err != nil {
		return err
	}
	r.users = make([]roster.ProcoreUser, len(users))
	for i := range users {
		r.users[i] = userFromProcore(users[i])
		r.users[i].Attributes = userAttributes(&users[i], r.opts.Map)
	}
	slices.SortFunc(r.users, func(a, b roster.ProcoreUser) int { return cmp.Compare(a.ID, b.ID) })
	return nil
}

// readGraph resolves the license groups and reads their members, conc
// groups at a time.
func (r *snapshotReads) readGraph(ctx context.Context, conc int) error {
	groups, err := resolveGroups(ctx, r.src.Graph, r.opts)
	if err != nil {
		return err
	}
	if err := checkProjectGroups(groups, r.opts.Projects); err != nil {
		return err
	}
	r.groups = groups
	r.progress(roster.SnapshotProgress{Kind: roster.ProgressGroups, Groups: len(groups)})
	r.members = make([][]roster.Member, len(groups))
	quiet := newQuietGC(len(groups))
	mg, mctx := errgroup.WithContext(ctx)
	mg.SetLimit(conc)
	for i, grp := range groups {
		mg.Go(func() error {
			name := safetext.Line(grp.DisplayName)
			// Each page is converted as it arrives, while the next one is
			// on its way: the largest group's pages are the last reads,
			// and its conversion would otherwise come after them.
			var conv []roster.Member
			err := r.src.Graph.MemberPages(mctx, grp.Group, r.opts.Nested, r.opts.Map.EntraSelect(), func(users []graph.User, total int) error {
				if conv == nil && total > len(users) {
					conv = make([]roster.Member, 0, total)
				}
				for k := range users {
					m := memberFromGraph(&users[k])
					m.Attributes = memberAttributes(&users[k], r.opts.Map)
					conv = append(conv, m)
				}
				roster.PrepareAddresses(conv[len(conv)-len(users):], roster.Rules{EmailAttribute: r.opts.EmailAttribute})
				r.progress(roster.SnapshotProgress{Kind: roster.ProgressMembers, Group: name, Read: len(conv), Total: total})
				quiet.page(i, len(conv), total)
				return nil
			})
			if err != nil {
				return err
			}
			r.members[i] = conv
			return nil
		})
	}
	return mg.Wait()
}

// snapshot converts what was read into procsync's terms: each person once
// with every license group they came from, everything sorted so that the
// snapshot does not depend on the services' order.
func (r *snapshotReads) snapshot(takenAt time.Time) *roster.Snapshot {
	snap := &roster.Snapshot{TakenAt: takenAt, Projects: r.projects}
	// Each person once, sorted by id, with every group they came from:
	// small keys (id, group, place) are sorted rather than the members, and
	// a member in several groups keeps the record of the first group. At
	// 100,000 members this was most of the time after the last read.
	//
	// The sort compares the ids' first 16 bytes as two integers (the
	// whole ids only when those are equal): comparing the strings
	// themselves fetched two scattered ids from memory per comparison. The
	// keys hold no pointer, so that moving them costs no write barrier
	// while the garbage collector runs (as it often does right after the
	// reads).
	type ref struct {
		p0, p1 uint64
		g, k   int32
	}
	idOf := func(f ref) string { return r.members[f.g][f.k].ID }
	sameID := func(a, b ref) bool { return a.p0 == b.p0 && a.p1 == b.p1 && idOf(a) == idOf(b) }
	total := 0
	for i := range r.members {
		total += len(r.members[i])
	}
	refs := make([]ref, 0, total)
	names := make([]string, len(r.groups))
	for i, grp := range r.groups {
		names[i] = safetext.Line(grp.DisplayName)
		snap.Groups = append(snap.Groups, roster.Group{
			ID:          safetext.Line(grp.ID),
			DisplayName: names[i],
			MatchedBy:   safetext.Line(grp.MatchedBy),
			MemberCount: len(r.members[i]),
		})
		for k := range r.members[i] {
			p0, p1 := idPrefix(r.members[i][k].ID)
			refs = append(refs, ref{p0, p1, int32(i), int32(k)})
		}
	}
	slices.SortFunc(snap.Groups, func(a, b roster.Group) int {
		return cmp.Or(strings.Compare(a.DisplayName, b.DisplayName), strings.Compare(a.ID, b.ID))
	})
	psort.SortFunc(refs, func(a, b ref) int {
		if c := cmp.Or(cmp.Compare(a.p0, b.p0), cmp.Compare(a.p1, b.p1)); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(idOf(a), idOf(b)), cmp.Compare(a.g, b.g), cmp.Compare(a.k, b.k))
	})
	// Each run of refs with one id is one person: starts says where each
	// begins, so that the people can be copied out on every core (the
	// copy reads every member from wherever its group put it).
	starts := make([]int32, 0, len(refs)+1)
	for j := range refs {
		if j == 0 || !sameID(refs[j], refs[j-1]) {
			starts = append(starts, int32(j))
		}
	}
	starts = append(starts, int32(len(refs)))
	snap.Members = make([]roster.Member, len(starts)-1)
	person := func(k int) {
		run := refs[starts[k]:starts[k+1]]
		f := run[0]
		m := r.members[f.g][f.k]
		// Most people are in one group: they share its name, in a slice
		// with no room to grow, so an append elsewhere copies it.
		m.Groups = names[f.g : f.g+1 : f.g+1]
		for _, x := range run[1:] {
			if g := names[x.g]; !slices.Contains(m.Groups, g) {
				m.Groups = append(m.Groups, g)
			}
		}
		slices.Sort(m.Groups)
		snap.Members[k] = m
	}
	n := len(snap.Members)
	if n < 2*minMergePart || runtime.GOMAXPROCS(0) < 2 {
		for k := range n {
			person(k)
		}
	} else {
		var wg sync.WaitGroup
		wg.Go(func() {
			for k := n / 2; k < n; k++ {
				person(k)
			}
		})
		for k := range n / 2 {
			person(k)
		}
		wg.Wait()
	}
	snap.Users = r.users
	return snap
}

// minMergePart is the fewest people the merge gives a second core.
const minMergePart = 4096

// idPrefix returns the first 16 bytes of id, padded with zero bytes, as two
// big-endian integers: they compare as the ids' first 16 bytes do, and a
// shorter id, padded with the least byte, before any id it begins.
func idPrefix(id string) (uint64, uint64) {
	var b [16]byte
	copy(b[:], id)
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

// ResolveGroups returns the license groups that opts' NamePrefixes, SKUs and
// GroupIDs select, as TakeSnapshot resolves them; the sandbox explorer
// lists them so that it shows exactly the groups a sync reads.
// Their names and ids are cleaned with safetext.Line, as the snapshot cleans
// them, since the explorer shows them on the operator's terminal.
func ResolveGroups(ctx context.Context, gc *graph.Client, opts SnapshotOptions) ([]graph.MatchedGroup, error) {
	gs, err := resolveGroups(ctx, gc, opts)
	for i := range gs {
		g := &gs[i]
		g.ID, g.DisplayName, g.MatchedBy = safetext.Line(g.ID), safetext.Line(g.DisplayName), safetext.Line(g.MatchedBy)
	}
	return gs, err
}

// resolveGroups unites the groups selected by prefix, SKU and id, keeping
// the first rule that selected each, in that order.
func resolveGroups(ctx context.Context, gc *graph.Client, opts SnapshotOptions) ([]graph.MatchedGroup, error) {
	var out []graph.MatchedGroup
	seen := map[string]bool{}
	add := func(gs []graph.MatchedGroup, describe func(string) string) {
		for _, g := range gs {
			if !seen[g.ID] {
				seen[g.ID] = true
				g.MatchedBy = describe(g.MatchedBy)
				out = append(out, g)
			}
		}
	}
	if len(opts.NamePrefixes) > 0 {
		gs, err := gc.GroupsByPrefix(ctx, opts.NamePrefixes)
		if err != nil {
			return nil, err
		}
		add(gs, func(p string) string { return fmt.Sprintf("name prefix %q", p) })
	}
	if len(opts.SKUs) > 0 {
		gs, err := gc.GroupsBySKU(ctx, opts.SKUs)
		if err != nil {
			return nil, err
		}
		add(gs, func(p string) string { return "sku " + p })
	}
	if len(opts.GroupIDs) > 0 {
		gs, err := gc.GroupsByID(ctx, opts.GroupIDs)
		if err != nil {
			return nil, err
		}
		add(gs, func(id string) string { return "id " + id })
	}
	if len(out) == 0 {
		// An empty selection would make every Procore user look like an
		// offboard candidate; it is far more likely a configuration error.
		return nil, fmt.Errorf("no license groups match %s", describeSelection(opts))
	}
	return out, nil
}

func describeSelection(opts SnapshotOptions) string {
	var parts []string
	if len(opts.NamePrefixes) > 0 {
		parts = append(parts, fmt.Sprintf("name prefixes %q", opts.NamePrefixes))
	}
	if len(opts.SKUs) > 0 {
		parts = append(parts, "SKUs "+strings.Join(opts.SKUs, ", "))
	}
	if len(opts.GroupIDs) > 0 {
		parts = append(parts, "ids "+strings.Join(opts.GroupIDs, ", "))
	}
	return strings.Join(parts, " or ")
}

// memberFromGraph copies a Graph user into the snapshot, sanitising every
// string (see TakeSnapshot). The member's strings are copied side by side
// into one allocation: Diff reads every member's addresses, and the
// decoder's strings, allocated one by one, lie scattered over the heap, a
// cache miss each (at 100,000 members this made Diff a tenth faster).
func memberFromGraph(u *graph.User) roster.Member {
	fields := [...]string{
		safetext.Line(u.ID), safetext.Line(u.GivenName), safetext.Line(u.Surname), safetext.Line(u.DisplayName),
		safetext.Line(u.UserPrincipalName), safetext.Line(u.Mail), safetext.Line(u.UserType),
	}
	n := 0
	for _, f := range fields {
		n += len(f)
	}
	var proxies []string
	if u.ProxyAddresses != nil {
		proxies = make([]string, len(u.ProxyAddresses))
		for i, a := range u.ProxyAddresses {
			proxies[i] = safetext.Line(a)
			n += len(proxies[i])
		}
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range fields {
		b.WriteString(f)
	}
	for _, p := range proxies {
		b.WriteString(p)
	}
	all := b.String()
	next := func(s string) string {
		t := all[:len(s)]
		all = all[len(s):]
		return t
	}
	for i := range fields {
		fields[i] = next(fields[i])
	}
	for i := range proxies {
		proxies[i] = next(proxies[i])
	}
	return roster.Member{
		ID:                fields[0],
		GivenName:         fields[1],
		Surname:           fields[2],
		DisplayName:       fields[3],
		UserPrincipalName: fields[4],
		Mail:              fields[5],
		ProxyAddresses:    proxies,
		AccountEnabled:    u.AccountEnabled,
		UserType:          fields[6],
	}
}

// userFromProcore copies a Procore user into the snapshot. The Procore
// client has already cleaned its strings as it read them (procore's
// sanitize.go), so they are not cleaned a second time here.
func userFromProcore(u procore.User) roster.ProcoreUser {
	p := roster.ProcoreUser{
		ID:         u.ID,
		FirstName:  u.FirstName,
		LastName:   u.LastName,
		Email:      u.EmailAddress,
		IsActive:   u.IsActive,
		IsEmployee: u.IsEmployee,
		JobTitle:   u.JobTitle,
		EmployeeID: string(u.EmployeeID),
		OriginID:   string(u.OriginID),
	}
	if u.Vendor != nil {
		p.Vendor = &roster.Vendor{ID: u.Vendor.ID, Name: u.Vendor.Name}
	}
	if u.CreatedAt != nil {
		p.CreatedAt = *u.CreatedAt
	}
	if u.UpdatedAt != nil {
		p.UpdatedAt = *u.UpdatedAt
	}
	return p
}
