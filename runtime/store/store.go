// Package store is the store stage of the gateway runtime: it turns a
// verified snapshot into an immutable, indexed, in-memory database (one
// go-memdb per snapshot) and publishes it to request handlers with an atomic
// pointer swap.
//
// A Snapshot is filled in one write transaction, committed and never written
// again; all its methods are safe for concurrent use. A request loads
// Store.Active once and finishes on the snapshot it started with.
package store

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Route is a snapshot route with its API and parsed upstream.
type Route struct {
	*snapshot.Route
	// API is the route's API.
	API *snapshot.API
	// Upstream is Route.Upstream parsed.
	Upstream *url.URL
}

// App is a consumer application with its organisation.
type App struct {
	*snapshot.App
	// Consumer is the app's organisation.
	Consumer *snapshot.Consumer
}

// Credential is an app's API key (its hash).
type Credential struct {
	*snapshot.APIKey
	// App owns the key.
	App *App
}

// Grants are an app's entitlements, sorted by (API, Environment,
// AccessMode): a sub-slice of the snapshot's.
type Grants struct {
	App  string
	List []snapshot.Entitlement
}

// Snapshot is one loaded snapshot: the decoded document, its memdb and the
// precomputed routing tables. It is immutable.
type Snapshot struct {
	// id tells snapshots apart within the process (see GrantsChanged).
	id uint64
	// data is the decoded document without its entitlements, which the
	// grants table holds (see Grants).
	data     *snapshot.Snapshot
	digest   string
	gen      string // Generation in decimal, for response headers
	loadedAt time.Time
	db       *memdb.MemDB
	routes   map[string]*routeTable // by environment
	hosts    map[string]string      // lower-case host → environment
	// sums identify the sections of the snapshot's canonical bytes, when
	// it was loaded from them section by section (see sections); the next
	// load then compares with them.
	sums *sectionSums
	// grantPieces are the sums of the entitlements' items (see pieces),
	// when known: one per entitlement.
	grantPieces []contentSum
	// runs are the grants table's rows in the entitlements' order (by app),
	// each with the position after its last entitlement.
	runs []grantRun
	// from is the id of the snapshot whose grants table this one's was
	// derived from by replacing the rows of the apps changed (sorted), when
	// nothing else indexed differs; 0 otherwise.
	from    uint64
	changed []string
}

// snapshotIDs numbers snapshots (Snapshot.id); 0 is none.
var snapshotIDs atomic.Uint64

// rebase returns a snapshot of data, whose indexed sections are s's own
// (the same slices): it shares s's database, grants and routing tables.
func (s *Snapshot) rebase(data *snapshot.Snapshot, digest string) *Snapshot {
	return &Snapshot{
		id:       snapshotIDs.Add(1),
		data:     data,
		digest:   digest,
		gen:      strconv.FormatUint(data.Generation, 10),
		loadedAt: time.Now(),
		db:       s.db,
		routes:   s.routes,
		hosts:    s.hosts,
		runs:     s.runs,
	}
}

// SameSections reports whether s and o have the same top-level sections
// named (snapshot members such as "apis" or "entitlements"), byte for
// byte. It is false when either was not loaded section by section.
func (s *Snapshot) SameSections(o *Snapshot, names ...string) bool {
	if s == nil || o == nil || s.sums == nil || o.sums == nil {
		return false
	}
	for _, n := range names {
		i := slices.Index(sectionNames[:], n)
		if i < 0 || s.sums.has[i] != o.sums.has[i] || s.sums.sum[i] != o.sums.sum[i] {
			return false
		}
	}
	return true
}

// SharesIndex reports whether s and o share their database and routing
// tables: their routes, APIs, publishers, consumers, grants and platform
// are the same values, so whatever was computed from those for one holds
// for the other (only the generation, the commit and the digest may
// differ).
func (s *Snapshot) SharesIndex(o *Snapshot) bool { return s != nil && o != nil && s.db == o.db }

// Build loads a decoded snapshot whose canonical bytes have the given digest
// into a new database. The caller must have checked it (see Verifier); Build
// fails only on what it cannot index (an unparsable upstream URL, a duplicate
// key). The snapshot must not be modified afterwards.
func Build(data *snapshot.Snapshot, digest string) (*Snapshot, error) {
	return build(data, digest, runner{})
}

