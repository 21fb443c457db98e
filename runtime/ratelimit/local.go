package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

const numShards = 64

// DefaultIdleTimeout is how long a bucket must go unused before Local may
// evict it.
const DefaultIdleTimeout = 10 * time.Minute

// LocalOptions configure a Local limiter. The zero value is usable.
type LocalOptions struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// IdleTimeout is how long a bucket must go unused before it may be
	// evicted; 0 means DefaultIdleTimeout. A bucket is only evicted once
	// it is also full again, so eviction never grants extra requests.
	IdleTimeout time.Duration
	// Share is the fraction of each limit this limiter enforces, in
	// (0, 1]; 0 means 1. A limiter standing in for a cluster-wide one on
	// one of N replicas uses 1/N.
	Share float64
}

// Local is an in-process Limiter: a sharded map of token buckets
// (golang.org/x/time/rate) keyed by bucket key and limit. Memory is bounded
// by the buckets used within the idle timeout: each shard sweeps out idle,
// full buckets as it is used. Allow does not allocate once a bucket exists.
// Local is safe for concurrent use.
type Local struct {
	now    func() time.Time
	idle   time.Duration
	share  float64
	seed   maphash.Seed
	shards [numShards]shard
}

var _ Limiter = (*Local)(nil)

type bucketKey struct {
	key   string
	limit snapshot.RateLimit
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

type shard struct {
	mu        sync.Mutex
	m         map[bucketKey]*bucket
	lastSweep time.Time
	_         [64]byte // keep shards' locks on separate cache lines
}

// NewLocal returns a Local limiter.
func NewLocal(o LocalOptions) *Local {
	l := &Local{now: o.Now, idle: o.IdleTimeout, share: o.Share, seed: maphash.MakeSeed()}
	if l.now == nil {
		l.now = time.Now
	}
	if l.idle <= 0 {
		l.idle = DefaultIdleTimeout
	}
	if l.share <= 0 || l.share > 1 {
		l.share = 1
	}
	t := l.now()
	for i := range l.shards {
		l.shards[i].m = make(map[bucketKey]*bucket)
		l.shards[i].lastSweep = t
	}
	return l
}

// Allow implements Limiter. It never returns an error.
func (l *Local) Allow(_ context.Context, key string, limit snapshot.RateLimit) (Decision, error) {
	perSecond := limit.PerSecond() * l.share
	if perSecond <= 0 {
		return unlimited(), nil
	}
	now := l.now()
	sh := &l.shards[maphash.String(l.seed, key)%numShards]
	k := bucketKey{key: key, limit: limit}

	sh.mu.Lock()
	b := sh.m[k]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(perSecond), burst(perSecond))}
		sh.m[k] = b
	}
	b.last = now
	allowed := b.lim.AllowN(now, 1)
	tokens := b.lim.TokensAt(now)
	if now.Sub(sh.lastSweep) >= l.idle {
		l.sweep(sh, now)
	}
	sh.mu.Unlock()

	if !allowed {
		return Decision{RetryAfter: retryAfter(tokens, perSecond)}, nil
	}
	return Decision{Allowed: true, Remaining: max(0, int(tokens))}, nil
}

// sweep evicts the shard's buckets that are idle and full. sh.mu is held.
func (l *Local) sweep(sh *shard, now time.Time) {
	sh.lastSweep = now
	for k, b := range sh.m {
		if now.Sub(b.last) >= l.idle && b.lim.TokensAt(now) >= float64(b.lim.Burst()) {
			delete(sh.m, k)
		}
	}
}
