package gateway_test

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
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

// capped serves "ok" on a LimitListener with the caps; reg receives its
// metrics.
func capped(t *testing.T, max, perClient int, reg prometheus.Registerer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(gateway.LimitListener(ln, gateway.ConnLimits{Max: max, PerClient: perClient, Registerer: reg}))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// dialFrom opens a connection to addr from local IP from ("" for any).
func dialFrom(t *testing.T, from, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	d := net.Dialer{}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c, bufio.NewReader(c)
}

// ask sends a GET on c and returns the status, or 0 with the error.
func ask(c net.Conn, br *bufio.Reader) (int, string, error) {
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return 0, "", err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// refused asserts that c was answered 503 with a problem and closed.
func refused(t *testing.T, c net.Conn, br *bufio.Reader) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the refusal: %v", err)
	}
	var p struct{ Type string }
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || resp.StatusCode != http.StatusServiceUnavailable ||
		resp.Header.Get("Content-Type") != gateway.ProblemContentType || p.Type != gateway.ProblemTypeBase+"too-many-connections" {
		t.Errorf("got %d %q %+v (%v), want a 503 too-many-connections problem", resp.StatusCode, resp.Header.Get("Content-Type"), p, err)
	}
	if _, err := br.ReadByte(); err == nil {
		t.Error("the refused connection stayed open")
	}
}

func TestTheConnectionOverTheCapIsAnswered503AndClosed(t *testing.T) {
	reg := prometheus.NewRegistry()
	addr := capped(t, 2, 0, reg)
	var held []net.Conn
	for range 2 {
		c, br := dialFrom(t, "", addr)
		if code, _, err := ask(c, br); code != 200 {
			t.Fatalf("a connection under the cap: got %d (%v)", code, err)
		}
		held = append(held, c)
	}
	c, br := dialFrom(t, "", addr)
	refused(t, c, br)
	if v, _ := metrictest.Value(t, reg, "frontdoor_gateway_connections_refused_total", "cap", "total"); v != 1 {
		t.Errorf("refused connections counted: got %v, want 1", v)
	}
	if v, _ := metrictest.Value(t, reg, "frontdoor_gateway_connections"); v != 2 {
		t.Errorf("open connections: got %v, want 2", v)
	}

	// Closing one frees its place.
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, br := dialFrom(t, "", addr)
		code, _, _ := ask(c, br)
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed connection's place was not freed: got %d", code)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTheConnectionOverThePerClientCapIsAnswered503AndClosed(t *testing.T) {
	reg := prometheus.NewRegistry()
	addr := capped(t, 0, 2, reg)
	for range 2 {
		c, br := dialFrom(t, "127.0.0.1", addr)
		if code, _, err := ask(c, br); code != 200 {
			t.Fatalf("a connection under the cap: got %d (%v)", code, err)
		}
	}
	c, br := dialFrom(t, "127.0.0.1", addr)
	refused(t, c, br)
	if v, _ := metrictest.Value(t, reg, "frontdoor_gateway_connections_refused_total", "cap", "client"); v != 1 {
		t.Errorf("refused connections counted: got %v, want 1", v)
	}
	// Another client address still gets in.
	c, br = dialFrom(t, "127.0.0.2", addr)
	if code, body, err := ask(c, br); code != 200 || body != "ok" {
		t.Errorf("another client: got %d %q (%v), want 200", code, body, err)
	}
}

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
