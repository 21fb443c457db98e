package control_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/frontdoor-dev/frontdoor/runtime/admin"
	"github.com/frontdoor-dev/frontdoor/runtime/control"
	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/metrictest"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/ratelimit"
	"github.com/frontdoor-dev/frontdoor/runtime/source"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/runtime/verify"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// harness is a gateway: controller, admin and proxy servers.
type harness struct {
	t     testing.TB
	store *store.Store
	ctrl  *control.Controller
	reg   *prometheus.Registry
	admin *httptest.Server
	gw    *httptest.Server
	// transport is the gateway's, to upstreams.
	transport *http.Transport
}

type harnessOptions struct {
	trust         []ed25519.PublicKey
	stateDir      string
	allowRollback bool
	secret        string
	sync          func()
	prepare       func(*store.Snapshot)
}

func newHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	v, err := verify.New(verify.Options{Schema: snaptest.Schema(), Trust: o.trust})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, store: new(store.Store), reg: admin.NewRegistry(), transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	t.Cleanup(h.transport.CloseIdleConnections)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h.ctrl, err = control.New(control.Options{
		Store: h.store, Verifier: v, StateDir: o.stateDir, AllowRollback: o.allowRollback,
		Metrics: control.NewMetrics(h.reg), Prepare: o.prepare, Log: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.admin = httptest.NewServer(admin.New(admin.Options{
		Controller: h.ctrl, Gatherer: h.reg, Sync: o.sync, WebhookSecret: []byte(o.secret), Log: log,
	}))
	t.Cleanup(h.admin.Close)
	gw := gateway.New(gateway.Options{Store: h.store, DefaultEnvironment: snapshot.EnvSandbox, Transport: h.transport, Limiter: unlimited{}, Log: log})
	// Every request calls as snaptest's app 0, which is granted api0 and
	// api1 in production with its API key.
	h.gw = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Host = snaptest.ProductionHost
		r.Header.Set("apikey", snaptest.APIKey(0))
		gw.ServeHTTP(w, r)
	}))
	t.Cleanup(h.gw.Close)
	return h
}

// unlimited is a rate limiter that admits everything: the harness
// hammers one app's route.
type unlimited struct{}

func (unlimited) Allow(context.Context, string, snapshot.RateLimit) (ratelimit.Decision, error) {
	return ratelimit.Decision{Allowed: true, Remaining: -1}, nil
}

// run runs src under the controller until the test ends.
func (h *harness) run(src source.Source) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.ctrl.Run(ctx, src) }()
	h.t.Cleanup(func() { cancel(); <-done })
}

func (h *harness) status() control.Status {
	h.t.Helper()
	resp, err := http.Get(h.admin.URL + "/status")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var s control.Status
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		h.t.Fatal(err)
	}
	return s
}

// metric returns the value of a counter or gauge with the given labels.
func (h *harness) metric(name string, labels ...string) float64 {
	h.t.Helper()
	v, _ := metrictest.Value(h.t, h.reg, name, labels...)
	return v
}

// get requests path from the gateway and returns the generation header and
// the body.
func (h *harness) get(path string) (status int, gen, body string) {
	h.t.Helper()
	resp, err := http.Get(h.gw.URL + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get(gateway.GenerationHeader), string(b)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not a wait for an event
	}
}

// upstream is an HTTP server answering "<name> <path>".
func upstream(t testing.TB, name string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, name+" "+r.URL.Path)
	}))
	t.Cleanup(s.Close)
	return s
}

func isFrom(body, name string) bool { return strings.HasPrefix(body, name+" ") }
