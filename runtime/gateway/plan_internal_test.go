package gateway

import (
	"runtime"
	"testing"
	"weak"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func storeSnapshot(t *testing.T, gen uint64) *store.Snapshot {
	t.Helper()
	s := snaptest.Small(gen, "http://upstream.test")
	st, err := store.Apply(nil, store.Change{Digest: snapshot.Digest(snaptest.Encode(t, s)), Doc: s})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestPlanCacheLetsThePreviousSnapshotBeCollected(t *testing.T) {
	var c planCache
	builds := 0
	build := func(s *store.Snapshot, _ *plan) *plan { builds++; return &plan{snap: s} }

	s1 := storeSnapshot(t, 1)
	gone := weak.Make(s1)
	c.get(s1, build)
	s2 := storeSnapshot(t, 2)
	c.get(s2, build)
	s1 = nil
	for i := 0; i < 20 && gone.Value() != nil; i++ {
		runtime.GC()
	}
	if gone.Value() != nil {
		t.Fatal("the previous snapshot is still reachable after a swap and no request on it: the plan cache keeps it alive")
	}
	if p := c.get(s2, build); p.snap != s2 || builds != 2 {
		t.Errorf("got a plan for %p after %d builds, want the cached plan of %p after 2", p.snap, builds, s2)
	}
}

func TestPlanCacheReturnsThePreviousPlanWhileARequestHoldsIt(t *testing.T) {
	var c planCache
	builds := 0
	build := func(s *store.Snapshot, _ *plan) *plan { builds++; return &plan{snap: s} }
	s1, s2 := storeSnapshot(t, 1), storeSnapshot(t, 2)
	inFlight := c.get(s1, build) // a request that started on s1
	c.get(s2, build)
	runtime.GC()
	if p := c.get(s1, build); p != inFlight || builds != 2 {
		t.Errorf("got a rebuilt plan (%d builds), want the in-flight request's plan reused", builds)
	}
	runtime.KeepAlive(inFlight)
}
