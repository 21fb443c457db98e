package gateway

import (
	"context"
	"net/http"

	"github.com/frontdoor-dev/frontdoor/runtime/tracecontext"
)

// Spans records a span per request for export (OpenTelemetry, see
// runtime/otelspans); set Options.Spans to turn it on. Implementations are
// safe for concurrent use.
type Spans interface {
	// Start begins the span of a request: its IDs are next's (the trace
	// and the span ID the upstream receives as its parent), its parent is
	// the client's span when hasParent. It returns the trace flags to send
	// upstream (the sampling decision) and a function that ends the span.
	Start(ctx context.Context, next, parent tracecontext.Context, hasParent bool, method string) (flags byte, end func(SpanEnd))
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
	var parent tracecontext.Context
	hasParent := false
	if v := r.Header[tracecontext.ParentHeader]; len(v) == 1 {
		parent, hasParent = tracecontext.Parse(v[0])
	}
	ex.trace.Flags, ex.endSpan = p.opts.Spans.Start(r.Context(), ex.trace, parent, hasParent, r.Method)
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
