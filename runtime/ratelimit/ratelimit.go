// Package ratelimit is the rate-limit stage of the gateway's request path:
// token buckets for the whole of an API (the "proxy" limit, shared by all its
// apps) and for each app on an API (the API's per-app default, or the
// grant's override, or the platform's default).
//
// Two backends implement Limiter: Local, in-process buckets built on
// golang.org/x/time/rate, and Redis, a GCRA in one Lua script so that every
// gateway replica draws on one cluster-wide quota.
//
// # Buckets
//
// A bucket is identified by its key (see ProxyKey and AppKey) and its limit:
// a snapshot that changes an API's or a grant's limit gets a fresh bucket on
// its first request, and the old one is evicted once idle.
//
// A bucket refills at limit.PerSecond() tokens a second and holds at most
// burst(limit.PerSecond()) tokens: the per-second rate rounded up, at
// least 1. So
// 10/second admits 10 at once then one every 100 ms; 300/minute (5/second)
// admits 5 at once; 100/hour admits 1 at once then one every 36 s. A client
// can therefore never exceed a one-second share of its quota in a burst,
// which is what protects upstreams, at the cost of not letting an hourly
// quota be spent in one go.
//
// A limit whose PerSecond is not positive (the zero RateLimit) means no
// limit: Allow admits the request and reports Remaining -1.
package ratelimit

