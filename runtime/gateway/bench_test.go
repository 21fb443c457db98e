package gateway_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
)

// discard is a reusable ResponseWriter, so that the benchmark counts the
// gateway's allocations rather than a recorder's.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkServeHTTPAPIKey is the whole request path in process, on one
// goroutine: path normalisation, routing, API-key authentication,
// entitlement, both rate limits (never hit), header stripping and setting,
// the proxy (ReverseProxy over the Transport) to a loopback upstream,
// metrics and the access log. The response writer and request are reused,
// so allocs/op are the gateway's and net/http's client side.
func BenchmarkServeHTTPAPIKey(b *testing.B) {
	e := newEnv(b, envOptions{accessLog: b.TempDir(), quiet: true})
	// An origin-form target, as a client sends it: the Host header names
	// the environment.
	r := httptest.NewRequest(http.MethodGet, "/pub/keyed/v1/Patient/1?x=y", nil)
	r.Host = sandboxHost
	r.RemoteAddr = "192.0.2.1:1234"
	key := []string{portalKey}
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		r.Header["Apikey"] = key
		clear(w.h)
		e.gw.ServeHTTP(w, r)
	}
}

// BenchmarkEndToEndAPIKey is the same through real HTTP servers and a
// keep-alive client, in parallel.
func BenchmarkEndToEndAPIKey(b *testing.B) {
	e := newEnv(b, envOptions{accessLog: b.TempDir(), quiet: true})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.Cleanup(client.CloseIdleConnections)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/pub/keyed/v1/Patient/1", nil)
		req.Host = sandboxHost
		req.Header.Set("apikey", portalKey)
		for pb.Next() {
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

// BenchmarkPrepareLarge builds the gateway's plan of the L snapshot (10,000
// APIs, 30,000 routes, 100,000 grants): the work a swap adds before the
// snapshot serves.
func BenchmarkPrepareLarge(b *testing.B) {
	built, err := store.Build(snaptest.Large(1), "sha256:large")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p := gateway.New(gateway.Options{Store: new(store.Store), Log: slog.New(slog.DiscardHandler)})
		p.Prepare(built)
		p.Close()
	}
}
