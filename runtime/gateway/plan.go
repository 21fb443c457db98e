package gateway

import (
	"maps"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/frontdoor-dev/frontdoor/runtime/auth"
	"github.com/frontdoor-dev/frontdoor/runtime/ratelimit"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// plan is everything the request path needs from one snapshot, computed
// once when the snapshot is prepared (or first used) so that a request does
// no per-request building: route plans with their upstreams and identity
// header names, the set of reserved header names to strip, the API-key
// index, grants by app and the rate-limit quotas of grants (built on first
// use, then kept for the snapshot's lifetime).
//
// A plan is immutable once built, apart from its lazily filled caches
// (quotas, route metrics), which are atomic. It is safe for concurrent use.
type plan struct {
	snap *store.Snapshot
	data *snapshot.Snapshot
	dir  *directory
	// gen is the GenerationHeader value.
	gen []string
	// routes by the store's route pointer.
	routes map[*store.Route]*routePlan
	// reserved holds the canonical identity header names of every API.
	reserved map[string]struct{}
	// grants holds each app's entitlements, with their quotas.
	grants grantIndex
	// targets are the upstream targets the plan's routes use.
	targets []*target
	// creds fingerprints the upstream credentials the targets were made
	// with (see resolution.fingerprint).
	creds credPrint
}

// appGrants is one app's entitlements (its row of the store's grants
// table), sorted by (API, Environment, AccessMode), with the rate-limit
// quota of each, built on first use.
type appGrants struct {
	list   []snapshot.Entitlement
	quotas []atomic.Pointer[ratelimit.Quota]
}

// grantIndex finds an app's grants. A swap that changes a few apps' grants
// (store.Snapshot.GrantsChanged) does not rebuild the index of 100,000
// grants: over holds the apps changed since base was built (nil for an app
// that has none any more), base the others, shared with the plans before.
// Neither map is written once built. When over grows past a fraction of
// base, the next change builds a new base.
type grantIndex struct {
	base, over map[string]*appGrants
}

// get returns app's grants, nil when it has none.
func (x grantIndex) get(app string) *appGrants {
	if g, ok := x.over[app]; ok {
		return g
	}
	return x.base[app]
}

// newGrantIndex indexes every app's grants in snap.
func newGrantIndex(snap *store.Snapshot) grantIndex {
	apps, n := 0, 0
	snap.EachGrants(func(g *store.Grants) { apps, n = apps+1, n+len(g.List) })
	all, quotas := make([]appGrants, 0, apps), make([]atomic.Pointer[ratelimit.Quota], n)
	base := make(map[string]*appGrants, apps)
	snap.EachGrants(func(g *store.Grants) {
		all = append(all, appGrants{list: g.List, quotas: quotas[:len(g.List):len(g.List)]})
		quotas = quotas[len(g.List):]
		base[g.App] = &all[len(all)-1]
	})
	return grantIndex{base: base}
}

// with returns x with the grants of apps as snap has them now; the other
// apps' grants, quotas built included, are x's.
func (x grantIndex) with(snap *store.Snapshot, apps []string) grantIndex {
	if len(apps) == 0 {
		return x
	}
	if len(x.over)+len(apps) > len(x.base)/8+64 {
		return newGrantIndex(snap)
	}
	over := make(map[string]*appGrants, len(x.over)+len(apps))
	maps.Copy(over, x.over)
	for _, app := range apps {
		var ag *appGrants
		if g, ok := snap.Grants(app); ok {
			ag = &appGrants{list: g.List, quotas: make([]atomic.Pointer[ratelimit.Quota], len(g.List))}
		}
		over[app] = ag
	}
	return grantIndex{base: x.base, over: over}
}

// identityNames are an API's identity header names, canonical; "" means
// the header is not sent.
type identityNames struct {
	app, org, mode, user, level string
}

// routePlan is one route with what the request path needs of it.
type routePlan struct {
	route *store.Route
	api   *snapshot.API
	env   string
	modes []string
	// open is set when the route accepts unauthenticated requests.
	open bool
	// user is set when the route accepts a user-restricted mode.
	user  bool
	ident identityNames
	// target is the upstream; nil when it cannot be called (see
	// targetProblem).
	target        *target
	targetProblem string
	// anon is the quota of requests that name no app: the API's own.
	anon ratelimit.Quota
	// metrics are created on first use.
	metrics atomic.Pointer[routeMetrics]
}

// directory is the auth.Directory of one snapshot, with the token URLs of
// its environments.
type directory struct {
	*auth.SnapshotDirectory
	tokenURLs map[string]string
}

var _ auth.TokenURLDirectory = (*directory)(nil)
var _ auth.APIKeySumDirectory = (*directory)(nil)

// TokenURL implements auth.TokenURLDirectory.
func (d *directory) TokenURL(env string) (string, bool) {
	u, ok := d.tokenURLs[env]
	return u, ok
}

// buildPlan computes the plan of snap. Upstream targets come from ups,
// which caches connection pools and transports across snapshots.
func buildPlan(snap *store.Snapshot, ups *upstreams) *plan {
	data := snap.Data()
	p := &plan{
		snap:     snap,
		data:     data,
		gen:      []string{snap.GenerationString()},
		routes:   make(map[*store.Route]*routePlan, len(data.Routes)),
		reserved: map[string]struct{}{},
	}
	p.grants = newGrantIndex(snap)
	p.dir = &directory{SnapshotDirectory: auth.NewSnapshotDirectory(data), tokenURLs: map[string]string{}}
	for _, e := range data.Platform.Environments {
		if e.BaseURL != "" {
			p.dir.tokenURLs[e.Name] = strings.TrimSuffix(e.BaseURL, "/") + auth.TokenPath
		}
	}
	for i := range data.APIs {
		for _, n := range data.APIs[i].IdentityHeaders.Names() {
			p.reserved[textproto.CanonicalMIMEHeaderKey(n)] = struct{}{}
		}
	}
	resolved := ups.begin()
	for i := range data.Routes {
		r, ok := snap.Route(data.Routes[i].Environment, data.Routes[i].BasePath)
		if !ok || r.Route != &data.Routes[i] {
			continue // not indexed by the store: unreachable anyway
		}
		rp := &routePlan{
			route: r,
			api:   r.API,
			env:   r.Environment,
			modes: r.AccessModes,
			ident: identityNames{
				app:   canonical(r.API.IdentityHeaders.App),
				org:   canonical(r.API.IdentityHeaders.Org),
				mode:  canonical(r.API.IdentityHeaders.AccessMode),
				user:  canonical(r.API.IdentityHeaders.User),
				level: canonical(r.API.IdentityHeaders.Level),
			},
			anon: ratelimit.Quota{API: r.API.ID, ProxyKey: ratelimit.ProxyKey(r.Environment, r.API.ID), Proxy: r.API.RateLimit},
		}
		for _, m := range r.AccessModes {
			rp.open = rp.open || m == snapshot.ModeOpen
			rp.user = rp.user || snapshot.UserRestricted(m)
		}
		rp.target, rp.targetProblem = resolved.target(r)
		p.routes[r] = rp
	}
	p.targets = resolved.done()
	p.creds = resolved.fingerprint()
	return p
}

// plannedSections are the snapshot sections a plan is computed from,
// besides the entitlements.
var plannedSections = []string{"apis", "consumers", "platform", "publishers", "routes"}

// rebasePlan returns prev's plan for snap when the upstream credentials
// still read as they did and snap differs from prev's snapshot in its
// generation, commit or grants only: everything else is then prev's, so a
// swap that changed nothing else (store.Snapshot.SharesIndex) costs no
// rebuild, and one that changed grants updates the apps changed only.
// Otherwise it returns nil.
func rebasePlan(snap *store.Snapshot, prev *plan, ups *upstreams) *plan {
	if prev == nil {
		return nil
	}
	shares := snap.SharesIndex(prev.snap)
	if !shares && !snap.SameSections(prev.snap, plannedSections...) || ups.fingerprint(prev.creds.names) != prev.creds {
		return nil
	}
	p := *prev
	p.snap, p.data, p.gen = snap, snap.Data(), []string{snap.GenerationString()}
	if apps, ok := snap.GrantsChanged(prev.snap); ok {
		p.grants = prev.grants.with(snap, apps)
	} else {
		p.grants = newGrantIndex(snap)
	}
	return &p
}

func canonical(name string) string {
	if name == "" {
		return ""
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

// quota returns the quota of g's entitlement i, building it on first use.
func (p *plan) quota(g *appGrants, i int, rp *routePlan) *ratelimit.Quota {
	if q := g.quotas[i].Load(); q != nil {
		return q
	}
	e := &g.list[i]
	q := ratelimit.NewQuota(&p.data.Platform, rp.env, rp.api, e.App, e)
	if g.quotas[i].CompareAndSwap(nil, &q) {
		return &q
	}
	return g.quotas[i].Load()
}

// entitlement finds the grant that lets app call rp's API in its
// environment with access mode mode, unexpired on day today (YYYYMMDD). It
// returns the app's grants and the grant's index among them.
//
// For the app modes the grant's mode must be mode. For a user-restricted
// mode, a grant of a lower level of the same family also matches (a P9 user
// may use an app's P5 grant, snapshot.Satisfies); the highest such grant wins,
// as its rate limit is the one meant for that level.
func (p *plan) entitlement(app string, rp *routePlan, mode string, today int) (*appGrants, int, bool) {
	g := p.grants.get(app)
	if g == nil {
		return nil, 0, false
	}
	api, env := rp.api.ID, rp.env
	i, _ := slices.BinarySearchFunc(g.list, rp, func(e snapshot.Entitlement, rp *routePlan) int {
		if c := strings.Compare(e.API, api); c != 0 {
			return c
		}
		return strings.Compare(e.Environment, env)
	})
	user := snapshot.UserRestricted(mode)
	best, bestRank := -1, -1
	for ; i < len(g.list) && g.list[i].API == api && g.list[i].Environment == env; i++ {
		e := &g.list[i]
		if expired(e.Expires, today) {
			continue
		}
		if e.AccessMode == mode {
			return g, i, true
		}
		if user && snapshot.UserRestricted(e.AccessMode) && snapshot.Satisfies(mode, e.AccessMode) {
			if _, r := snapshot.UserLevel(e.AccessMode); r > bestRank {
				best, bestRank = i, r
			}
		}
	}
	return g, best, best >= 0
}

// expired reports whether a grant whose last valid day is lastDay
// (YYYY-MM-DD; "" for never) has expired on today (YYYYMMDD). A malformed
// day has always expired: deny rather than guess.
func expired(lastDay string, today int) bool {
	if lastDay == "" {
		return false
	}
	s := lastDay
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return true
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if i == 4 || i == 7 {
			continue
		}
		c := s[i]
		if c < '0' || c > '9' {
			return true
		}
		n = n*10 + int(c-'0')
	}
	return today > n
}

// planCache holds the plan of the active snapshot and, weakly, the one
// before it (requests that started on it may still be running), so that a
// swap never makes a request build a plan that another already built.
//
// The previous plan is held weakly because a plan holds its snapshot:
// keeping it strongly would keep two whole snapshots in memory for good.
// Requests still running on the old snapshot hold its plan themselves; once
// they finish, the plan and the snapshot can be collected. A request that
// loaded the old snapshot just before a swap and finds its plan collected
// builds it again.
type planCache struct {
	mu   sync.Mutex // serialises builds
	cur  atomic.Pointer[plan]
	prev atomic.Pointer[weak.Pointer[plan]]
}

// previous returns the previous plan, if it is still alive.
func (c *planCache) previous() *plan {
	if w := c.prev.Load(); w != nil {
		return w.Value()
	}
	return nil
}

// get returns snap's plan, building it if neither cached plan is snap's;
// build is given the current plan.
func (c *planCache) get(snap *store.Snapshot, build func(snap *store.Snapshot, cur *plan) *plan) *plan {
	if p := c.cur.Load(); p != nil && p.snap == snap {
		return p
	}
	if p := c.previous(); p != nil && p.snap == snap {
		return p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.cur.Load(); p != nil && p.snap == snap {
		return p
	}
	if p := c.previous(); p != nil && p.snap == snap {
		return p
	}
	p := build(snap, c.cur.Load())
	if old := c.cur.Load(); old != nil {
		w := weak.Make(old)
		c.prev.Store(&w)
	}
	c.cur.Store(p)
	return p
}
