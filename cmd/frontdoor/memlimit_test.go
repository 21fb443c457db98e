package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestRaisedMemoryLimitComesBackToTheDefault: a load's raised limit goes
// back to the gateway's default, even if the limit was lifted for a moment
// (a return of memory) when the load began.
func TestRaisedMemoryLimitComesBackToTheDefault(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	debug.SetMemoryLimit(math.MaxInt64)
	done := raiseMemoryLimit()
	if l := debug.SetMemoryLimit(-1); l != loadMemoryLimit {
		t.Errorf("limit during a load %d, want %d", l, loadMemoryLimit)
	}
	done()
	if l := debug.SetMemoryLimit(-1); l != defaultMemoryLimit {
		t.Errorf("limit after a load %d, want %d", l, defaultMemoryLimit)
	}
}
