package gateway

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/frontdoor-dev/frontdoor/runtime/accesslog"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
)

// metrics are the data plane's Prometheus metrics.
type metrics struct {
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	rateLimited  *prometheus.CounterVec
	authFailures *prometheus.CounterVec
	refused      *prometheus.CounterVec

	mu sync.RWMutex
	// routes are the series by API and environment, resolved once.
	routes map[routeKey]*routeMetrics
}

type routeKey struct{ api, env string }

// className labels status class c (statusClass); 0 is anything else.
func className(c int) string {
	if c >= 1 && c <= 5 {
		return string(rune('0'+c)) + "xx"
	}
	return "other"
}

func statusClass(status int) int {
	if c := status / 100; c >= 1 && c <= 5 {
		return c
	}
	return 0
}

// routeMetrics are a route's series, resolved once.
type routeMetrics struct {
	classes [6]prometheus.Counter
	latency prometheus.Observer
}

// degradedCounter is what a limiter with a fail-open fallback exposes
// (ratelimit.Redis).
type degradedCounter interface{ Degraded() uint64 }

// newMetrics creates and registers the data plane's metrics with reg: by
// API, environment and status class for requests; by environment for
// latency (API × environment histograms would be too many series with
// 10,000 APIs); rate-limit rejections by API, environment and scope;
// authentication failures by reason; requests refused before routing by
// kind; and, read when scraped, the access log's dropped entries and the
// rate limiter's degraded (fail-open) decisions.
func newMetrics(reg prometheus.Registerer, log *accesslog.Logger, limiter any) *metrics {
	f := promauto.With(reg)
	m := &metrics{
		routes: map[routeKey]*routeMetrics{},
		requests: f.NewCounterVec(prometheus.CounterOpts{Name: "frontdoor_gateway_requests_total",
			Help: "Requests answered, by API (empty when not routed), environment and status class."}, []string{"api", "environment", "class"}),
		latency: f.NewHistogramVec(prometheus.HistogramOpts{Name: "frontdoor_gateway_request_duration_seconds",
			Help:    "Time from receiving a request's head to the end of its response, by environment.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"environment"}),
		rateLimited: f.NewCounterVec(prometheus.CounterOpts{Name: "frontdoor_gateway_rate_limited_total",
			Help: "Requests refused with 429, by API, environment and scope (app: the app's quota; api: the API's)."}, []string{"api", "environment", "scope"}),
		authFailures: f.NewCounterVec(prometheus.CounterOpts{Name: "frontdoor_gateway_auth_failures_total",
			Help: "Requests refused by authentication or entitlement, by reason."}, []string{"reason"}),
		refused: f.NewCounterVec(prometheus.CounterOpts{Name: "frontdoor_gateway_problems_total",
			Help: "Requests the gateway answered with a problem itself, by problem type."}, []string{"type"}),
	}
	if log != nil {
		f.NewCounterFunc(prometheus.CounterOpts{Name: "frontdoor_gateway_access_log_dropped_total",
			Help: "Access log entries dropped because the writer fell behind."}, func() float64 { return float64(log.Dropped()) })
	}
	if d, ok := limiter.(degradedCounter); ok {
		f.NewCounterFunc(prometheus.CounterOpts{Name: "frontdoor_gateway_ratelimit_degraded_total",
			Help: "Rate-limit decisions made locally because Redis was unavailable (fail-open)."}, func() float64 { return float64(d.Degraded()) })
	}
	return m
}

// forRoute returns the series of rt's API and environment, resolving them
// on first use.
func (m *metrics) forRoute(rt *store.Route) *routeMetrics {
	key := routeKey{rt.API.ID, rt.Environment}
	m.mu.RLock()
	rm := m.routes[key]
	m.mu.RUnlock()
	if rm != nil {
		return rm
	}
	rm = &routeMetrics{latency: m.latency.WithLabelValues(key.env)}
	for i := range rm.classes {
		rm.classes[i] = m.requests.WithLabelValues(key.api, key.env, className(i))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old := m.routes[key]; old != nil {
		return old
	}
	m.routes[key] = rm
	return rm
}