import (
	"context"
	"math"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Limiter decides whether one more request fits a bucket's quota.
// Implementations are safe for concurrent use.
type Limiter interface {
	// Allow takes one token from the bucket for key and limit, if there
	// is one. A non-nil error means the limiter could not decide; the
	// Decision then says what to do anyway (see Redis for the policies).
	Allow(ctx context.Context, key string, limit snapshot.RateLimit) (Decision, error)
}

// Decision is the outcome of one Allow.
type Decision struct {
	// Allowed reports whether the request may proceed.
	Allowed bool
	// RetryAfter, when not allowed, is how long until a token is due.
	RetryAfter time.Duration
	// Remaining is the number of whole tokens left after this request,
	// or -1 for no limit.
	Remaining int
}

// unlimited is the decision for a zero limit.
func unlimited() Decision { return Decision{Allowed: true, Remaining: -1} }

// burst returns the bucket size of a limit of perSecond: rounded up, at
// least 1 (0 when there is no limit).
func burst(perSecond float64) int {
	if perSecond <= 0 {
		return 0
	}
	return max(1, int(math.Ceil(perSecond)))
}

// retryAfter is the time until a bucket holding tokens (< 1) at perSecond
// has a whole token again.
func retryAfter(tokens, perSecond float64) time.Duration {
	if tokens >= 1 {
		return 0
	}
	return time.Duration(math.Ceil((1 - tokens) / perSecond * float64(time.Second)))
}

// ProxyKey is the key of the bucket shared by every app calling api in env.
func ProxyKey(env, api string) string { return "p|" + env + "|" + api }

// AppKey is the key of app's own bucket on api in env.
func AppKey(env, api, app string) string { return "a|" + env + "|" + api + "|" + app }

// AppLimit resolves the per-app limit for app's calls to api: the grant's
// override, else the API's per-app default, else the platform's default.
// grant and platform may be nil.
func AppLimit(platform *snapshot.Platform, api *snapshot.API, grant *snapshot.Entitlement) snapshot.RateLimit {
	switch {
	case grant != nil && grant.RateLimit != nil && !grant.RateLimit.IsZero():
		return *grant.RateLimit
	case !api.AppRateLimit.IsZero():
		return api.AppRateLimit
	case platform != nil:
		return platform.AppRateLimit
	}
	return snapshot.RateLimit{}
}

// Quota is the pair of buckets one request is checked against. The gateway
// may build one per (route, app) and reuse it for the snapshot's lifetime,
// which saves building the keys on every request.
type Quota struct {
	// API and App are IDs, used in the 429 message.
	API, App string
	// ProxyKey and AppKey name the buckets.
	ProxyKey, AppKey string
	// Proxy is the API's whole limit; PerApp the app's.
	Proxy, PerApp snapshot.RateLimit
	// PoolKey, when set, names a bucket checked between the app's and the
	// API's, with limit Pool: the share of the API's quota anonymous
	// callers draw on together, so that they cannot spend what granted
	// apps are entitled to (see AnonymousQuota).
	PoolKey string
	Pool    snapshot.RateLimit
	// Anonymous marks the quota of a caller that names no app: its
	// AppKey is its client network's bucket.
	Anonymous bool
}

// AnonymousQuota returns the quota of a caller naming no app on api in env,
// from client network network (a truncated address): the network's own
// bucket at the API's per-app limit (else the platform's), and, when the
// API also admits apps (mixed is set), the anonymous pool at half the API's
// quota; then the API's quota. Anonymous callers from one network can thus
// never take more than one app's share, and all of them together never
// more than half of what the API admits.
func AnonymousQuota(platform *snapshot.Platform, env string, api *snapshot.API, network string, mixed bool) Quota {
	q := Quota{
		API:       api.ID,
		ProxyKey:  ProxyKey(env, api.ID),
		AppKey:    "n|" + env + "|" + api.ID + "|" + network,
		Proxy:     api.RateLimit,
		PerApp:    AppLimit(platform, api, nil),
		Anonymous: true,
	}
	if mixed && !api.RateLimit.IsZero() {
		q.PoolKey = "o|" + env + "|" + api.ID
		q.Pool = snapshot.RateLimit{Limit: max(1, api.RateLimit.Limit/2), Per: api.RateLimit.Per}
	}
	return q
}

// Check takes a token from q's app bucket, then from its proxy bucket. The
// app bucket goes first so that an app over its own quota does not drain the
// quota every app shares; an app refused by the proxy bucket has still spent
// its own token. A non-nil *Rejection says which quota refused the request
// (the gateway answers it with 429). A non-nil error comes from the
// limiter, with its Decision (see Redis for the failure policies).
func Check(ctx context.Context, l Limiter, q *Quota) (Decision, *Rejection, error) {
	d, err := l.Allow(ctx, q.AppKey, q.PerApp)
	if err != nil || !d.Allowed {
		scope := ScopeApp
		if q.Anonymous {
			scope = ScopeNetwork
		}
		return d, rejection(d, err, scope, q, q.PerApp), err
	}
	if q.PoolKey != "" {
		o, err := l.Allow(ctx, q.PoolKey, q.Pool)
		if err != nil || !o.Allowed {
			return o, rejection(o, err, ScopeAnonymous, q, q.Pool), err
		}
	}
	p, err := l.Allow(ctx, q.ProxyKey, q.Proxy)
	if err != nil || !p.Allowed {
		return p, rejection(p, err, ScopeAPI, q, q.Proxy), err
	}
	if p.Remaining >= 0 && (d.Remaining < 0 || p.Remaining < d.Remaining) {
		d.Remaining = p.Remaining
	}
	return d, nil, nil
}

func rejection(d Decision, err error, s Scope, q *Quota, limit snapshot.RateLimit) *Rejection {
	if err != nil || d.Allowed {
		return nil
	}
	return &Rejection{Scope: s, App: q.App, API: q.API, Limit: limit, RetryAfter: d.RetryAfter}
}

// Scope says which quota refused a request.
type Scope string

// Scopes of a quota.
const (
	ScopeApp       Scope = "app"       // the app's own quota on the API
	ScopeAPI       Scope = "api"       // the API's quota shared by all apps
	ScopeNetwork   Scope = "network"   // an anonymous caller's network's quota
	ScopeAnonymous Scope = "anonymous" // the share of all anonymous callers together
)

// Rejection describes a request refused for exceeding a quota: the gateway
// answers it with 429 Too Many Requests.
type Rejection struct {
	Scope      Scope
	App, API   string
	Limit      snapshot.RateLimit
	RetryAfter time.Duration
}

// Message names the app and the quota it exceeded, e.g.
// "app acme/pharmacy-finder exceeded its quota of 10/second for
// nhsbsa/prescription-exemptions".
func (r *Rejection) Message() string {
	switch r.Scope {
	case ScopeNetwork:
		return "unauthenticated requests from your network exceeded their quota of " + r.Limit.String() + " for " + r.API +
			": an application with a grant has its own quota"
	case ScopeAnonymous:
		return "unauthenticated requests exceeded their share of " + r.Limit.String() + " for " + r.API +
			": an application with a grant has its own quota"
	}
	if r.Scope == ScopeAPI && r.App == "" {
		return r.API + " exceeded its quota of " + r.Limit.String() + " for all callers together"
	}
	if r.Scope == ScopeAPI {
		return "app " + r.App + " was refused because " + r.API + " exceeded its quota of " +
			r.Limit.String() + " for all apps together"
	}
	return "app " + r.App + " exceeded its quota of " + r.Limit.String() + " for " + r.API
}

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up, at least 1,
// as sent in the Retry-After header.
func (r *Rejection) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(r.RetryAfter.Seconds())))
}
