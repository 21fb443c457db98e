// Package otelspans exports the gateway's request spans with OpenTelemetry
// (OTLP over HTTP): the gateway.Spans the operator turns on with an OTLP
// endpoint. Spans carry the IDs the gateway propagates in traceparent, so
// the upstream's spans hang under the gateway's; they carry the method,
// status, API, environment and app, never a path, query or header (they
// may hold personal data).
package otelspans

import (
	"context"
	"fmt"
	"net/url"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/runtime/tracecontext"
)

// Options configure New.
type Options struct {
	// Endpoint is the OTLP/HTTP collector's URL, e.g.
	// http://127.0.0.1:4318 (spans go to its /v1/traces).
	Endpoint string
	// SampleRatio is the share of new traces recorded (0 to 1); a client's
	// sampling decision is followed.
	SampleRatio float64
	// Exporter replaces the OTLP exporter (tests).
	Exporter sdktrace.SpanExporter
}

// Exporter records and exports spans. Safe for concurrent use.
type Exporter struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
}

var _ gateway.Spans = (*Exporter)(nil)

// New returns an Exporter batching spans to opts.Endpoint.
func New(ctx context.Context, opts Options) (*Exporter, error) {
	if opts.SampleRatio < 0 || opts.SampleRatio > 1 {
		return nil, fmt.Errorf("trace sample ratio %v: want 0 to 1", opts.SampleRatio)
	}
	exp := opts.Exporter
	if exp == nil {
		u, err := url.Parse(opts.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("OTLP endpoint %q: want an http(s) URL", opts.Endpoint)
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = "/v1/traces"
		}
		exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()))
		if err != nil {
			return nil, fmt.Errorf("OTLP exporter: %w", err)
		}
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithIDGenerator(ids{}),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(opts.SampleRatio))),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "frontdoor-gateway"))),
	)
	return &Exporter{tp: tp, tracer: tp.Tracer("github.com/frontdoor-dev/frontdoor/runtime/gateway")}, nil
}

// Flush exports the spans queued so far.
func (e *Exporter) Flush(ctx context.Context) error { return e.tp.ForceFlush(ctx) }

// Shutdown exports the spans still queued and stops.
func (e *Exporter) Shutdown(ctx context.Context) error { return e.tp.Shutdown(ctx) }

// Start implements gateway.Spans.
func (e *Exporter) Start(ctx context.Context, next, parent trace.SpanContext, method string) (trace.TraceFlags, func(gateway.SpanEnd)) {
	ctx = context.WithValue(ctx, idsKey{}, next)
	if parent.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, parent)
	}
	_, span := e.tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", method)))
	flags := span.SpanContext().TraceFlags()
	return flags, func(end gateway.SpanEnd) {
		if !span.IsRecording() {
			span.End()
			return
		}
		attrs := []attribute.KeyValue{attribute.Int("http.response.status_code", end.Status)}
		for _, kv := range [...][2]string{{"frontdoor.api", end.API}, {"frontdoor.environment", end.Environment}, {"frontdoor.app", end.App}} {
			if kv[1] != "" {
				attrs = append(attrs, attribute.String(kv[0], kv[1]))
			}
		}
		span.SetAttributes(attrs...)
		if end.Status >= 500 {
			span.SetStatus(codes.Error, "")
		}
		span.End()
	}
}

// idsKey carries the IDs the gateway chose to the ID generator.
type idsKey struct{}

// ids gives spans the IDs the gateway propagates (see Start); a span
// started otherwise gets new random ones.
type ids struct{}

func (ids) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	sc := gatewayIDs(ctx)
	return sc.TraceID(), sc.SpanID()
}

func (ids) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	return gatewayIDs(ctx).SpanID()
}

// gatewayIDs returns the IDs Start put in ctx, or those of a new trace.
func gatewayIDs(ctx context.Context) trace.SpanContext {
	if sc, ok := ctx.Value(idsKey{}).(trace.SpanContext); ok {
		return sc
	}
	_, sc := tracecontext.Start(nil)
	return sc
}
