package compiler

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestEvaluationBudgetsRefuseWhatRunsOverAndKeepWhatDoesNot runs stand-in
// evaluations under the budget: one that finishes, one that outlasts the
// time budget, one whose heap outgrows the memory budget. Each diagnostic
// names the budget that ran out.
func TestEvaluationBudgetsRefuseWhatRunsOverAndKeepWhatDoesNot(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	for _, tc := range []struct {
		name   string
		limits Limits
		eval   func(*diagSink) (any, error)
		want   string // "" : the result is kept
	}{
		{"a quick evaluation is kept", Limits{EvalTime: time.Minute}, func(*diagSink) (any, error) { return "done", nil }, ""},
		{"a slow evaluation runs out of time", Limits{EvalTime: 50 * time.Millisecond}, func(*diagSink) (any, error) {
			<-release
			return "late", nil
		}, "time budget of 50ms"},
		{"a growing evaluation runs out of memory", Limits{EvalTime: time.Minute, EvalMemory: 8 << 20}, func(*diagSink) (any, error) {
			held := make([][]byte, 0, 64)
			for range 64 {
				held = append(held, make([]byte, 1<<20))
			}
			runtime.GC()
			<-release
			runtime.KeepAlive(held) // live until released, not only its length
			return len(held), nil
		}, "memory budget of 8 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEvaluator(newShapes(), tc.limits, false)
			// The budget counts from the live heap of the last collection:
			// make it this test's, not an earlier test's.
			runtime.GC()
			var sink diagSink
			v, err := e.budgeted(layoutFile{path: "frontdoor.cue"}, tc.eval, &sink)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if v == nil || len(sink.list) > 0 {
					t.Errorf("got %v, %v; want the result", v, sink.list)
				}
				return
			}
			if v != nil || len(sink.list) != 1 || sink.list[0].Code != codeOverBudget || !strings.Contains(sink.list[0].Message, tc.want) {
				t.Errorf("got %v, %v; want one %s saying %q", v, sink.list, codeOverBudget, tc.want)
			}
		})
	}
}
