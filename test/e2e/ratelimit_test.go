package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/redistest"
	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/redis/go-redis/v9"
)

// The rate-limit tests drive the healthy-apps symptom tracker's calls to
// nice/guidance in the sandbox, whose grant the test sets to rlLimit a
// second (the API's proxy limit, 200/second, is never reached: the app's
// bucket is checked first and admits at most rlLimit a second).
const (
	rlKey    = "demo-healthyapps-tracker-sandbox-key-0001"
	rlApp    = "healthy-apps/symptom-tracker"
	rlAPI    = "nice/guidance"
	rlHost   = "sandbox.api.health.example"
	rlPath   = "/nice/guidance/v1/guidance?q=hypertension"
	rlGrants = "publishers/nice/grants/healthy-apps.cue"
	rlAPIs   = "publishers/nice/apis/guidance.cue"

	// rlLimit is the app's quota, per second, cluster-wide; its bucket
	// holds rlLimit tokens (ratelimit.Burst).
	rlLimit = 20
	// rlOffered is the load's request rate over all replicas: 5× the
	// limit, so that a bucket never holds a token for long (a third of
	// it still offers each replica 5× its fail-open share).
	rlOffered = 100
	// rlWorkers is the number of concurrent clients.
	rlWorkers = 8
	// rlMaxRequests bounds a test's load: 25 s at rlOffered, where a
	// test needs 15 s.
	rlMaxRequests = 2500
	// rlTolerance is the largest relative gap allowed between the
	// admitted and the configured rate.
	rlTolerance = 0.10
	// rlWindow is how long each admitted rate is measured, and
	// rlWarmUp how long a phase runs before, so that a full bucket's
	// burst is spent outside the measured window.
	rlWindow = 3 * time.Second
	rlWarmUp = time.Second
	// rlSlow is a latency no request may reach while Redis is down: a
	// dead Redis costs at most one Redis timeout (50 ms in serve), and only
	// to the requests that find it dead, then nothing for a backoff (see
	// ratelimit.RedisOptions); 5× that for a loaded machine, where this
	// loopback path otherwise answers in about 1 ms (p99 under 30 ms).
	rlSlow = 250 * time.Millisecond
)

// rlSandboxGrant matches the symptom tracker's sandbox grant to guidance.
var rlSandboxGrant = regexp.MustCompile(`(\{app: "symptom-tracker", api: "guidance", environment: "sandbox",[^}]*)\}`)

// rlCluster is a redis-server, an upstream and three replicas sharing the
// rate limits through it.
type rlCluster struct {
	redis    *redistest.Server
	rdb      *redis.Client // of redis, fails fast
	upstream *Upstream
	replicas []*Replica
}

