// Package gateway is the data plane of the gateway runtime: the HTTP handler
// that takes each request through the active snapshot to its upstream.
//
// # The request path
//
// Every request loads the active snapshot once and finishes on it, whatever
// swaps happen meanwhile:
//
//  1. normalise the path (runtime/pathsafe); an ambiguous path is refused
//     with 400, and the clean path is the only one routing, entitlement
//     and the upstream see;
//  2. route: the environment is the one whose host is the request's Host,
//     else Options.DefaultEnvironment, else 421; an absolute-form request
//     target is refused (see targetHostFailure); the route is the longest base path
//     that prefixes the clean path; none is 404. POST /oauth2/token on any
//     environment's host is the token endpoint of that environment
//     (runtime/auth), answered here and never proxied;
//  3. authenticate for the route's access modes (runtime/auth);
//  4. entitlement: a grant for (app, API, environment, access mode) must
//     exist and be unexpired today (UTC; Expires is the last valid day),
//     else 403. Open requests need none. User-restricted requests must
//     name their app with its API key beside the user's token (the
//     gateway cannot otherwise tell which app calls, and every grant is to
//     an app); the app's grant may be of a lower level of the same family
//     than the user's (snapshot.Satisfies: a P9 user uses a P5 grant);
//  5. rate limits: the app's quota (the grant's override, else the API's
//     per-app default, else the platform's) then the API's whole quota
//     (runtime/ratelimit); 429 with Retry-After, or 503 when a fail-closed
//     Redis limiter is unavailable;
//  6. headers: every header a client could forge identity with is removed
//     (identity header names of every API, X-Frontdoor-*, forwarding and
//     client-address headers, URL and method overrides, hop-by-hop headers
//     and those Connection names, the apikey header and the gateway's own
//     bearer tokens), then the API's identity headers, X-Forwarded-*,
//     X-Request-Id, traceparent (the client's trace continued, or a new
//     one; runtime/tracecontext) and the upstream credential are set; a client's query
//     parameters that the upstream URL fixes are dropped;
//  7. proxy to the route's upstream through httputil.ReverseProxy with
//     Rewrite over net/http's Transport (see upstreams), the only HTTP
//     client of the gateway. An Upgrade is honoured only for websocket, on
//     a GET, to an API that declares it; 1xx responses are not forwarded.
//  8. access log (runtime/accesslog) and metrics.
//
// Before any of this, a method other than GET, HEAD, POST, PUT, PATCH,
// DELETE and OPTIONS is refused (405 for TRACE, TRACK and CONNECT, 501
// for others), and a request that came with a Transfer-Encoding has its
// connection closed after the response (net/http drops the Content-Length
// beside it, so the gateway closes all such connections, as RFC 9112
// §6.1 asks for those that had both).
//
// Errors the gateway answers itself are RFC 9457 problem details mapped from
// a few kinds in one place (problem.go); their details never carry internal
// errors.
//
// # Costs
//
// Each request reads the snapshot's database on one read transaction (see
// store.Read): its route, credential and grant are index lookups, and what
// is derived from a route (identity header names, bucket keys) was computed
// when its row was written. The upstream targets are computed once per
// snapshot (see plan). The gateway's headers are set on ReverseProxy's
// copy of the request only (rewrite), so that the headers are copied once.
// A request allocates little beyond what net/http and ReverseProxy
// allocate: its request ID (when it brings none), its traceparent, one
// allocation for the call to the upstream (the writer the ReverseProxy
// writes through, the headers the gateway sets and their values, the
// connection check's state, see guardedTransport), the context and
// request that carry the call, and memdb's read transaction.
package gateway

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/frontdoor-dev/frontdoor/runtime/accesslog"
	"github.com/frontdoor-dev/frontdoor/runtime/auth"
	"github.com/frontdoor-dev/frontdoor/runtime/diagnosis"
	"github.com/frontdoor-dev/frontdoor/runtime/pathsafe"
	"github.com/frontdoor-dev/frontdoor/runtime/ratelimit"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/runtime/tracecontext"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// GenerationHeader names the response header carrying the generation of the
// snapshot that served the request.
const GenerationHeader = "X-Frontdoor-Generation"

// Defaults of Options.
const (
	DefaultDialTimeout           = 5 * time.Second
	DefaultTLSHandshakeTimeout   = 5 * time.Second
	DefaultResponseHeaderTimeout = 30 * time.Second
	DefaultIdleConnTimeout       = 90 * time.Second
	DefaultMaxIdleConnsPerHost   = 512
	DefaultMaxConnsPerHost       = 1024
	// DefaultMaxResponseHeaderBytes bounds an upstream response's header
	// section (1xx responses' included, which are read and dropped).
	DefaultMaxResponseHeaderBytes = 64 << 10
)

