package gateway_test

import (
	"crypto/tls"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/internal/tlstest"
	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/runtime/tlsterm"
)

// discard is a reusable ResponseWriter, so that the benchmark counts the
// gateway's allocations rather than a recorder's.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// reportCPU, deferred after a benchmark's set-up, reports the process's
// CPU time per operation (user and system, every goroutine: the client's,
// the gateway's, its server's and the upstream's), as cpu-ns/op.
func reportCPU(b *testing.B) func() {
	start := testutil.CPUTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(testutil.CPUTime()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

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
	defer reportCPU(b)()
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
	getInParallel(b, client, e.srv.URL+"/pub/keyed/v1/Patient/1", 1)
}

// getInParallel gets url with the portal app's API key from parallel
// goroutines, each one request at a time, until the benchmark is done,
// and reports allocations and CPU time per request. Each response must
// be a 200 over HTTP major version proto.
func getInParallel(b *testing.B, client *http.Client, url string, proto int) {
	b.ReportAllocs()
	defer reportCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
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
			if resp.StatusCode != http.StatusOK || resp.ProtoMajor != proto {
				b.Errorf("status %d over %s", resp.StatusCode, resp.Proto)
				return
			}
		}
	})
}

// BenchmarkPrepareLarge builds the gateway's plan of the L snapshot (10,000
// APIs, 30,000 routes, 100,000 grants): the work a swap adds before the
// snapshot serves.
func BenchmarkPrepareLarge(b *testing.B) {
	built, err := store.Apply(nil, store.Change{Digest: "sha256:large", Doc: snaptest.Large(1)})
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

// BenchmarkEndToEndTLS is BenchmarkEndToEndAPIKey over TLS 1.3, with the
// server settings the gateway serves with (runtime/tlsterm, an ECDSA P-256
// certificate), and a keep-alive client speaking HTTP/1.1 or HTTP/2. Each
// client goroutine makes its requests in turn; allocs/op count the
// client's, the gateway's and its server's.
func BenchmarkEndToEndTLS(b *testing.B) {
	for _, proto := range []string{"h1", "h2"} {
		b.Run(proto, func(b *testing.B) {
			e := newEnv(b, envOptions{accessLog: b.TempDir(), quiet: true})
			ca := tlstest.NewCA(b, "bench CA")
			certPEM, keyPEM := ca.Issue(b, sandboxHost)
			dir := b.TempDir()
			tlstest.WriteFile(b, filepath.Join(dir, "gw.crt"), certPEM)
			tlstest.WriteFile(b, filepath.Join(dir, "gw.key"), keyPEM)
			certs, err := tlsterm.Load(tlsterm.CertificatesOptions{
				Pairs: []tlsterm.Pair{{Host: sandboxHost, CertFile: filepath.Join(dir, "gw.crt"), KeyFile: filepath.Join(dir, "gw.key")}},
				Log:   slog.New(slog.DiscardHandler),
			})
			if err != nil {
				b.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := &http.Server{Handler: e.gw, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
			tlsterm.Configure(srv, certs)
			tlsterm.AskClientCertificates(srv.TLSConfig, e.gw.WantsClientCertificate)
			go srv.ServeTLS(ln, "", "")
			b.Cleanup(func() { srv.Close() })

			tr := &http.Transport{
				TLSClientConfig:     &tls.Config{RootCAs: ca.Pool(), ServerName: sandboxHost, MinVersion: tls.VersionTLS13},
				MaxIdleConnsPerHost: 64,
				ForceAttemptHTTP2:   proto == "h2",
			}
			if proto == "h1" {
				tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
			}
			client := &http.Client{Transport: tr}
			b.Cleanup(client.CloseIdleConnections)
			getInParallel(b, client, "https://"+ln.Addr().String()+"/pub/keyed/v1/Patient/1", map[string]int{"h1": 1, "h2": 2}[proto])
		})
	}
}
