package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/frontdoor-dev/frontdoor/runtime/otelspans"
)

// tracingFlags turn on the export of request spans (off by default).
type tracingFlags struct {
	otlpEndpoint string
	sampleRatio  float64
}

func addTracingFlags(c *cobra.Command, t *tracingFlags) {
	f := c.Flags()
	f.StringVar(&t.otlpEndpoint, "otlp-endpoint", "", "export a span per request to this OpenTelemetry collector (OTLP over HTTP, e.g. http://127.0.0.1:4318); off when empty")
	f.Float64Var(&t.sampleRatio, "trace-sample-ratio", 0.1, "share of new traces whose spans are exported (a client's sampled traceparent is always followed)")
}

// exporter returns the span exporter, or nil when export is off.
func (t *tracingFlags) exporter(log *slog.Logger) (*otelspans.Exporter, error) {
	if t.otlpEndpoint == "" {
		return nil, nil
	}
	e, err := otelspans.New(context.Background(), otelspans.Options{Endpoint: t.otlpEndpoint, SampleRatio: t.sampleRatio})
	if err != nil {
		return nil, err
	}
	log.Info("exporting request spans", "otlp_endpoint", t.otlpEndpoint, "sample_ratio", t.sampleRatio)
	return e, nil
}

// shutdownSpans exports the spans still queued, for a bounded time.
func shutdownSpans(e *otelspans.Exporter) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return e.Shutdown(ctx)
}
