package gateway_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
)

// Tests of the lean HTTP/1.1 path's semantics, against ReverseProxy's.

func TestRequestBodiesReachTheUpstreamIntact(t *testing.T) {
	e := newEnv(t, envOptions{})
	big := strings.Repeat("0123456789", 50_000)
	for _, tc := range []struct {
		name string
		body io.Reader
	}{
		{"with a length", strings.NewReader(big)},
		{"chunked", io.MultiReader(strings.NewReader(big[:1000]), strings.NewReader(big[1000:]))},
		{"empty", http.NoBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(http.MethodPost, "/pub/keyed/v1/upload", tc.body, "apikey", portalKey)
			if r.code != http.StatusOK {
				t.Fatalf("got %d %s, want 200", r.code, r.body)
			}
			want := big
			if tc.name == "empty" {
				want = ""
			}
			if got := e.up.last(t).Body; got != want {
				t.Errorf("upstream body: got %d bytes, want %d", len(got), len(want))
			}
		})
	}
}

func TestLargeResponsesArriveIntact(t *testing.T) {
	body := bytes.Repeat([]byte("abcdefghij"), 200_000)
	e := newEnv(t, envOptions{upstream: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body)
	})})
	r := e.get("/pub/open/v1/big")
	if r.code != 200 || r.body != string(body) || r.header.Get("Content-Length") != fmt.Sprint(len(body)) {
		t.Errorf("got %d, %d bytes, Content-Length %q; want 200, %d bytes", r.code, len(r.body), r.header.Get("Content-Length"), len(body))
	}
}

func TestStreamedResponsesAreFlushedAsTheyArrive(t *testing.T) {
	release := make(chan struct{})
	e := newEnv(t, envOptions{upstream: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, "data: two\n\n")
	})})
	defer close(release)
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/pub/open/v1/events", nil)
	req.Host = sandboxHost
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// The first event arrives while the upstream still holds the second.
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "data: one\n" {
		t.Errorf("got %q, %v; want the first event before the stream ends", line, err)
	}
}

func TestTrailersAreForwarded(t *testing.T) {
	e := newEnv(t, envOptions{upstream: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		io.WriteString(w, "body")
		w.(http.Flusher).Flush()
		w.Header().Set("X-Checksum", "abc")
	})})
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/pub/open/v1/t", nil)
	req.Host = sandboxHost
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "body" || resp.Trailer.Get("X-Checksum") != "abc" {
		t.Errorf("got body %q, trailer %q; want %q, %q", b, resp.Trailer.Get("X-Checksum"), "body", "abc")
	}
}

func TestBodilessResponsesStayBodiless(t *testing.T) {
	e := newEnv(t, envOptions{upstream: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/open/204":
			w.WriteHeader(http.StatusNoContent)
		case "/open/304":
			w.WriteHeader(http.StatusNotModified)
		default:
			w.Header().Set("Content-Length", "5")
			io.WriteString(w, "hello")
		}
	})})
	for _, tc := range []struct {
		method, path string
		code         int
		length       string
	}{
		{http.MethodHead, "/pub/open/v1/x", 200, "5"},
		{http.MethodGet, "/pub/open/v1/204", 204, ""},
		{http.MethodGet, "/pub/open/v1/304", 304, ""},
		{http.MethodGet, "/pub/open/v1/x", 200, "5"},
	} {
		r := e.do(tc.method, tc.path, nil)
		if r.code != tc.code || r.header.Get("Content-Length") != tc.length {
			t.Errorf("%s %s: got %d, Content-Length %q; want %d, %q", tc.method, tc.path, r.code, r.header.Get("Content-Length"), tc.code, tc.length)
		}
	}
	// The connection to the upstream is still usable afterwards.
	if r := e.get("/pub/open/v1/x"); r.body != "hello" {
		t.Errorf("after bodiless responses: got %q, want %q", r.body, "hello")
	}
}

func TestHopByHopResponseHeadersAreDropped(t *testing.T) {
	e := newEnv(t, envOptions{upstream: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Connection", "X-Hop")
		h.Set("X-Hop", "secret")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("X-Frontdoor-Generation", "999")
		h.Set("X-Kept", "yes")
		io.WriteString(w, "ok")
	})})
	r := e.get("/pub/open/v1/x")
	for name, want := range map[string]string{"X-Hop": "", "Keep-Alive": "", "X-Kept": "yes"} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	if got := r.header.Values(gateway.GenerationHeader); len(got) != 1 || got[0] != "7" {
		t.Errorf("generation: got %q, want only the gateway's", got)
	}
}

