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

	mu sync.Mutex // one piece of work at a time
}

// Active reports whether work given to Do now would run in the background.
func (r *Runner) Active() bool {
	return r != nil && r.Busy != nil && r.Busy() && Available() == nil
}

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
	r.mu.Lock()
	defer r.mu.Unlock()
	patience := r.Patience
	if patience <= 0 {
		patience = DefaultPatience
	}
	if p := runIdle(f, patience); p != nil {
		panic(p)
	}
}
