package background

import (
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func policy(t *testing.T) uint32 {
	t.Helper()
	a, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return a.Policy
}

func gcPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

func busy() bool { return true }

func TestIdleWorkRunsOnAnIdleThreadWithOneMorePAndNoCollector(t *testing.T) {
	if err := Available(); err != nil {
		t.Skip(err)
	}
	procs, gc := runtime.GOMAXPROCS(0), gcPercent()
	r := &Runner{Busy: busy}
	if !r.Active() {
		t.Fatal("a busy runner is not active")
	}
	var gotPolicy uint32
	var gotProcs, gotGC int
	r.Do(func() {
		gotPolicy, gotProcs, gotGC = policy(t), runtime.GOMAXPROCS(0), gcPercent()
	})
	if gotPolicy != unix.SCHED_IDLE {
		t.Errorf("policy during the work = %d, want SCHED_IDLE (%d)", gotPolicy, unix.SCHED_IDLE)
	}
	if gotProcs != procs+1 {
		t.Errorf("GOMAXPROCS during the work = %d, want %d", gotProcs, procs+1)
	}
	if gotGC != -1 {
		t.Errorf("GC percent during the work = %d, want -1 (paused)", gotGC)
	}
	if p, g := runtime.GOMAXPROCS(0), gcPercent(); p != procs || g != gc {
		t.Errorf("after the work: GOMAXPROCS %d, GC percent %d; want %d, %d as before", p, g, procs, gc)
	}
	if p := policy(t); p != schedNormal {
		t.Errorf("the caller's thread has policy %d after the work, want %d", p, schedNormal)
	}
}

func TestIdleRunnersWorkInTheForeground(t *testing.T) {
	for name, r := range map[string]*Runner{
		"nil":      nil,
		"no Busy":  {},
		"not busy": {Busy: func() bool { return false }},
	} {
		t.Run(name, func(t *testing.T) {
			procs := runtime.GOMAXPROCS(0)
			ran := false
			r.Do(func() {
				ran = true
				if p := policy(t); p != schedNormal {
					t.Errorf("policy %d, want normal", p)
				}
				if p := runtime.GOMAXPROCS(0); p != procs {
					t.Errorf("GOMAXPROCS %d, want %d", p, procs)
				}
			})
			if !ran {
				t.Error("the work did not run")
			}
		})
	}
}

func TestWorkOutOfPatienceRunsAtNormalPriority(t *testing.T) {
	if err := Available(); err != nil {
		t.Skip(err)
	}
	r := &Runner{Busy: busy, Patience: 20 * time.Millisecond}
	var before, after uint32
	r.Do(func() {
		before = policy(t)
		deadline := time.Now().Add(5 * time.Second)
		for after = policy(t); after != schedNormal && time.Now().Before(deadline); after = policy(t) {
			time.Sleep(5 * time.Millisecond)
		}
	})
	if before != unix.SCHED_IDLE || after != schedNormal {
		t.Errorf("policy %d, then %d after the patience ran out; want SCHED_IDLE (%d), then normal (%d)", before, after, unix.SCHED_IDLE, schedNormal)
	}
}

func TestWorkIsSerialisedAndPanicsReachTheCaller(t *testing.T) {
	if err := Available(); err != nil {
		t.Skip(err)
	}
	procs := runtime.GOMAXPROCS(0)
	r := &Runner{Busy: busy}
	var running, overlapped atomic.Int32
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			r.Do(func() {
				if running.Add(1) > 1 {
					overlapped.Store(1)
				}
				time.Sleep(2 * time.Millisecond)
				running.Add(-1)
			})
		}()
	}
	for range 4 {
		<-done
	}
	if overlapped.Load() != 0 {
		t.Error("two pieces of work ran at once")
	}
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the work's panic", p)
			}
		}()
		r.Do(func() { panic("boom") })
	}()
	if p := runtime.GOMAXPROCS(0); p != procs {
		t.Errorf("GOMAXPROCS %d after a panic, want %d", p, procs)
	}
}