// startRateLimitCluster starts redis-server, the upstream and three
// replicas with --ratelimit-policy policy, and waits until they serve.
func startRateLimitCluster(t *testing.T, policy string) *rlCluster {
	t.Helper()
	bin := frontdoor(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c := &rlCluster{}
	t.Cleanup(func() {
		for _, r := range c.replicas {
			r.Kill()
		}
		if c.upstream != nil {
			c.upstream.Close()
		}
		if t.Failed() {
			for _, r := range c.replicas {
				t.Logf("log of replica %s:\n%s", r.Opts.Name, r.LogTail(3000))
			}
			if c.redis != nil {
				t.Logf("redis log:\n%s", tail(c.redis.Log, 2000))
			}
		}
	})
	c.redis = redistest.Start(t)
	c.rdb = c.redis.Client(t)
	var err error
	if c.upstream, err = StartUpstream("nice"); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "config")
	if err := writeRateLimitConfig(config, c.upstream.URL); err != nil {
		t.Fatal(err)
	}
	args := []string{"--ratelimit-redis", c.redis.Addr, "--ratelimit-policy", policy, "--replicas", "3"}
	for i := range 3 {
		name := "r" + strconv.Itoa(i+1)
		r, err := StartReplica(ctx, ReplicaOptions{
			Name: name, Binary: bin, Dir: config, ExtraArgs: args,
			StateDir: filepath.Join(dir, name, "state"), LogFile: filepath.Join(dir, name+".log"),
		})
		if err != nil {
			t.Fatal(err)
		}
		c.replicas = append(c.replicas, r)
	}
	for _, r := range c.replicas {
		err := WaitUntil(ctx, 10*time.Millisecond, "replica "+r.Opts.Name+" to be ready", func() (bool, error) {
			if r.Exited() {
				return false, fmt.Errorf("replica %s exited", r.Opts.Name)
			}
			return r.Ready(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// writeRateLimitConfig copies examples/national-health-platform to dir
// with guidance's sandbox upstream set to upstream and the symptom
// tracker's sandbox grant limited to rlLimit a second.
func writeRateLimitConfig(dir, upstream string) error {
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(moduleRoot, "examples", "national-health-platform"))); err != nil {
		return fmt.Errorf("copying the example: %w", err)
	}
	edit := func(file string, re *regexp.Regexp, repl string) error {
		p := filepath.Join(dir, file)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if n := len(re.FindAllIndex(b, -1)); n != 1 {
			return fmt.Errorf("%s: %d matches of %s, want 1", file, n, re)
		}
		return os.WriteFile(p, re.ReplaceAll(b, []byte(repl)), 0o644)
	}
	if err := edit(rlAPIs, sandboxUpstream, `${1}"`+upstream+`"`); err != nil {
		return err
	}
	return edit(rlGrants, rlSandboxGrant, fmt.Sprintf(`${1}, rateLimit: {limit: %d, per: "second"}}`, rlLimit))
}

// rlResult is one request of the load.
type rlResult struct {
	// at is when it was sent, since the load started.
	at      time.Duration
	replica int
	// took is how long the response took.
	took time.Duration
	// code is the status, 0 when the request failed.
	code int
	// problem says what is wrong with the response ("" if nothing).
	problem string
}

// rlLoad sends rlOffered requests a second, from rlWorkers clients, to
// the replicas in turn or to one of them, until stopped; it records every
// result with its time, so that windows can be counted afterwards.
type rlLoad struct {
	c      *rlCluster
	start  time.Time
	client *http.Client
	target atomic.Int32 // the replica's index, or -1 for round robin
	seq    atomic.Uint64
	stop   chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	results []rlResult
	skipped int // ticks dropped because every client was busy
}

// startLoad starts the load, round robin; it stops at the end of the test.
func (c *rlCluster) startLoad(t *testing.T) *rlLoad {
	l := &rlLoad{
		c:      c,
		start:  time.Now(),
		client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: rlWorkers}},
		stop:   make(chan struct{}),
	}
	l.target.Store(-1)
	jobs := make(chan struct{}, rlWorkers)
	l.wg.Go(func() {
		defer close(jobs)
		tick := time.NewTicker(time.Second / rlOffered)
		defer tick.Stop()
		for range rlMaxRequests {
			select {
			case <-l.stop:
				return
			case <-tick.C:
				select {
				case jobs <- struct{}{}:
				default:
					l.mu.Lock()
					l.skipped++
					l.mu.Unlock()
				}
			}
		}
	})
	for range rlWorkers {
		l.wg.Go(func() {
			for range jobs {
				l.send()
			}
		})
	}
	t.Cleanup(l.close)
	return l
}

// close stops the load and waits for the requests in flight.
func (l *rlLoad) close() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
	l.client.CloseIdleConnections()
}

// now is the time since the load started.
func (l *rlLoad) now() time.Duration { return time.Since(l.start) }

// to sends the load to replica i only, or to all in turn if i < 0.
func (l *rlLoad) to(i int) { l.target.Store(int32(i)) }

// run lets the load run for d (a measurement window, not an event).
func (l *rlLoad) run(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-time.After(d):
	case <-t.Context().Done():
		t.Fatal(t.Context().Err())
	}
}

