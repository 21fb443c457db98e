// Package gateway is the data plane of the gateway runtime: the HTTP handler
// that routes each request through the active snapshot to its upstream.
//
// This is the minimal routing proxy; authentication, entitlements, rate
// limits and access logs slot in between routing and proxying.
package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"

	"github.com/frontdoor-dev/frontdoor/runtime/store"
)

// GenerationHeader names the response header carrying the generation of the
// snapshot that served the request.
const GenerationHeader = "X-Frontdoor-Generation"

// Options configure a Proxy.
type Options struct {
	// Store holds the active snapshot.
	Store *store.Store
	// DefaultEnvironment serves requests whose Host is no environment's
	// host; "" answers them 404.
	DefaultEnvironment string
	// Transport defaults to http.DefaultTransport.
	Transport http.RoundTripper
	// Log defaults to slog.Default().
	Log *slog.Logger
}

// Proxy routes requests by the longest base path of the active snapshot's
// routes in the request's environment and proxies them upstream. It loads
// the active snapshot once per request: a request that started on a
// snapshot finishes on it, whatever swaps happen meanwhile.
type Proxy struct {
	opts  Options
	log   *slog.Logger
	proxy *httputil.ReverseProxy
}

var _ http.Handler = (*Proxy)(nil)

// New returns a Proxy.
func New(opts Options) *Proxy {
	p := &Proxy{opts: opts, log: opts.Log}
	if p.log == nil {
		p.log = slog.Default()
	}
	p.proxy = &httputil.ReverseProxy{
		Rewrite:      rewrite,
		Transport:    opts.Transport,
		ErrorHandler: p.upstreamError,
	}
	return p
}

// routeKey is the request context key of the matched *store.Route.
type routeKey struct{}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	snap := p.opts.Store.Active()
	if snap == nil {
		http.Error(w, "no configuration loaded yet", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set(GenerationHeader, snap.GenerationString())
	env, ok := snap.Environment(r.Host)
	if !ok {
		env = p.opts.DefaultEnvironment
	}
	route, ok := snap.Route(env, r.URL.Path)
	if !ok {
		http.Error(w, "no API at this path", http.StatusNotFound)
		return
	}
	p.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), routeKey{}, route)))
}

// rewrite sends the request to the route's upstream: the path below the
// base path is appended to the upstream's path, queries are merged.
func rewrite(pr *httputil.ProxyRequest) {
	route := pr.In.Context().Value(routeKey{}).(*store.Route)
	u := route.Upstream
	out := pr.Out.URL
	out.Scheme, out.Host = u.Scheme, u.Host
	out.Path = joinPath(u.Path, strings.TrimPrefix(pr.In.URL.Path, route.BasePath))
	out.RawPath = ""
	switch {
	case u.RawQuery == "":
	case out.RawQuery == "":
		out.RawQuery = u.RawQuery
	default:
		out.RawQuery = u.RawQuery + "&" + out.RawQuery
	}
	pr.Out.Host = "" // the upstream's own host
	pr.SetXForwarded()
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

func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		// The client went away.
		w.WriteHeader(499)
		return
	}
	route, _ := r.Context().Value(routeKey{}).(*store.Route)
	attrs := []any{"err", err, "path", r.URL.Path}
	if route != nil {
		attrs = append(attrs, "api", route.API.ID, "upstream", (&url.URL{Scheme: route.Upstream.Scheme, Host: route.Upstream.Host}).String())
	}
	p.log.Warn("upstream request failed", attrs...)
	http.Error(w, "upstream unavailable", http.StatusBadGateway)
}
