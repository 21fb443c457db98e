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
	// Use records owner's key until exp. It reports false if the key is
	// already recorded and not expired. It fails closed: when it cannot
	// record the key it returns an error and the caller refuses the
	// assertion. Each owner (an app) has its own share of the cache, so
	// that one owner cannot fill it for the others (ErrReplayShareFull).
	Use(owner, key string, exp time.Time) (fresh bool, err error)
}

// ErrReplayCacheFull is returned by MemoryReplayCache.Use when every slot
// holds an unexpired key.
var ErrReplayCacheFull = errors.New("replay cache full")

// ErrReplayShareFull is returned by MemoryReplayCache.Use when the owner's
// share holds only unexpired keys: that owner waits, the others do not.
var ErrReplayShareFull = errors.New("replay cache share of the owner full")

// MemoryReplayCache is an in-memory ReplayCache of bounded size, local to
// one process, in which each owner holds at most its share of keys. Expired
// keys are dropped as new ones arrive. Safe for concurrent use.
type MemoryReplayCache struct {
	now   func() time.Time
	max   int
	share int

	mu     sync.Mutex
	seen   map[string]time.Time
	owners map[string]int // keys held per owner
	exps   expiryHeap
}

var _ ReplayCache = (*MemoryReplayCache)(nil)

// NewMemoryReplayCache returns a cache holding at most max keys, and at
// most share keys of one owner (no share when share <= 0 or >= max),
// reading time from now (time.Now if nil).
func NewMemoryReplayCache(max, share int, now func() time.Time) *MemoryReplayCache {
	if now == nil {
		now = time.Now
	}
	if share <= 0 || share > max {
		share = max
	}
	return &MemoryReplayCache{now: now, max: max, share: share, seen: make(map[string]time.Time), owners: make(map[string]int)}
}

// Use implements ReplayCache.
func (c *MemoryReplayCache) Use(owner, key string, exp time.Time) (bool, error) {
	key = owner + "\x00" + key
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for len(c.exps) > 0 && !c.exps[0].exp.After(now) {
		e := heap.Pop(&c.exps).(expiry)
		if t, ok := c.seen[e.key]; ok && t.Equal(e.exp) {
			delete(c.seen, e.key)
			if c.owners[e.owner]--; c.owners[e.owner] <= 0 {
				delete(c.owners, e.owner)
			}
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
	if c.owners[owner] >= c.share {
		return false, ErrReplayShareFull
	}
	if _, ok := c.seen[key]; ok {
		// An expired key not yet popped: its heap entry still counts it.
		c.owners[owner]--
	}
	c.seen[key] = exp
	c.owners[owner]++
	heap.Push(&c.exps, expiry{key: key, owner: owner, exp: exp})
	return true, nil
}

type expiry struct {
	key, owner string
	exp        time.Time
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