func (l *rlLoad) send() {
	i := int(l.target.Load())
	if i < 0 {
		i = int(l.seq.Add(1) % uint64(len(l.c.replicas)))
	}
	r := l.c.replicas[i]
	res := rlResult{replica: i}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res.at = l.now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.Gateway+rlPath, nil)
	var resp *http.Response
	if err == nil {
		req.Host = rlHost
		req.Header.Set("apikey", rlKey)
		resp, err = l.client.Do(req)
	}
	res.took = l.now() - res.at
	if err != nil {
		res.problem = err.Error()
	} else {
		res.code = resp.StatusCode
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if err != nil {
			res.problem = "reading the body: " + err.Error()
		} else {
			res.problem = l.check(resp, body)
		}
	}
	l.mu.Lock()
	l.results = append(l.results, res)
	l.mu.Unlock()
}

// check returns what is wrong with a response, "" if nothing: a 200 must
// come from the upstream; a 429 and a 503 must carry Retry-After and a
// problem whose detail names the app and its quota, or the limiter.
func (l *rlLoad) check(resp *http.Response, body []byte) string {
	var want string
	switch resp.StatusCode {
	case http.StatusOK:
		if got, want := string(body), l.c.upstream.Body(); got != want {
			return fmt.Sprintf("200 body: got %q, want %q", got, want)
		}
		return ""
	case http.StatusTooManyRequests:
		want = "app " + rlApp + " exceeded its quota of " + strconv.Itoa(rlLimit) + "/second for " + rlAPI
	case http.StatusServiceUnavailable:
		want = "rate limiting is temporarily unavailable"
	default:
		return fmt.Sprintf("unexpected %s: %.200s", resp.Status, body)
	}
	ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || ra < 1 {
		return fmt.Sprintf("%d Retry-After: got %q, want whole seconds ≥ 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if ct := resp.Header.Get("Content-Type"); ct != gateway.ProblemContentType {
		return fmt.Sprintf("%d Content-Type: got %q, want %q", resp.StatusCode, ct, gateway.ProblemContentType)
	}
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Sprintf("%d body %q: %v", resp.StatusCode, body, err)
	}
	if p.Status != resp.StatusCode || p.Detail != want {
		return fmt.Sprintf("%d problem: got status %d, detail %q, want %d, %q", resp.StatusCode, p.Status, p.Detail, resp.StatusCode, want)
	}
	return ""
}

// rlTally counts the results sent in a window.
type rlTally struct {
	from, to    time.Duration
	sent        int
	ok          int // 200
	limited     int // 429
	unavailable int // 503
	other       int // any other status, or no response
	okBy        []int
	sentBy      []int
	took        []time.Duration
	slow        int      // took rlSlow or more
	problems    []string // the first few
	nproblems   int
}

// tally counts the requests answered in [from, to). The answer, not the
// request, places a request in a window: a limiter decides just before it
// answers, and a request held up (e.g. by a call to a dead Redis) is
// decided when it is released. A window ending now thus also counts every
// request it holds.
func (l *rlLoad) tally(from, to time.Duration) rlTally {
	return l.count(from, to, func(r rlResult) time.Duration { return r.at + r.took })
}

// tallySent counts the requests sent in [from, to) and answered by now.
func (l *rlLoad) tallySent(from, to time.Duration) rlTally {
	return l.count(from, to, func(r rlResult) time.Duration { return r.at })
}

