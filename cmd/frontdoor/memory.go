package main

import (
	"os"
	"runtime/debug"
	"sync"
	"time"
)

// This file is the one place where frontdoor touches the Go runtime's
// memory settings. It never changes GOMAXPROCS, changes GOGC only until the
// gateway's first snapshot is loaded, and an operator's GOGC or GOMEMLIMIT
// always wins.

// Soft memory limits of a compile when GOMEMLIMIT is not set: most of what
// a compile allocates is short-lived, and a limit makes the collector
// reclaim it before the heap doubles. Above the limit the runtime caps the
// collector's CPU share, so a bigger platform is slower, never refused.
const (
	compileMemoryLimit = 200 << 20
	// catalogMemoryLimit applies when the catalogue is built with the
	// compile, whose rendered endpoints stay live until it is written.
	catalogMemoryLimit = 300 << 20
)

func limitCompileMemory(limit int64) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
}

// firstLoadGCPercent is the collector's target while a gateway loads its
// first snapshot: the heap grows from almost nothing to the whole database,
// and at the default target every doubling would be a collection that marks
// the rows loaded so far. Until then the live heap is small, so a higher
// target costs little memory even when the first snapshot is refused.
const firstLoadGCPercent = 400

// relaxGCUntilFirstLoad raises the collector's target to firstLoadGCPercent
// unless GOGC is set; done puts it back (the first swap calls it).
func relaxGCUntilFirstLoad() (done func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	prev := debug.SetGCPercent(firstLoadGCPercent)
	var once sync.Once
	return func() { once.Do(func() { debug.SetGCPercent(prev) }) }
}

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
