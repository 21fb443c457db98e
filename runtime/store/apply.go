package store

import (
	"fmt"
	"maps"
	"net/textproto"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/frontdoor-dev/frontdoor/runtime/auth"
	"github.com/frontdoor-dev/frontdoor/runtime/ratelimit"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Section names: the snapshot's top-level members that hold lists (the
// others are values every Snapshot keeps).
const (
	SectionPlatform     = "platform"
	SectionPublishers   = "publishers"
	SectionAPIs         = "apis"
	SectionRoutes       = "routes"
	SectionConsumers    = "consumers"
	SectionEntitlements = "entitlements"
)

// Change is a new snapshot as it differs from the one before.
type Change struct {
	// Digest is the new snapshot's digest.
	Digest string
	// Doc holds the new snapshot's top-level values and the lists of the
	// sections in Changed; its other lists are ignored. It must not be
	// modified afterwards.
	Doc *snapshot.Snapshot
	// Changed names the sections whose bytes differ from the base's (see
	// Apply); nil means every one.
	Changed map[string]bool
	// Check, when set, checks the new snapshot before anything is written
	// (the verifier's snapshot.Snapshot.Consistent). It is given c.Doc's
	// values and lists, and, of the sections that did not change, those
	// named in Reads (every one when Reads is nil), read from base's rows.
	Check func(*snapshot.Snapshot) error
	Reads []string
	// Edits, for the sections that have them, are the changes to base's
	// lists as runs of items (see Run); c.Doc's lists of those sections
	// are then ignored, and Check is given them spliced into base's rows.
	// A change of the entitlements alone, with Check, is checked run by
	// run: Check is given, for each run, a snapshot whose entitlements
	// are the run with the items around it and whose lists hold the APIs
	// and apps they name (read from base's rows).
	Edits Edits
}

// Run is a run of items that replaces base's items strictly between Before
// and After (nil: the list's start or end), which are items of both the
// base and the new list.
type Run[T any] struct {
	Before, After *T
	Items         []T
}

// Edits are runs by section: a nil list means the section has none, and
// its list, if it changed, is whole in Change.Doc.
type Edits struct {
	APIs         []Run[snapshot.API]
	Routes       []Run[snapshot.Route]
	Entitlements []Run[snapshot.Entitlement]
}

// Editable reports whether Edits can hold the changes of section.
func Editable(section string) bool {
	return section == SectionAPIs || section == SectionRoutes || section == SectionEntitlements
}

// Lists are the sections whose consistency is checked (the others are
// values that no rule relates to anything).
var Lists = []string{SectionPlatform, SectionPublishers, SectionAPIs, SectionRoutes, SectionConsumers, SectionEntitlements}

func (c *Change) changed(section string) bool { return c.Changed == nil || c.Changed[section] }

// grantsAlone reports whether the entitlements are the only list c changes,
// as runs.
func (c *Change) grantsAlone() bool {
	if c.Changed == nil || c.Edits.Entitlements == nil {
		return false
	}
	for _, name := range Lists {
		if c.Changed[name] && name != SectionEntitlements {
			return false
		}
	}
	return true
}

// Apply returns the snapshot base becomes with c: one write transaction on
// base's database (a new one when base is nil) that writes the rows that
// differ or are new and deletes those that are gone, so that every row
// kept is base's own. Before it writes, it calls c.Check with the whole new
// snapshot, the lists of the sections that did not change read from base's
// rows. base is not changed: requests on it finish on it.
func Apply(base *Snapshot, c Change) (*Snapshot, error) {
	var db *memdb.MemDB
	if base == nil {
		fresh, err := memdb.NewMemDB(dbSchema())
		if err != nil {
			return nil, fmt.Errorf("creating database: %w", err)
		}
		db = fresh.Snapshot() // nobody watches: no mutation tracking
		c.Changed, c.Edits = nil, Edits{}
	} else {
		db = base.db.Snapshot() // copy-on-write: shares every radix tree
	}
	next := &Snapshot{db: db, digest: c.Digest, loadedAt: time.Now()}
	next.meta = *c.Doc
	next.meta.Publishers, next.meta.APIs, next.meta.Routes, next.meta.Consumers, next.meta.Entitlements = nil, nil, nil, nil, nil
	if !c.changed(SectionPlatform) {
		next.meta.Platform = base.meta.Platform
	}
	next.gen = strconv.FormatUint(next.meta.Generation, 10)

	txn := db.Txn(true)
	defer txn.Abort()
	// The check reads the lists it needs before anything is written, then
	// runs while the rows are: its verdict comes first.
	var (
		wg       sync.WaitGroup
		checkErr error
	)
	switch {
	case c.Check != nil && c.grantsAlone():
		checkErr = checkRuns(txn, next.meta.Platform, c)
		if checkErr != nil {
			return nil, checkErr
		}
	case c.Check != nil:
		doc := next.document(txn, c, c.Reads...)
		wg.Go(func() { checkErr = c.Check(doc) })
	}
	err := next.write(txn, c)
	wg.Wait()
	if checkErr != nil {
		return nil, checkErr
	}
	if err != nil {
		return nil, err
	}
	next.reserved = base.reservedOr(nil)
	if c.changed(SectionAPIs) {
		next.reserved = reservedNames(rows(txn, TableAPIs, func(a *API) *snapshot.API { return a.API }))
	}
	txn.Commit()
	return next, nil
}

func (s *Snapshot) reservedOr(def map[string]struct{}) map[string]struct{} {
	if s == nil {
		return def
	}
	return s.reserved
}

// Document returns the snapshot, its lists read from the database: those
// of the named sections, every one when none is named. It is a copy, for
// tools (the development server's mock upstreams), not for the request
// path.
func (s *Snapshot) Document(sections ...string) *snapshot.Snapshot {
	return s.Read().Document(sections...)
}

// Document returns the snapshot as r reads it (see Snapshot.Document).
func (r *Read) Document(sections ...string) *snapshot.Snapshot {
	return r.snap.document(r.txn, Change{Changed: map[string]bool{}}, sections...)
}

// document returns the new snapshot: c's lists for the sections that
// changed, the rows of txn (base's) for those of the others named in reads
// (all of them when it names none).
func (s *Snapshot) document(txn *memdb.Txn, c Change, reads ...string) *snapshot.Snapshot {
	doc := s.meta
	pick := func(section string, changed, kept func()) {
		switch {
		case c.changed(section):
			changed()
		case len(reads) == 0 || slices.Contains(reads, section):
			kept()
		}
	}
	pick(SectionPublishers, func() { doc.Publishers = c.Doc.Publishers }, func() {
		doc.Publishers = rows(txn, TablePublishers, func(p *Publisher) snapshot.Publisher { return *p.Publisher })
	})
	apis := func() []snapshot.API { return rows(txn, TableAPIs, func(a *API) snapshot.API { return *a.API }) }
	pick(SectionAPIs, func() { doc.APIs = edited(c.Doc.APIs, c.Edits.APIs, apis, apiKey) }, func() { doc.APIs = apis() })
	routes := func() []snapshot.Route {
		return rows(txn, TableRoutes, func(r *Route) snapshot.Route { return *r.Route })
	}
	pick(SectionRoutes, func() { doc.Routes = edited(c.Doc.Routes, c.Edits.Routes, routes, routeKey) }, func() { doc.Routes = routes() })
	pick(SectionConsumers, func() { doc.Consumers = c.Doc.Consumers }, func() {
		doc.Consumers = rows(txn, TableConsumers, func(c *Consumer) snapshot.Consumer { return *c.Consumer })
	})
	grants := func() (out []snapshot.Entitlement) {
		for _, g := range allGrants(txn) {
			out = append(out, g.Entitlement)
		}
		return out
	}
	pick(SectionEntitlements, func() { doc.Entitlements = edited(c.Doc.Entitlements, c.Edits.Entitlements, grants, entitlementKey) },
		func() { doc.Entitlements = grants() })
	return &doc
}

// edited returns a changed section's list: list itself, or, when the
// change has runs, base's list (old returns it) with them spliced in.
func edited[T any](list []T, runs []Run[T], old func() []T, key func(*T) rowKey) []T {
	if runs == nil {
		return list
	}
	return splice(old(), runs, key)
}

// splice returns old, sorted by key, with runs (in its order) replacing
// the items between theirs.
func splice[T any](old []T, runs []Run[T], key func(*T) rowKey) []T {
	var out []T
	i := 0
	for _, r := range runs {
		for ; i < len(old) && r.Before != nil && compareKeys(key(&old[i]), key(r.Before)) <= 0; i++ {
			out = append(out, old[i])
		}
		for i < len(old) && (r.After == nil || compareKeys(key(&old[i]), key(r.After)) < 0) {
			i++
		}
		out = append(out, r.Items...)
	}
	return append(out, old[i:]...)
}

func apiKey(a *snapshot.API) rowKey     { return rowKey{a.ID} }
func routeKey(r *snapshot.Route) rowKey { return rowKey{r.Environment, r.BasePath} }

// rows returns the values of table's rows, in the order of its primary
// index.
func rows[R, T any](txn *memdb.Txn, table string, val func(R) T) []T {
	it, err := txn.Get(table, IndexID)
	if err != nil {
		return nil
	}
	var out []T
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, val(obj.(R)))
	}
	return out
}

