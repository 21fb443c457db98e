package auth

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestReplayCacheRefusesAKeyUntilItExpires(t *testing.T) {
	c := newClock()
	rc := NewMemoryReplayCache(10, 0, c.Now)
	exp := t0.Add(time.Minute)
	for i, want := range []bool{true, false} {
		if got, err := rc.Use("app", "k", exp); err != nil || got != want {
			t.Fatalf("use %d: got %v %v, want %v", i, got, err, want)
		}
	}
	c.Advance(time.Minute)
	if got, err := rc.Use("app", "k", t0.Add(2*time.Minute)); err != nil || !got {
		t.Errorf("after expiry: got %v %v, want true", got, err)
	}
}

func TestReplayCacheDropsExpiredKeysToMakeRoom(t *testing.T) {
	c := newClock()
	rc := NewMemoryReplayCache(2, 0, c.Now)
	rc.Use("app", "a", t0.Add(time.Second))
	rc.Use("app", "b", t0.Add(time.Minute))
	if _, err := rc.Use("app", "c", t0.Add(time.Minute)); !errors.Is(err, ErrReplayCacheFull) {
		t.Fatalf("full: got %v, want %v", err, ErrReplayCacheFull)
	}
	c.Advance(time.Second)
	if got, err := rc.Use("app", "c", t0.Add(time.Minute)); err != nil || !got {
		t.Fatalf("after a expired: got %v %v, want true", got, err)
	}
	if got := rc.Len(); got != 2 {
		t.Errorf("got %d keys, want 2", got)
	}
}

func TestOneOwnerCannotFillTheOthersShareOfTheReplayCache(t *testing.T) {
	c := newClock()
	rc := NewMemoryReplayCache(10, 3, c.Now)
	exp := t0.Add(time.Minute)
	for i := range 3 {
		if fresh, err := rc.Use("greedy", fmt.Sprint(i), exp); err != nil || !fresh {
			t.Fatalf("greedy key %d: got %v, %v, want fresh", i, fresh, err)
		}
	}
	if _, err := rc.Use("greedy", "3", exp); !errors.Is(err, ErrReplayShareFull) {
		t.Fatalf("greedy past its share: got %v, want ErrReplayShareFull", err)
	}
	for _, owner := range []string{"other", "third"} {
		for i := range 3 {
			if fresh, err := rc.Use(owner, fmt.Sprint(i), exp); err != nil || !fresh {
				t.Fatalf("%s key %d: got %v, %v, want fresh", owner, i, fresh, err)
			}
		}
	}
	c.Advance(2 * time.Minute)
	if fresh, err := rc.Use("greedy", "3", t0.Add(3*time.Minute)); err != nil || !fresh {
		t.Fatalf("greedy after its keys expired: got %v, %v, want fresh", fresh, err)
	}
	if got := rc.Len(); got != 1 {
		t.Errorf("got %d keys held, want 1", got)
	}
}

// Len returns the number of keys held.
func (c *MemoryReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
