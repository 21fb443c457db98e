package gateway_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/frontdoor-dev/frontdoor/internal/tlstest"
	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/metrictest"
	"github.com/frontdoor-dev/frontdoor/runtime/tlsterm"
)

// TestATLSListenerOverItsCapClosesWithoutPlaintext: under TLS, a refused
// connection gets no plaintext 503 (garbage to a TLS client), only a close.
func TestATLSListenerOverItsCapClosesWithoutPlaintext(t *testing.T) {
	ca := tlstest.NewCA(t, "test CA")
	cert := ca.TLSCertificate(t, "127.0.0.1")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }), ReadHeaderTimeout: 5 * time.Second}
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, CipherSuites: tlsterm.CipherSuites()}
	go srv.ServeTLS(gateway.LimitListener(ln, gateway.ConnLimits{Max: 1, Registerer: reg, Silent: true}), "", "")
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()
	conf := &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"}

	held, err := tls.Dial("tcp", addr, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	// A raw client sees the connection end with no byte.
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(raw)
	var ne net.Error
	if len(b) != 0 || errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("a refused connection read %q (err %v), want a close and no byte", b, err)
	}
	// A TLS client's handshake fails.
	if c, err := tls.Dial("tcp", addr, conf); err == nil {
		c.Close()
		t.Error("a TLS handshake over the cap succeeded")
	}
	if got, _ := metrictest.Value(t, reg, "frontdoor_gateway_connections_refused_total", "cap", "total"); got < 2 {
		t.Errorf("refused counter %v, want at least 2", got)
	}
}
