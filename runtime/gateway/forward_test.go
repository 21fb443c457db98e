package gateway_test

// The exchange with the upstream as the gateway forwards it: what of the
// upstream's response reaches the client, and what of the client's request
// reaches the upstream.

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// behind returns a gateway whose shared upstream (sharedUpstream) is a
// rogue upstream answering with answer.
func behind(t *testing.T, o envOptions, answer func(w *rogueConn, req *http.Request)) (*env, *rogue) {
	t.Helper()
	up := newRogue(t, answer)
	o.edit = sharedUpstream(up.url)
	return newEnv(t, o), up
}

// says is a rogue answer writing s, then hanging up when hangUp is set.
func says(s string, hangUp bool) func(w *rogueConn, req *http.Request) {
	return func(w *rogueConn, _ *http.Request) {
		io.WriteString(w, s)
		if hangUp {
			w.Close()
		}
	}
}

// getRaw sends GET target on a new connection to e and reads the response
// head, within deadline.
func getRaw(t *testing.T, e *env, target string, deadline time.Duration) (net.Conn, *http.Response, error) {
	t.Helper()
	conn, br := dialGateway(t, e)
	io.WriteString(conn, "GET "+target+" HTTP/1.1\r\nHost: "+sandboxHost+"\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(deadline))
	resp, err := http.ReadResponse(br, nil)
	return conn, resp, err
}

// TestAResponseThatBreaksOffNeverLooksCompleteToTheClient: when the
// upstream's body ends early, the client's response ends early too (the
// connection is dropped), never as a complete response.
func TestAResponseThatBreaksOffNeverLooksCompleteToTheClient(t *testing.T) {
	for _, tc := range []struct{ name, answer string }{
		{"a chunked body cut before its last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"},
		{"a body shorter than its Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello"},
		{"a malformed chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			paths(t, func(t *testing.T, o envOptions) {
				e, _ := behind(t, o, says(tc.answer, true))
				// The head may be lost with the connection: the body was
				// short enough to stay in the server's buffer.
				_, resp, err := getRaw(t, e, "/pub/shared/v1/x", 5*time.Second)
				if err != nil {
					return
				}
				body, err := io.ReadAll(resp.Body)
				if err == nil {
					t.Errorf("the client read a complete response %d %q", resp.StatusCode, body)
				}
			})
		})
	}
}

// TestAnExchangeThatBreaksOffIsInTheAccessLog: the exchange is recorded
// before the connection is dropped.
func TestAnExchangeThatBreaksOffIsInTheAccessLog(t *testing.T) {
	dir := t.TempDir()
	e, _ := behind(t, envOptions{accessLog: dir}, says("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello", true))
	if _, resp, err := getRaw(t, e, "/pub/shared/v1/broken", 5*time.Second); err == nil {
		io.ReadAll(resp.Body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.alog.Flush()
		log := readAccessLog(t, dir)
		if strings.Contains(log, `"path":"/pub/shared/v1/broken"`) {
			if !strings.Contains(log, `"status":200`) {
				t.Errorf("got %s, want status 200", log)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access log line for the broken exchange: %q", log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAStreamedResponseReachesTheClientAsItComes: an event stream and a
// body of unknown length are flushed as the upstream sends them; the rest
// of the body is sent only once the client got the first part.
func TestAStreamedResponseReachesTheClientAsItComes(t *testing.T) {
	for _, tc := range []struct{ name, head, first, rest string }{
		{"an event stream with a length", "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 18\r\n\r\n", "data: 1\n\n", "data: 2\n\n"},
		{"an event stream named in capitals with parameters", "HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream; charset=utf-8\r\nContent-Length: 18\r\n\r\n", "data: 1\n\n", "data: 2\n\n"},
		{"a chunked body", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", "2\r\n[1\r\n", "3\r\n,2]\r\n0\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			paths(t, func(t *testing.T, o envOptions) {
				release := make(chan struct{})
				e, _ := behind(t, o, func(w *rogueConn, req *http.Request) {
					io.WriteString(w, tc.head+tc.first)
					select {
					case <-release:
					case <-time.After(5 * time.Second):
					}
					io.WriteString(w, tc.rest)
				})
				conn, resp, err := getRaw(t, e, "/pub/shared/v1/x", 3*time.Second)
				if err != nil {
					t.Fatalf("no response head before the upstream's body ended: %v", err)
				}
				defer resp.Body.Close()
				first := make([]byte, 2)
				if _, err := io.ReadFull(resp.Body, first); err != nil {
					t.Fatalf("the first part of the body did not come before the rest was sent: %v", err)
				}
				close(release)
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				rest, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				if got := string(first) + string(rest); got != bodyOf(tc.first+tc.rest) {
					t.Errorf("got body %q, want %q", got, bodyOf(tc.first+tc.rest))
				}
			})
		})
	}
}

// bodyOf returns the body bytes of parts of a response: chunked parts are
// decoded.
func bodyOf(parts string) string {
	if !strings.Contains(parts, "\r\n") {
		return parts
	}
	b, _ := io.ReadAll(httpChunked(parts))
	return string(b)
}

// httpChunked reads a chunked body with net/http's own decoder.
func httpChunked(s string) io.Reader {
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"+s)), nil)
	if err != nil {
		return strings.NewReader("")
	}
	return resp.Body
}

// TestTheUpstreamsTrailersReachTheClient: trailers follow the body,
// whether the upstream announced them or not.
func TestTheUpstreamsTrailersReachTheClient(t *testing.T) {
	for _, tc := range []struct{ name, head string }{
		{"announced", "HTTP/1.1 200 OK\r\nTrailer: X-Checksum\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{"not announced", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			paths(t, func(t *testing.T, o envOptions) {
				e, _ := behind(t, o, says(tc.head+"2\r\nok\r\n0\r\nX-Checksum: abc\r\n\r\n", false))
				_, resp, err := getRaw(t, e, "/pub/shared/v1/x", 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				if err != nil || string(body) != "ok" {
					t.Fatalf("got body %q, %v; want \"ok\"", body, err)
				}
				if got := resp.Trailer.Get("X-Checksum"); got != "abc" {
					t.Errorf("got trailer X-Checksum %q, want \"abc\" (trailers %v)", got, resp.Trailer)
				}
			})
		})
	}
}

// TestAnUpstreamThatSwitchesProtocolsUnaskedIsRefused: a 101 to a request
// that asked for no upgrade is a failed exchange (502), never a tunnel.
func TestAnUpstreamThatSwitchesProtocolsUnaskedIsRefused(t *testing.T) {
	for _, tc := range []struct{ name, answer string }{
		{"to websocket", "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"},
		{"naming no protocol", "HTTP/1.1 101 Switching Protocols\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			paths(t, func(t *testing.T, o envOptions) {
				e, _ := behind(t, o, says(tc.answer+"tunnelled bytes", false))
				r := e.get("/pub/shared/v1/x")
				if r.code != http.StatusBadGateway || strings.Contains(r.body, "tunnelled") {
					t.Errorf("got %d %q, want 502", r.code, r.body)
				}
			})
		})
	}
}

