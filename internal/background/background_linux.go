package background

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// schedNormal is SCHED_OTHER (SCHED_NORMAL), the default policy.
const schedNormal = 0

// runIdle runs f on a new OS thread under SCHED_IDLE, switched back to the
// normal policy after patience, and returns what f panicked with.
func runIdle(f func(), patience time.Duration) (panicked any) {
	// One more P for the work, so that the requests keep theirs while the
	// work's thread waits for a CPU. Changing GOMAXPROCS stops the world
	// for a moment, which is why it happens out here and not per step.
	procs := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(procs + 1)
	// No collection while the work runs: a collection stops the world,
	// and the world waits for every thread holding a P, the idle one
	// included. The memory limit still applies.
	gc := debug.SetGCPercent(-1)
	defer func() {
		runtime.GOMAXPROCS(procs)
		debug.SetGCPercent(gc)
		// The heap grew unchecked meanwhile: collect now if a cycle is
		// due, rather than let the pacer start one that is already late.
		collectIfDue()
	}()

	var (
		mu   sync.Mutex
		tid  int  // the work's thread, 0 once it has finished
		slow bool // patience ran out
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The thread is never given back: a goroutine that exits locked
		// takes its thread with it, and with it the thread's policy.
		runtime.LockOSThread()
		mu.Lock()
		if !slow && setPolicy(0, unix.SCHED_IDLE) == nil {
			tid = unix.Gettid()
		}
		mu.Unlock()
		defer func() {
			mu.Lock()
			tid = 0
			mu.Unlock()
			panicked = recover()
		}()
		f()
	}()
	t := time.AfterFunc(patience, func() {
		mu.Lock()
		defer mu.Unlock()
		slow = true
		if tid != 0 {
			_ = setPolicy(tid, schedNormal)
		}
	})
	<-done
	t.Stop()
	return panicked
}

// probe checks that a thread can be put under SCHED_IDLE and back.
func probe() error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with its policy
		if err := setPolicy(0, unix.SCHED_IDLE); err != nil {
			errc <- fmt.Errorf("setting SCHED_IDLE: %w", err)
			return
		}
		if err := setPolicy(0, schedNormal); err != nil {
			errc <- fmt.Errorf("leaving SCHED_IDLE needs CAP_SYS_NICE or RLIMIT_NICE 20 (ulimit -e 20): %w", err)
			return
		}
		errc <- nil
	}()
	return <-errc
}

// setPolicy sets the scheduling policy of thread tid (0: the calling one).
func setPolicy(tid int, policy uint32) error {
	return unix.SchedSetAttr(tid, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: policy}, 0)
}