// write makes the tables of the changed sections hold the rows of c.Doc's
// lists.
func (s *Snapshot) write(txn *memdb.Txn, c Change) error {
	doc := c.Doc
	if c.changed(SectionPlatform) {
		envs := s.meta.Platform.Environments
		err := syncRows(txn, TableEnvironments, len(envs), func(i int) rowKey { return rowKey{envs[i].Name} }, (*Environment).key,
			func(*Environment, int) bool { return false }, // the rows point into the platform replaced
			func(i int) (*Environment, error) {
				e := &envs[i]
				row := &Environment{Environment: e, host: strings.ToLower(e.Host)}
				if e.BaseURL != "" {
					row.TokenURL = strings.TrimSuffix(e.BaseURL, "/") + auth.TokenPath
				}
				return row, nil
			})
		if err != nil {
			return err
		}
	}
	if c.changed(SectionPublishers) {
		err := syncByID(txn, TablePublishers, doc.Publishers, func(p *snapshot.Publisher) string { return p.ID },
			func(r *Publisher) *snapshot.Publisher { return r.Publisher }, func(p *snapshot.Publisher) *Publisher { return &Publisher{p} })
		if err != nil {
			return err
		}
	}
	apis := c.changed(SectionAPIs)
	if apis {
		if err := writeAPIs(txn, c); err != nil {
			return err
		}
	}
	if apis || c.changed(SectionRoutes) {
		if err := writeRoutes(txn, c); err != nil {
			return err
		}
	}
	if c.changed(SectionConsumers) {
		if err := writeConsumers(txn, doc.Consumers); err != nil {
			return err
		}
	}
	if c.changed(SectionEntitlements) && c.Edits.Entitlements != nil {
		in := interner{}
		for _, r := range c.Edits.Entitlements {
			if err := writeRun(txn, r, in); err != nil {
				return err
			}
		}
	} else if c.changed(SectionEntitlements) {
		return writeGrants(txn, doc.Entitlements)
	}
	return nil
}

