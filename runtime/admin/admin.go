// Package admin serves the gateway's admin endpoints, on their own listener:
// health, readiness, status, Prometheus metrics and the git webhook.
package admin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/frontdoor-dev/frontdoor/runtime/control"
	"github.com/frontdoor-dev/frontdoor/usage"
)

// SignatureHeader carries the webhook body's HMAC, as GitHub sends it.
const SignatureHeader = "X-Hub-Signature-256"

// maxWebhookBody bounds the webhook body read for its HMAC.
const maxWebhookBody = 1 << 20

// Controller is what the admin endpoints report on.
type Controller interface {
	Ready() bool
	Status() control.Status
}

var _ Controller = (*control.Controller)(nil)

// Options configure the handler.
type Options struct {
	Controller Controller
	// Gatherer serves /metrics; nil disables it.
	Gatherer prometheus.Gatherer
	// Sync, when set, is called by an authenticated POST /-/sync.
	Sync func()
	// WebhookSecret is the HMAC-SHA256 key of POST /-/sync. The endpoint
	// refuses every request when it is empty.
	WebhookSecret []byte
	// TLS, when set, reports the gateway's TLS state (its certificates,
	// the upstreams whose handshakes fail) under "tls" in /status.
	TLS func() any
	// Diagnosis, when set, reports the capture windows under "diagnosis"
	// in /status.
	Diagnosis func() any
	// AggregateDir, when set, is the access log directory whose daily
	// anonymised aggregates GET /aggregates lists and
	// GET /aggregates/{date} serves, for frontdoor usage.
	AggregateDir string
	// Log defaults to slog.Default().
	Log *slog.Logger
}

// NewRegistry returns a private registry with the Go runtime and process
// collectors registered.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// New returns the admin handler.
func New(opts Options) http.Handler {
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	h := &handler{opts: opts, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", h.readyz)
	mux.HandleFunc("GET /status", h.statusz)
	if opts.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("POST /-/sync", h.sync)
	if opts.AggregateDir != "" {
		mux.HandleFunc("GET /aggregates", h.aggregates)
		mux.HandleFunc("GET /aggregates/{date}", h.aggregate)
	}
	return mux
}

type handler struct {
	opts Options
	log  *slog.Logger
}

func (h *handler) readyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !h.opts.Controller.Ready() {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "no verified snapshot is active\n")
		return
	}
	io.WriteString(w, "ready\n")
}

func (h *handler) statusz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	st := h.opts.Controller.Status()
	var tls, diag any
	if h.opts.TLS != nil {
		tls = h.opts.TLS()
	}
	if h.opts.Diagnosis != nil {
		diag = h.opts.Diagnosis()
	}
	status := struct {
		control.Status
		TLS       any `json:"tls,omitempty"`
		Diagnosis any `json:"diagnosis,omitempty"`
	}{st, tls, diag}
	if err := enc.Encode(status); err != nil {
		h.log.Warn("writing status", "err", err)
	}
}

// sync authenticates a webhook call by the HMAC-SHA256 of its body, in
// GitHub's format ("sha256=<hex>"), and triggers a fetch.
func (h *handler) sync(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if !validSignature(h.opts.WebhookSecret, body, r.Header.Get(SignatureHeader)) {
		h.log.Warn("webhook refused: bad or missing signature", "remote", r.RemoteAddr)
		http.Error(w, "bad or missing "+SignatureHeader, http.StatusUnauthorized)
		return
	}
	if h.opts.Sync == nil {
		http.Error(w, "the source cannot be triggered", http.StatusNotFound)
		return
	}
	h.opts.Sync()
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, "sync triggered\n")
}

// validSignature reports whether header is "sha256=<hex>" of the
// HMAC-SHA256 of body under secret, compared in constant time.
func validSignature(secret, body []byte, header string) bool {
	if len(secret) == 0 {
		return false
	}
	hexSum, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// Sign returns the X-Hub-Signature-256 value of body under secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// aggregates lists the dates (YYYY-MM-DD) of the daily aggregates on disk.
func (h *handler) aggregates(w http.ResponseWriter, _ *http.Request) {
	entries, err := os.ReadDir(h.opts.AggregateDir)
	if err != nil {
		h.log.Warn("listing aggregates", "err", err)
		http.Error(w, "aggregates unavailable", http.StatusInternalServerError)
		return
	}
	dates := []string{}
	for _, e := range entries {
		if d, ok := usage.AggregateDate(e.Name()); ok {
			dates = append(dates, d)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(dates)
}

// aggregate serves one day's aggregate file.
func (h *handler) aggregate(w http.ResponseWriter, r *http.Request) {
	date := r.PathValue("date")
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		http.Error(w, "date must be YYYY-MM-DD", http.StatusBadRequest)
		return
	}
	b, err := os.ReadFile(filepath.Join(h.opts.AggregateDir, "aggregate-"+date+".json"))
	if err != nil {
		http.Error(w, "no aggregate for "+date, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}
