package auth

import (
	"errors"
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