// writeAPIs makes the APIs table hold c's.
func writeAPIs(txn *memdb.Txn, c Change) error {
	if c.Edits.APIs == nil {
		return syncByID(txn, TableAPIs, c.Doc.APIs, func(a *snapshot.API) string { return a.ID },
			func(r *API) *snapshot.API { return r.API }, func(a *snapshot.API) *API { return &API{a} })
	}
	for _, r := range c.Edits.APIs {
		if err := replaceRun(txn, TableAPIs, r, apiKey, func(a *snapshot.API) (*API, error) { return &API{clone(a)}, nil }); err != nil {
			return err
		}
	}
	return nil
}

// writeRoutes makes the routes table hold c's routes, each row with its
// API's row: a route's row is written anew when the route or its API's row
// changed.
func writeRoutes(txn *memdb.Txn, c Change) error {
	// The APIs' rows are read once, so that the routes' rows can be
	// built beside the transaction (syncRowsAhead).
	apiRows := map[string]*snapshot.API{}
	for _, a := range rows(txn, TableAPIs, func(a *API) *snapshot.API { return a.API }) {
		apiRows[a.ID] = a
	}
	build := func(r *snapshot.Route) (*Route, error) {
		a := apiRows[r.API]
		if a == nil {
			return nil, fmt.Errorf("route %s %s: unknown api %q", r.Environment, r.BasePath, r.API)
		}
		row, err := newRoute(clone(r), a)
		if err != nil {
			return nil, fmt.Errorf("route %s %s: %w", r.Environment, r.BasePath, err)
		}
		return row, nil
	}
	if c.changed(SectionRoutes) && c.Edits.Routes == nil {
		list := c.Doc.Routes
		return syncRowsAhead(txn, TableRoutes, len(list), func(i int) rowKey { return routeKey(&list[i]) }, (*Route).key,
			func(old *Route, i int) bool {
				return old.API == apiRows[list[i].API] && reflect.DeepEqual(*old.Route, list[i])
			},
			func(i int) (*Route, error) { return build(&list[i]) }, true)
	}
	for _, r := range c.Edits.Routes {
		if err := replaceRun(txn, TableRoutes, r, routeKey, build); err != nil {
			return err
		}
	}
	if !c.changed(SectionAPIs) {
		return nil
	}
	// The routes kept whose API's row was written anew.
	stale := rows(txn, TableRoutes, func(r *Route) *Route { return r })
	stale = slices.DeleteFunc(stale, func(r *Route) bool { return r.API == apiRows[r.Route.API] })
	for _, old := range stale {
		row, err := build(old.Route)
		if err != nil {
			return err
		}
		if err := txn.Insert(TableRoutes, row); err != nil {
			return fmt.Errorf("inserting into %s: %w", TableRoutes, err)
		}
	}
	return nil
}

