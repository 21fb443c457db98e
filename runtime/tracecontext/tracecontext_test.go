package tracecontext_test

import (
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/frontdoor-dev/frontdoor/runtime/tracecontext"
)

const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// injected returns the headers Inject writes for sc.
func injected(sc trace.SpanContext) http.Header {
	h := http.Header{}
	tracecontext.Inject(sc, func(name, value string) { h[name] = append(h[name], value) })
	return h
}

func TestStartContinuesOnlyOneValidTraceparent(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   http.Header
		// continues: the client's trace goes on; state: the tracestate
		// the upstream receives.
		continues bool
		state     string
	}{
		{"a valid traceparent continues with its state", http.Header{"Traceparent": {valid}, "Tracestate": {"vendor=abc"}}, true, "vendor=abc"},
		{"repeated tracestate headers form one list", http.Header{"Traceparent": {valid}, "Tracestate": {"a=1", "b=2"}}, true, "a=1,b=2"},
		{"an invalid tracestate is dropped", http.Header{"Traceparent": {valid}, "Tracestate": {"no equals sign"}}, true, ""},
		{"a tracestate of more than 32 members is dropped", http.Header{"Traceparent": {valid}, "Tracestate": {strings.Repeat("v=x,", 33) + "v=y"}}, true, ""},
		{"no traceparent starts a trace", http.Header{}, false, ""},
		{"nil headers start a trace", nil, false, ""},
		{"a malformed traceparent starts a trace and drops the state", http.Header{"Traceparent": {"00-xyz"}, "Tracestate": {"vendor=abc"}}, false, ""},
		{"two traceparents start a trace", http.Header{"Traceparent": {valid, valid}, "Tracestate": {"vendor=abc"}}, false, ""},
		{"upper-case hex starts a trace", http.Header{"Traceparent": {strings.ToUpper(valid)}}, false, ""},
		{"a zero trace id starts a trace", http.Header{"Traceparent": {"00-00000000000000000000000000000000-00f067aa0ba902b7-01"}}, false, ""},
		{"version ff starts a trace", http.Header{"Traceparent": {"ff" + valid[2:]}}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.in.Clone()
			parent, next := tracecontext.Start(tc.in)
			if !next.IsValid() {
				t.Fatalf("the upstream's trace context %v is not valid", next)
			}
			if parent.IsValid() != tc.continues || tc.continues && next.TraceID() != parent.TraceID() {
				t.Errorf("trace continued = %v (parent %v, next %v), want %v", parent.IsValid(), parent.TraceID(), next.TraceID(), tc.continues)
			}
			if parent.IsValid() && next.SpanID() == parent.SpanID() {
				t.Error("the upstream's parent span is the client's, want a new span id")
			}
			if !tc.continues && next.IsSampled() {
				t.Error("a new trace is sampled, want the span recorder to decide")
			}
			out := injected(next)
			if v := out["Traceparent"]; len(v) != 1 || !strings.HasPrefix(v[0], "00-"+next.TraceID().String()+"-"+next.SpanID().String()+"-") {
				t.Errorf("traceparent upstream %q, want next's IDs", v)
			}
			if got := strings.Join(out["Tracestate"], ","); got != tc.state {
				t.Errorf("tracestate upstream %q, want %q", got, tc.state)
			}
			if len(before) != len(tc.in) {
				t.Error("Start changed the request's headers")
			}
		})
	}
}

func TestInjectWritesWhatStartReadsBack(t *testing.T) {
	_, next := tracecontext.Start(http.Header{"Traceparent": {valid}, "Tracestate": {"vendor=abc"}})
	back, _ := tracecontext.Start(injected(next))
	if !back.Equal(next.WithRemote(true)) {
		t.Errorf("read back %v, want %v", back, next)
	}
}

func TestNewTracesDiffer(t *testing.T) {
	seen := map[trace.TraceID]bool{}
	for range 1000 {
		_, c := tracecontext.Start(nil)
		if seen[c.TraceID()] {
			t.Fatalf("trace id %s started twice", c.TraceID())
		}
		seen[c.TraceID()] = true
	}
}