// Options configure a Proxy. Only Store is required.
type Options struct {
	// Store holds the active snapshot.
	Store *store.Store
	// DefaultEnvironment serves requests whose Host is no environment's
	// host; "" (the operator names none) answers them 421.
	DefaultEnvironment string
	// Auth authenticates requests and serves the token endpoint; nil
	// means one with auth.Config's defaults (a per-replica token key).
	Auth *auth.Authenticator
	// Limiter enforces rate limits; nil means a ratelimit.Local.
	Limiter ratelimit.Limiter
	// AccessLog, when set, receives one entry per request.
	AccessLog *accesslog.Logger
	// Diagnosis, when set, records the exchanges forwarded during the
	// capture windows of the snapshot's APIs.
	Diagnosis *diagnosis.Recorder
	// Registerer, when set, receives the gateway's metrics. One gateway
	// per registry.
	Registerer prometheus.Registerer
	// CredentialsDir holds upstream credentials by name: <name>.header
	// ("Header-Name: value") or <name>.crt and <name>.key (an mTLS client
	// certificate). Credentials not found there are read from the
	// environment variable FRONTDOOR_CRED_<NAME>. They are resolved when a
	// snapshot is prepared, never taken from the snapshot itself.
	CredentialsDir string
	// Getenv reads environment variables; nil means os.Getenv.
	Getenv func(string) string
	// TLSClientConfig is the base TLS configuration to https upstreams
	// (root CAs); nil means the system's.
	TLSClientConfig *tls.Config
	// UpstreamRootCAs, by environment, replace TLSClientConfig's root CAs
	// for the upstreams of that environment's routes.
	UpstreamRootCAs map[string]*x509.CertPool
	// Timeouts to upstreams; zero means the Default above.
	DialTimeout, TLSHandshakeTimeout, ResponseHeaderTimeout, IdleConnTimeout time.Duration
	// MaxIdleConnsPerHost bounds the idle connections kept per upstream
	// host (of each publisher, see upstreams), MaxConnsPerHost all of them:
	// requests beyond it wait for a connection.
	MaxIdleConnsPerHost, MaxConnsPerHost int
	// MaxResponseHeaderBytes bounds an upstream response's headers.
	MaxResponseHeaderBytes int
	// Transport, when set, carries every upstream request instead of the
	// gateway's own transports (tests that must own the upstream
	// connections).
	Transport http.RoundTripper
	// TokenLimitPerApp and TokenLimitPerClient bound the token endpoint's
	// requests of one app and of one client network (/24, /48); zero means
	// the Default above.
	TokenLimitPerApp, TokenLimitPerClient snapshot.RateLimit
	// Now is the clock of grant expiry; nil means time.Now.
	Now func() time.Time
	// Spans, when set, records a span per request (off by default).
	Spans Spans
	// Log defaults to slog.Default().
	Log *slog.Logger
}

// Proxy is the gateway's HTTP handler. It is safe for concurrent use. Its
// per-snapshot plans are built by Prepare (call it before swapping a
// snapshot in) or, failing that, by the first request on a snapshot.
type Proxy struct {
	opts    Options
	log     *slog.Logger
	auth    *auth.Authenticator
	limiter ratelimit.Limiter
	alog    *accesslog.Logger
	m       *metrics
	now     func() time.Time
	plans   planCache
	ups     *upstreams
	// tlsFails are the upstreams whose TLS handshake failed (/status).
	tlsFails tlsFailures
	// custom is the ReverseProxy over Options.Transport, if set.
	custom *httputil.ReverseProxy
	// errorLog is every ReverseProxy's.
	errorLog *log.Logger
	buffers  bufferPool
	// tokenPerApp and tokenPerClient are the token endpoint's limits.
	tokenPerApp, tokenPerClient snapshot.RateLimit
	// lastRequest is when a request last arrived (Unix nanoseconds),
	// updated at most every busyGrain so that requests on different CPUs
	// rarely write the same cache line.
	lastRequest atomic.Int64
}

const (
	// busyWindow is how recent a request must be for Busy to report true.
	busyWindow = time.Second
	// busyGrain is the resolution of lastRequest.
	busyGrain = 50 * time.Millisecond
)

// Busy reports whether a request arrived within the last second: snapshot
// loads should then leave the CPUs to requests (see control.Options.Busy).
func (p *Proxy) Busy() bool {
	return time.Now().UnixNano()-p.lastRequest.Load() < int64(busyWindow)
}

