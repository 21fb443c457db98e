package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frontdoor-dev/frontdoor/internal/redistest"
)

func TestRedisReplicasShareOneQuota(t *testing.T) {
	srv := redistest.Start(t)
	clock := newFakeClock()
	replicas := make([]*Redis, 3)
	for i := range replicas {
		replicas[i] = NewRedis(srv.Client(t), RedisOptions{Now: clock.Now, Replicas: 3})
	}
	limit := rl(10, "second")
	n := 0
	for i := 0; i < 30; i++ {
		d, err := replicas[i%3].Allow(context.Background(), "k", limit)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			n++
		}
	}
	if n != 10 {
		t.Fatalf("got %d admitted across 3 replicas at one instant, want 10", n)
	}
}

func TestRedisAdmitsTheConfiguredRateOverAWindow(t *testing.T) {
	srv := redistest.Start(t)
	tests := []struct {
		name   string
		limit  string
		window time.Duration
		step   time.Duration
	}{
		{"10 a second over 5 seconds", "10/second", 5 * time.Second, 10 * time.Millisecond},
		{"300 a minute over a minute", "300/minute", time.Minute, 50 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			l := NewRedis(srv.Client(t), RedisOptions{Now: clock.Now, Prefix: tc.name + ":"})
			limit := rl(10, "second")
			if tc.limit == "300/minute" {
				limit = rl(300, "minute")
			}
			got := admitted(t, l, clock, "k", limit, tc.window, tc.step)
			want := float64(burst(limit.PerSecond())) + limit.PerSecond()*tc.window.Seconds()
			if d := float64(got) - want; d < -1 || d > 1 {
				t.Fatalf("got %d admitted, want %.0f ± 1", got, want)
			}
		})
	}
}

func TestRedisRefusalSaysWhenTheNextTokenIsDue(t *testing.T) {
	srv := redistest.Start(t)
	clock := newFakeClock()
	l := NewRedis(srv.Client(t), RedisOptions{Now: clock.Now})
	limit := rl(2, "second")
	for i := 0; i < 2; i++ {
		if d, err := l.Allow(context.Background(), "k", limit); err != nil || !d.Allowed || d.Remaining != 1-i {
			t.Fatalf("request %d: got %+v, %v; want admitted with %d remaining", i, d, err, 1-i)
		}
	}
	clock.Advance(100 * time.Millisecond)
	d, err := l.Allow(context.Background(), "k", limit)
	if err != nil || d.Allowed {
		t.Fatalf("got %+v, %v; want refused", d, err)
	}
	if want := 400 * time.Millisecond; d.RetryAfter != want {
		t.Fatalf("got RetryAfter %v, want %v", d.RetryAfter, want)
	}
}

func TestRedisUsesItsOwnClockByDefault(t *testing.T) {
	srv := redistest.Start(t)
	l := NewRedis(srv.Client(t), RedisOptions{})
	limit := rl(5, "hour") // burst 1: a second request within the test is refused
	if d, err := l.Allow(context.Background(), "k", limit); err != nil || !d.Allowed {
		t.Fatalf("got %+v, %v; want admitted", d, err)
	}
	d, err := l.Allow(context.Background(), "k", limit)
	if err != nil || d.Allowed {
		t.Fatalf("got %+v, %v; want refused", d, err)
	}
	if d.RetryAfter < 700*time.Second || d.RetryAfter > 720*time.Second {
		t.Fatalf("got RetryAfter %v, want about 12 minutes", d.RetryAfter)
	}
}

func TestRedisFailOpenFallsBackToALocalShareOfTheLimit(t *testing.T) {
	srv := redistest.Start(t)
	clock := newFakeClock()
	l := NewRedis(srv.Client(t), RedisOptions{Now: clock.Now, Policy: FailOpen, Replicas: 2})
	limit := rl(10, "second")
	if d, err := l.Allow(context.Background(), "k", limit); err != nil || !d.Allowed {
		t.Fatalf("with Redis up: got %+v, %v; want admitted", d, err)
	}
	srv.Kill()

	n := 0
	for i := 0; i < 20; i++ {
		d, err := l.Allow(context.Background(), "k", limit)
		if err != nil {
			t.Fatalf("request %d with Redis down: got error %v, want none", i, err)
		}
		if d.Allowed {
			n++
		}
	}
	// Each of 2 replicas enforces 5/second on its own.
	if n != 5 {
		t.Fatalf("got %d admitted with Redis down, want 5", n)
	}
	if got := l.Failures(); got != 1 {
		t.Fatalf("got %d failed Redis calls, want 1 (then backoff)", got)
	}
	if got := l.Degraded(); got != 20 {
		t.Fatalf("got %d degraded decisions, want 20", got)
	}
	clock.Advance(DefaultBackoff)
	_, _ = l.Allow(context.Background(), "k", limit)
	if got := l.Failures(); got != 2 {
		t.Fatalf("after the backoff: got %d failed Redis calls, want 2", got)
	}
}

func TestRedisFailClosedRefusesWhileRedisIsDown(t *testing.T) {
	srv := redistest.Start(t)
	clock := newFakeClock()
	l := NewRedis(srv.Client(t), RedisOptions{Now: clock.Now, Policy: FailClosed, Backoff: 3 * time.Second})
	limit := rl(10, "second")
	if d, err := l.Allow(context.Background(), "k", limit); err != nil || !d.Allowed {
		t.Fatalf("with Redis up: got %+v, %v; want admitted", d, err)
	}
	srv.Kill()

	for i := 0; i < 3; i++ {
		d, err := l.Allow(context.Background(), "k", limit)
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("request %d: got error %v, want ErrUnavailable", i, err)
		}
		if d.Allowed {
			t.Fatalf("request %d: got admitted, want refused", i)
		}
		if d.RetryAfter < time.Second {
			t.Fatalf("request %d: got RetryAfter %v, want at least 1s", i, d.RetryAfter)
		}
	}
	if got := l.Failures(); got != 1 {
		t.Fatalf("got %d failed Redis calls, want 1 (then backoff)", got)
	}
}

func TestRedisRecoversWhenRedisReturns(t *testing.T) {
	srv := redistest.Start(t)
	clock := newFakeClock()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { c.Close() })
	l := NewRedis(c, RedisOptions{Now: clock.Now, Policy: FailClosed})
	if _, err := l.Allow(context.Background(), "k", rl(10, "second")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	// Point the same limiter at a live server and let the backoff pass.
	l.client = srv.Client(t)
	clock.Advance(DefaultBackoff)
	if d, err := l.Allow(context.Background(), "k", rl(10, "second")); err != nil || !d.Allowed {
		t.Fatalf("got %+v, %v; want admitted", d, err)
	}
}

func TestRedisKeysCarryAHashTag(t *testing.T) {
	l := NewRedis(nil, RedisOptions{})
	got := l.redisKey(AppKey("production", "nhsbsa/pe", "acme/a"), rl(10, "second"))
	if want := "frontdoor:rl:{a|production|nhsbsa/pe|acme/a}:10/second"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func BenchmarkRedisAllow(b *testing.B) {
	srv := redistest.Start(b)
	l := NewRedis(srv.Client(b), RedisOptions{})
	limit := rl(1_000_000_000, "second")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Allow(context.Background(), "k", limit); err != nil {
			b.Fatal(err)
		}
	}
}

// Failures is the number of failed calls to Redis.
func (r *Redis) Failures() uint64 { return r.failures.Load() }