func build(data *snapshot.Snapshot, digest string, r runner) (*Snapshot, error) {
	db, err := memdb.NewMemDB(dbSchema())
	if err != nil {
		return nil, fmt.Errorf("creating database: %w", err)
	}
	// The entitlements go into the grants table, app by app; the document
	// kept does not hold them twice (see withChangedGrants).
	doc := *data
	doc.Entitlements = nil
	s := &Snapshot{
		id:       snapshotIDs.Add(1),
		data:     &doc,
		digest:   digest,
		gen:      strconv.FormatUint(data.Generation, 10),
		loadedAt: time.Now(),
		db:       db,
		routes:   map[string]*routeTable{},
		hosts:    map[string]string{},
	}
	txn := db.Txn(true)
	defer txn.Abort()
	insert := func(table string, obj any) {
		if err == nil {
			if e := txn.Insert(table, obj); e != nil {
				err = fmt.Errorf("inserting into %s: %w", table, e)
			}
		}
	}
	apis := make(map[string]*snapshot.API, len(data.APIs))
	for i := range data.APIs {
		apis[data.APIs[i].ID] = &data.APIs[i]
	}
	// Parsing upstreams and filling the routing tables share nothing with
	// the transaction: do it meanwhile. The goroutine alone writes routes,
	// s.routes and s.hosts until wg.Wait.
	routes := make([]Route, len(data.Routes))
	var (
		wg       sync.WaitGroup
		routeErr error
	)
	r.Go(&wg, func() { routeErr = s.routeTables(apis, routes) })
	for i := range data.Publishers {
		insert(TablePublishers, &data.Publishers[i])
	}
	for i := range data.APIs {
		insert(TableAPIs, &data.APIs[i])
	}
	for i := range data.Consumers {
		c := &data.Consumers[i]
		for j := range c.Apps {
			app := &App{App: &c.Apps[j], Consumer: c}
			insert(TableApps, app)
			for k := range app.APIKeys {
				insert(TableCredentials, &Credential{APIKey: &app.APIKeys[k], App: app})
			}
		}
	}
	s.runs = appendRuns(nil, data.Entitlements, 0)
	for _, r := range s.runs {
		insert(TableGrants, r.g)
	}
	wg.Wait()
	if routeErr != nil {
		return nil, routeErr
	}
	for i := range routes {
		insert(TableRoutes, &routes[i])
	}
	if err != nil {
		return nil, err
	}
	txn.Commit()
	return s, nil
}

// routeTables fills routes (one per s.data.Routes), s.routes and s.hosts.
func (s *Snapshot) routeTables(apis map[string]*snapshot.API, routes []Route) error {
	for _, e := range s.data.Platform.Environments {
		if e.Host != "" {
			s.hosts[strings.ToLower(e.Host)] = e.Name
		}
	}
	for i := range s.data.Routes {
		r := &s.data.Routes[i]
		a, ok := apis[r.API]
		if !ok {
			return fmt.Errorf("route %s %s: unknown api %q", r.Environment, r.BasePath, r.API)
		}
		u, err := url.Parse(r.Upstream)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("route %s %s: upstream %q is not an absolute http(s) url", r.Environment, r.BasePath, r.Upstream)
		}
		route := &routes[i]
		*route = Route{Route: r, API: a, Upstream: u}
		rt := s.routes[r.Environment]
		if rt == nil {
			rt = newRouteTable()
			s.routes[r.Environment] = rt
		}
		if err := rt.add(route); err != nil {
			return fmt.Errorf("route %s %s: %w", r.Environment, r.BasePath, err)
		}
	}
	return nil
}

// Data returns the decoded snapshot without its entitlements
// (Entitlements is nil): the grants table holds them, by app (see Grants,
// EachGrants and Entitlements). It must not be modified.
func (s *Snapshot) Data() *snapshot.Snapshot { return s.data }

// Digest returns "sha256:<hex>" of the snapshot's canonical bytes.
func (s *Snapshot) Digest() string { return s.digest }

// Generation returns the snapshot's generation.
func (s *Snapshot) Generation() uint64 { return s.data.Generation }