// replaceRun makes the rows of table strictly between the keys of r.Before
// and r.After the rows build makes of r.Items: it deletes the rows there,
// then inserts the new ones.
func replaceRun[T any, R interface{ key() rowKey }](txn *memdb.Txn, table string, r Run[T], key func(*T) rowKey, build func(*T) (R, error)) error {
	var (
		it  memdb.ResultIterator
		err error
	)
	if r.Before != nil {
		it, err = txn.LowerBound(table, IndexID, &keyArg{b: key(r.Before).index()})
	} else {
		it, err = txn.Get(table, IndexID)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", table, err)
	}
	var gone []any
	for obj := it.Next(); obj != nil; obj = it.Next() {
		k := obj.(R).key()
		if r.Before != nil && compareKeys(k, key(r.Before)) <= 0 {
			continue
		}
		if r.After != nil && compareKeys(k, key(r.After)) >= 0 {
			break
		}
		gone = append(gone, obj)
	}
	for _, obj := range gone {
		if err := txn.Delete(table, obj); err != nil {
			return fmt.Errorf("deleting from %s: %w", table, err)
		}
	}
	for i := range r.Items {
		row, err := build(&r.Items[i])
		if err != nil {
			return err
		}
		if err := txn.Insert(table, row); err != nil {
			return fmt.Errorf("inserting into %s: %w", table, err)
		}
	}
	return nil
}

// writeGrants makes the grants table hold list's grants: a row per app,
// written anew when any of its grants differs.
func writeGrants(txn *memdb.Txn, list []snapshot.Entitlement) error {
	order := make([]int, len(list))
	for i := range order {
		order[i] = i
	}
	less := func(a, b int) int { return compareKeys(entitlementKey(&list[a]), entitlementKey(&list[b])) }
	if !slices.IsSortedFunc(order, less) {
		slices.SortFunc(order, less)
	}
	// apps[i] is the run of order that holds app i's grants.
	var apps [][]int
	for lo := 0; lo < len(order); {
		hi := lo + 1
		for hi < len(order) && list[order[hi]].App == list[order[lo]].App {
			hi++
		}
		apps, lo = append(apps, order[lo:hi]), hi
	}
	in := interner{}
	return syncRowsAhead(txn, TableGrants, len(apps), func(i int) rowKey { return rowKey{list[apps[i][0]].App} }, (*appGrants).key,
		func(old *appGrants, i int) bool {
			return slices.EqualFunc(old.grants, apps[i], func(g *Grant, j int) bool { return sameEntitlement(&g.Entitlement, &list[j]) })
		},
		func(i int) (*appGrants, error) {
			row := &appGrants{grants: make([]*Grant, len(apps[i]))}
			for k, j := range apps[i] {
				row.grants[k] = newGrant(&list[j], in)
			}
			row.app = row.grants[0].App
			return row, nil
		}, true)
}

