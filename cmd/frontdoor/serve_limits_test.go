package main

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// limitsForTest are server limits short enough for tests.
var limitsForTest = serverLimits{
	readHeaderTimeout: 300 * time.Millisecond,
	readTimeout:       600 * time.Millisecond,
	writeTimeout:      2 * time.Second,
	idleTimeout:       300 * time.Millisecond,
	maxHeaderBytes:    1 << 10,
}

// limitedServer serves a handler that reads the whole body and answers
// "ok", with limitsForTest; bodyErr receives each body read's error.
func limitedServer(t *testing.T) (addr string, bodyErr <-chan error) {
	t.Helper()
	errs := make(chan error, 16)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		errs <- err
		io.WriteString(w, "ok")
	})
	srv := limitsForTest.newServer(h, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), errs
}

// closedWithin reports whether the server closes c within d while trickle
// (if set) writes to it.
func closedWithin(t *testing.T, c net.Conn, br *bufio.Reader, d time.Duration, trickle func() error) bool {
	t.Helper()
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, br)
		close(closed)
	}()
	deadline := time.After(d)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-closed:
			return true
		case <-deadline:
			return false
		case <-tick.C:
			if trickle != nil {
				trickle()
			}
		}
	}
}

func dialServer(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

func TestAnIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout(t *testing.T) {
	addr, _ := limitedServer(t)
	c, br := dialServer(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 || resp.Close {
		t.Fatalf("got %v %v, want a kept-alive 200", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	if !closedWithin(t, c, br, 5*time.Second, nil) {
		t.Error("the idle connection stayed open")
	}
}

func TestASlowLorisHeaderIsCutOff(t *testing.T) {
	addr, _ := limitedServer(t)
	c, br := dialServer(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	trickle := func() error { _, err := io.WriteString(c, "X-A: b\r\n"); return err }
	if !closedWithin(t, c, br, 5*time.Second, trickle) {
		t.Error("a header sent a line every 100 ms kept the connection open")
	}
}

func TestASlowBodyIsCutOff(t *testing.T) {
	addr, bodyErr := limitedServer(t)
	c, br := dialServer(t, addr)
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
	trickle := func() error { _, err := io.WriteString(c, "a"); return err }
	if !closedWithin(t, c, br, 5*time.Second, trickle) {
		t.Error("a body sent a byte every 100 ms kept the connection open")
	}
	select {
	case err := <-bodyErr:
		if err == nil {
			t.Error("the handler read the slow body to its end")
		}
	case <-time.After(5 * time.Second):
		t.Error("the handler's body read never ended")
	}
}

func TestAHeaderSectionOverTheLimitIsRefused(t *testing.T) {
	addr, _ := limitedServer(t)
	c, br := dialServer(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 8<<10)+"\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("got %v %v, want 431", resp, err)
	}
}

func TestServeDefaultsBoundWhatAClientCanHold(t *testing.T) {
	var cfg gatewayConfig
	addDataPlaneFlags(&cobra.Command{}, &cfg)
	s := cfg.server
	for name, v := range map[string]int64{
		"read-header-timeout": int64(s.readHeaderTimeout), "read-timeout": int64(s.readTimeout),
		"write-timeout": int64(s.writeTimeout), "idle-timeout": int64(s.idleTimeout),
		"max-header-bytes": int64(s.maxHeaderBytes), "max-conns": int64(s.maxConns),
		"max-conns-per-client": int64(s.maxConnsPerClient), "upstream-max-conns": int64(cfg.upstreamMaxConns),
	} {
		if v <= 0 {
			t.Errorf("--%s: got %d by default, want a bound", name, v)
		}
	}
	if s.maxConnsPerClient > s.maxConns {
		t.Errorf("--max-conns-per-client %d exceeds --max-conns %d", s.maxConnsPerClient, s.maxConns)
	}
}
