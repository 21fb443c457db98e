package auth

import (
	"container/heap"
	"errors"
	"sync"
	"time"
)

// ReplayCache remembers one-time identifiers (client-assertion jtis) until
// they expire. Implementations must be safe for concurrent use; a cluster
// shares one (e.g. in Redis) to refuse replays across replicas.
type ReplayCache interface {
	// Use records key until exp. It reports false if key is already
	// recorded and not expired. It fails closed: when it cannot record key
	// it returns an error and the caller refuses the assertion.
	Use(key string, exp time.Time) (fresh bool, err error)
}

// ErrReplayCacheFull is returned by MemoryReplayCache.Use when every slot
// holds an unexpired key.
var ErrReplayCacheFull = errors.New("replay cache full")

// MemoryReplayCache is an in-memory ReplayCache of bounded size, local to
// one process. Expired keys are dropped as new ones arrive. Safe for
// concurrent use.
type MemoryReplayCache struct {
	now func() time.Time
	max int

	mu   sync.Mutex
	seen map[string]time.Time
	exps expiryHeap
}

var _ ReplayCache = (*MemoryReplayCache)(nil)

// NewMemoryReplayCache returns a cache holding at most max keys, reading
// time from now (time.Now if nil).
func NewMemoryReplayCache(max int, now func() time.Time) *MemoryReplayCache {
	if now == nil {
		now = time.Now
	}
	return &MemoryReplayCache{now: now, max: max, seen: make(map[string]time.Time)}
}

// Use implements ReplayCache.
func (c *MemoryReplayCache) Use(key string, exp time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for len(c.exps) > 0 && !c.exps[0].exp.After(now) {
		e := heap.Pop(&c.exps).(expiry)
		if t, ok := c.seen[e.key]; ok && t.Equal(e.exp) {
			delete(c.seen, e.key)
		}
	}
	if t, ok := c.seen[key]; ok && t.After(now) {
		return false, nil
	}
	if !exp.After(now) {
		// Already expired: nothing to remember, and the caller refuses
		// expired assertions anyway.
		return true, nil
	}
	if len(c.seen) >= c.max {
		return false, ErrReplayCacheFull
	}
	c.seen[key] = exp
	heap.Push(&c.exps, expiry{key: key, exp: exp})
	return true, nil
}

// Len returns the number of keys held.
func (c *MemoryReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

type expiry struct {
	key string
	exp time.Time
}

// expiryHeap is a min-heap of expiries.
type expiryHeap []expiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].exp.Before(h[j].exp) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