var _ http.Handler = (*Proxy)(nil)

// New returns a Proxy.
func New(opts Options) *Proxy {
	p := &Proxy{opts: opts, log: opts.Log, auth: opts.Auth, limiter: opts.Limiter, alog: opts.AccessLog, now: opts.Now}
	if p.log == nil {
		p.log = slog.Default()
	}
	if p.now == nil {
		p.now = time.Now
	}
	o := &p.opts
	o.DialTimeout = cmp(o.DialTimeout, DefaultDialTimeout)
	o.TLSHandshakeTimeout = cmp(o.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout)
	o.ResponseHeaderTimeout = cmp(o.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	o.IdleConnTimeout = cmp(o.IdleConnTimeout, DefaultIdleConnTimeout)
	o.MaxIdleConnsPerHost = positive(o.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost)
	o.MaxConnsPerHost = positive(o.MaxConnsPerHost, DefaultMaxConnsPerHost)
	o.MaxResponseHeaderBytes = positive(o.MaxResponseHeaderBytes, DefaultMaxResponseHeaderBytes)
	if p.auth == nil {
		a, err := auth.New(auth.Config{Logger: p.log})
		if err != nil {
			panic(err) // the zero Config always builds
		}
		p.auth = a
	}
	if p.limiter == nil {
		p.limiter = ratelimit.NewLocal(ratelimit.LocalOptions{})
	}
	p.tokenPerApp, p.tokenPerClient = o.TokenLimitPerApp, o.TokenLimitPerClient
	if p.tokenPerApp.IsZero() {
		p.tokenPerApp = DefaultTokenLimitPerApp
	}
	if p.tokenPerClient.IsZero() {
		p.tokenPerClient = DefaultTokenLimitPerClient
	}
	p.auth.SetTokenLimit(p.tokenAppLimit)
	if o.Registerer != nil {
		p.m = newMetrics(o.Registerer, p.alog, p.limiter)
	}
	p.errorLog = slog.NewLogLogger(p.log.Handler(), slog.LevelWarn)
	p.ups = newUpstreams(o, p.log, p.newReverseProxy)
	if o.Transport != nil {
		p.custom = p.newReverseProxy(o.Transport)
	}
	return p
}

func cmp(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Prepare builds snap's plan ahead of its first request: call it before
// swapping snap in, so that no request pays for it.
func (p *Proxy) Prepare(snap *store.Snapshot) { p.plan(snap) }

// Close closes idle upstream connections. In-flight requests finish.
func (p *Proxy) Close() { p.ups.closeAll() }

func (p *Proxy) plan(snap *store.Snapshot) *plan {
	return p.plans.get(snap, func(s *store.Snapshot, cur *plan) *plan {
		start := time.Now()
		pl := buildPlan(s, cur, p.ups)
		if p.alog != nil {
			pp := s.Platform()
			p.alog.SetRetention(pp.LogRetentionDays, pp.AggregateRetentionDays)
		}
		p.log.Debug("gateway plan built", "generation", s.Generation(), "targets", len(pl.targets), "took", time.Since(start))
		return pl
	})
}

// exchange is one request's state, for the access log and metrics.
type exchange struct {
	// captured is set once a diagnosis capture records the exchange.
	captured bool
	start    time.Time
	reqID    string
	path     string
	env      string
	rt       *store.Route
	pr       auth.Principal
	status   int
	bytes    int64
	// query is the client's query as it came, for the log.
	query string
	// trace is the context of the call to the upstream (W3C Trace
	// Context), parent the client's span (not valid when it sent none).
	trace, parent trace.SpanContext
	// endSpan ends the request's span (Options.Spans), if any.
	endSpan func(SpanEnd)
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := exchange{start: time.Now()}
	if t := ex.start.UnixNano(); t-p.lastRequest.Load() > int64(busyGrain) {
		p.lastRequest.Store(t)
	}
	var idVals []string
	ex.reqID, idVals = requestID(r.Header)
	ex.parent, ex.trace = tracecontext.Start(r.Header)
	if p.opts.Spans != nil {
		p.startSpan(r, &ex)
	}
	h := w.Header()
	h[RequestIDHeader] = idVals
	snap := p.opts.Store.Active()
	if snap == nil {
		p.fail(w, r, &ex, &failure{kind: kindNoSnapshot, detail: "no configuration has been loaded yet", retryAfter: 1})
		return
	}
	pl := p.plan(snap)
	h[GenerationHeader] = pl.gen
	if f := requestFailure(r); f != nil {
		p.fail(w, r, &ex, f)
		return
	}
	if len(r.TransferEncoding) > 0 {
		// The server kept no trace of a Content-Length beside it: close.
		h["Connection"] = closeValue
	}
	rd := snap.Read()
	env := p.opts.DefaultEnvironment
	if e, ok := rd.Environment(r.Host); ok {
		env = e.Name
	}
	if env == "" {
		p.fail(w, r, &ex, &failure{kind: kindMisdirected, detail: "no environment of this platform is served at this host"})
		return
	}
	ex.env = env

	// 1. Normalise.
	clean, err := pathsafe.NormalizeURL(r.URL)
	if err != nil {
		var pe *pathsafe.Error
		detail := "the request path is ambiguous"
		if errors.As(err, &pe) {
			detail = "the request path is ambiguous: " + string(pe.Reason)
		}
		p.fail(w, r, &ex, &failure{kind: kindBadPath, detail: detail})
		return
	}
	ex.path = clean

	// 2. Route (the environment is known already, for the metrics).
	if clean == auth.TokenPath && env != "" {
		if f := p.tokenClientFailure(r, env); f != nil {
			p.fail(w, r, &ex, f)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		p.auth.ServeToken(sw, r, rd, env)
		ex.status, ex.bytes = sw.code(), sw.n
		p.finish(r, &ex)
		return
	}
	rt, ok := rd.Route(env, clean)
	if !ok {
		p.fail(w, r, &ex, &failure{kind: kindNotFound, detail: "no API is published at this path in this environment"})
		return
	}
	ex.rt = rt

	// 3. Authenticate.
	pr, err := p.auth.Authenticate(r, rd, env, rt.AccessModes)
	if err != nil {
		p.fail(w, r, &ex, p.authFailure(err))
		return
	}
	ex.pr = pr
	if rt.MutualTLS {
		if f := p.clientCertFailure(r, &ex, rd, pr); f != nil {
			p.fail(w, r, &ex, f)
			return
		}
	}

	// 4. Entitlement, 5. rate limits.
	quota, f := p.quota(r, &ex, snap, rd, rt, pr)
	if f != nil {
		p.fail(w, r, &ex, f)
		return
	}
	if _, rej, err := ratelimit.Check(r.Context(), p.limiter, &quota); rej != nil || err != nil {
		p.fail(w, r, &ex, p.limitFailure(rt, rej, err))
		return
	}

	// 6. Headers.
	t, problem := pl.target(rt)
	if t == nil {
		p.fail(w, r, &ex, &failure{kind: kindUpstreamConfig, detail: problem})
		return
	}
	if !validValue(pr.UserID) || !validValue(pr.Level) {
		p.fail(w, r, &ex, &failure{kind: kindUnauthenticated, reason: auth.CodeInvalidToken, detail: "invalid or expired access token", challenge: `Bearer error="invalid_token"`})
		return
	}
	// One allocation for the call to the upstream.
	call := &upstreamCall{pw: proxyWriter{ResponseWriter: w, reqID: h[RequestIDHeader], gen: pl.gen, conn: h["Connection"]}}
	upstreamHeaders(r, &ex, snap, rt, pr, t, &call.out)
	rest := clean[len(rt.BasePath):]
	ex.query = r.URL.RawQuery
	query := t.query(ex.query)

	p.proxy(w, r, &ex, rt, t, call, joinPath(t.path, rest), query)
}

// WantsClientCertificate reports whether the TLS server should ask a client
// that named serverName (SNI; "" for none) for a certificate: when the
// environment served at that host, or the default one, has a route that
// requires mutual TLS in the active snapshot. Clients of other hosts are
// never asked, so that a browser holding certificates (a smartcard's) does
// not prompt its user. A request whose Host names another environment than
// its connection's SNI is checked all the same (clientCertFailure): a
// connection that was not asked has no certificate and is refused. Safe
// for concurrent use (tlsterm.AskClientCertificates calls it per
// handshake).
func (p *Proxy) WantsClientCertificate(serverName string) bool {
	snap := p.opts.Store.Active()
	if snap == nil {
		return false
	}
	pl := p.plan(snap)
	if len(pl.mtlsEnvs) == 0 {
		return false
	}
	env := p.opts.DefaultEnvironment
	if e, ok := snap.Read().Environment(serverName); ok {
		env = e.Name
	}
	return pl.mtlsEnvs[env]
}

// clientCertFailure checks, on a route that requires mutual TLS, that the
// request's TLS client certificate is one the app its credential
// identified registered. A user-restricted request that names no app is
// left to the entitlement check, which says it needs the app's key.
func (p *Proxy) clientCertFailure(r *http.Request, ex *exchange, rd *store.Read, pr auth.Principal) *failure {
	if pr.AppID == "" && pr.AccessMode != snapshot.ModeOpen {
		return nil
	}
	var app *snapshot.App
	if pr.AppID != "" {
		app, _ = rd.App(pr.AppID)
	}
	now := ex.start
	if p.opts.Now != nil {
		now = p.now()
	}
	if err := auth.CheckClientCertificate(r.TLS, app, now); err != nil {
		return p.authFailure(err)
	}
	return nil
}

// requestFailure refuses what the gateway never serves: methods it does not
// know or never forwards, and targets that name another host.
func requestFailure(r *http.Request) *failure {
	if !allowedMethod(r.Method) {
		f := &failure{kind: kindNotImplemented, detail: "the gateway does not serve this method"}
		if refusedMethod(r.Method) {
			f.kind, f.detail = kindMethodNotAllowed, "the gateway never serves "+r.Method
		}
		return f
	}
	return targetHostFailure(r)
}

// quota checks the caller's entitlement to route rt and returns the rate
// limits its request draws on: its grant's, or the anonymous ones.
func (p *Proxy) quota(r *http.Request, ex *exchange, snap *store.Snapshot, rd *store.Read, rt *store.Route, pr auth.Principal) (ratelimit.Quota, *failure) {
	if pr.AccessMode == snapshot.ModeOpen {
		return anonQuota(snap, rt, r), nil
	}
	if pr.AppID == "" {
		p.countAuth("app_not_identified")
		return ratelimit.Quota{}, &failure{kind: kindUnauthenticated, reason: ReasonAppNotIdentified,
			detail: "user-restricted access needs the calling application's API key in the apikey header beside the user's token"}
	}
	now := ex.start
	if p.opts.Now != nil {
		now = p.now()
	}
	g, ok := entitlement(rd, pr.AppID, rt, pr.AccessMode, yyyymmdd(now))
	if !ok {
		p.countAuth("not_entitled")
		return ratelimit.Quota{}, entitlementFailure(rd, pr.AppID, rt, ex.env, pr.AccessMode, yyyymmdd(now))
	}
	return grantQuota(snap.Platform(), rt, g), nil
}

// upstreamHeaders strips r's inbound headers the upstream must not see and
// returns those the gateway sets: identity, request and trace IDs,
// forwarding, the upstream credential, an allowed upgrade.
func upstreamHeaders(r *http.Request, ex *exchange, snap *store.Snapshot, rt *store.Route, pr auth.Principal, t *target, out *outHeaders) {
	st := stripInbound(r.Header, snap.Reserved, t.credHeader)
	id := &rt.Ident
	out.add(id.App, pr.AppID)
	out.add(id.Org, pr.OrgID)
	out.add(id.Mode, pr.AccessMode)
	out.add(id.User, pr.UserID)
	out.add(id.Level, pr.Level)
	out.add(RequestIDHeader, ex.reqID)
	// The client's tracestate goes on only as the propagator read it.
	delete(r.Header, tracecontext.StateHeader)
	parent, state := tracecontext.Headers(ex.trace)
	out.add(tracecontext.ParentHeader, parent)
	out.add(tracecontext.StateHeader, state)
	out.add("X-Forwarded-For", clientIP(r.RemoteAddr))
	out.add("X-Forwarded-Host", r.Host)
	if r.TLS != nil {
		out.add("X-Forwarded-Proto", "https")
	} else {
		out.add("X-Forwarded-Proto", "http")
	}
	out.add(t.credHeader, t.credValue)
	if st.teTrailers {
		out.add("Te", "trailers")
	}
	if st.upgrade != "" && rt.API.WebSocket && r.Method == http.MethodGet && r.ProtoMajor == 1 &&
		strings.EqualFold(st.upgrade, "websocket") {
		// ReverseProxy switches protocols with this pair; any other
		// upgrade was stripped and the request goes on as plain HTTP.
		out.add("Connection", "Upgrade")
		out.add("Upgrade", "websocket")
	}
}

// query returns the upstream query of a request with query raw: cleaned,
// without the parameters the upstream URL fixes or credentials, after the
// upstream URL's own.
func (t *target) query(raw string) string {
	query := raw
	if strings.IndexByte(query, ';') >= 0 {
		query = cleanQuery(query)
	}
	if len(t.fixedKeys) > 0 && query != "" {
		query = withoutFixed(query, t.fixedKeys)
	}
	query = upstreamQuery(query)
	if t.rawQuery != "" {
		if query == "" {
			return t.rawQuery
		}
		return t.rawQuery + "&" + query
	}
	return query
}

// proxy sends r to t's upstream at path joined with query and the headers
// of call, and answers with its response.
func (p *Proxy) proxy(w http.ResponseWriter, r *http.Request, ex *exchange, rt *store.Route, t *target, call *upstreamCall, joined, query string) {
	// 7. Proxy. ReverseProxy's copy of the inbound request is the
	// upstream request: its URL is the inbound one's, set here and the
	// client's again afterwards; the gateway's headers are set on the
	// copy only, by Rewrite (rewrite), from call, which the context
	// carries. One allocation for the context with the connection
	// check's trace, one for the request that carries it.
	u := r.URL
	saved := *u
	defer func() { *u = saved }()
	u.Scheme, u.Host = t.scheme, t.host
	if err := pathsafe.SetURL(u, joined); err != nil {
		u.Path, u.RawPath = joined, ""
	}
	u.RawQuery, u.Fragment, u.RawFragment = query, "", ""
	call.ctx = callContext{Context: r.Context(), call: call}
	in := r.WithContext(call.guard.watch(&call.ctx))
	rpx := t.proxy
	if p.custom != nil {
		rpx = p.custom
	}
	pw := &call.pw
	if c := p.opts.Diagnosis.Match(rt.API, ex.env, ex.pr.AppID, ex.start); c != nil {
		ex.captured = true
		r.Body, pw.tap = c.RequestBody(r.Body), c.Tap()
		defer func() {
			// The request as the upstream received it, when it was sent.
			sent := *r
			if call.sent != nil {
				sent.Header = call.sent
			}
			c.Finish(&sent, ex.path, ex.query, ex.reqID, ex.env, ex.pr.AppID, ex.status, w.Header())
		}()
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				// The response broke off (ReverseProxy drops the
				// connection): the exchange is recorded all the same.
				*u = saved
				ex.status, ex.bytes = pw.code(), pw.n
				p.finish(r, ex)
			}
			panic(v)
		}
	}()
	rpx.ServeHTTP(pw, in)
	ex.status, ex.bytes = pw.code(), pw.n
	switch err := pw.err; {
	case err == nil:
		p.tlsFails.ok(ex.env, t)
	case pw.status != 0:
		// The response had started (a protocol switch): nothing to answer.
		p.log.Warn("upstream exchange failed", "api", rt.API.ID, "env", ex.env, "upstream", t.scheme+"://"+t.host, "err", err, "request_id", ex.reqID)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away before the upstream answered.
		pw.WriteHeader(499)
		ex.status = 499
	default:
		p.fail(pw, r, ex, p.upstreamFailure(rt.API.ID, ex.env, t, err, ex.reqID))
		return
	}
	p.finish(r, ex)
}

// upstreamCall is what proxy allocates per request: the writer the
// ReverseProxy writes to, the headers the gateway sets on the upstream
// request, the context that carries the call to rewrite
// and to guardedTransport, and the connection check's state.
type upstreamCall struct {
	pw    proxyWriter
	out   outHeaders
	ctx   callContext
	guard connGuard
	// sent is the upstream request's header, once rewrite set it.
	sent http.Header
}

// callContext is a request's context carrying its upstreamCall.
type callContext struct {
	context.Context
	call *upstreamCall
}

// callKey is the context key of the upstreamCall.
type callKey struct{}

func (c *callContext) Value(key any) any {
	if key == (callKey{}) {
		return c.call
	}
	return c.Context.Value(key)
}

// callOf returns the upstreamCall the context of r carries, if any.
func callOf(r *http.Request) *upstreamCall {
	c, _ := r.Context().Value(callKey{}).(*upstreamCall)
	return c
}

// closeValue is the Connection header that makes the server close the
// connection after the response.
var closeValue = []string{"close"}

// allowedMethod reports whether the gateway serves method m: the methods
// of RFC 9110 that APIs use, and PATCH.
func allowedMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// refusedMethod reports whether m is a method the gateway refuses by name:
// TRACE and TRACK echo requests (credentials included) back, CONNECT opens
// tunnels. Any spelling: some upstreams compare methods without case.
func refusedMethod(m string) bool {
	return strings.EqualFold(m, "TRACE") || strings.EqualFold(m, "TRACK") || strings.EqualFold(m, "CONNECT")
}

// isTimeout reports whether err is a timeout (a net.Error's, or a
// deadline's).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// validValue reports whether s may be sent as a header value.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// yyyymmdd returns t's UTC date as the number YYYYMMDD.
func yyyymmdd(t time.Time) int {
	y, m, d := t.UTC().Date()
	return y*10000 + int(m)*100 + d
}

// authFailure maps an authentication error to a failure, counting it.
func (p *Proxy) authFailure(err error) *failure {
	var ae *auth.Error
	if !errors.As(err, &ae) {
		p.countAuth("internal")
		p.log.Error("authentication failed unexpectedly", "err", err)
		return &failure{kind: kindUnavailable, detail: "authentication is temporarily unavailable", retryAfter: 1}
	}
	p.countAuth(string(ae.Reason))
	f := &failure{detail: ae.Message(), challenge: ae.Challenge, reason: ae.Code}
	switch ae.Status {
	case http.StatusBadRequest:
		f.kind = kindBadRequest
	case http.StatusForbidden:
		f.kind = kindForbidden
	case http.StatusServiceUnavailable:
		f.kind, f.retryAfter = kindUnavailable, 5
	default:
		f.kind = kindUnauthenticated
	}
	return f
}

func (p *Proxy) countAuth(reason string) {
	if p.m != nil {
		p.m.authFailures.WithLabelValues(reason).Inc()
	}
}

// limitFailure maps a rate-limit refusal or a limiter error to a failure.
func (p *Proxy) limitFailure(rt *store.Route, rej *ratelimit.Rejection, err error) *failure {
	if rej == nil {
		if !errors.Is(err, ratelimit.ErrUnavailable) {
			p.log.Error("rate limiter failed", "api", rt.API.ID, "err", err)
		}
		return &failure{kind: kindUnavailable, detail: "rate limiting is temporarily unavailable", retryAfter: 1}
	}
	if p.m != nil {
		p.m.rateLimited.WithLabelValues(rt.API.ID, rt.Environment, string(rej.Scope)).Inc()
	}
	detail := rej.Message()
	return &failure{kind: kindRateLimited, reason: quotaReason(rej.Scope), detail: detail, retryAfter: rej.RetryAfterSeconds()}
}

// fail answers with f as a problem and finishes the exchange.
func (p *Proxy) fail(w http.ResponseWriter, r *http.Request, ex *exchange, f *failure) {
	if p.m != nil {
		p.m.refused.WithLabelValues(problemOf(f.kind).slug).Inc()
	}
	if ex.rt != nil && !ex.captured {
		// A refusal of a routed request is part of what a diagnosis
		// window on its API records (the forwarded ones are, in proxy).
		if c := p.opts.Diagnosis.Match(ex.rt.API, ex.env, ex.pr.AppID, ex.start); c != nil {
			if tap := c.Tap(); tap != nil {
				w = tapWriter{w, tap}
			}
			defer func() { c.Finish(r, ex.path, r.URL.RawQuery, ex.reqID, ex.env, ex.pr.AppID, ex.status, w.Header()) }()
		}
	}
	ex.status, ex.bytes = writeProblem(w, f, ex.reqID)
	p.finish(r, ex)
}

// tapWriter copies what is written to a diagnosis capture.
type tapWriter struct {
	http.ResponseWriter
	tap io.Writer
}

func (t tapWriter) Write(b []byte) (int, error) {
	n, err := t.ResponseWriter.Write(b)
	t.tap.Write(b[:n])
	return n, err
}

// finish records the exchange in the metrics and the access log.
func (p *Proxy) finish(r *http.Request, ex *exchange) {
	took := time.Since(ex.start)
	endSpan(ex)
	if m := p.m; m != nil {
		c := statusClass(ex.status)
		if ex.rt != nil {
			rm := m.forRoute(ex.rt)
			rm.classes[c].Inc()
			rm.latency.Observe(took.Seconds())
		} else {
			m.requests.WithLabelValues("", ex.env, className(c)).Inc()
			m.latency.WithLabelValues(ex.env).Observe(took.Seconds())
		}
	}
	if p.alog == nil {
		return
	}
	query := ex.query
	if ex.rt == nil {
		query = r.URL.RawQuery
	}
	e := accesslog.Entry{
		Time: ex.start, RequestID: ex.reqID, Method: r.Method, Path: ex.path, Query: query,
		Status: ex.status, Latency: took, BytesOut: ex.bytes,
		App: ex.pr.AppID, Org: ex.pr.OrgID, AccessMode: ex.pr.AccessMode, Environment: ex.env,
		UserAgent: r.UserAgent(), TraceID: ex.trace.TraceID(),
	}
	if ex.path == "" {
		// Refused before normalising: log what was asked (redacted by the
		// logger), for the record of attacks.
		e.Path = r.URL.EscapedPath()
	}
	if ex.rt != nil {
		e.API = ex.rt.API.ID
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		e.ClientIP = ap.Addr()
	}
	p.alog.Log(e)
}

// cleanQuery drops query parameters containing an unescaped ';', as
// ReverseProxy does: Go no longer splits on ';' but some upstreams still
// do, so forwarding them would let a parameter be read two ways.
func cleanQuery(q string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(q, "&") {
		if part == "" || strings.IndexByte(part, ';') >= 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(part)
	}
	return b.String()
}

// statusWriter records the status and body size of a response written by a
// handler the gateway does not control.
type statusWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 && code >= 200 || code == http.StatusSwitchingProtocols {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.n += int64(n)
	return n, err
}

func (s *statusWriter) code() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}

