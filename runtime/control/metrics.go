package control

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/frontdoor-dev/frontdoor/runtime/verify"
)

// Metrics are the controller's Prometheus metrics.
type Metrics struct {
	swaps            prometheus.Counter
	refusals         *prometheus.CounterVec
	swapDuration     prometheus.Histogram
	activeGeneration prometheus.Gauge
	sourceErrors     *prometheus.CounterVec
}

// NewMetrics creates the controller's metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		swaps: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "frontdoor_snapshot_swaps_total",
			Help: "Snapshots activated (including the last-known-good one at start).",
		}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "frontdoor_snapshot_refusals_total",
			Help: "Candidate snapshots refused, by reason.",
		}, []string{"reason"}),
		swapDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "frontdoor_snapshot_swap_duration_seconds",
			Help:    "Time to verify, load and activate a snapshot.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		activeGeneration: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "frontdoor_snapshot_active_generation",
			Help: "Generation of the active snapshot.",
		}),
		sourceErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "frontdoor_source_errors_total",
			Help: "Source failures (fetch, read, internal compile errors), by source.",
		}, []string{"source"}),
	}
	for _, r := range verify.Reasons {
		m.refusals.WithLabelValues(string(r))
	}
	reg.MustRegister(m.swaps, m.refusals, m.swapDuration, m.activeGeneration, m.sourceErrors)
	return m
}