func (l *rlLoad) count(from, to time.Duration, when func(rlResult) time.Duration) rlTally {
	n := len(l.c.replicas)
	tl := rlTally{from: from, to: to, okBy: make([]int, n), sentBy: make([]int, n)}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.results {
		if at := when(r); at < from || at >= to {
			continue
		}
		tl.sent++
		tl.sentBy[r.replica]++
		tl.took = append(tl.took, r.took)
		if r.took >= rlSlow {
			tl.slow++
		}
		switch r.code {
		case http.StatusOK:
			tl.ok++
			tl.okBy[r.replica]++
		case http.StatusTooManyRequests:
			tl.limited++
		case http.StatusServiceUnavailable:
			tl.unavailable++
		default:
			tl.other++
		}
		if r.problem != "" {
			tl.nproblems++
			if len(tl.problems) < 5 {
				tl.problems = append(tl.problems, fmt.Sprintf("replica r%d at %v: %s", r.replica+1, r.at.Round(time.Millisecond), r.problem))
			}
		}
	}
	return tl
}

// seconds is the window's length in seconds.
func (tl rlTally) seconds() float64 { return (tl.to - tl.from).Seconds() }

func (tl rlTally) String() string {
	return fmt.Sprintf("[%.2fs, %.2fs): sent %d (by replica %v), 200 %d (by replica %v, %.1f/s), 429 %d, 503 %d, other %d; latency p50 %v, p99 %v, max %v, %d ≥ %v",
		tl.from.Seconds(), tl.to.Seconds(), tl.sent, tl.sentBy, tl.ok, tl.okBy, float64(tl.ok)/tl.seconds(), tl.limited, tl.unavailable, tl.other,
		tl.quantile(0.5), tl.quantile(0.99), tl.quantile(1), tl.slow, rlSlow)
}

// quantile returns the q-quantile of the window's latencies.
func (tl rlTally) quantile(q float64) time.Duration {
	if len(tl.took) == 0 {
		return 0
	}
	s := slices.Clone(tl.took)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))].Round(100 * time.Microsecond)
}

// checkResponses fails t if any response in tl was not as it should be.
func checkResponses(t *testing.T, tl rlTally) {
	t.Helper()
	if tl.nproblems > 0 {
		t.Errorf("%d responses were wrong, e.g.:\n%s", tl.nproblems, strings.Join(tl.problems, "\n"))
	}
}

// checkRate fails t unless tl admitted burst + perSecond × its length
// within rlTolerance, and logs the measurement. The window must have been
// offered half as much again as it may admit, or it measures the load, not
// the limit.
func checkRate(t *testing.T, what string, tl rlTally, burst, perSecond float64) {
	t.Helper()
	want := burst + perSecond*tl.seconds()
	t.Logf("%s: %v; want %.1f ± %.0f%%", what, tl, want, rlTolerance*100)
	if float64(tl.sent) < 1.5*want {
		t.Fatalf("%s: the load sent %d requests in %.2fs, want at least %.0f to measure a limit of %.1f/s", what, tl.sent, tl.seconds(), 1.5*want, perSecond)
	}
	if math.Abs(float64(tl.ok)-want) > rlTolerance*want {
		t.Errorf("%s: got %d admitted in %.2fs (%.1f/s), want %.1f ± %.0f%% (a burst of %.0f, then %.1f/s)",
			what, tl.ok, tl.seconds(), float64(tl.ok)/tl.seconds(), want, rlTolerance*100, burst, perSecond)
	}
}

// checkOutageLatency fails t if a request in tl, a window while Redis is
// down, took rlSlow or more.
func checkOutageLatency(t *testing.T, tl rlTally) {
	t.Helper()
	if tl.slow > 0 {
		t.Errorf("with redis down, %d of %d requests took %v or more (max %v), want none: a dead redis must cost "+
			"at most one redis timeout (go-redis retries a failed dial 5 times, 100 ms apart, unless its DialerRetries is 1)",
			tl.slow, tl.sent, rlSlow, tl.quantile(1))
	}
}

// degraded returns each replica's count of fail-open decisions.
func (c *rlCluster) degraded(t *testing.T) []float64 {
	t.Helper()
	out := make([]float64, len(c.replicas))
	for i, r := range c.replicas {
		v, err := r.Metric(t.Context(), "frontdoor_gateway_ratelimit_degraded_total")
		if err != nil {
			t.Fatal(err)
		}
		out[i] = v
	}
	return out
}

