package gateway

import (
	"sync"
	"sync/atomic"
	"weak"

	"github.com/frontdoor-dev/frontdoor/runtime/ratelimit"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// plan is what the gateway holds for one snapshot besides the snapshot
// itself: the upstream targets of its routes, which carry what the snapshot
// does not (credentials resolved at run time, connection pools), and the
// generation header. Everything else a request needs it reads from the
// snapshot's database, on one read transaction.
//
// A plan is immutable once built and safe for concurrent use.
type plan struct {
	snap *store.Snapshot
	ups  *upstreams
	// gen is the GenerationHeader value.
	gen []string
	// targets by the route's upstream URL and credential name.
	targets map[targetKey]targetEntry
	// creds fingerprints the upstream credentials the targets were made
	// with (see resolution.fingerprint).
	creds credPrint
	// mtlsEnvs are the environments with a route that requires mutual
	// TLS.
	mtlsEnvs map[string]bool
}

// targetKey names the target of routes with one upstream and credential
// (and environment, see upstreams.targetKey).
type targetKey struct{ upstream, credential, env string }

// targetEntry is a target, or why (safe for clients) it cannot be called.
type targetEntry struct {
	t       *target
	problem string
}

// target returns the target of route r.
func (p *plan) target(r *store.Route) (*target, string) {
	e, ok := p.targets[p.ups.targetKey(r)]
	if !ok {
		return nil, "the upstream of this API is not available"
	}
	return e.t, e.problem
}

// buildPlan computes the plan of snap. Upstream targets come from ups,
// which caches connection pools and transports across snapshots; those of
// prev are kept when the credentials still read as they did.
func buildPlan(snap *store.Snapshot, prev *plan, ups *upstreams) *plan {
	res := ups.begin()
	if prev != nil && ups.fingerprint(prev.creds.names) == prev.creds {
		if sameSections(snap, prev.snap, store.SectionRoutes, store.SectionAPIs) {
			// The same routes of the same APIs: the same targets.
			return &plan{snap: snap, ups: ups, gen: []string{snap.GenerationString()}, targets: prev.targets, creds: prev.creds, mtlsEnvs: prev.mtlsEnvs}
		}
		res.seed(prev.targets)
	}
	p := &plan{snap: snap, ups: ups, gen: []string{snap.GenerationString()}}
	it, err := snap.Read().Txn().Get(store.TableRoutes, store.IndexID)
	if err == nil {
		for obj := it.Next(); obj != nil; obj = it.Next() {
			rt := obj.(*store.Route)
			res.target(rt)
			if rt.MutualTLS {
				if p.mtlsEnvs == nil {
					p.mtlsEnvs = map[string]bool{}
				}
				p.mtlsEnvs[rt.Environment] = true
			}
		}
	}
	p.targets = res.done()
	p.creds = res.fingerprint()
	return p
}

// sameSections reports whether a and b state the same digests for the
// sections named.
func sameSections(a, b *store.Snapshot, names ...string) bool {
	for _, n := range names {
		if d := a.Sections()[n]; d == "" || d != b.Sections()[n] {
			return false
		}
	}
	return true
}

// entitlement finds the grant that lets app call route rt in its
// environment with access mode mode, unexpired on day today (YYYYMMDD).
//
// For the app modes the grant's mode must be mode. For a user-restricted
// mode, a grant of a lower level of the same family also matches (a P9 user
// may use an app's P5 grant, snapshot.Satisfies); the highest such grant
// wins, as its rate limit is the one meant for that level.
func entitlement(rd *store.Read, app string, rt *store.Route, mode string, today int) (*store.Grant, bool) {
	if !snapshot.UserRestricted(mode) {
		g, ok := rd.Grant(app, rt.API.ID, rt.Environment, mode)
		return g, ok && !snapshot.Expired(g.Expires, today)
	}
	var best *store.Grant
	bestRank := -1
	rd.Grants(app, rt.API.ID, rt.Environment, func(g *store.Grant) bool {
		if snapshot.Expired(g.Expires, today) || !snapshot.UserRestricted(g.AccessMode) || !snapshot.Satisfies(mode, g.AccessMode) {
			return true
		}
		if _, r := snapshot.UserLevel(g.AccessMode); r > bestRank {
			best, bestRank = g, r
		}
		return true
	})
	return best, best != nil
}

// grantQuota returns the quota of g's calls through route rt.
func grantQuota(platform *snapshot.Platform, rt *store.Route, g *store.Grant) ratelimit.Quota {
	return ratelimit.Quota{
		API: rt.API.ID, App: g.App,
		ProxyKey: rt.ProxyKey, AppKey: g.AppKey,
		Proxy: rt.API.RateLimit, PerApp: ratelimit.AppLimit(platform, rt.API, &g.Entitlement),
	}
}

// planCache holds the plan of the active snapshot and, weakly, the one
// before it (requests that started on it may still be running), so that a
// swap never makes a request build a plan that another already built.
//
// The previous plan is held weakly because a plan holds its snapshot:
// keeping it strongly would keep two snapshots' databases in memory for
// good. Requests still running on the old snapshot hold its plan
// themselves; once they finish, the plan can be collected. A request that
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
