package tracecontext_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/frontdoor-dev/frontdoor/runtime/tracecontext"
)

const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// injected returns the headers Headers gives for sc.
func injected(sc trace.SpanContext) http.Header {
	h := http.Header{}
	parent, state := tracecontext.Headers(sc)
	if parent != "" {
		h[tracecontext.ParentHeader] = []string{parent}
	}
	if state != "" {
		h[tracecontext.StateHeader] = []string{state}
	}
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

// propagated returns the headers OpenTelemetry's propagator writes for sc.
func propagated(sc trace.SpanContext) http.Header {
	h := http.Header{}
	propagation.TraceContext{}.Inject(trace.ContextWithSpanContext(context.Background(), sc), propagation.HeaderCarrier(h))
	return h
}

func TestHeadersAreWhatThePropagatorWrites(t *testing.T) {
	tid := trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	sid := trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
	state, err := trace.ParseTraceState("vendor=abc,other=x")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		sc   trace.SpanContext
	}{
		{"unsampled", trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid})},
		{"sampled", trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})},
		{"random flag", trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsRandom})},
		{"reserved flags dropped", trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: 0xff})},
		{"with a tracestate", trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceState: state})},
		{"a new trace", func() trace.SpanContext { _, next := tracecontext.Start(nil); return next }()},
		{"not valid", trace.SpanContext{}},
		{"no span id", trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, got := propagated(tc.sc), injected(tc.sc)
			for _, name := range []string{tracecontext.ParentHeader, tracecontext.StateHeader} {
				if g, w := strings.Join(got[name], ","), strings.Join(want[name], ","); g != w {
					t.Errorf("%s %q, want the propagator's %q", name, g, w)
				}
			}
		})
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
