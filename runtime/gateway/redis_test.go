package gateway_test

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frontdoor-dev/frontdoor/runtime/ratelimit"
)

// redisServer is a redis-server child process on a free loopback port.
type redisServer struct {
	addr string
	cmd  *exec.Cmd
	done chan struct{}
}

// startRedis starts a throwaway redis-server, or skips the test when none is
// installed. It is killed when the test ends, if not before.
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &redisServer{
		addr: "127.0.0.1:" + strconv.Itoa(port),
		cmd:  exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
		done: make(chan struct{}),
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.kill)
	c := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not answer: %v", err)
		}
		select {
		case <-s.done:
			t.Fatalf("redis-server exited: %v", err)
		case <-time.After(10 * time.Millisecond): // poll interval
		}
	}
}

// kill stops the server and waits for it to exit.
func (s *redisServer) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

func (s *redisServer) limiter(t testing.TB, policy ratelimit.FailurePolicy) *ratelimit.Redis {
	c := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1,
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
