// Package store is the store stage of the gateway runtime: the gateway's one
// read model, a go-memdb database of the active snapshot's rows (routes,
// APIs, publishers, environments, consumers, apps, credentials, grants),
// published to request handlers with an atomic pointer swap.
//
// A swap is one write transaction that applies only the rows that changed
// (see Apply): memdb's immutable radix trees share every other row with the
// snapshot before. A Snapshot is never written once built; all its methods
// are safe for concurrent use. A request loads Store.Active once, opens one
// read transaction on it (Snapshot.Read) and finishes on it.
package store

import (
	"encoding/hex"
	"errors"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/frontdoor-dev/frontdoor/runtime/ratelimit"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Environment is a platform environment with its token endpoint.
type Environment struct {
	*snapshot.Environment
	// TokenURL is the environment's token endpoint ("" without a base URL).
	TokenURL string
	host     string // Host in lower case
}

// Publisher is a publisher's row.
type Publisher struct{ *snapshot.Publisher }

// API is an API's row.
type API struct{ *snapshot.API }

// Consumer is a consumer organisation's row.
type Consumer struct{ *snapshot.Consumer }

// IdentityNames are an API's identity header names, canonical; "" means
// the header is not sent.
type IdentityNames struct {
	App, Org, Mode, User, Level string
}

// Route is a route with what the request path needs of it, computed when
// the row is written.
type Route struct {
	*snapshot.Route
	// API is the route's API.
	API *snapshot.API
	// Upstream is Route.Upstream parsed.
	Upstream *url.URL
	// Ident are the API's identity header names.
	Ident IdentityNames
	// Open is set when the route accepts unauthenticated requests, User
	// when it accepts a user-restricted mode.
	Open, User bool
	// ProxyKey names the API's rate-limit bucket in the route's
	// environment (ratelimit.ProxyKey).
	ProxyKey string
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
	App   *App
	sum   [32]byte
	valid bool // SHA256 is 64 lowercase hex digits, sum their value
}

// Grant is an entitlement with the name of the rate-limit bucket it draws
// on: the limiter's state for that bucket (ratelimit.Limiter) is keyed by
// the grant's identity and limit, so it lives on across swaps that keep the
// grant as it is, and a grant whose limit changes starts afresh.
type Grant struct {
	snapshot.Entitlement
	// AppKey names the app's bucket on the API in the environment
	// (ratelimit.AppKey).
	AppKey string
}

// appGrants is a row of the grants table: an app's grants, in primary key
// order. One row an app, not one a grant, keeps the table's radix tree
// small: building it is most of a cold load's work on one goroutine.
type appGrants struct {
	app    string
	grants []*Grant
}

// Snapshot is one published state of the database, with the snapshot's
// top-level values. It is immutable.
type Snapshot struct {
	db       *memdb.MemDB // written by Apply only, before it returns
	digest   string
	gen      string
	meta     snapshot.Snapshot // without its lists
	loadedAt time.Time
	// reserved holds the canonical identity header names of every API:
	// the union of a column, which memdb cannot answer without a lookup
	// per request header.
	reserved map[string]struct{}
}

// Digest returns "sha256:<hex>" of the snapshot's canonical bytes.
func (s *Snapshot) Digest() string { return s.digest }

// Generation returns the snapshot's generation.
func (s *Snapshot) Generation() uint64 { return s.meta.Generation }

// GenerationString returns the generation in decimal, without allocating.
func (s *Snapshot) GenerationString() string { return s.gen }

// Commit returns the git commit the snapshot was compiled from, if any.
func (s *Snapshot) Commit() string { return s.meta.Commit }

// LoadedAt returns when the snapshot was built.
func (s *Snapshot) LoadedAt() time.Time { return s.loadedAt }

// Platform returns the platform policy. It must not be modified.
func (s *Snapshot) Platform() *snapshot.Platform { return &s.meta.Platform }

// Meta returns the snapshot's top-level values: its lists are nil (the
// database holds them).
func (s *Snapshot) Meta() snapshot.Snapshot { return s.meta }

// Sections returns the digests of the snapshot's sections, by name (see
// snapshot.Snapshot.Sections); nil when the snapshot had none. It must not
// be modified.
func (s *Snapshot) Sections() map[string]string { return s.meta.Sections }

// Reserved reports whether name (canonical) is an identity header name of
// any API.
func (s *Snapshot) Reserved(name string) bool {
	_, ok := s.reserved[name]
	return ok
}

// Read opens a read transaction on the snapshot: one per request.
func (s *Snapshot) Read() *Read { return &Read{snap: s, txn: s.db.Txn(false)} }

// Read is one read transaction on a snapshot. It implements the gateway's
// auth.Directory. It is safe for concurrent use.
type Read struct {
	snap *Snapshot
	txn  *memdb.Txn
}

// Txn returns the transaction, for queries the typed methods do not cover.
func (r *Read) Txn() *memdb.Txn { return r.txn }

// first returns the row of table whose index key is the one key appends.
func first[T any](txn *memdb.Txn, table, index string, key func([]byte) []byte) (T, bool) {
	var zero T
	l := lookups.Get().(*lookup)
	l.key.b = key(l.key.b[:0])
	raw, err := txn.First(table, index, l.args[:]...)
	l.release()
	if err != nil || raw == nil {
		return zero, false
	}
	v, ok := raw.(T)
	return v, ok
}

// byID returns the row of table whose primary key is id.
func byID[T any](txn *memdb.Txn, table, id string) (T, bool) {
	return first[T](txn, table, IndexID, func(b []byte) []byte { return appendKey(b, id) })
}

// lookup is the argument of one index lookup: a key built in place, and the
// slice of arguments memdb is given, which holds it. Lookups are pooled, so
// that a request's lookups do not allocate their keys.
type lookup struct {
	args [1]any
	key  keyArg
}

// release returns l to the pool, unless a long key (a request's path) grew
// it.
func (l *lookup) release() {
	if cap(l.key.b) <= 1<<10 {
		lookups.Put(l)
	}
}

var lookups = sync.Pool{New: func() any {
	l := &lookup{key: keyArg{b: make([]byte, 0, 128)}}
	l.args[0] = &l.key
	return l
}}

// Environment returns the environment whose host is host (a request's
// Host, with or without a port; compared case-insensitively).
func (r *Read) Environment(host string) (*Environment, bool) {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	if hasUpper(host) {
		host = strings.ToLower(host)
	}
	return first[*Environment](r.txn, TableEnvironments, IndexHost, func(b []byte) []byte { return appendKey(b, host) })
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// Route returns the route serving path in environment env: the one with the
// longest base path that is path itself or a prefix of it ending at a "/".
func (r *Read) Route(env, path string) (*Route, bool) {
	l := lookups.Get().(*lookup)
	l.key.b = appendPathKey(l.key.b[:0], env, path)
	raw, err := r.txn.LongestPrefix(TableRoutes, IndexPath+"_prefix", l.args[:]...)
	l.release()
	if err != nil || raw == nil {
		return nil, false
	}
	return raw.(*Route), true
}

// API returns the API with the given ID.
func (r *Read) API(id string) (*snapshot.API, bool) {
	a, ok := byID[*API](r.txn, TableAPIs, id)
	if !ok {
		return nil, false
	}
	return a.API, true
}

// Publisher returns the publisher with the given ID.
func (r *Read) Publisher(id string) (*snapshot.Publisher, bool) {
	p, ok := byID[*Publisher](r.txn, TablePublishers, id)
	if !ok {
		return nil, false
	}
	return p.Publisher, true
}

// App returns the app with the given ID ("<org>/<app>").
func (r *Read) App(id string) (*snapshot.App, bool) {
	a, ok := byID[*App](r.txn, TableApps, id)
	if !ok {
		return nil, false
	}
	return a.App, true
}

// AppByAPIKeySum returns the app owning the API key whose SHA-256 is sum.
func (r *Read) AppByAPIKeySum(sum [32]byte) (*snapshot.App, bool) {
	c, ok := first[*Credential](r.txn, TableCredentials, IndexSHA256, func(b []byte) []byte { return append(b, sum[:]...) })
	if !ok {
		return nil, false
	}
	return c.App.App, true
}

// AppByAPIKeyHash returns the app owning the API key whose SHA-256 is
// hexsha (64 lowercase hex digits).
func (r *Read) AppByAPIKeyHash(hexsha string) (*snapshot.App, bool) {
	sum, ok := parseSum(hexsha)
	if !ok {
		return nil, false
	}
	return r.AppByAPIKeySum(sum)
}

// IdentityProviders returns the platform's trusted identity providers.
func (r *Read) IdentityProviders() []snapshot.IdentityProvider {
	return r.snap.meta.Platform.IdentityProviders
}

// TokenURL returns the token endpoint URL of env.
func (r *Read) TokenURL(env string) (string, bool) {
	e, ok := byID[*Environment](r.txn, TableEnvironments, env)
	if !ok || e.TokenURL == "" {
		return "", false
	}
	return e.TokenURL, true
}

// Grant returns the grant of access mode to app on api in env.
func (r *Read) Grant(app, api, env, mode string) (*Grant, bool) {
	gs := r.appGrants(app)
	i, ok := slices.BinarySearchFunc(gs, rowKey{app, api, env, mode}, grantOrder)
	if !ok {
		return nil, false
	}
	return gs[i], true
}

// Grants calls f with app's grants on api in env, in access mode order,
// until f returns false.
func (r *Read) Grants(app, api, env string, f func(*Grant) bool) {
	gs := r.appGrants(app)
	i, _ := slices.BinarySearchFunc(gs, rowKey{app, api, env}, grantOrder)
	for ; i < len(gs) && gs[i].API == api && gs[i].Environment == env; i++ {
		if !f(gs[i]) {
			return
		}
	}
}

// appGrants returns app's grants, in primary key order.
func (r *Read) appGrants(app string) []*Grant {
	row, ok := byID[*appGrants](r.txn, TableGrants, app)
	if !ok {
		return nil
	}
	return row.grants
}

func grantOrder(g *Grant, k rowKey) int { return compareKeys(g.key(), k) }

// AllGrants returns every grant, in the order of the snapshot's
// entitlements.
func (r *Read) AllGrants() []*Grant { return allGrants(r.txn) }

// allGrants returns the grants of every row of txn, in primary key order.
func allGrants(txn *memdb.Txn) []*Grant {
	var out []*Grant
	for _, row := range rows(txn, TableGrants, func(a *appGrants) *appGrants { return a }) {
		out = append(out, row.grants...)
	}
	return out
}

// Store holds the gateway's database and its active snapshot. Its methods
// are safe for concurrent use.
type Store struct {
	active atomic.Pointer[Snapshot]
}

// Active returns the active snapshot, or nil before the first swap. Load it
// once per request.
func (s *Store) Active() *Snapshot { return s.active.Load() }

// Swap makes next the active snapshot and returns the previous one.
// Requests that loaded the previous one finish on it.
func (s *Store) Swap(next *Snapshot) (prev *Snapshot) {
	if next == nil {
		panic(errors.New("store: swap to a nil snapshot"))
	}
	return s.active.Swap(next)
}

// newRoute returns the row of r, whose API is api.
func newRoute(r *snapshot.Route, api *snapshot.API) (*Route, error) {
	u, err := url.Parse(r.Upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("upstream is not an absolute http(s) url")
	}
	p := r.BasePath
	if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
		return nil, errors.New("base path must start with / and have no empty segment")
	}
	h := api.IdentityHeaders
	row := &Route{Route: r, API: api, Upstream: u, ProxyKey: ratelimit.ProxyKey(r.Environment, api.ID),
		Ident: IdentityNames{App: canonical(h.App), Org: canonical(h.Org), Mode: canonical(h.AccessMode), User: canonical(h.User), Level: canonical(h.Level)}}
	for _, m := range r.AccessModes {
		row.Open = row.Open || m == snapshot.ModeOpen
		row.User = row.User || snapshot.UserRestricted(m)
	}
	return row, nil
}

func canonical(name string) string {
	if name == "" {
		return ""
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

// parseSum reads 64 lowercase hex digits.
func parseSum(hexsha string) (sum [32]byte, ok bool) {
	if len(hexsha) != 2*len(sum) {
		return sum, false
	}
	n, err := hex.Decode(sum[:], []byte(hexsha))
	return sum, err == nil && n == len(sum) && !hasUpper(hexsha)
}
