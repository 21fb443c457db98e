package gateway_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frontdoor-dev/frontdoor/internal/redistest"

	"github.com/frontdoor-dev/frontdoor/runtime/ratelimit"
)

// redisServer is a throwaway redis-server (see internal/redistest).
type redisServer struct{ *redistest.Server }

func startRedis(t testing.TB) redisServer { return redisServer{redistest.Start(t)} }

func (s redisServer) kill() { s.Kill() }

func (s redisServer) limiter(t testing.TB, policy ratelimit.FailurePolicy) *ratelimit.Redis {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { c.Close() })
	return ratelimit.NewRedis(c, ratelimit.RedisOptions{Policy: policy, Now: frozen, Backoff: time.Minute})
}

func TestRedisLimitsRefuseOverQuotaAndFailClosedWhenRedisIsDown(t *testing.T) {
	srv := startRedis(t)
	e := newEnv(t, envOptions{limiter: srv.limiter(t, ratelimit.FailClosed)})
	for i := range 2 {
		if r := e.get("/pub/limited/v1/x", "apikey", portalKey); r.code != http.StatusOK {
			t.Fatalf("request %d: got %d %s, want 200", i+1, r.code, r.body)
		}
	}
	r := e.get("/pub/limited/v1/x", "apikey", portalKey)
	if r.code != http.StatusTooManyRequests || decodeProblem(t, r).Detail != "app acme/portal exceeded its quota of 2/second for pub/limited" {
		t.Fatalf("request 3: got %d %s, want 429 for the app's quota", r.code, r.body)
	}
	srv.kill()
	before := len(e.up.all())
	r = e.get("/pub/keyed/v1/x", "apikey", portalKey)
	if r.code != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Fatalf("with Redis down: got %d, Retry-After %q; want 503 with Retry-After", r.code, r.header.Get("Retry-After"))
	}
	if p := decodeProblem(t, r); p.Detail != "rate limiting is temporarily unavailable" {
		t.Errorf("detail: got %q", p.Detail)
	}
	if n := len(e.up.all()) - before; n != 0 {
		t.Errorf("upstream requests while failing closed: got %d, want 0", n)
	}
}

func TestRedisLimitsFailOpenWhenRedisIsDown(t *testing.T) {
	srv := startRedis(t)
	e := newEnv(t, envOptions{limiter: srv.limiter(t, ratelimit.FailOpen)})
	if r := e.get("/pub/keyed/v1/x", "apikey", portalKey); r.code != http.StatusOK {
		t.Fatalf("with Redis up: got %d, want 200", r.code)
	}
	srv.kill()
	if r := e.get("/pub/keyed/v1/x", "apikey", portalKey); r.code != http.StatusOK {
		t.Fatalf("with Redis down: got %d %s, want 200", r.code, r.body)
	}
	if got := e.gaugeOrCounter("frontdoor_gateway_ratelimit_degraded_total"); got < 1 {
		t.Errorf("degraded decisions: got %v, want at least 1", got)
	}
}
