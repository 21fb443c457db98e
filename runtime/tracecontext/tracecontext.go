// Package tracecontext continues or starts the W3C trace context
// (traceparent and tracestate, https://www.w3.org/TR/trace-context/) of
// the gateway's requests: OpenTelemetry's TraceContext propagator reads
// the client's headers and writes the upstream's, whether span export is
// on or off, and this package names the gateway's call to the upstream as
// a new span of the client's trace, or of a new one.
package tracecontext

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Header names as net/http canonicalises them.
const (
	ParentHeader = "Traceparent"
	StateHeader  = "Tracestate"
)

// propagator is the one reader and writer of the headers.
var propagator propagation.TraceContext

// Start returns the trace context of a request with headers h: parent is
// the client's span, valid only when h holds exactly one traceparent and
// the propagator accepts it (with its tracestate, when that parses); next
// is the gateway's call to the upstream, a new span of parent's trace with
// its flags and tracestate, or of a new, unsampled trace when parent is
// not valid. h is not changed.
func Start(h http.Header) (parent, next trace.SpanContext) {
	if len(h[ParentHeader]) == 1 {
		parent = trace.SpanContextFromContext(propagator.Extract(context.Background(), inbound(h)))
	}
	if !parent.IsValid() {
		return trace.SpanContext{}, trace.NewSpanContext(trace.SpanContextConfig{TraceID: newTraceID(), SpanID: newSpanID()})
	}
	return parent, parent.WithSpanID(newSpanID()).WithRemote(false)
}

// Headers returns the values of sc's headers as OpenTelemetry's
// propagator writes them: traceparent, and tracestate ("" when sc has
// none). Both are "" when sc is not valid.
func Headers(sc trace.SpanContext) (parent, state string) {
	if !sc.IsValid() {
		return "", ""
	}
	var out outbound
	propagator.Inject(trace.ContextWithSpanContext(context.Background(), sc), &out)
	return out.parent, out.state
}

// outbound keeps the values the propagator writes.
type outbound struct{ parent, state string }

func (o *outbound) Get(string) string { return "" }

func (o *outbound) Set(key, value string) {
	switch strings.ToLower(key) {
	case "traceparent":
		o.parent = value
	case "tracestate":
		o.state = value
	}
}

func (o *outbound) Keys() []string { return nil }

// inbound reads a request's headers for the propagator. The values of
// repeated tracestate headers form one list, as the specification asks.
type inbound http.Header

func (h inbound) Get(key string) string {
	v := http.Header(h).Values(key)
	if len(v) == 1 {
		return v[0]
	}
	return strings.Join(v, ",")
}

func (h inbound) Set(string, string) {}

func (h inbound) Keys() []string { return nil }

// newTraceID returns a random non-zero trace ID. IDs need to be unique,
// not secret: math/rand/v2's generator (ChaCha8, seeded by the runtime)
// does.
func newTraceID() trace.TraceID {
	var id trace.TraceID
	for !id.IsValid() {
		putUint64(id[:8], rand.Uint64())
		putUint64(id[8:], rand.Uint64())
	}
	return id
}

// newSpanID returns a random non-zero span ID.
func newSpanID() trace.SpanID {
	var id trace.SpanID
	for !id.IsValid() {
		putUint64(id[:], rand.Uint64())
	}
	return id
}

func putUint64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (56 - 8*i))
	}
}
