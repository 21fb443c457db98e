package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// This file is the one place where frontdoor touches the Go runtime's
// memory settings. It never changes GOMAXPROCS; it changes GOGC only in a
// serving gateway without GOGC set (a higher target until the first
// snapshot is loaded, then heapFloor), and an operator's GOMEMLIMIT always
// wins.

// Soft memory limits of a compile when GOMEMLIMIT is not set: most of what
// a compile allocates is short-lived, and a limit makes the collector
// reclaim it before the heap doubles. Above the limit the runtime caps the
// collector's CPU share, so a bigger platform is slower, never refused.
const (
	compileMemoryLimit = 200 << 20
	// catalogMemoryLimit applies when the catalogue is built with the
	// compile, whose rendered endpoints stay live until it is written.
	catalogMemoryLimit = 300 << 20
	// diffMemoryLimit applies to a diff of grants files only: its base's
	// model and snapshot stay live while its head, which shares them, is
	// compiled. fullDiffMemoryLimit applies to any other diff: two whole
	// compiles.
	diffMemoryLimit     = 250 << 20
	fullDiffMemoryLimit = 350 << 20
)

func limitCompileMemory(limit int64) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
}

// firstLoadGCPercent is the collector's target while a gateway loads its
// first snapshot (see heapFloor): the heap grows from almost nothing to the
// whole database, and at the default target every doubling would be a
// collection that marks the rows loaded so far. Until then the live heap
// is small, so a higher target costs little memory even when the first
// snapshot is refused.
const firstLoadGCPercent = 800

// freeInterval spaces the gateway's returns of memory to the OS.
const freeInterval = 10 * time.Second

// memoryReturner returns the memory a swap freed (the previous snapshot,
// the load's garbage) to the OS, at most once per interval and only while
// no request is being served: a serving gateway allocates enough for the
// collector and scavenger to do it, and a forced collection would take
// CPU from its requests. Swaps during an interval leave one return
// pending, so that the last swap of a burst is returned too.
type memoryReturner struct {
	busy     func() bool   // requests are being served
	interval time.Duration // freeInterval, but in tests
	free     func()        // debug.FreeOSMemory, but in tests

	mu      sync.Mutex
	last    time.Time   // of the last return
	pending *time.Timer // a return waiting for its time, or nil
}

func newMemoryReturner(busy func() bool) *memoryReturner {
	return &memoryReturner{busy: busy, interval: freeInterval, free: debug.FreeOSMemory}
}

// swapped is the controller's Swapped hook: it schedules a return.
func (m *memoryReturner) swapped() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pending == nil {
		m.pending = time.AfterFunc(max(m.interval-time.Since(m.last), 0), m.fire)
	}
}

// fire returns memory, or waits another interval while requests are served.
func (m *memoryReturner) fire() {
	m.mu.Lock()
	if m.busy() {
		m.pending.Reset(m.interval)
		m.mu.Unlock()
		return
	}
	m.pending, m.last = nil, time.Now()
	m.mu.Unlock()
	m.free()
}

// defaultGCHeapFloor is --gc-heap-floor's default.
const defaultGCHeapFloor = 64 << 20

// defaultHeapMinimum is the Go runtime's smallest heap goal at GOGC=100;
// it scales with GOGC.
const defaultHeapMinimum = 4 << 20

// heapFloor sets a serving gateway's GOGC: firstLoadGCPercent until its
// first snapshot is loaded, then it lets the heap grow by at least floor
// bytes between two collections: after each collection it sets GOGC to 100 times
// floor over the live heap, never below 100. A gateway's live heap is
// mostly its snapshot; its requests' garbage is short-lived, so with a
// small snapshot the default GOGC would collect every few megabytes of
// requests (each collection stops the world twice and makes the requests
// that allocate during marking help mark). A live heap of floor or more
// is collected as with GOGC=100. Memory returned to the OS (see
// memoryReturner) and the operator's GOMEMLIMIT still apply; an
// operator's GOGC turns it off.
type heapFloor struct {
	floor  uint64
	sample []metrics.Sample

	mu      sync.Mutex
	loading bool // no snapshot loaded yet
	stopped bool
	prev    int // GOGC before start
	set     int // GOGC last set
}

// startHeapFloor starts a heapFloor unless GOGC is set (a floor of 0 is
// GOGC=100 once loaded); loaded ends the first load (every swap calls it),
// stop ends it all and puts GOGC back.
func startHeapFloor(floor int64) (loaded, stop func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}, func() {}
	}
	h := &heapFloor{floor: uint64(max(floor, 0)), sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}, loading: true, set: 100}
	h.prev = debug.SetGCPercent(100)
	h.tune()
	h.arm()
	return h.loaded, h.stop
}

// loaded ends the first load: GOGC follows the floor from now on.
func (h *heapFloor) loaded() {
	h.mu.Lock()
	was := h.loading
	h.loading = false
	h.mu.Unlock()
	if was {
		h.tune()
	}
}

// gcPercent is the GOGC that lets a live heap of live bytes grow by floor,
// at least 100, and at most what keeps the runtime's minimum heap goal
// (defaultHeapMinimum scaled by GOGC) within floor.
func gcPercent(floor, live uint64) int {
	most := int(100 * floor / defaultHeapMinimum)
	if live == 0 {
		return max(most, 100)
	}
	return max(100, min(most, int(100*floor/live)))
}

// arm runs tune after the next collection, and so on after each: a
// finalizer runs once the collection that found its object unreachable
// is done.
func (h *heapFloor) arm() {
	runtime.SetFinalizer(&gcSentinel{h}, func(s *gcSentinel) {
		if s.h.tune() {
			s.h.arm()
		}
	})
}

// gcSentinel is the object whose finalizer follows collections (it holds
// a pointer, so that it is never one of the tiny objects whose finalizers
// may not run).
type gcSentinel struct{ h *heapFloor }

// tune sets GOGC for the live heap of the last collection; it reports
// false once stopped.
func (h *heapFloor) tune() bool {
	metrics.Read(h.sample)
	var live uint64
	if h.sample[0].Value.Kind() == metrics.KindUint64 {
		live = h.sample[0].Value.Uint64()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return false
	}
	p := gcPercent(h.floor, live)
	if h.loading {
		p = firstLoadGCPercent
	}
	if p != h.set {
		debug.SetGCPercent(p)
		h.set = p
	}
	return true
}

func (h *heapFloor) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.stopped {
		h.stopped = true
		debug.SetGCPercent(h.prev)
	}
}