// Unwrap lets http.ResponseController reach the server's writer (flush,
// hijack for upgrades).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// copyBufferSize is the size of ReverseProxy's copy buffers.
const copyBufferSize = 32 << 10

// bufferPool is ReverseProxy's buffer pool. It holds array pointers, which
// a slice converts to without allocating.
type bufferPool struct{ pool sync.Pool }

func (b *bufferPool) Get() []byte {
	if p, ok := b.pool.Get().(*[copyBufferSize]byte); ok {
		return p[:]
	}
	return make([]byte, copyBufferSize)
}

func (b *bufferPool) Put(x []byte) {
	if len(x) == copyBufferSize {
		b.pool.Put((*[copyBufferSize]byte)(x))
	}
}

// proxyWriter is what the ReverseProxy writes the response to. It records
// the status and size for the log; it drops 1xx responses (an upstream's
// informational responses are not the client's, and ReverseProxy clears
// the header map after each), and it puts the gateway's own headers back
// on the final response; it keeps the ErrorHandler's error for ServeHTTP
// to answer.
type proxyWriter struct {
	http.ResponseWriter
	// reqID, gen and conn are the RequestIDHeader, GenerationHeader and
	// Connection values of the response.
	reqID, gen, conn []string
	status           int
	n                int64
	err              error
	// tap, when set, receives a copy of the body (diagnosis capture).
	tap io.Writer
}

