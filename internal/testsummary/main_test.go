package main

import (
	"strings"
	"testing"
)

const events = `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:9: ../shared/specs absent\n"}
{"Action":"output","Package":"p","Test":"TestA","Output":"--- SKIP: TestA (0.00s)\n"}
{"Action":"skip","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:3: got 1, want 2\n"}
{"Action":"%s","Package":"p","Test":"TestB"}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.1s\n"}
{"Action":"%s","Package":"p"}
`

func TestTheSummaryNamesEachSkippedTestAndWhy(t *testing.T) {
	var out strings.Builder
	run(strings.NewReader(strings.ReplaceAll(events, "%s", "pass")), &out)
	if want := "SKIP p TestA: ../shared/specs absent\n"; !strings.Contains(out.String(), want) {
		t.Errorf("got\n%s\nwant a line %q", out.String(), want)
	}
}

func TestTheExitStatusReflectsFailures(t *testing.T) {
	for _, tc := range []struct {
		action string
		want   int
	}{{"pass", 0}, {"fail", 1}} {
		var out strings.Builder
		if got := run(strings.NewReader(strings.ReplaceAll(events, "%s", tc.action)), &out); got != tc.want {
			t.Errorf("%s: got status %d, want %d", tc.action, got, tc.want)
		}
		if shown := strings.Contains(out.String(), "got 1, want 2"); shown != (tc.action == "fail") {
			t.Errorf("%s: failed test's output shown: %v\n%s", tc.action, shown, out.String())
		}
	}
}
