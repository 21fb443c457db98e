package control_test

import (
	"runtime/debug"
	"slices"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/frontdoor-dev/frontdoor/internal/background"
	"github.com/frontdoor-dev/frontdoor/runtime/control"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/source"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/runtime/verify"
)

// TestBusyGatewaysLoadAtIdlePriority checks that a gateway serving
// requests verifies and loads a new snapshot on a SCHED_IDLE thread, with
// the collector paused, and a first load or an idle gateway's at normal
// priority; OnLoad still brackets every attempt, from outside the
// background work (the collector is running again by the time its done
// function runs).
func TestBusyGatewaysLoadAtIdlePriority(t *testing.T) {
	if err := background.Available(); err != nil {
		t.Skip(err)
	}
	v, err := verify.New(verify.Options{Schema: snaptest.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	var busy atomic.Bool
	var policies []uint32
	var gcAtDone []int
	calls, dones := 0, 0
	ctrl, err := control.New(control.Options{
		Store: new(store.Store), Verifier: v, Log: quietLog(),
		Background: &background.Runner{Busy: busy.Load},
		Prepare: func(*store.Snapshot) {
			a, err := unix.SchedGetAttr(0, 0)
			if err != nil {
				t.Error(err)
				return
			}
			policies = append(policies, a.Policy)
		},
		OnLoad: func() func() {
			calls++
			return func() {
				dones++
				p := debug.SetGCPercent(-1)
				debug.SetGCPercent(p)
				gcAtDone = append(gcAtDone, p)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	up := upstream(t, "up")
	busy.Store(true)
	for i, tc := range []struct {
		busy    bool
		rev     source.Revision
		outcome string
	}{
		{true, source.Revision{Source: "file", Bytes: snaptest.Encode(t, snaptest.Small(1, up.URL))}, control.OutcomeSwapped}, // first load: foreground
		{true, source.Revision{Source: "file", Bytes: snaptest.Encode(t, snaptest.Small(2, up.URL))}, control.OutcomeSwapped},
		{true, source.Revision{Source: "file", Bytes: []byte("{")}, control.OutcomeRefused},
		{false, source.Revision{Source: "file", Bytes: snaptest.Encode(t, snaptest.Small(3, up.URL))}, control.OutcomeSwapped},
	} {
		busy.Store(tc.busy)
		if got, err := ctrl.Apply(tc.rev); got != tc.outcome {
			t.Fatalf("attempt %d: outcome %q (%v), want %q", i, got, err, tc.outcome)
		}
	}
	if want := []uint32{0, unix.SCHED_IDLE, 0}; !slices.Equal(policies, want) {
		t.Errorf("scheduling policy of the three loads: %v, want %v", policies, want)
	}
	if calls != 4 || dones != 4 {
		t.Errorf("OnLoad called %d times, done %d times; want 4 and 4", calls, dones)
	}
	// (Only the background attempts: a foreground one may overlap the
	// previous swap's return of memory, which pauses pacing for a moment.)
	if len(gcAtDone) != 4 || slices.Contains(gcAtDone[1:3], -1) {
		t.Errorf("the collector was still paused when OnLoad's done ran after a background load: %v", gcAtDone)
	}
	if g := ctrl.ActiveGeneration(); g != 3 {
		t.Errorf("active generation %d, want 3", g)
	}
}