func (w *proxyWriter) WriteHeader(code int) {
	if code < 200 && code != http.StatusSwitchingProtocols {
		return
	}
	if w.status != 0 {
		return
	}
	w.status = code
	h := w.ResponseWriter.Header()
	h[RequestIDHeader], h[GenerationHeader] = w.reqID, w.gen
	if w.conn != nil {
		h["Connection"] = w.conn
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *proxyWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	if w.tap != nil {
		w.tap.Write(b[:n])
	}
	return n, err
}

func (w *proxyWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Hijack switches protocols (ReverseProxy, after an upstream's 101).
func (w *proxyWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.status = http.StatusSwitchingProtocols
	}
	return c, brw, err
}

// Unwrap lets http.ResponseController reach the server's writer (flush).
func (w *proxyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// newReverseProxy returns the ReverseProxy over rt.
func (p *Proxy) newReverseProxy(rt http.RoundTripper) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:       rewrite,
		Transport:     rt,
		BufferPool:    &p.buffers,
		FlushInterval: 0, // streams (unknown length, event streams) flush at once
		ErrorHandler:  upstreamError,
		ModifyResponse: func(res *http.Response) error {
			// The gateway's own response headers are not the upstream's.
			// (Both names are canonical, as the Transport's keys are.)
			delete(res.Header, GenerationHeader)
			delete(res.Header, RequestIDHeader)
			return nil
		},
		ErrorLog: p.errorLog,
	}
}

// rewrite completes the upstream request, ReverseProxy's copy of the
// inbound one (whose URL proxy set): the gateway's headers, from the call
// its context carries, the Host (the upstream's own), and a HEAD's
// connection not reused.
func rewrite(pr *httputil.ProxyRequest) {
	out := pr.Out
	out.Host = ""
	if out.Method == http.MethodHead {
		// A body sent after a HEAD's response (which has none) would
		// otherwise wait on the connection for the next request.
		out.Close = true
	}
	call := callOf(pr.In)
	if call == nil {
		return
	}
	call.out.setOn(out.Header)
	call.sent = out.Header
}

func joinPath(base, rest string) string {
	switch {
	case rest == "":
		if base == "" {
			return "/"
		}
		return base
	case strings.HasSuffix(base, "/"):
		return base + strings.TrimPrefix(rest, "/")
	}
	return base + rest
}

// upstreamError is ReverseProxy's ErrorHandler: it keeps err for
// ServeHTTP, which answers it.
func upstreamError(w http.ResponseWriter, _ *http.Request, err error) {
	if pw, ok := w.(*proxyWriter); ok {
		pw.err = err
		return
	}
	http.Error(w, "upstream unavailable", http.StatusBadGateway)
}