func TestAClosedIdleUpstreamConnectionIsNotAFailure(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		if r := e.do(method, "/pub/open/v1/warm", strings.NewReader("x")); r.code != 200 {
			t.Fatalf("warm-up %s: got %d", method, r.code)
		}
		// The upstream closes its keep-alive connections while they are
		// idle in the gateway's pool.
		e.up.CloseClientConnections()
		if r := e.do(method, "/pub/open/v1/after", strings.NewReader("y")); r.code != 200 {
			t.Errorf("%s after the upstream closed idle connections: got %d %s, want 200", method, r.code, r.body)
		}
	}
}

func TestASlowUpstreamAnswers504(t *testing.T) {
	block := make(chan struct{})
	e := newEnv(t, envOptions{headerTimeout: 100 * time.Millisecond, upstream: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-block
	})})
	defer close(block)
	r := e.get("/pub/open/v1/slow")
	if r.code != http.StatusGatewayTimeout {
		t.Fatalf("got %d %s, want 504", r.code, r.body)
	}
	decodeProblem(t, r)
}

func TestAMalformedUpstreamResponseAnswers502(t *testing.T) {
	e := newEnv(t, envOptions{upstream: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		brw.WriteString("HTTP/1.1 200 OK\r\nBad Header Line\r\nX-Leak: internal\r\n\r\n")
		brw.Flush()
	})})
	r := e.get("/pub/open/v1/x")
	if r.code != http.StatusBadGateway || r.header.Get("X-Leak") != "" {
		t.Fatalf("got %d with X-Leak %q, want 502 without upstream headers", r.code, r.header.Get("X-Leak"))
	}
	if p := decodeProblem(t, r); strings.Contains(p.Detail, "header") {
		t.Errorf("the detail leaks the parser's error: %q", p.Detail)
	}
}

func TestUpgradesSwitchProtocolsThroughTheGateway(t *testing.T) {
	e := newEnv(t, envOptions{upstream: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "fdtest" {
			http.Error(w, "no upgrade", http.StatusBadRequest)
			return
		}
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: fdtest\r\n\r\n")
		brw.Flush()
		line, _ := brw.ReadString('\n')
		brw.WriteString("echo " + line)
		brw.Flush()
	})})
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /pub/keyed/v1/ws HTTP/1.1\r\nHost: %s\r\napikey: %s\r\nConnection: Upgrade\r\nUpgrade: fdtest\r\n\r\n", sandboxHost, portalKey)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("got %d, want 101", resp.StatusCode)
	}
	io.WriteString(conn, "ping\n")
	if line, err := br.ReadString('\n'); err != nil || line != "echo ping\n" {
		t.Errorf("got %q, %v; want %q", line, err, "echo ping\n")
	}
	if got := e.up.last(t).Header.Get("X-Frontdoor-App"); got != "acme/portal" {
		t.Errorf("identity on the upgraded request: got %q, want %q", got, "acme/portal")
	}
}

// TestAClientThatLeavesEndsTheUpstreamWait: a client that closes its
// connection while the upstream has not answered yet ends the gateway's
// wait at once (the upstream sees its request cancelled), on both proxy
// paths, and the request counts as a client error (499), not a timeout.
func TestAClientThatLeavesEndsTheUpstreamWait(t *testing.T) {
	paths(t, func(t *testing.T, o envOptions) {
		arrived, cancelled := make(chan struct{}), make(chan struct{})
		o.upstream = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(arrived)
			select {
			case <-r.Context().Done():
				close(cancelled)
			case <-time.After(20 * time.Second):
			}
		})
		o.headerTimeout = time.Minute
		e := newEnv(t, o)
		conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(conn, "GET /pub/keyed/v1/slow HTTP/1.1\r\nHost: "+sandboxHost+"\r\napikey: "+portalKey+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
			t.Fatal("the request never reached the upstream")
		}
		conn.Close()
		select {
		case <-cancelled:
		case <-time.After(5 * time.Second):
			t.Fatal("the gateway still waits for the upstream 5 s after its client left")
		}
		deadline := time.Now().Add(5 * time.Second)
		for e.metric("frontdoor_gateway_requests_total", "api", "pub/keyed", "class", "4xx") != 1 {
			if time.Now().After(deadline) {
				t.Fatalf("requests by class: 4xx %v, 5xx %v; want the request counted as 4xx (499)",
					e.metric("frontdoor_gateway_requests_total", "api", "pub/keyed", "class", "4xx"),
					e.metric("frontdoor_gateway_requests_total", "api", "pub/keyed", "class", "5xx"))
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
