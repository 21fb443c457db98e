package main

import (
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"
)

// testReturner is a memoryReturner with a short interval that counts its
// returns instead of making them.
func testReturner(interval time.Duration) (*memoryReturner, *atomic.Bool, *atomic.Int64) {
	var busy atomic.Bool
	var frees atomic.Int64
	m := newMemoryReturner(busy.Load)
	m.interval = interval
	m.free = func() { frees.Add(1) }
	return m, &busy, &frees
}

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestMemoryIsReturnedOnlyOnceRequestsStop: a swap while requests are
// served returns nothing until they stop.
func TestMemoryIsReturnedOnlyOnceRequestsStop(t *testing.T) {
	m, busy, frees := testReturner(20 * time.Millisecond)
	busy.Store(true)
	m.swapped()
	time.Sleep(10 * m.interval) // several intervals: each must have found the gateway busy
	if n := frees.Load(); n != 0 {
		t.Fatalf("memory returned %d times while requests were served, want none", n)
	}
	busy.Store(false)
	waitUntil(t, "a return once idle", func() bool { return frees.Load() == 1 })
}

// TestABurstOfSwapsReturnsMemoryAtMostOncePerInterval: the first swap of a
// burst returns at once, the rest share one return an interval later.
func TestABurstOfSwapsReturnsMemoryAtMostOncePerInterval(t *testing.T) {
	for _, swaps := range []int{1, 2, 10} {
		m, _, frees := testReturner(100 * time.Millisecond)
		start := time.Now()
		for range swaps {
			m.swapped()
			waitUntil(t, "the first return", func() bool { return frees.Load() >= 1 })
		}
		want := int64(min(swaps, 2))
		waitUntil(t, "the burst's returns", func() bool { return frees.Load() == want })
		time.Sleep(3 * m.interval)
		if n := frees.Load(); n != want {
			t.Errorf("%d swaps: %d returns, want %d", swaps, n, want)
		}
		if swaps > 1 && time.Since(start) < m.interval {
			t.Errorf("%d swaps: second return before an interval had passed", swaps)
		}
	}
}

// TestACompileLeavesTheOperatorsMemoryLimitAlone: GOMEMLIMIT wins over
// the compile's own limit.
func TestACompileLeavesTheOperatorsMemoryLimitAlone(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	for _, tc := range []struct {
		name, env string
		want      int64
	}{
		{"unset", "", compileMemoryLimit},
		{"set", "1GiB", 123 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", tc.env)
			debug.SetMemoryLimit(123 << 20)
			limitCompileMemory(compileMemoryLimit)
			if got := debug.SetMemoryLimit(-1); got != tc.want {
				t.Errorf("limit %d, want %d", got, tc.want)
			}
		})
	}
}

// TestTheFirstLoadsCollectorTargetLastsUntilTheFirstSwap: the target is
// raised until done, then put back; an operator's GOGC is left alone.
func TestTheFirstLoadsCollectorTargetLastsUntilTheFirstSwap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tc := range []struct {
		name, env   string
		during, was int
	}{
		{"GOGC unset", "", firstLoadGCPercent, 100},
		{"GOGC unset, another target before", "", firstLoadGCPercent, 50},
		{"GOGC set", "150", 150, 150},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", tc.env)
			debug.SetGCPercent(tc.was)
			done := relaxGCUntilFirstLoad()
			if got := debug.SetGCPercent(tc.during); got != tc.during {
				t.Errorf("target %d while loading, want %d", got, tc.during)
			}
			done()
			done() // every swap calls it
			if got := debug.SetGCPercent(tc.was); got != tc.was {
				t.Errorf("target %d after the first swap, want %d", got, tc.was)
			}
		})
	}
}
