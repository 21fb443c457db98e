package store

import (
	"fmt"
	"sort"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// A snapshot's entitlements are held by the grants table only, one row
// (Grants) per app, each row a run of the sorted entitlements. A swap that
// changes a few grants replaces the rows of the apps concerned and keeps
// every other row, and the slice it points into, from the active snapshot
// (withChangedGrants): it allocates for what changed, not for 100,000
// grants, so that swaps do not leave tens of megabytes for the collector
// while requests are served. The request path (the gateway's plan) does
// the same with what it derives from the rows (GrantsChanged).

// grantRun is one row of the grants table with the position, among the
// snapshot's entitlements, after its last one.
type grantRun struct {
	g   *Grants
	end int
}

// appendRuns appends to runs a row for each app's run of es (sorted by app
// first), es starting at position base.
func appendRuns(runs []grantRun, es []snapshot.Entitlement, base int) []grantRun {
	for len(es) > 0 {
		n := 1
		for n < len(es) && es[n].App == es[0].App {
			n++
		}
		base += n
		runs = append(runs, grantRun{g: &Grants{App: es[0].App, List: es[:n:n]}, end: base})
		es = es[n:]
	}
	return runs
}

// runAt returns the index of the run holding position pos (len(runs) past
// the end).
func runAt(runs []grantRun, pos int) int {
	return sort.Search(len(runs), func(i int) bool { return runs[i].end > pos })
}

// entitlementCount returns how many entitlements s has.
func (s *Snapshot) entitlementCount() int {
	if len(s.runs) == 0 {
		return 0
	}
	return s.runs[len(s.runs)-1].end
}

// appendEntitlements appends s's entitlements at positions [from, to) to
// dst.
func (s *Snapshot) appendEntitlements(dst []snapshot.Entitlement, from, to int) []snapshot.Entitlement {
	for k := runAt(s.runs, from); from < to; k++ {
		r := s.runs[k]
		start := r.end - len(r.g.List)
		n := min(to, r.end)
		dst = append(dst, r.g.List[from-start:n-start]...)
		from = n
	}
	return dst
}

// splice returns s's entitlements at positions [from, to), with mid in
// place of those after the first prefix and before the last suffix of all
// of s's (from <= prefix and n-suffix <= to, n their number): a new slice.
func (s *Snapshot) splice(from, to, prefix, suffix int, mid []snapshot.Entitlement) []snapshot.Entitlement {
	n := s.entitlementCount()
	out := make([]snapshot.Entitlement, 0, prefix-from+len(mid)+to-(n-suffix))
	out = s.appendEntitlements(out, from, prefix)
	out = append(out, mid...)
	return s.appendEntitlements(out, n-suffix, to)
}

// Grants returns app's entitlements, sorted by (API, Environment,
// AccessMode).
func (s *Snapshot) Grants(app string) (*Grants, bool) {
	return first[*Grants](s, TableGrants, IndexID, app)
}

// EachGrants calls f with every app's entitlements, in app order.
func (s *Snapshot) EachGrants(f func(*Grants)) {
	for _, r := range s.runs {
		f(r.g)
	}
}

// Entitlements returns a copy of the snapshot's entitlements, in document
// order (sorted by app, API, environment and access mode).
func (s *Snapshot) Entitlements() []snapshot.Entitlement {
	return s.appendEntitlements(make([]snapshot.Entitlement, 0, s.entitlementCount()), 0, s.entitlementCount())
}

// GrantsChanged tells what differs in the grants of s from those of prev:
// nothing when they share their database (SharesIndex); when s was loaded
// from prev by a change to grants alone, the apps whose grants changed
// (sorted; the others' rows are prev's, the same *Grants). It returns false
// when it cannot tell: then anything may differ.
func (s *Snapshot) GrantsChanged(prev *Snapshot) (apps []string, ok bool) {
	switch {
	case s == nil || prev == nil:
		return nil, false
	case s.db == prev.db:
		return nil, true
	case s.from != 0 && s.from == prev.id:
		return s.changed, true
	}
	return nil, false
}

// withGrants returns a snapshot of data, whose sections are s's own but for
// the entitlements (data.Entitlements, all of them, checked): it shares s's
// routing tables, and its database is a copy-on-write snapshot of s's with
// the grants table rewritten.
func (s *Snapshot) withGrants(data *snapshot.Snapshot, digest string) (*Snapshot, error) {
	return s.replaceRuns(data, digest, 0, len(s.runs), appendRuns(nil, data.Entitlements, 0), false)
}

// withChangedGrants returns a snapshot of data, whose sections are s's own
// but for the entitlements: the first prefix and the last suffix of s's
// stay, and data.Entitlements (sorted; not yet checked) replace those
// between. Only the rows of the apps with entitlements among those
// replaced or the replacements, or next to them, are written anew; every
// other row is s's. It fails when the entitlements written anew are
// inconsistent with the snapshot (snapshot.ConsistentEntitlements, which
// also checks their order against the rows kept on either side).
func (s *Snapshot) withChangedGrants(data *snapshot.Snapshot, digest string, prefix, suffix int) (*Snapshot, error) {
	mid, n := data.Entitlements, s.entitlementCount()
	if prefix < 0 || suffix < 0 || prefix+suffix > n {
		return nil, fmt.Errorf("grants: %d kept before and %d after of %d", prefix, suffix, n)
	}
	// The rows rewritten, [ra, rb), are those holding the replaced
	// entitlements and their neighbours on either side: the entitlements
	// written anew then start and end with entitlements kept, whose apps
	// are not those of the rows kept around them, so that checking their
	// order alone checks the whole order.
	ra, rb := 0, 0
	if n > 0 {
		ra, rb = runAt(s.runs, max(prefix-1, 0)), runAt(s.runs, min(n-suffix, n-1))+1
	}
	segStart, segEnd := 0, 0
	if ra > 0 {
		segStart = s.runs[ra-1].end
	}
	if rb > 0 {
		segEnd = s.runs[rb-1].end
	}
	seg := s.splice(segStart, segEnd, prefix, suffix, mid)
	view := *data
	view.Entitlements = seg
	if err := view.ConsistentEntitlements(); err != nil {
		return nil, err
	}
	return s.replaceRuns(data, digest, ra, rb, appendRuns(nil, seg, segStart), true)
}

// replaceRuns returns a snapshot of data (whose Entitlements it drops) with
// s's grants table but for the rows [ra, rb) of s.runs, replaced by runs
// (whose positions start where row ra's did). derived says whether the
// rows outside [ra, rb) are s's to keep (GrantsChanged); otherwise all of
// them are replaced.
func (s *Snapshot) replaceRuns(data *snapshot.Snapshot, digest string, ra, rb int, runs []grantRun, derived bool) (*Snapshot, error) {
	db := s.db.Snapshot()
	txn := db.Txn(true)
	defer txn.Abort()
	for _, r := range s.runs[ra:rb] {
		if err := txn.Delete(TableGrants, r.g); err != nil {
			return nil, fmt.Errorf("deleting from %s: %w", TableGrants, err)
		}
	}
	for _, r := range runs {
		if err := txn.Insert(TableGrants, r.g); err != nil {
			return nil, fmt.Errorf("inserting into %s: %w", TableGrants, err)
		}
	}
	txn.Commit()
	doc := *data
	doc.Entitlements = nil
	next := s.rebase(&doc, digest)
	next.db = db
	if !derived {
		next.runs = runs
		return next, nil
	}
	// The rows after the replaced ones move by as many positions as the
	// replacement differs in length.
	start := 0
	if ra > 0 {
		start = s.runs[ra-1].end
	}
	oldEnd, newEnd := start, start
	if rb > ra {
		oldEnd = s.runs[rb-1].end
	}
	if len(runs) > 0 {
		newEnd = runs[len(runs)-1].end
	}
	moved := newEnd - oldEnd
	next.runs = make([]grantRun, 0, len(s.runs)-(rb-ra)+len(runs))
	next.runs = append(append(next.runs, s.runs[:ra]...), runs...)
	for _, r := range s.runs[rb:] {
		next.runs = append(next.runs, grantRun{g: r.g, end: r.end + moved})
	}
	next.from, next.changed = s.id, changedApps(s.runs[ra:rb], runs)
	return next, nil
}

// changedApps returns the apps of a and b (both sorted by app), sorted,
// once each.
func changedApps(a, b []grantRun) []string {
	apps := make([]string, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		switch {
		case len(b) == 0 || (len(a) > 0 && a[0].g.App < b[0].g.App):
			apps, a = append(apps, a[0].g.App), a[1:]
		case len(a) == 0 || b[0].g.App < a[0].g.App:
			apps, b = append(apps, b[0].g.App), b[1:]
		default:
			apps, a, b = append(apps, a[0].g.App), a[1:], b[1:]
		}
	}
	return apps
}