// writeConsumers writes the consumers, then their apps and keys: an app's
// row holds its consumer's, a key's its app's, so each is written anew when
// what it holds was.
func writeConsumers(txn *memdb.Txn, list []snapshot.Consumer) error {
	err := syncByID(txn, TableConsumers, list, func(c *snapshot.Consumer) string { return c.ID },
		func(r *Consumer) *snapshot.Consumer { return r.Consumer }, func(c *snapshot.Consumer) *Consumer { return &Consumer{c} })
	if err != nil {
		return err
	}
	consumers := rows(txn, TableConsumers, func(c *Consumer) *snapshot.Consumer { return c.Consumer })
	var apps []App
	for _, c := range consumers {
		for j := range c.Apps {
			apps = append(apps, App{App: &c.Apps[j], Consumer: c})
		}
	}
	err = syncRows(txn, TableApps, len(apps), func(i int) rowKey { return rowKey{apps[i].ID} }, (*App).key,
		func(old *App, i int) bool { return old.App == apps[i].App },
		func(i int) (*App, error) { a := apps[i]; return &a, nil })
	if err != nil {
		return err
	}
	var keys []Credential
	for _, a := range rows(txn, TableApps, func(a *App) *App { return a }) {
		for k := range a.APIKeys {
			c := Credential{APIKey: &a.APIKeys[k], App: a}
			c.sum, c.valid = parseSum(c.SHA256)
			keys = append(keys, c)
		}
	}
	return syncRows(txn, TableCredentials, len(keys), func(i int) rowKey { return keys[i].key() }, (*Credential).key,
		func(old *Credential, i int) bool { return old.APIKey == keys[i].APIKey },
		func(i int) (*Credential, error) { c := keys[i]; return &c, nil })
}

// syncRows makes table hold a row for each of the n items of a new list:
// the existing row where same says it is the item's, else the one build
// returns. key returns item i's primary key fields, and row an existing
// row's; their order is the primary index's. Rows of no item are deleted,
// before any is written, so that a unique secondary key (an API key's hash)
// may move from one row to another.
func syncRows[T any](txn *memdb.Txn, table string, n int, key func(i int) rowKey, row func(T) rowKey, same func(old T, i int) bool, build func(i int) (T, error)) error {
	return syncRowsAhead(txn, table, n, key, row, same, build, false)
}

// syncRowsAhead is syncRows; when ahead is set, build touches nothing but
// its item (not txn), and many rows are written, they are built on another
// goroutine while the ones before are inserted (see insertAhead).
func syncRowsAhead[T any](txn *memdb.Txn, table string, n int, key func(i int) rowKey, row func(T) rowKey, same func(old T, i int) bool, build func(i int) (T, error), ahead bool) error {
	order := make([]int, n)
	for i := range n {
		order[i] = i
	}
	less := func(a, b int) int { return compareKeys(key(a), key(b)) }
	if !slices.IsSortedFunc(order, less) {
		slices.SortFunc(order, less)
	}
	it, err := txn.Get(table, IndexID)
	if err != nil {
		return fmt.Errorf("reading %s: %w", table, err)
	}
	var (
		gone  []any
		write []int
		j     int
	)
	for obj := it.Next(); obj != nil; obj = it.Next() {
		k := row(obj.(T))
		for j < n && compareKeys(key(order[j]), k) < 0 {
			write, j = append(write, order[j]), j+1
		}
		if j < n && key(order[j]) == k {
			if !same(obj.(T), order[j]) {
				write = append(write, order[j])
			}
			j++
			continue
		}
		gone = append(gone, obj)
	}
	write = append(write, order[j:]...)
	for _, obj := range gone {
		if err := txn.Delete(table, obj); err != nil {
			return fmt.Errorf("deleting from %s: %w", table, err)
		}
	}
	if ahead && len(write) >= minAhead {
		return insertAhead(txn, table, write, build)
	}
	for _, i := range write {
		row, err := build(i)
		if err != nil {
			return err
		}
		if err := txn.Insert(table, row); err != nil {
			return fmt.Errorf("inserting into %s: %w", table, err)
		}
	}
	return nil
}

// minAhead is the number of rows from which insertAhead builds them on
// another goroutine, and aheadChunk how many it builds at a time.
const (
	minAhead   = 4096
	aheadChunk = 512
)

