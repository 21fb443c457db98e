package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
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

func TestGOGCLetsTheLiveHeapGrowByTheFloor(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name        string
		floor, live uint64
		want        int
	}{
		{"a small heap grows by the floor", 64 * mib, 10 * mib, 640},
		{"a heap of the floor's size doubles", 64 * mib, 64 * mib, 100},
		{"a bigger heap doubles", 64 * mib, 200 * mib, 100},
		{"a tiny heap keeps the runtime's minimum goal within the floor", 64 * mib, 1 * mib, 1600},
		{"no collection yet", 64 * mib, 0, 1600},
		{"a floor under the runtime's minimum leaves GOGC at 100", 2 * mib, 1 * mib, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := gcPercent(tc.floor, tc.live); got != tc.want {
				t.Errorf("GOGC %d, want %d", got, tc.want)
			}
		})
	}
}

// gogc reads GOGC as the runtime applies it.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestTheHeapFloorFollowsEachCollectionAndStops: after each collection
// GOGC is the floor's for the live heap it left, as that heap grows and
// shrinks; stopping puts GOGC back.
func TestTheHeapFloorFollowsEachCollectionAndStops(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	const floor = 128 << 20
	loaded, stop := startHeapFloor(floor)
	if got := gogc(); got != firstLoadGCPercent {
		t.Errorf("GOGC %d before the first load, want %d", got, firstLoadGCPercent)
	}
	runtime.GC()
	if got := gogc(); got != firstLoadGCPercent {
		t.Errorf("GOGC %d after a collection during the first load, want %d", got, firstLoadGCPercent)
	}
	loaded()
	collect := func(what string) int {
		t.Helper()
		runtime.GC()
		waitUntil(t, "GOGC set for the live heap "+what, func() bool { return gogc() == gcPercent(floor, liveHeap()) })
		return gogc()
	}
	small := collect("of the test")
	held := make([]byte, 64<<20)
	big := collect("holding 64 MiB")
	runtime.KeepAlive(held)
	held = nil
	again := collect("without them")
	if !(big < small && big < again) || big < 100 {
		t.Errorf("GOGC %d, then %d holding 64 MiB, then %d: want it lower while the heap is bigger, and at least 100", small, big, again)
	}
	stop()
	if got := gogc(); got != 100 {
		t.Errorf("GOGC %d after stop, want 100 back", got)
	}
	runtime.GC()
	runtime.GC()
	if got := gogc(); got != 100 {
		t.Errorf("GOGC %d after stop and a collection, want 100", got)
	}
}

// TestAnOperatorsGOGCTurnsTheHeapFloorOff: with GOGC set, the floor never
// changes it.
func TestAnOperatorsGOGCTurnsTheHeapFloorOff(t *testing.T) {
	t.Setenv("GOGC", "150")
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	loaded, stop := startHeapFloor(1 << 30)
	defer stop()
	if got := gogc(); got != 150 {
		t.Errorf("GOGC %d during the first load, want the operator's 150", got)
	}
	loaded()
	runtime.GC()
	runtime.GC()
	if got := gogc(); got != 150 {
		t.Errorf("GOGC %d, want the operator's 150", got)
	}
}
