// Package background runs a gateway's own heavy work, reading, hashing,
// verifying and loading a new snapshot, so that the requests it is serving
// meanwhile keep the CPUs.
//
// Go's scheduler has no priorities: a load running beside requests takes a
// P (and an OS thread) like any of them, and the operating system shares
// the CPUs between that thread and the ones serving requests, the load
// generator's and the upstream's alike. On Linux, Runner.Do therefore runs
// the work on an OS thread of its own under SCHED_IDLE, the policy whose
// threads run only on a CPU nothing else wants, with one P added for the
// time of the work (so that the requests keep as many Ps as before) and the
// collector paused (a stop-the-world phase would otherwise wait for a
// thread that the kernel does not schedule). Work that has not finished
// after Patience runs on at normal priority, so that a gateway saturated
// with requests still swaps its snapshot. Elsewhere, Do just calls the
// work.
package background

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// DefaultPatience is how long work may wait for idle CPUs before it runs at
// normal priority.
const DefaultPatience = time.Second

// A Runner runs background work, one piece at a time. The zero Runner and a
// nil *Runner run work in the foreground.
type Runner struct {
	// Busy reports whether requests are being served; work runs in the
	// foreground (on the caller's goroutine, at normal priority) when Busy
	// is nil or reports false.
	Busy func() bool
	// Patience defaults to DefaultPatience.
	Patience time.Duration
}

// settings serialises background work and the changes to the collector's
// settings that come with it (see CollectIfDue), process-wide.
var settings sync.Mutex

// Serving reports whether requests are being served (Busy; false for a nil
// Runner or a nil Busy).
func (r *Runner) Serving() bool { return r != nil && r.Busy != nil && r.Busy() }

// Active reports whether work given to Do now would run in the background.
func (r *Runner) Active() bool { return r.Serving() && Available() == nil }

// Available reports why work cannot run in the background here, or nil:
// the platform has no idle scheduling policy, or the process may not bring
// a thread back from it (which needs CAP_SYS_NICE, or an RLIMIT_NICE of
// 20: `ulimit -e 20`, Docker's `--ulimit nice=20`), and work at idle
// priority could then wait for as long as the CPUs are saturated.
func Available() error {
	availableOnce.Do(func() { availableErr = probe() })
	return availableErr
}

var (
	availableOnce sync.Once
	availableErr  error
)

// Do runs f and returns when it has returned: in the background when
// Active, otherwise on the caller's goroutine. f runs on one goroutine
// either way: goroutines it starts run at normal priority. A panic in f is
// raised again in the caller.
func (r *Runner) Do(f func()) {
	if !r.Active() {
		f()
		return
	}
	settings.Lock()
	defer settings.Unlock()
	patience := r.Patience
	if patience <= 0 {
		patience = DefaultPatience
	}
	if p := runIdle(f, patience); p != nil {
		panic(p)
	}
}

// dueFraction is how close to its goal the heap must be for CollectIfDue
// to collect.
const dueFraction = 0.85

// heapSamples are the collector's goal and the bytes of heap objects, live
// or not; guarded by settings.
var heapSamples = []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}

// CollectIfDue collects garbage now if the heap has grown to within 15 % of
// the collector's goal, as it does when a load allocated with the collector
// paused, or under a soft memory limit that was raised for a load and has
// just been lowered again. Left to the pacer, such a cycle would start
// late, and a late cycle makes every request that allocates assist it in
// proportion (on an L snapshot, tens of milliseconds of requests waiting
// after each swap). CollectIfDue runs the cycle with the goal out of reach
// instead (GOGC off and no memory limit for its duration), so that the
// collector's background and idle workers do the work. It reports whether
// it collected.
func CollectIfDue() bool {
	settings.Lock()
	defer settings.Unlock()
	return collectIfDue()
}

// FreeOSMemory is debug.FreeOSMemory with the collector's goal out of reach
// (see CollectIfDue).
func FreeOSMemory() {
	settings.Lock()
	defer settings.Unlock()
	unpaced(debug.FreeOSMemory)
}

// collectIfDue is CollectIfDue with settings held.
func collectIfDue() bool {
	metrics.Read(heapSamples)
	goal, objects := heapSamples[0].Value.Uint64(), heapSamples[1].Value.Uint64()
	if float64(objects) < dueFraction*float64(goal) {
		return false
	}
	unpaced(runtime.GC)
	return true
}

// unpaced runs collect (a forced collection) with GOGC off and no memory
// limit, restoring both afterwards; the memory limit only if nobody else
// set one meanwhile (cmd/frontdoor raises it for loads).
func unpaced(collect func()) {
	gc := debug.SetGCPercent(-1) // waits for a cycle in progress
	limit := debug.SetMemoryLimit(math.MaxInt64)
	collect()
	if debug.SetMemoryLimit(-1) == math.MaxInt64 {
		debug.SetMemoryLimit(limit)
	}
	debug.SetGCPercent(gc)
}