// insertAhead inserts the rows of the items write into table, in order;
// build makes them on another goroutine, a few chunks ahead of the
// insertions, so that one CPU does memdb's insertions and nothing else.
// build's first error is returned once the rows before its item are
// inserted.
func insertAhead[T any](txn *memdb.Txn, table string, write []int, build func(i int) (T, error)) error {
	type chunk struct {
		rows []T
		err  error
	}
	chunks := make(chan chunk, 2)
	stop := make(chan struct{})
	defer close(stop) // an insertion failed: the builder stops
	go func() {
		defer close(chunks)
		for lo := 0; lo < len(write); lo += aheadChunk {
			part := write[lo:min(lo+aheadChunk, len(write))]
			c := chunk{rows: make([]T, 0, len(part))}
			for _, i := range part {
				row, err := build(i)
				if err != nil {
					c.err = err
					break
				}
				c.rows = append(c.rows, row)
			}
			select {
			case chunks <- c:
			case <-stop:
				return
			}
			if c.err != nil {
				return
			}
		}
	}()
	for c := range chunks {
		for _, row := range c.rows {
			if err := txn.Insert(table, row); err != nil {
				return fmt.Errorf("inserting into %s: %w", table, err)
			}
		}
		if c.err != nil {
			return c.err
		}
	}
	return nil
}

// syncByID is syncRows for a table keyed by its items' IDs, whose rows
// wrap a copy of their item (val returns it).
func syncByID[T any, R interface{ key() rowKey }](txn *memdb.Txn, table string, list []T, id func(*T) string, val func(R) *T, wrap func(*T) R) error {
	return syncRowsAhead(txn, table, len(list), func(i int) rowKey { return rowKey{id(&list[i])} }, R.key,
		func(old R, i int) bool { return reflect.DeepEqual(*val(old), list[i]) },
		func(i int) (R, error) { return wrap(clone(&list[i])), nil }, true)
}

// clone returns a copy of *v in its own allocation: a row must not point
// into a decoded list, which would keep the whole list alive as long as the
// row.
func clone[T any](v *T) *T {
	c := *v
	return &c
}

// checkRuns calls c.Check with each of c's grant runs, the items around it
// and the APIs and apps they name.
func checkRuns(txn *memdb.Txn, platform snapshot.Platform, c Change) error {
	for _, r := range c.Edits.Entitlements {
		doc := &snapshot.Snapshot{SchemaVersion: c.Doc.SchemaVersion, Platform: platform}
		if r.Before != nil {
			doc.Entitlements = append(doc.Entitlements, *r.Before)
		}
		doc.Entitlements = append(doc.Entitlements, r.Items...)
		if r.After != nil {
			doc.Entitlements = append(doc.Entitlements, *r.After)
		}
		apis := map[string]bool{}
		apps := map[string]*App{}
		for i := range doc.Entitlements {
			e := &doc.Entitlements[i]
			if a, ok := byID[*API](txn, TableAPIs, e.API); ok && !apis[e.API] {
				apis[e.API] = true
				doc.APIs = append(doc.APIs, *a.API)
			}
			if a, ok := byID[*App](txn, TableApps, e.App); ok {
				apps[e.App] = a
			}
		}
		slices.SortFunc(doc.APIs, func(a, b snapshot.API) int { return strings.Compare(a.ID, b.ID) })
		for _, id := range slices.Sorted(maps.Keys(apps)) {
			a := apps[id]
			if n := len(doc.Consumers); n == 0 || doc.Consumers[n-1].ID != a.Consumer.ID {
				org := *a.Consumer
				org.Apps = nil
				doc.Consumers = append(doc.Consumers, org)
			}
			org := &doc.Consumers[len(doc.Consumers)-1]
			org.Apps = append(org.Apps, *a.App)
		}
		if err := c.Check(doc); err != nil {
			return err
		}
	}
	return nil
}

// writeRun replaces the grants strictly between r.Before and r.After with
// r.Items (sorted, between them: see checkRuns): it rewrites the rows of
// the apps whose grants differ, keeping every grant that is unchanged.
func writeRun(txn *memdb.Txn, r Run[snapshot.Entitlement], in interner) error {
	var (
		it  memdb.ResultIterator
		err error
	)
	if r.Before != nil {
		it, err = txn.LowerBound(TableGrants, IndexID, &keyArg{b: appendKey(nil, r.Before.App)})
	} else {
		it, err = txn.Get(TableGrants, IndexID)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", TableGrants, err)
	}
	// The rows of the apps from r.Before's to r.After's, and their grants.
	var (
		old []*appGrants
		all []*Grant
	)
	for obj := it.Next(); obj != nil; obj = it.Next() {
		a := obj.(*appGrants)
		if r.After != nil && a.app > r.After.App {
			break
		}
		old, all = append(old, a), append(all, a.grants...)
	}
	lo, hi := 0, len(all)
	if r.Before != nil {
		k := entitlementKey(r.Before)
		lo = sort.Search(len(all), func(i int) bool { return compareKeys(all[i].key(), k) > 0 })
	}
	if r.After != nil {
		k := entitlementKey(r.After)
		hi = sort.Search(len(all), func(i int) bool { return compareKeys(all[i].key(), k) >= 0 })
	}
	hi = max(lo, hi)
	next := append(make([]*Grant, 0, len(all)-(hi-lo)+len(r.Items)), all[:lo]...)
	j := lo
	for i := range r.Items {
		e := &r.Items[i]
		k := entitlementKey(e)
		for j < hi && compareKeys(all[j].key(), k) < 0 {
			j++
		}
		if j < hi && all[j].key() == k && sameEntitlement(&all[j].Entitlement, e) {
			next = append(next, all[j])
			j++
			continue
		}
		next = append(next, newGrant(e, in))
	}
	next = append(next, all[hi:]...)
	return replaceApps(txn, old, next)
}

