package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// ErrUnavailable is wrapped by the errors Redis.Allow returns when Redis
// cannot be reached and the policy is FailClosed.
var ErrUnavailable = errors.New("rate limiter unavailable")

// FailurePolicy is what Redis does when Redis cannot be reached.
type FailurePolicy int

const (
	// FailOpen decides with a local limiter enforcing 1/Replicas of each
	// limit, so the cluster as a whole stays near its quota while Redis
	// is down. Allow returns no error; Degraded counts these decisions.
	FailOpen FailurePolicy = iota
	// FailClosed refuses every request while Redis is down: Allow returns
	// a refusal with RetryAfter set and an error wrapping ErrUnavailable,
	// which the gateway answers with 503 Service Unavailable and a
	// Retry-After header.
	FailClosed
)

// DefaultBackoff is how long Redis is bypassed after it failed.
const DefaultBackoff = time.Second

// RedisOptions configure a Redis limiter.
type RedisOptions struct {
	// Prefix of every Redis key; "" means "frontdoor:rl:".
	Prefix string
	// Policy applies while Redis is unreachable.
	Policy FailurePolicy
	// Replicas is the number of gateway replicas sharing the quota, used
	// to scale the fail-open fallback; 0 means 1.
	Replicas int
	// Backoff is how long Redis is bypassed (fallback or refusal, by
	// Policy) after a failed call, so that a dead Redis costs one timeout,
	// not one per request; 0 means DefaultBackoff. Keep the client's
	// dial and read timeouts short (tens of milliseconds): they bound the
	// latency of the request that discovers the outage.
	Backoff time.Duration
	// Now, when set, supplies the time sent to the script; nil means the
	// script reads Redis's own clock (TIME), which is what replicas whose
	// clocks drift apart should use. The local clock always comes from
	// Now, or time.Now.
	Now func() time.Time
}

// Redis is a cluster-wide Limiter: every replica runs the same GCRA (generic
// cell rate algorithm) script on a shared Redis, so they draw on one quota.
// The bucket of (key, limit) is one Redis string holding its theoretical
// arrival time, expiring once the bucket is full again. Keys carry a hash
// tag, so the script runs on Redis Cluster. Redis is safe for concurrent use.
type Redis struct {
	client   redis.Scripter
	script   *redis.Script
	prefix   string
	policy   FailurePolicy
	backoff  time.Duration
	now      func() time.Time
	scriptAt bool // send Now to the script
	fallback *Local

	downUntil atomic.Int64 // unix nanoseconds until which Redis is bypassed
	degraded  atomic.Uint64
	failures  atomic.Uint64
}

var _ Limiter = (*Redis)(nil)

// gcra takes one token from the bucket KEYS[1] if one is due.
// ARGV: emission interval (µs per token), burst, now (µs; 0 means Redis TIME).
// Returns {allowed (0/1), retry after (µs), remaining tokens}.
const gcra = `
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then
  tat = now
end
local allow_at = tat + interval - burst * interval
if now < allow_at then
  return {0, math.ceil(allow_at - now), 0}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, 0, math.floor((now - new_tat) / interval + burst)}
`

// NewRedis returns a Redis limiter over client (a *redis.Client,
// *redis.ClusterClient or any redis.UniversalClient).
func NewRedis(client redis.Scripter, o RedisOptions) *Redis {
	r := &Redis{
		client:   client,
		script:   redis.NewScript(gcra),
		prefix:   o.Prefix,
		policy:   o.Policy,
		backoff:  o.Backoff,
		now:      o.Now,
		scriptAt: o.Now != nil,
	}
	if r.prefix == "" {
		r.prefix = "frontdoor:rl:"
	}
	if r.backoff <= 0 {
		r.backoff = DefaultBackoff
	}
	if r.now == nil {
		r.now = time.Now
	}
	replicas := max(1, o.Replicas)
	r.fallback = NewLocal(LocalOptions{Now: r.now, Share: 1 / float64(replicas)})
	return r
}

// Allow implements Limiter with the policy for an unreachable Redis.
func (r *Redis) Allow(ctx context.Context, key string, limit snapshot.RateLimit) (Decision, error) {
	perSecond := limit.PerSecond()
	if perSecond <= 0 {
		return unlimited(), nil
	}
	now := r.now()
	if now.UnixNano() < r.downUntil.Load() {
		return r.unavailable(ctx, key, limit, now, nil)
	}
	d, err := r.eval(ctx, key, limit, perSecond, now)
	if err == nil {
		return d, nil
	}
	if ctx.Err() != nil {
		// The caller gave up; that says nothing about Redis.
		return Decision{}, fmt.Errorf("rate limiting %s: %w", key, ctx.Err())
	}
	r.failures.Add(1)
	r.downUntil.Store(now.Add(r.backoff).UnixNano())
	return r.unavailable(ctx, key, limit, now, err)
}

func (r *Redis) eval(ctx context.Context, key string, limit snapshot.RateLimit, perSecond float64, now time.Time) (Decision, error) {
	interval := 1e6 / perSecond
	var at int64
	if r.scriptAt {
		at = now.UnixMicro()
	}
	res, err := r.script.Run(ctx, r.client, []string{r.redisKey(key, limit)},
		strconv.FormatFloat(interval, 'f', 3, 64), burst(perSecond), at).Int64Slice()
	if err != nil {
		return Decision{}, err
	}
	if len(res) != 3 {
		return Decision{}, fmt.Errorf("rate limit script returned %d values, want 3", len(res))
	}
	if res[0] == 1 {
		return Decision{Allowed: true, Remaining: int(res[2])}, nil
	}
	return Decision{RetryAfter: time.Duration(res[1]) * time.Microsecond}, nil
}

// redisKey is prefix{key}:limit; the braces make key the cluster hash tag.
func (r *Redis) redisKey(key string, limit snapshot.RateLimit) string {
	var b strings.Builder
	b.Grow(len(r.prefix) + len(key) + 24)
	b.WriteString(r.prefix)
	b.WriteByte('{')
	b.WriteString(key)
	b.WriteString("}:")
	b.WriteString(strconv.Itoa(limit.Limit))
	b.WriteByte('/')
	b.WriteString(limit.Per)
	return b.String()
}

// unavailable decides by policy while Redis is down; cause is the error that
// tripped the backoff, if this call did.
func (r *Redis) unavailable(ctx context.Context, key string, limit snapshot.RateLimit, now time.Time, cause error) (Decision, error) {
	if r.policy == FailOpen {
		r.degraded.Add(1)
		return r.fallback.Allow(ctx, key, limit)
	}
	retry := time.Duration(r.downUntil.Load() - now.UnixNano())
	d := Decision{RetryAfter: max(retry, time.Second)}
	if cause != nil {
		return d, fmt.Errorf("rate limiting %s: %w: %w", key, ErrUnavailable, cause)
	}
	return d, fmt.Errorf("rate limiting %s: %w", key, ErrUnavailable)
}

// Degraded is the number of decisions made by the fail-open fallback.
func (r *Redis) Degraded() uint64 { return r.degraded.Load() }
