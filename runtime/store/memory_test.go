package store_test

import (
	"runtime"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
)

// heapOf returns the bytes of heap that a built store of o keeps alive
// (the decoded snapshot and its memdb), measured after collections.
func heapOf(b *testing.B, o snaptest.Options) float64 {
	b.Helper()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	s := snaptest.New(o)
	st := build(b, s)
	s = nil
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(st)
	return float64(after.HeapAlloc) - float64(before.HeapAlloc)
}

// BenchmarkMemoryPerGrantAndRoute reports the memory a gateway holds per
// entitlement and per API (three routes each, one per environment), as the
// difference between two store sizes that differ only in that count.
func BenchmarkMemoryPerGrantAndRoute(b *testing.B) {
	base := snaptest.Options{Generation: 1, Publishers: 100, APIs: 1000, Apps: 10000, GrantsPerApp: 1}
	for b.Loop() {
		more := base
		more.GrantsPerApp = 10
		perGrant := (heapOf(b, more) - heapOf(b, base)) / float64(base.Apps*(more.GrantsPerApp-base.GrantsPerApp))

		moreAPIs := base
		moreAPIs.APIs = 10000
		perAPI := (heapOf(b, moreAPIs) - heapOf(b, base)) / float64(moreAPIs.APIs-base.APIs)
		b.ReportMetric(perGrant, "B/grant")
		b.ReportMetric(perAPI, "B/api")
	}
}