// GenerationString returns the generation in decimal, without allocating.
func (s *Snapshot) GenerationString() string { return s.gen }

// Commit returns the git commit the snapshot was compiled from, if any.
func (s *Snapshot) Commit() string { return s.data.Commit }

// LoadedAt returns when the snapshot was built.
func (s *Snapshot) LoadedAt() time.Time { return s.loadedAt }

// Txn returns a read transaction on the snapshot's database, for queries the
// typed methods do not cover. Writes panic: the database is sealed.
func (s *Snapshot) Txn() *memdb.Txn { return s.db.Txn(false) }

// Route returns the route serving path in environment env: the one with the
// longest base path that is path itself or a prefix of it ending at a "/".
// It does not allocate.
func (s *Snapshot) Route(env, path string) (*Route, bool) {
	rt := s.routes[env]
	if rt == nil {
		return nil, false
	}
	r := rt.lookup(path)
	return r, r != nil
}

// Environment returns the environment whose host is host (a request's Host,
// with or without a port; compared case-insensitively).
func (s *Snapshot) Environment(host string) (string, bool) {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	if env, ok := s.hosts[host]; ok {
		return env, true
	}
	if hasUpper(host) {
		env, ok := s.hosts[strings.ToLower(host)]
		return env, ok
	}
	return "", false
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// API returns the API with the given ID.
func (s *Snapshot) API(id string) (*snapshot.API, bool) {
	return first[*snapshot.API](s, TableAPIs, IndexID, id)
}

// Publisher returns the publisher with the given ID.
func (s *Snapshot) Publisher(id string) (*snapshot.Publisher, bool) {
	return first[*snapshot.Publisher](s, TablePublishers, IndexID, id)
}

// App returns the app with the given ID ("<org>/<app>").
func (s *Snapshot) App(id string) (*App, bool) {
	return first[*App](s, TableApps, IndexID, id)
}

// Credential returns the API key whose SHA-256 is sum (lowercase hex).
func (s *Snapshot) Credential(sum string) (*Credential, bool) {
	return first[*Credential](s, TableCredentials, IndexSHA256, sum)
}

// AppJWK returns the inline public key kid of app.
func (s *Snapshot) AppJWK(app, kid string) (*snapshot.JWK, bool) {
	a, ok := s.App(app)
	if !ok {
		return nil, false
	}
	i, ok := slices.BinarySearchFunc(a.JWKs, kid, func(k snapshot.JWK, kid string) int { return strings.Compare(k.Kid, kid) })
	if !ok {
		return nil, false
	}
	return &a.JWKs[i], true
}

// Entitlement returns the grant of access mode to app on api in env.
func (s *Snapshot) Entitlement(app, api, env, mode string) (*snapshot.Entitlement, bool) {
	g, ok := s.Grants(app)
	if !ok {
		return nil, false
	}
	i, ok := slices.BinarySearchFunc(g.List, snapshot.Entitlement{API: api, Environment: env, AccessMode: mode}, func(e, t snapshot.Entitlement) int {
		if c := strings.Compare(e.API, t.API); c != 0 {
			return c
		}
		if c := strings.Compare(e.Environment, t.Environment); c != 0 {
			return c
		}
		return strings.Compare(e.AccessMode, t.AccessMode)
	})
	if !ok {
		return nil, false
	}
	return &g.List[i], true
}

func first[T any](s *Snapshot, table, index string, args ...any) (T, bool) {
	var zero T
	raw, err := s.db.Txn(false).First(table, index, args...)
	if err != nil || raw == nil {
		return zero, false
	}
	v, ok := raw.(T)
	return v, ok
}

// Store holds the active snapshot. Its methods are safe for concurrent use.
type Store struct {
	active atomic.Pointer[Snapshot]
}

// Active returns the active snapshot, or nil before the first swap. Load it
// once per request.
func (s *Store) Active() *Snapshot { return s.active.Load() }

// Swap makes next the active snapshot and returns the previous one.
func (s *Store) Swap(next *Snapshot) (prev *Snapshot) {
	if next == nil {
		panic(errors.New("store: swap to a nil snapshot"))
	}
	return s.active.Swap(next)
}
