package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

type fakeClock = testutil.Clock

func newFakeClock() *fakeClock {
	return testutil.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
}

func rl(limit int, per string) snapshot.RateLimit { return snapshot.RateLimit{Limit: limit, Per: per} }

// admitted counts the requests l admits for key when one arrives every step
// over window, starting with the first at the current time.
func admitted(t *testing.T, l Limiter, clock *fakeClock, key string, limit snapshot.RateLimit, window, step time.Duration) int {
	t.Helper()
	n := 0
	for elapsed := time.Duration(0); elapsed < window; elapsed += step {
		d, err := l.Allow(context.Background(), key, limit)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			n++
		}
		clock.Advance(step)
	}
	return n
}

func TestBurstIsThePerSecondRateRoundedUpAndAtLeastOne(t *testing.T) {
	tests := []struct {
		limit snapshot.RateLimit
		want  int
	}{
		{rl(10, "second"), 10},
		{rl(300, "minute"), 5},
		{rl(90, "minute"), 2},
		{rl(100, "hour"), 1},
		{rl(1, "second"), 1},
		{snapshot.RateLimit{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.limit.String(), func(t *testing.T) {
			if got := burst(tc.limit.PerSecond()); got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestLocalAdmitsTheConfiguredRateOverAWindow(t *testing.T) {
	tests := []struct {
		name   string
		limit  snapshot.RateLimit
		window time.Duration
		step   time.Duration
	}{
		{"10 a second over 10 seconds", rl(10, "second"), 10 * time.Second, time.Millisecond},
		{"300 a minute over 2 minutes", rl(300, "minute"), 2 * time.Minute, 10 * time.Millisecond},
		{"100 an hour over 3 hours", rl(100, "hour"), 3 * time.Hour, time.Second},
		{"1000 a second over 2 seconds", rl(1000, "second"), 2 * time.Second, 100 * time.Microsecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			l := NewLocal(LocalOptions{Now: clock.Now})
			got := admitted(t, l, clock, "k", tc.limit, tc.window, tc.step)
			want := float64(burst(tc.limit.PerSecond())) + tc.limit.PerSecond()*tc.window.Seconds()
			if d := float64(got) - want; d < -1-want*0.01 || d > 1+want*0.01 {
				t.Fatalf("got %d admitted, want %.0f ± 1%%", got, want)
			}
		})
	}
}

func TestSeparateAppsDoNotShareBuckets(t *testing.T) {
	clock := newFakeClock()
	l := NewLocal(LocalOptions{Now: clock.Now})
	limit := rl(5, "second")
	for i := 0; i < 5; i++ {
		if d, _ := l.Allow(context.Background(), AppKey("production", "nhsbsa/pe", "acme/a"), limit); !d.Allowed {
			t.Fatalf("request %d of app a: got refused, want admitted", i)
		}
	}
	if d, _ := l.Allow(context.Background(), AppKey("production", "nhsbsa/pe", "acme/a"), limit); d.Allowed {
		t.Fatal("app a's sixth request: got admitted, want refused")
	}
	if d, _ := l.Allow(context.Background(), AppKey("production", "nhsbsa/pe", "acme/b"), limit); !d.Allowed {
		t.Fatal("app b's first request: got refused, want admitted")
	}
	if d, _ := l.Allow(context.Background(), AppKey("sandbox", "nhsbsa/pe", "acme/a"), limit); !d.Allowed {
		t.Fatal("app a's first request in another environment: got refused, want admitted")
	}
}

func testAPI() *snapshot.API {
	return &snapshot.API{
		ID:           "nhsbsa/prescription-exemptions",
		RateLimit:    rl(15, "second"),
		AppRateLimit: rl(10, "second"),
	}
}

func TestProxyLimitCapsAllAppsTogether(t *testing.T) {
	clock := newFakeClock()
	l := NewLocal(LocalOptions{Now: clock.Now})
	api := testAPI()
	apps := []string{"acme/a", "acme/b", "acme/c"}
	quotas := make([]Quota, len(apps))
	for i, app := range apps {
		quotas[i] = newQuota(nil, "production", api, app, nil)
	}
	total, byScope := 0, map[Scope]int{}
	const window = 10 * time.Second
	for elapsed := time.Duration(0); elapsed < window; elapsed += 10 * time.Millisecond {
		for i := range quotas {
			d, rej, err := Check(context.Background(), l, &quotas[i])
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				total++
			} else {
				byScope[rej.Scope]++
			}
		}
		clock.Advance(10 * time.Millisecond)
	}
	// Alone, each app would get 10/second; together they get the API's 15.
	want := 15 + 15*window.Seconds()
	if d := float64(total) - want; d < -2 || d > 2 {
		t.Fatalf("got %d admitted in total, want %.0f ± 2", total, want)
	}
	if byScope[ScopeAPI] == 0 {
		t.Fatalf("got refusals %v, want some by the API's quota", byScope)
	}
}

func TestGrantOverrideBeatsTheAPIDefault(t *testing.T) {
	api := testAPI()
	platform := &snapshot.Platform{AppRateLimit: rl(300, "minute")}
	override := rl(2, "second")
	tests := []struct {
		name  string
		api   *snapshot.API
		grant *snapshot.Entitlement
		want  snapshot.RateLimit
	}{
		{"a grant override is used", api, &snapshot.Entitlement{RateLimit: &override}, override},
		{"the API default is used without an override", api, &snapshot.Entitlement{}, rl(10, "second")},
		{"the API default is used without a grant", api, nil, rl(10, "second")},
		{"the platform default is used when the API states none", &snapshot.API{ID: "x/y"}, &snapshot.Entitlement{}, rl(300, "minute")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := AppLimit(platform, tc.api, tc.grant); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("the override is what the bucket enforces", func(t *testing.T) {
		clock := newFakeClock()
		l := NewLocal(LocalOptions{Now: clock.Now})
		q := newQuota(platform, "production", api, "acme/a", &snapshot.Entitlement{RateLimit: &override})
		n := 0
		for i := 0; i < 20; i++ {
			if d, _, _ := Check(context.Background(), l, &q); d.Allowed {
				n++
			}
		}
		if n != 2 {
			t.Fatalf("got %d admitted at once, want 2", n)
		}
	})
}

func TestNewLimitTakesEffectImmediately(t *testing.T) {
	clock := newFakeClock()
	l := NewLocal(LocalOptions{Now: clock.Now})
	for i := 0; i < 2; i++ {
		_, _ = l.Allow(context.Background(), "k", rl(2, "second"))
	}
	if d, _ := l.Allow(context.Background(), "k", rl(2, "second")); d.Allowed {
		t.Fatal("third request under 2/second: got admitted, want refused")
	}
	if d, _ := l.Allow(context.Background(), "k", rl(20, "second")); !d.Allowed || d.Remaining != 19 {
		t.Fatalf("first request under 20/second: got %+v, want admitted with 19 remaining", d)
	}
}

func TestRefusalSaysWhenTheNextTokenIsDue(t *testing.T) {
	clock := newFakeClock()
	l := NewLocal(LocalOptions{Now: clock.Now})
	limit := rl(60, "minute") // 1/second, burst 1
	if d, _ := l.Allow(context.Background(), "k", limit); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("got %+v, want admitted with 0 remaining", d)
	}
	clock.Advance(250 * time.Millisecond)
	d, _ := l.Allow(context.Background(), "k", limit)
	if d.Allowed {
		t.Fatal("got admitted, want refused")
	}
	if want := 750 * time.Millisecond; d.RetryAfter < want-time.Millisecond || d.RetryAfter > want+time.Millisecond {
		t.Fatalf("got RetryAfter %v, want %v", d.RetryAfter, want)
	}
	clock.Advance(d.RetryAfter)
	if d, _ := l.Allow(context.Background(), "k", limit); !d.Allowed {
		t.Fatal("after RetryAfter: got refused, want admitted")
	}
}

func TestZeroLimitMeansNoLimit(t *testing.T) {
	l := NewLocal(LocalOptions{})
	for i := 0; i < 1000; i++ {
		if d, _ := l.Allow(context.Background(), "k", snapshot.RateLimit{}); !d.Allowed || d.Remaining != -1 {
			t.Fatalf("got %+v, want admitted with -1 remaining", d)
		}
	}
	if got := l.Len(); got != 0 {
		t.Fatalf("got %d buckets, want 0", got)
	}
}

func TestIdleFullBucketsAreEvicted(t *testing.T) {
	clock := newFakeClock()
	l := NewLocal(LocalOptions{Now: clock.Now, IdleTimeout: time.Minute})
	useKeys(l, "app", 100)
	_, _ = l.Allow(context.Background(), "hourly", rl(1, "hour"))
	if got := l.Len(); got != 101 {
		t.Fatalf("got %d buckets, want 101", got)
	}
	clock.Advance(2 * time.Minute)
	l.Sweep()
	// The hourly bucket is idle but not yet full: evicting it would
	// give its app a token early.
	if got := l.Len(); got != 1 {
		t.Fatalf("got %d buckets after the idle timeout, want 1", got)
	}
	if d, _ := l.Allow(context.Background(), "hourly", rl(1, "hour")); d.Allowed {
		t.Fatal("hourly bucket after 2 minutes: got admitted, want refused")
	}
	clock.Advance(2 * time.Hour)
	l.Sweep()
	if got := l.Len(); got != 0 {
		t.Fatalf("got %d buckets once full and idle, want 0", got)
	}
}

func TestBucketsAreSweptAsTheyAreUsed(t *testing.T) {
	clock := newFakeClock()
	l := NewLocal(LocalOptions{Now: clock.Now, IdleTimeout: time.Minute})
	useKeys(l, "old", 1000)
	clock.Advance(2 * time.Minute)
	useKeys(l, "new", 1000)
	if got := l.Len(); got > 1000 {
		t.Fatalf("got %d buckets, want at most the 1000 in use", got)
	}
}

func TestConcurrentCallersShareOneBucket(t *testing.T) {
	clock := newFakeClock()
	l := NewLocal(LocalOptions{Now: clock.Now})
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		n  int
	)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if d, _ := l.Allow(context.Background(), "k", rl(50, "second")); d.Allowed {
					mu.Lock()
					n++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if n != 50 {
		t.Fatalf("got %d admitted, want 50", n)
	}
}

func TestRejectionNamesTheAppAndItsQuota(t *testing.T) {
	tests := []struct {
		name       string
		rej        Rejection
		message    string
		retryAfter string
	}{
		{
			name:       "an app over its own quota",
			rej:        Rejection{Scope: ScopeApp, App: "acme/pharmacy-finder", API: "nhsbsa/prescription-exemptions", Limit: rl(10, "second"), RetryAfter: 100 * time.Millisecond},
			message:    "app acme/pharmacy-finder exceeded its quota of 10/second for nhsbsa/prescription-exemptions",
			retryAfter: "1",
		},
		{
			name:       "an app refused by the API's quota",
			rej:        Rejection{Scope: ScopeAPI, App: "acme/pharmacy-finder", API: "nhsbsa/prescription-exemptions", Limit: rl(1000, "minute"), RetryAfter: 2100 * time.Millisecond},
			message:    "app acme/pharmacy-finder was refused because nhsbsa/prescription-exemptions exceeded its quota of 1000/minute for all apps together",
			retryAfter: "3",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rej.Message(); got != tc.message {
				t.Errorf("got message %q, want %q", got, tc.message)
			}
			if got := strconv.Itoa(tc.rej.RetryAfterSeconds()); got != tc.retryAfter {
				t.Errorf("got Retry-After %q, want %q", got, tc.retryAfter)
			}
		})
	}
}

// newQuota returns the quota of app's calls to api in env under grant.
func newQuota(platform *snapshot.Platform, env string, api *snapshot.API, app string, grant *snapshot.Entitlement) Quota {
	return Quota{
		API:      api.ID,
		App:      app,
		ProxyKey: ProxyKey(env, api.ID),
		AppKey:   AppKey(env, api.ID, app),
		Proxy:    api.RateLimit,
		PerApp:   AppLimit(platform, api, grant),
	}
}

func TestAllowOnAnExistingBucketDoesNotAllocate(t *testing.T) {
	l := NewLocal(LocalOptions{})
	key := AppKey("production", "nhsbsa/pe", "acme/a")
	limit := rl(1_000_000, "second")
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = l.Allow(context.Background(), key, limit)
	})
	if allocs != 0 {
		t.Fatalf("got %v allocations, want 0", allocs)
	}
}

func BenchmarkLocalAllow(b *testing.B) {
	l := NewLocal(LocalOptions{})
	limit := rl(1_000_000_000, "second")
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = AppKey("production", "nhsbsa/pe", fmt.Sprintf("acme/app-%d", i))
	}
	b.Run("one key", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = l.Allow(context.Background(), keys[0], limit)
		}
	})
	b.Run("1000 keys parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				_, _ = l.Allow(context.Background(), keys[i%len(keys)], limit)
				i++
			}
		})
	})
	b.Run("check app and proxy", func(b *testing.B) {
		b.ReportAllocs()
		q := Quota{API: "nhsbsa/pe", App: "acme/a", AppKey: keys[1], ProxyKey: ProxyKey("production", "nhsbsa/pe"), Proxy: limit, PerApp: limit}
		for b.Loop() {
			_, _, _ = Check(context.Background(), l, &q)
		}
	})
}

// useKeys takes a token from the buckets of n keys named prefix-0 up, at
// 10/second each.
func useKeys(l *Local, prefix string, n int) {
	for i := range n {
		_, _ = l.Allow(context.Background(), fmt.Sprintf("%s-%d", prefix, i), rl(10, "second"))
	}
}

// Len returns the number of buckets held.
func (l *Local) Len() int {
	n := 0
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// Sweep evicts every idle, full bucket now, without waiting for each shard
// to be used.
func (l *Local) Sweep() {
	now := l.now()
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		l.sweep(sh, now)
		sh.mu.Unlock()
	}
}
