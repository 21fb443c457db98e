package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/frontdoor-dev/frontdoor/internal/mockupstream"
	"github.com/frontdoor-dev/frontdoor/runtime/accesslog"
	"github.com/frontdoor-dev/frontdoor/runtime/auth"
	"github.com/frontdoor-dev/frontdoor/runtime/diagnosis"
	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/runtime/otelspans"
	"github.com/frontdoor-dev/frontdoor/runtime/ratelimit"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
)

// redisTimeout bounds each Redis call of the rate limiter: it is the extra
// latency of the request that discovers an outage (see ratelimit.Redis).
const redisTimeout = 50 * time.Millisecond

// dataPlane is the gateway's request path and what it owns: the proxy, its
// access log, its Redis client and, in dev, the mock upstreams.
type dataPlane struct {
	proxy *gateway.Proxy
	alog  *accesslog.Logger
	redis *redis.Client
	env   string
	mocks bool
	log   *slog.Logger
	mu    sync.Mutex // guards servers and addrs
	mock  *mockupstream.Servers
	addrs []string
	spans *otelspans.Exporter
	diag  *diagnosis.Recorder
}

func newDataPlane(cfg gatewayConfig, st *store.Store, reg prometheus.Registerer, log *slog.Logger) (*dataPlane, error) {
	dp := &dataPlane{env: cfg.env, mocks: cfg.mockUpstreams, log: log}
	acfg := auth.Config{Logger: log, AllowInsecureJWKSURLs: cfg.allowInsecureJWKS}
	if cfg.tokenKeyFile != "" {
		b, err := os.ReadFile(cfg.tokenKeyFile)
		if err != nil {
			return nil, usage("reading token key: %w", err)
		}
		secret := []byte(strings.TrimSpace(string(b)))
		id := sha256.Sum256(secret)
		acfg.TokenKeys = []auth.TokenKey{{ID: "k" + hex.EncodeToString(id[:6]), Secret: secret}}
	}
	a, err := auth.New(acfg)
	if err != nil {
		return nil, usage("token key: %w", err)
	}
	replicas := max(1, cfg.replicas)
	var limiter ratelimit.Limiter
	switch {
	case cfg.ratelimitRedis != "":
		var policy ratelimit.FailurePolicy
		switch cfg.ratelimitPolicy {
		case "fail-open", "":
			policy = ratelimit.FailOpen
		case "fail-closed":
			policy = ratelimit.FailClosed
		default:
			return nil, usage("unknown --ratelimit-policy %q: want fail-open or fail-closed", cfg.ratelimitPolicy)
		}
		dp.redis = redis.NewClient(&redis.Options{
			Addr: cfg.ratelimitRedis, DialTimeout: redisTimeout, ReadTimeout: redisTimeout, WriteTimeout: redisTimeout,
			// One dial attempt: go-redis retries failed dials (5 × 100 ms by
			// default), which would stall every request waiting on the pool
			// while Redis is down instead of failing fast to the policy.
			MaxRetries: -1, DialerRetries: 1, PoolSize: 64,
		})
		limiter = ratelimit.NewRedis(dp.redis, ratelimit.RedisOptions{Policy: policy, Replicas: replicas})
	default:
		limiter = ratelimit.NewLocal(ratelimit.LocalOptions{Share: 1 / float64(replicas)})
	}
	if cfg.accessLogDir != "" {
		dp.alog, err = accesslog.New(accesslog.Options{Dir: cfg.accessLogDir, Replica: cfg.replicaID, ErrorLog: log})
		if err != nil {
			dp.close()
			return nil, usage("%w", err)
		}
	}
	if dir := cfg.diagnosisDir(); dir != "" {
		if dp.diag, err = diagnosis.New(diagnosis.Options{Dir: dir, Retention: cfg.diagnosisRetention, Log: log}); err != nil {
			dp.close()
			return nil, usage("%w", err)
		}
	}
	roots, err := cfg.tls.upstreamRoots()
	if err != nil {
		dp.close()
		return nil, usage("%w", err)
	}
	if dp.spans, err = cfg.tracing.exporter(log); err != nil {
		dp.close()
		return nil, usage("%w", err)
	}
	var spans gateway.Spans
	if dp.spans != nil {
		spans = dp.spans
	}
	dp.proxy = gateway.New(gateway.Options{
		Store: st, DefaultEnvironment: cfg.env, Auth: a, Limiter: limiter, AccessLog: dp.alog, Registerer: reg,
		CredentialsDir: cfg.credentialsDir, DialTimeout: cfg.dialTimeout, TLSHandshakeTimeout: cfg.tlsHandshakeTimeout,
		ResponseHeaderTimeout: cfg.responseHeaderTimeout, MaxIdleConnsPerHost: cfg.maxIdleConnsPerHost,
		MaxConnsPerHost: cfg.upstreamMaxConns, UpstreamRootCAs: roots, Spans: spans, Diagnosis: dp.diag, Log: log,
	})
	return dp, nil
}

// prepare readies a verified snapshot before it is swapped in: the proxy's
// plan, and in dev the mock upstreams of its loopback upstreams.
func (dp *dataPlane) prepare(s *store.Snapshot) {
	dp.proxy.Prepare(s)
	if dp.mocks {
		dp.syncMocks(s)
	}
}

// syncMocks (re)starts the mock upstreams when the set of loopback upstream
// addresses of the default environment changes. A swap reads only the
// routes to know.
func (dp *dataPlane) syncMocks(s *store.Snapshot) {
	var addrs []string
	for _, r := range s.Document(store.SectionRoutes).Routes {
		if r.Environment == dp.env {
			addrs = append(addrs, r.Upstream)
		}
	}
	slices.Sort(addrs)
	addrs = slices.Compact(addrs)
	dp.mu.Lock()
	defer dp.mu.Unlock()
	if dp.mock != nil && slices.Equal(addrs, dp.addrs) {
		return
	}
	if dp.mock != nil {
		dp.mock.Close()
		dp.mock = nil
	}
	m, err := mockupstream.Start(s.Document(store.SectionRoutes, store.SectionAPIs), dp.env)
	if err != nil {
		dp.log.Error("mock upstreams not started", "err", err)
		return
	}
	dp.mock, dp.addrs = m, addrs
	dp.log.Info("mock upstreams started", "environment", dp.env, "count", len(m.Addrs))
}

// close flushes the access log and stops what the data plane started.
func (dp *dataPlane) close() {
	var errs []error
	if dp.proxy != nil {
		dp.proxy.Close()
	}
	if dp.alog != nil {
		errs = append(errs, dp.alog.Close())
	}
	if dp.diag != nil {
		dp.diag.Close()
	}
	if dp.redis != nil {
		errs = append(errs, dp.redis.Close())
	}
	if dp.spans != nil {
		errs = append(errs, shutdownSpans(dp.spans))
	}
	dp.mu.Lock()
	if dp.mock != nil {
		errs = append(errs, dp.mock.Close())
	}
	dp.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		dp.log.Warn("stopping the data plane", "err", fmt.Errorf("closing: %w", err))
	}
}
