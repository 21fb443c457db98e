package gateway

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/trace"
)

// Spans records a span per request for export (OpenTelemetry, see
// runtime/otelspans); set Options.Spans to turn it on. Implementations are
// safe for concurrent use.
type Spans interface {
	// Start begins the span of a request: its IDs are next's (the trace
	// and the span ID the upstream receives as its parent), its parent is
	// the client's span when parent is valid. It returns the trace flags
	// to send upstream (the sampling decision) and a function that ends
	// the span.
	Start(ctx context.Context, next, parent trace.SpanContext, method string) (flags trace.TraceFlags, end func(SpanEnd))
}

// SpanEnd is what a request's span records when it ends: no path, query or
// header (they may carry personal data).
type SpanEnd struct {
	Status                int
	API, Environment, App string
}

// startSpan starts ex's span and sets the flags sent upstream; finish
// ends it.
func (p *Proxy) startSpan(r *http.Request, ex *exchange) {
	var flags trace.TraceFlags
	flags, ex.endSpan = p.opts.Spans.Start(r.Context(), ex.trace, ex.parent, r.Method)
	ex.trace = ex.trace.WithTraceFlags(flags)
}

// endSpan ends ex's span, if it has one.
func endSpan(ex *exchange) {
	if ex.endSpan == nil {
		return
	}
	e := SpanEnd{Status: ex.status, Environment: ex.env, App: ex.pr.AppID}
	if ex.rt != nil {
		e.API = ex.rt.API.ID
	}
	ex.endSpan(e)
}