// TestTheUpstreamsHopByHopHeadersNeverReachTheClient: hop-by-hop headers,
// those the upstream's Connection names, and the gateway's own headers
// sent by the upstream stay behind; the rest reach the client.
func TestTheUpstreamsHopByHopHeadersNeverReachTheClient(t *testing.T) {
	paths(t, func(t *testing.T, o envOptions) {
		e, _ := behind(t, o, says("HTTP/1.1 200 OK\r\nConnection: X-Internal, Keep-Alive\r\nX-Internal: secret\r\n"+
			"Keep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\nUpgrade: h2c\r\nX-Request-Id: upstream-id\r\n"+
			"X-Frontdoor-Generation: 99\r\nX-Kept: yes\r\nContent-Length: 2\r\n\r\nok", false))
		r := e.get("/pub/shared/v1/x", "X-Request-Id", "client-id")
		if r.code != http.StatusOK || r.body != "ok" {
			t.Fatalf("got %d %q", r.code, r.body)
		}
		for _, h := range []string{"X-Internal", "Keep-Alive", "Proxy-Authenticate", "Upgrade"} {
			if v, ok := r.header[h]; ok {
				t.Errorf("the client got %s: %q", h, v)
			}
		}
		for h, want := range map[string]string{"X-Kept": "yes", "X-Request-Id": "client-id", "X-Frontdoor-Generation": "7"} {
			if got := r.header[h]; len(got) != 1 || got[0] != want {
				t.Errorf("got %s %q, want %q", h, got, want)
			}
		}
	})
}

// TestTheUpstreamSeesTheClientsUserAgentOrNone: the gateway adds no user
// agent of its own.
func TestTheUpstreamSeesTheClientsUserAgentOrNone(t *testing.T) {
	for _, tc := range []struct{ name, header, want string }{
		{"none", "X-Other: 1", ""},
		{"the client's", "User-Agent: app/1.0", "app/1.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			paths(t, func(t *testing.T, o envOptions) {
				e, up := behind(t, o, says(okResponse("ok"), false))
				if r := e.raw("/pub/shared/v1/x", tc.header); r.code != http.StatusOK {
					t.Fatalf("got %d %q", r.code, r.body)
				}
				seen := up.requests()
				if len(seen) != 1 {
					t.Fatalf("the upstream saw %d requests", len(seen))
				}
				if got, ok := seen[0].header["User-Agent"]; tc.want == "" && ok || tc.want != "" && (len(got) != 1 || got[0] != tc.want) {
					t.Errorf("the upstream saw User-Agent %q, want %q", got, tc.want)
				}
			})
		})
	}
}

// TestAQueryThatDoesNotParseReachesTheUpstreamReencoded: a query that does
// not parse reaches the upstream re-encoded from what parses; one that
// parses goes as it came.
func TestAQueryThatDoesNotParseReachesTheUpstreamReencoded(t *testing.T) {
	many := strings.Repeat("a=1&", 10000) + "b=2"
	for _, tc := range []struct{ name, query, want string }{
		{"a parameter that does not unescape", "z=%zz&b=1", "/pub?b=1"},
		{"a percent at the end", "b=1&c=%", "/pub?b=1"},
		{"a query that parses", "b=%41&a=1", "/pub?b=%41&a=1"},
		{"more parameters than a parser reads", many, "/pub"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			paths(t, func(t *testing.T, o envOptions) {
				e, up := behind(t, o, says(okResponse("ok"), false))
				if r := e.raw("/pub/shared/v1?" + tc.query); r.code != http.StatusOK {
					t.Fatalf("got %d %q", r.code, r.body)
				}
				seen := up.requests()
				if len(seen) != 1 || seen[0].uri != tc.want {
					t.Errorf("the upstream saw %v, want URI %s", seen, tc.want)
				}
			})
		})
	}
}
