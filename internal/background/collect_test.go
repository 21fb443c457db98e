package background

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

var sink [][]byte

func TestCollectIfDueCollectsOnlyAHeapNearItsGoalAndRestoresTheSettings(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	limit := debug.SetMemoryLimit(-1)

	runtime.GC()
	if CollectIfDue() {
		t.Error("collected right after a collection")
	}

	// Grow the heap to its goal with the collector paused, as a
	// background load does.
	debug.SetGCPercent(-1)
	goal := func() uint64 {
		s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	debug.SetGCPercent(100)
	target := goal()
	debug.SetGCPercent(-1)
	var ms runtime.MemStats
	for runtime.ReadMemStats(&ms); ms.HeapAlloc < target; runtime.ReadMemStats(&ms) {
		sink = append(sink, make([]byte, 1<<20))
	}
	sink = nil // garbage now
	debug.SetGCPercent(100)
	before := gcCycles()
	if !CollectIfDue() {
		t.Fatal("did not collect a heap at its goal")
	}
	if gcCycles() == before {
		t.Error("reported a collection that did not happen")
	}
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GC percent %d after CollectIfDue, want 100", p)
	}
	if l := debug.SetMemoryLimit(-1); l != limit {
		t.Errorf("memory limit %d after CollectIfDue, want %d", l, limit)
	}
}

func TestUnpacedKeepsAMemoryLimitSetMeanwhile(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	debug.SetMemoryLimit(200 << 20)
	unpaced(func() {})
	if l := debug.SetMemoryLimit(-1); l != 200<<20 {
		t.Errorf("limit %d after unpaced, want the one before it", l)
	}
	unpaced(func() { debug.SetMemoryLimit(600 << 20) }) // a load's raise meanwhile
	if l := debug.SetMemoryLimit(-1); l != 600<<20 {
		t.Errorf("limit %d after unpaced, want the one set meanwhile", l)
	}
}