// replaceApps makes the rows old hold the grants next (sorted), by app:
// it deletes the rows of apps without grants and writes those whose grants
// are not the same ones.
func replaceApps(txn *memdb.Txn, old []*appGrants, next []*Grant) error {
	rows := make(map[string]*appGrants, len(old))
	for _, a := range old {
		rows[a.app] = a
	}
	for lo := 0; lo < len(next); {
		hi := lo + 1
		for hi < len(next) && next[hi].App == next[lo].App {
			hi++
		}
		gs := next[lo:hi:hi]
		lo = hi
		a, ok := rows[gs[0].App]
		delete(rows, gs[0].App)
		if ok && slices.Equal(a.grants, gs) {
			continue
		}
		if err := txn.Insert(TableGrants, &appGrants{app: gs[0].App, grants: slices.Clone(gs)}); err != nil {
			return fmt.Errorf("inserting into %s: %w", TableGrants, err)
		}
	}
	for _, a := range old {
		if _, gone := rows[a.app]; gone {
			if err := txn.Delete(TableGrants, a); err != nil {
				return fmt.Errorf("deleting from %s: %w", TableGrants, err)
			}
		}
	}
	return nil
}

func entitlementKey(e *snapshot.Entitlement) rowKey {
	return rowKey{e.App, e.API, e.Environment, e.AccessMode}
}

// newGrant returns the row of e. Its app, API and environment are the
// parts of its bucket key that hold them: the row keeps one string for the
// three, not the decoded list's.
func newGrant(e *snapshot.Entitlement, in interner) *Grant {
	g := &Grant{Entitlement: *e, AppKey: ratelimit.AppKey(e.Environment, e.API, e.App)}
	if i := strings.Index(g.AppKey, e.Environment); i >= 0 {
		g.Environment = g.AppKey[i : i+len(e.Environment)]
	}
	if i := strings.LastIndex(g.AppKey, e.App); i >= 0 {
		g.App = g.AppKey[i : i+len(e.App)]
		if j := strings.LastIndex(g.AppKey[:i], e.API); j >= 0 {
			g.API = g.AppKey[j : j+len(e.API)]
		}
	}
	// The other values are few, each shared by many grants.
	for _, f := range []*string{&g.AccessMode, &g.Expires, &g.GrantedBy, &g.Approval.By, &g.Approval.Date, &g.Approval.Reference} {
		*f = in.of(*f)
	}
	return g
}

// interner holds one copy of each string it was given, for the rows of one
// write.
type interner map[string]string

func (in interner) of(s string) string {
	if s == "" {
		return s
	}
	if c, ok := in[s]; ok {
		return c
	}
	in[s] = s
	return s
}

func sameEntitlement(a, b *snapshot.Entitlement) bool {
	return a.App == b.App && a.API == b.API && a.Environment == b.Environment && a.AccessMode == b.AccessMode &&
		a.Expires == b.Expires && a.GrantedBy == b.GrantedBy && a.Approval == b.Approval &&
		(a.RateLimit == nil) == (b.RateLimit == nil) && (a.RateLimit == nil || *a.RateLimit == *b.RateLimit)
}

// reservedNames returns the canonical identity header names of apis.
func reservedNames(apis []*snapshot.API) map[string]struct{} {
	m := map[string]struct{}{}
	for _, a := range apis {
		for _, n := range a.IdentityHeaders.Names() {
			m[textproto.CanonicalMIMEHeaderKey(n)] = struct{}{}
		}
	}
	return m
}
