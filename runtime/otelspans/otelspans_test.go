package otelspans_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/runtime/otelspans"
	"github.com/frontdoor-dev/frontdoor/runtime/tracecontext"
)

const parentHeader = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestSpansCarryThePropagatedIDs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		header   http.Header
		ratio    float64
		recorded bool
	}{
		{"a sampled client span is followed", http.Header{"Traceparent": {parentHeader}}, 0, true},
		{"a new trace is sampled by the ratio", nil, 1, true},
		{"a new trace outside the ratio is not recorded", nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := tracetest.NewInMemoryExporter()
			e, err := otelspans.New(context.Background(), otelspans.Options{Exporter: mem, SampleRatio: tc.ratio})
			if err != nil {
				t.Fatal(err)
			}
			parent, next := tracecontext.Start(tc.header)
			flags, end := e.Start(context.Background(), next, parent, http.MethodGet)
			end(gateway.SpanEnd{Status: 200, API: "pub/api", Environment: "sandbox", App: "org/app"})
			if err := e.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := flags.IsSampled(); got != tc.recorded {
				t.Errorf("sampled flag %v, want %v", got, tc.recorded)
			}
			spans := mem.GetSpans()
			if !tc.recorded {
				if len(spans) != 0 {
					t.Errorf("got %d spans, want none", len(spans))
				}
				return
			}
			if len(spans) != 1 {
				t.Fatalf("got %d spans, want 1", len(spans))
			}
			s := spans[0]
			if s.SpanContext.TraceID() != next.TraceID() || s.SpanContext.SpanID() != next.SpanID() {
				t.Errorf("span %s/%s, want the propagated %s/%s", s.SpanContext.TraceID(), s.SpanContext.SpanID(), next.TraceID(), next.SpanID())
			}
			if parent.IsValid() && s.Parent.SpanID() != parent.SpanID() {
				t.Errorf("parent %s, want the client's %s", s.Parent.SpanID(), parent.SpanID())
			}
			for _, kv := range s.Attributes {
				switch kv.Key {
				case "http.request.method", "http.response.status_code", "frontdoor.api", "frontdoor.environment", "frontdoor.app":
				default:
					t.Errorf("unexpected attribute %s", kv.Key)
				}
			}
		})
	}
}

func TestSpansAreExportedOverOTLPHTTP(t *testing.T) {
	var mu sync.Mutex
	var got []*collectortrace.ExportTraceServiceRequest
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/traces" {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		req := &collectortrace.ExportTraceServiceRequest{}
		if err := proto.Unmarshal(b, req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, req)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ = proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Write(b)
	}))
	defer collector.Close()
	e, err := otelspans.New(context.Background(), otelspans.Options{Endpoint: collector.URL, SampleRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, next := tracecontext.Start(nil)
	_, end := e.Start(context.Background(), next, trace.SpanContext{}, http.MethodPost)
	end(gateway.SpanEnd{Status: 502, API: "pub/api"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || len(got[0].ResourceSpans) != 1 {
		t.Fatalf("the collector got %d requests, want 1 with one resource", len(got))
	}
	spans := got[0].ResourceSpans[0].ScopeSpans[0].Spans
	if len(spans) != 1 || trace.TraceID(spans[0].TraceId) != next.TraceID() || trace.SpanID(spans[0].SpanId) != next.SpanID() {
		t.Errorf("got spans %v, want one with the propagated IDs %s/%s", spans, next.TraceID(), next.SpanID())
	}
}

func TestNewRefusesABadEndpointOrRatio(t *testing.T) {
	for _, o := range []otelspans.Options{
		{Endpoint: "collector:4318", SampleRatio: 1},
		{Endpoint: "ftp://collector", SampleRatio: 1},
		{Endpoint: "http://collector:4318", SampleRatio: 2},
	} {
		if _, err := otelspans.New(context.Background(), o); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", o)
		}
	}
}
