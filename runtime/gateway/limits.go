package gateway

import (
	"context"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/frontdoor-dev/frontdoor/runtime/accesslog"
	"github.com/frontdoor-dev/frontdoor/runtime/ratelimit"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Default limits of the token endpoint. An access token lives 599 s, so an
// app needs about one token per replica every ten minutes: these leave
// room for restarts and many workers while bounding what one app or one
// network can make the gateway verify and remember.
var (
	DefaultTokenLimitPerApp    = snapshot.RateLimit{Limit: 2, Per: "second"}
	DefaultTokenLimitPerClient = snapshot.RateLimit{Limit: 10, Per: "second"}
)

// clientNetwork returns the network of a request's peer address as a
// bucket key: its /24 (IPv4) or /48 (IPv6), as the access log truncates
// it. Behind a proxy every client shares the proxy's network.
func clientNetwork(remoteAddr string) string {
	a, err := netip.ParseAddr(clientIP(remoteAddr))
	if err != nil {
		return "unknown"
	}
	return accesslog.TruncateIP(a).String()
}

// anonQuota is the quota of an open request on rt: its client network's
// bucket, the anonymous pool when the API also admits apps, and the API's
// quota (ratelimit.AnonymousQuota).
func anonQuota(snap *store.Snapshot, rt *store.Route, r *http.Request) ratelimit.Quota {
	mixed := slices.ContainsFunc(rt.AccessModes, func(m string) bool { return m != snapshot.ModeOpen })
	return ratelimit.AnonymousQuota(snap.Platform(), rt.Environment, rt.API, clientNetwork(r.RemoteAddr), mixed)
}

// tokenClientFailure limits the token endpoint per client network, before
// any assertion is parsed.
func (p *Proxy) tokenClientFailure(r *http.Request, env string) *failure {
	d, err := p.limiter.Allow(r.Context(), "tc|"+env+"|"+clientNetwork(r.RemoteAddr), p.tokenPerClient)
	if err == nil && d.Allowed || err != nil && d.Allowed {
		return nil
	}
	if err != nil {
		return &failure{kind: kindUnavailable, detail: "rate limiting is temporarily unavailable", retryAfter: 1}
	}
	rej := ratelimit.Rejection{RetryAfter: d.RetryAfter}
	return &failure{kind: kindRateLimited, reason: ReasonTokenRequestsExceeded, retryAfter: rej.RetryAfterSeconds(),
		detail: "too many token requests from your network: reuse an access token until it expires"}
}

// tokenAppLimit is the token endpoint's per-app limit (auth.TokenLimitFunc).
func (p *Proxy) tokenAppLimit(ctx context.Context, env, app string) (time.Duration, bool) {
	d, _ := p.limiter.Allow(ctx, "ta|"+env+"|"+app, p.tokenPerApp)
	return d.RetryAfter, d.Allowed
}