// waitForKeys waits until Redis holds a rate-limit bucket again (after a
// restart, it starts empty): some replica is using it.
func (c *rlCluster) waitForKeys(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	err := WaitUntil(ctx, 10*time.Millisecond, "a rate-limit bucket in redis", func() (bool, error) {
		n, err := c.rdb.DBSize(ctx).Result()
		return err == nil && n != 0, err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestThreeReplicasShareOneRateLimitThroughRedisAndFallBackToAThirdEachWithoutIt(t *testing.T) {
	c := startRateLimitCluster(t, "fail-open")
	l := c.startLoad(t)

	t.Run("the three replicas together admit the app's limit", func(t *testing.T) {
		l.run(t, rlWarmUp)
		from := l.now()
		// The bucket starts full: the first requests spend its burst.
		checkRate(t, "round robin, redis up, from the start", l.tally(0, from), rlLimit, rlLimit)
		l.run(t, rlWindow)
		tl := l.tally(from, l.now())
		checkRate(t, "round robin, redis up", tl, 0, rlLimit)
		for i, n := range tl.okBy {
			if n == 0 {
				t.Errorf("replica r%d admitted none of the quota, want a share", i+1)
			}
		}
		if n, err := c.rdb.DBSize(t.Context()).Result(); err != nil || n == 0 {
			t.Errorf("redis DBSIZE: got %d (%v), want the buckets", n, err)
		}
	})

	t.Run("one replica alone may use the whole cluster-wide limit", func(t *testing.T) {
		// Local buckets would admit a third of the limit here.
		l.to(0)
		from := l.now()
		l.run(t, rlWindow)
		checkRate(t, "replica r1 only, redis up", l.tally(from, l.now()), 0, rlLimit)
		if d := c.degraded(t); d[0]+d[1]+d[2] != 0 {
			t.Errorf("fail-open decisions with redis up: got %v, want none", d)
		}
	})

	t.Run("with redis down each replica admits a third of the limit", func(t *testing.T) {
		l.to(-1)
		c.redis.Kill()
		down := l.now()
		before := c.degraded(t)
		l.run(t, rlWarmUp)
		from := l.now()
		l.run(t, rlWindow)
		tl := l.tally(from, l.now())
		// Each replica's own bucket refills at a third of the limit, so
		// their sum is the limit, up to a token at each end of the window
		// per replica (±3 of 60).
		checkRate(t, "round robin, redis down", tl, 0, rlLimit)
		for i, n := range tl.okBy {
			// A third of the window's quota is about 20; allow ±25% for
			// one replica's boundary tokens.
			if want := rlLimit * tl.seconds() / 3; math.Abs(float64(n)-want) > 0.25*want {
				t.Errorf("replica r%d admitted %d, want a third of the limit, %.1f ± 25%%", i+1, n, want)
			}
		}
		after := c.degraded(t)
		for i := range after {
			if after[i] <= before[i] {
				t.Errorf("replica r%d fail-open decisions: got %v then %v, want more", i+1, before[i], after[i])
			}
		}
		// From the outage on, the three fallback buckets start full, with
		// a third of the limit each, rounded up (ratelimit.Burst).
		all := l.tally(down, l.now())
		checkRate(t, "round robin, from the outage on", all, 3*math.Ceil(rlLimit/3.0), rlLimit)
		if all.unavailable+all.other > 0 {
			t.Errorf("with fail-open, got %d 503 and %d other failures while redis was down, want none", all.unavailable, all.other)
		}
		checkOutageLatency(t, all)
	})

	t.Run("after redis restarts one replica may use the whole limit again", func(t *testing.T) {
		l.to(0)
		starting := l.now()
		c.redis.Restart(t)
		restarted := l.now()
		c.waitForKeys(t)
		back := l.now()
		t.Logf("redis restarted in %v; replica r1 back on it %v later (its backoff is 1s)",
			(restarted - starting).Round(time.Millisecond), (back - restarted).Round(time.Millisecond))
		// The restarted redis is empty: r1's bucket starts full again.
		l.run(t, rlWarmUp)
		before := c.degraded(t)
		from := l.now()
		l.run(t, rlWindow)
		tl := l.tally(from, l.now())
		after := c.degraded(t)
		checkRate(t, "replica r1 only, redis restarted", tl, 0, rlLimit)
		if after[0] != before[0] {
			t.Errorf("replica r1 fail-open decisions in the window: got %v then %v, want no more", before[0], after[0])
		}
	})

	l.close()
	all := l.tally(0, l.now())
	t.Logf("whole run: %v; %d ticks skipped (all clients busy)", all, l.skipped)
	checkResponses(t, all)
	if all.unavailable+all.other > 0 {
		t.Errorf("with fail-open, got %d 503 and %d other failures, want only 200 and 429", all.unavailable, all.other)
	}
}

func TestFailClosedReplicasAnswer503WhileRedisIsDownAndRecoverWhenItIsBack(t *testing.T) {
	c := startRateLimitCluster(t, "fail-closed")
	l := c.startLoad(t)

	t.Run("with redis up the limit applies", func(t *testing.T) {
		from := l.now()
		l.run(t, time.Second)
		tl := l.tally(from, l.now())
		// The bucket starts full: a burst, then the limit.
		checkRate(t, "round robin, redis up, from the start", tl, rlLimit, rlLimit)
		if tl.unavailable+tl.other > 0 {
			t.Errorf("got %d 503 and %d other failures, want 200s and 429s only", tl.unavailable, tl.other)
		}
	})

	t.Run("with redis down every request is refused with 503", func(t *testing.T) {
		c.redis.Kill()
		from := l.now()
		l.run(t, 1500*time.Millisecond)
		// Requests sent once redis is gone: none can be admitted.
		tl := l.tallySent(from, l.now())
		t.Logf("redis down: %v", tl)
		if tl.sent == 0 || tl.unavailable != tl.sent {
			t.Errorf("got %d 200, %d 429, %d 503, %d other of %d, want all 503", tl.ok, tl.limited, tl.unavailable, tl.other, tl.sent)
		}
		checkOutageLatency(t, tl)
		for i, n := range tl.sentBy {
			if n == 0 {
				t.Errorf("replica r%d got no requests, want a share", i+1)
			}
		}
	})

	t.Run("after redis restarts every replica admits requests again", func(t *testing.T) {
		starting := l.now()
		c.redis.Restart(t)
		restarted := l.now()
		t.Logf("redis restarted in %v", (restarted - starting).Round(time.Millisecond))
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		for i := range c.replicas {
			err := WaitUntil(ctx, 10*time.Millisecond, fmt.Sprintf("replica r%d to answer 200 after redis restarted", i+1), func() (bool, error) {
				tl := l.tally(restarted, l.now())
				return tl.okBy[i] > 0, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		from := l.now()
		t.Logf("all three replicas admitting again %v after redis restarted (their backoff is 1s)", (from - restarted).Round(time.Millisecond))
		l.run(t, 1500*time.Millisecond)
		tl := l.tally(from, l.now())
		t.Logf("redis back: %v", tl)
		if tl.unavailable+tl.other > 0 {
			t.Errorf("got %d 503 and %d other failures after recovery, want none", tl.unavailable, tl.other)
		}
		// The shared bucket: a full burst at most, then the limit.
		if most := rlLimit + rlLimit*tl.seconds()*(1+rlTolerance); float64(tl.ok) > most || tl.limited == 0 {
			t.Errorf("got %d admitted and %d refused in %.2fs, want at most %.0f admitted and some refused", tl.ok, tl.limited, tl.seconds(), most)
		}
	})

	l.close()
	all := l.tally(0, l.now())
	t.Logf("whole run: %v; %d ticks skipped (all clients busy)", all, l.skipped)
	checkResponses(t, all)
}
