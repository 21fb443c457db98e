package gateway_test

// The gateway's regression suite against misbehaving upstreams and hostile
// clients: raw sockets on both sides where net/http would hide the attack.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// rogue is an HTTP/1.1 upstream on a raw socket: it reads each request
// with net/http's parser and writes what answer returns, byte for byte,
// so that a test can send what no well-behaved server would.
type rogue struct {
	ln     net.Listener
	url    string
	answer func(w *rogueConn, req *http.Request)

	mu     sync.Mutex
	seen   []rogueSeen
	closed map[int]chan struct{}
	nconn  int
	open   int
	peak   int
}

// rogueSeen is a request the rogue upstream read.
type rogueSeen struct {
	conn   int
	method string
	uri    string
	header http.Header
}

// rogueConn is one upstream connection, for answer to write to.
type rogueConn struct {
	net.Conn
	id int
	br *bufio.Reader
}

func newRogue(t testing.TB, answer func(w *rogueConn, req *http.Request)) *rogue {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &rogue{ln: ln, url: "http://" + ln.Addr().String(), answer: answer, closed: map[int]chan struct{}{}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.mu.Lock()
			u.nconn++
			id := u.nconn
			u.open++
			u.peak = max(u.peak, u.open)
			done := make(chan struct{})
			u.closed[id] = done
			u.mu.Unlock()
			go u.serve(&rogueConn{Conn: c, id: id, br: bufio.NewReader(c)}, done)
		}
	}()
	return u
}

func (u *rogue) serve(c *rogueConn, done chan struct{}) {
	defer func() {
		c.Close()
		u.mu.Lock()
		u.open--
		u.mu.Unlock()
		close(done)
	}()
	for {
		req, err := http.ReadRequest(c.br)
		if err != nil {
			return
		}
		u.mu.Lock()
		u.seen = append(u.seen, rogueSeen{c.id, req.Method, req.RequestURI, req.Header.Clone()})
		u.mu.Unlock()
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
		u.answer(c, req)
	}
}

// requests returns what the upstream read so far.
func (u *rogue) requests() []rogueSeen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.seen)
}

// waitClosed waits until the gateway closed upstream connection id.
func (u *rogue) waitClosed(t testing.TB, id int) {
	t.Helper()
	u.mu.Lock()
	done := u.closed[id]
	u.mu.Unlock()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("the gateway kept upstream connection %d open after it sent bytes out of turn", id)
	}
}

// own is the body of the answer to the request for uri: each client must
// get exactly its own.
func own(uri string) string { return "for " + uri }

// okResponse is a complete 200 response with body.
func okResponse(body string) string {
	return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

// stolen is a complete response planted after uri's answer: any client
// that receives it got bytes meant for another exchange.
func stolen(uri string) string { return okResponse("STOLEN after " + uri) }

// sharedUpstream adds publisher pub2 and an open API on it and on pub,
// both routed to upstream: two publishers behind one upstream address.
func sharedUpstream(upstream string) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) {
		s.Publishers = append(s.Publishers, snapshot.Publisher{ID: "pub2", Name: "Pub 2", Category: "nhs-body", LegalBasis: "law", DataController: true})
		a := api("shared", snapshot.ModeOpen)
		b := api("shared", snapshot.ModeOpen)
		b.ID, b.Publisher, b.BasePath = "pub2/shared", "pub2", "/pub2/shared/v1"
		s.APIs = append(s.APIs, a, b)
		for _, x := range []snapshot.API{a, b} {
			s.Routes = append(s.Routes, snapshot.Route{Environment: snapshot.EnvSandbox, BasePath: x.BasePath, API: x.ID,
				Upstream: upstream + "/" + x.Publisher, AccessModes: x.AccessModes})
		}
	}
}

// misbehaviours are the ways an upstream sends bytes out of turn, each
// after a correct answer to uri (or none, for HEAD).
var misbehaviours = []struct {
	name   string
	method string
	answer func(w io.Writer, uri string)
}{
	{"a body after a HEAD", http.MethodHead, func(w io.Writer, uri string) {
		io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"+stolen(uri))
	}},
	{"a body after a 204", http.MethodGet, func(w io.Writer, uri string) {
		io.WriteString(w, "HTTP/1.1 204 No Content\r\n\r\n"+stolen(uri))
	}},
	{"a body after a 304", http.MethodGet, func(w io.Writer, uri string) {
		io.WriteString(w, "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"+stolen(uri))
	}},
	{"a response after a complete one", http.MethodGet, func(w io.Writer, uri string) {
		io.WriteString(w, okResponse(own(uri))+stolen(uri))
	}},
	{"bytes after a chunked response", http.MethodGet, func(w io.Writer, uri string) {
		b := own(uri)
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n%s", len(b), b, stolen(uri))
	}},
	{"a response with a Content-Length shorter than its body", http.MethodGet, func(w io.Writer, uri string) {
		b := own(uri)
		io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(b))+"\r\n\r\n"+b+"trailing junk "+stolen(uri))
	}},
}

// misbehave answers requests under /pub/ (the rogue publisher's) with the
// misbehaviour named in the path's first segment after it, and every other
// request correctly.
func misbehave(w *rogueConn, req *http.Request) {
	uri := req.RequestURI
	if rest, ok := strings.CutPrefix(uri, "/pub/"); ok {
		name, _, _ := strings.Cut(rest, "/")
		for _, m := range misbehaviours {
			if strings.ReplaceAll(m.name, " ", "-") == name {
				m.answer(w, uri)
				return
			}
		}
		if name == "late-head" {
			// A HEAD's answer, and its "body" a moment later, when the
			// connection may already carry the next request.
			body := stolen(uri)
			io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n")
			time.Sleep(5 * time.Millisecond) // a slow upstream, not a wait for an event
			io.WriteString(w, body)
			return
		}
		if name == "late" {
			// The stolen response follows a moment later, once the
			// connection may serve another exchange.
			io.WriteString(w, okResponse(own(uri)))
			time.AfterFunc(20*time.Millisecond, func() { io.WriteString(w, stolen(uri)) })
			return
		}
	}
	io.WriteString(w, okResponse(own(uri)))
}

// TestBytesAnUpstreamSendsOutOfTurnNeverReachAnotherPublishersClients runs
// clients of a rogue publisher and of an honest one, concurrently, against
// one upstream address; the rogue publisher's upstream sends bytes out of
// turn in every way it can. Every honest client gets exactly its own
// answer, and no upstream connection ever carries both publishers'
// requests.
func TestBytesAnUpstreamSendsOutOfTurnNeverReachAnotherPublishersClients(t *testing.T) {
	up := newRogue(t, misbehave)
	e := newEnv(t, envOptions{edit: sharedUpstream(up.url)})
	names := []string{"late"}
	methods := map[string]string{"late": http.MethodGet}
	for _, m := range misbehaviours {
		n := strings.ReplaceAll(m.name, " ", "-")
		names = append(names, n)
		methods[n] = m.method
	}
	const rounds = 40
	var wg sync.WaitGroup
	errs := make(chan string, 1000)
	for w := range 4 {
		wg.Add(2)
		go func() { // the rogue publisher's clients
			defer wg.Done()
			for i := range rounds {
				n := names[(w+i)%len(names)]
				req, _ := http.NewRequest(methods[n], fmt.Sprintf("%s/pub/shared/v1/%s/%d/%d", e.srv.URL, n, w, i), nil)
				req.Host = sandboxHost
				if resp, err := e.srv.Client().Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
		go func() { // the honest publisher's clients
			defer wg.Done()
			for i := range rounds {
				path := fmt.Sprintf("/pub2/shared/v1/honest/%d/%d", w, i)
				r, err := e.send(http.MethodGet, path, nil)
				if err != nil {
					errs <- fmt.Sprintf("%s: %v", path, err)
					continue
				}
				if want := own("/pub2/honest/" + fmt.Sprintf("%d/%d", w, i)); r.code != 200 || r.body != want {
					errs <- fmt.Sprintf("%s: got %d %q, want 200 %q", path, r.code, r.body, want)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	byConn := map[int]string{}
	for _, s := range up.requests() {
		pub, _, _ := strings.Cut(strings.TrimPrefix(s.uri, "/"), "/")
		if prev, ok := byConn[s.conn]; ok && prev != pub {
			t.Fatalf("upstream connection %d carried requests of %s and of %s", s.conn, prev, pub)
		}
		byConn[s.conn] = pub
	}
}

// TestAnUpstreamConnectionThatSentBytesOutOfTurnIsNeverReused sends one
// request of each misbehaviour: the gateway answers the client with the
// response it asked for (or a 502), closes the upstream connection that
// sent the extra bytes, and the next request, on a new connection, gets
// its own answer.
func TestAnUpstreamConnectionThatSentBytesOutOfTurnIsNeverReused(t *testing.T) {
	for _, m := range misbehaviours {
		t.Run(m.name, func(t *testing.T) {
			up := newRogue(t, misbehave)
			e := newEnv(t, envOptions{edit: sharedUpstream(up.url)})
			name := strings.ReplaceAll(m.name, " ", "-")
			r := e.do(m.method, "/pub/shared/v1/"+name+"/1", nil)
			if strings.Contains(r.body, "STOLEN") {
				t.Fatalf("the client got the planted response: %q", r.body)
			}
			if r.code == http.StatusOK && m.method == http.MethodGet && r.body != own("/pub/"+name+"/1") {
				t.Errorf("got %q, want its own answer", r.body)
			}
			first := up.requests()[0].conn
			up.waitClosed(t, first)
			r = e.get("/pub/shared/v1/next")
			if r.code != http.StatusOK || r.body != own("/pub/next") {
				t.Errorf("next request: got %d %q, want 200 %q", r.code, r.body, own("/pub/next"))
			}
			if got := up.requests(); len(got) != 2 || got[1].conn == first {
				t.Errorf("the next request went on upstream connection %d, the one that sent bytes out of turn", first)
			}
		})
	}
}

// TestUpstreamInformationalResponsesNeverReachTheClient: 1xx responses
// (one with headers, a flood, ones too large) are read and dropped; their
// headers never reach the final response.
func TestUpstreamInformationalResponsesNeverReachTheClient(t *testing.T) {
	big := strings.Repeat("x", 70<<10)
	for _, tc := range []struct {
		name string
		head string // written before the final response
		code int
	}{
		{"a 103 with headers", "HTTP/1.1 103 Early Hints\r\nLink: </evil>; rel=preload\r\nX-Leak: yes\r\nSet-Cookie: s=evil\r\n\r\n", 200},
		{"several 1xx", "HTTP/1.1 102 Processing\r\nX-Leak: 1\r\n\r\nHTTP/1.1 103 Early Hints\r\nX-Leak: 2\r\n\r\nHTTP/1.1 199 Whatever\r\nX-Leak: 3\r\n\r\n", 200},
		{"a flood of 103s", strings.Repeat("HTTP/1.1 103 Early Hints\r\nX-Leak: "+strings.Repeat("y", 1000)+"\r\n\r\n", 2000), 200},
		{"a 103 larger than the header limit", "HTTP/1.1 103 Early Hints\r\nX-Leak: " + big + "\r\n\r\n", 502},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := behind(t, envOptions{}, func(w *rogueConn, req *http.Request) {
				io.WriteString(w, tc.head+okResponse(own(req.RequestURI)))
			})
			_, resp, err := getRaw(t, e, "/pub/shared/v1/x", 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.code {
				t.Fatalf("first response: got %d, want %d (no 1xx forwarded)", resp.StatusCode, tc.code)
			}
			if tc.code == 200 && string(body) != own("/pub/x") {
				t.Errorf("body: got %q, want %q", body, own("/pub/x"))
			}
			for _, h := range []string{"X-Leak", "Link", "Set-Cookie"} {
				if v := resp.Header[h]; v != nil {
					t.Errorf("the final response carries the 1xx header %s: %q", h, v)
				}
			}
			if resp.Header.Get("X-Request-Id") == "" || resp.Header.Get("X-Frontdoor-Generation") != "7" {
				t.Errorf("the gateway's own headers are missing: %v", resp.Header)
			}
		})
	}
}

// TestAnUpstreamThatOnlySendsInformationalResponsesTimesOut: an endless
// stream of 1xx responses ends at the response header timeout with a 504.
func TestAnUpstreamThatOnlySendsInformationalResponsesTimesOut(t *testing.T) {
	up := newRogue(t, func(w *rogueConn, req *http.Request) {
		for {
			if _, err := io.WriteString(w, "HTTP/1.1 103 Early Hints\r\nX-Leak: "+strings.Repeat("z", 500)+"\r\n\r\n"); err != nil {
				return
			}
		}
	})
	e := newEnv(t, envOptions{edit: sharedUpstream(up.url), headerTimeout: 300 * time.Millisecond})
	start := time.Now()
	r := e.get("/pub/shared/v1/x")
	if r.code != http.StatusGatewayTimeout {
		t.Errorf("got %d %q, want 504", r.code, r.body)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v", took)
	}
}

// dialGateway opens a raw connection to the gateway.
func dialGateway(t testing.TB, e *env) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

// TestMethodsOutsideTheAPIMethodsAreRefused: TRACE, TRACK and CONNECT are
// refused with 405, unknown methods with 501, before any upstream (or the
// upstream credential) sees them.
func TestMethodsOutsideTheAPIMethodsAreRefused(t *testing.T) {
	e := newEnv(t, envOptions{credDir: credDir(t)})
	for _, tc := range []struct {
		line string
		code int
	}{
		{"TRACE /pub/cred/v1/x HTTP/1.1", 405},
		{"TRACK /pub/cred/v1/x HTTP/1.1", 405},
		{"CONNECT " + sandboxHost + ":443 HTTP/1.1", 405},
		{"CONNECT /pub/cred/v1/x HTTP/1.1", 405},
		{"trace /pub/cred/v1/x HTTP/1.1", 405},
		{"PROPFIND /pub/cred/v1/x HTTP/1.1", 501},
		{"MOVE /pub/cred/v1/x HTTP/1.1", 501},
		{"FOO /pub/cred/v1/x HTTP/1.1", 501},
		{"M-SEARCH /pub/cred/v1/x HTTP/1.1", 501},
		{"QUERY /pub/cred/v1/x HTTP/1.1", 501},
		{"DEBUG /pub/cred/v1/x HTTP/1.1", 501},
		{"get /pub/cred/v1/x HTTP/1.1", 501},
	} {
		t.Run(tc.line, func(t *testing.T) {
			before := len(e.up.all())
			conn, br := dialGateway(t, e)
			io.WriteString(conn, tc.line+"\r\nHost: "+sandboxHost+"\r\napikey: "+portalKey+"\r\nConnection: close\r\n\r\n")
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Errorf("got %d, want %d", resp.StatusCode, tc.code)
			}
			if got := resp.Header.Get("Allow"); got == "" || strings.Contains(got, "TRACE") {
				t.Errorf("Allow: got %q", got)
			}
			if got := e.up.all()[before:]; len(got) != 0 {
				t.Errorf("the upstream received %s %s", got[0].Method, got[0].RequestURI)
			}
		})
	}
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		if r := e.do(m, "/pub/cred/v1/x", nil, "apikey", portalKey); r.code != http.StatusOK {
			t.Errorf("%s: got %d, want 200", m, r.code)
		}
	}
}

// credDir is a credentials directory holding the fixture's credential.
func credDir(t testing.TB) string {
	t.Helper()
	d := t.TempDir()
	if err := os.WriteFile(filepath.Join(d, credName+".header"), []byte("Authorization: "+credSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestHeadersUpstreamsTrustAreStripped sends the headers upstreams often
// trust for the client's address, the scheme, the URL or the method, in
// several spellings; none reaches the upstream.
func TestHeadersUpstreamsTrustAreStripped(t *testing.T) {
	e := newEnv(t, envOptions{})
	names := []string{
		"X-Original-URL", "X-Rewrite-URL", "X-Original-URI", "X-Original-Host", "X-Original-Method",
		"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override",
		"True-Client-IP", "CF-Connecting-IP", "Fastly-Client-IP", "X-Client-IP", "X-Cluster-Client-IP", "X-Remote-IP", "X-Remote-Addr",
		"X-Originating-IP", "X-Original-Forwarded-For", "X-Forwarded-Scheme", "X-Forwarded-Ssl", "X-Forwarded-Uri",
		"X-Forwarded-Path", "X-Forwarded-Port", "Front-End-Https", "X-Url-Scheme", "X-Host", "X-ProxyUser-Ip",
	}
	for _, n := range names {
		for _, spelling := range []string{n, strings.ToLower(n), strings.ReplaceAll(n, "-", "_")} {
			t.Run(spelling, func(t *testing.T) {
				r := e.raw("/pub/keyed/v1/x", "apikey: "+portalKey, spelling+": /admin")
				if r.code != http.StatusOK {
					t.Fatalf("got %d %s", r.code, r.body)
				}
				for k, v := range e.up.last(t).Header {
					if strings.EqualFold(strings.ReplaceAll(k, "_", "-"), n) || slices.Contains(v, "/admin") {
						t.Errorf("the upstream received %s: %q", k, v)
					}
				}
			})
		}
	}
}

// TestAClientsQueryCannotOverrideTheUpstreamsFixedParameters: parameters
// the upstream URL fixes reach the upstream once, with their value,
// however the client spells its own.
func TestAClientsQueryCannotOverrideTheUpstreamsFixedParameters(t *testing.T) {
	e := newEnv(t, envOptions{edit: func(s *snapshot.Snapshot) {
		for i := range s.Routes {
			if s.Routes[i].API == "pub/open" {
				s.Routes[i].Upstream = "UP/open?tenant=a&Mode=ro"
			}
		}
	}})
	for _, tc := range []struct{ query, want string }{
		{"x=1", "tenant=a&Mode=ro&x=1"},
		{"tenant=b", "tenant=a&Mode=ro"},
		{"tenant=b&x=1&tenant=c", "tenant=a&Mode=ro&x=1"},
		{"TENANT=b&mode=rw", "tenant=a&Mode=ro"},
		{"%74enant=b", "tenant=a&Mode=ro"},
		{"tenant%5B%5D=b", "tenant=a&Mode=ro"},
		{"tenant[]=b&tenant[x]=c", "tenant=a&Mode=ro"},
		{"tenant+=b&+tenant=c", "tenant=a&Mode=ro"},
		{"tenant", "tenant=a&Mode=ro"},
		{"%zz=b&y=2", "tenant=a&Mode=ro&y=2"},
		{"tenants=b", "tenant=a&Mode=ro&tenants=b"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := e.raw("/pub/open/v1/p?" + tc.query)
			if r.code != http.StatusOK {
				t.Fatalf("got %d %s", r.code, r.body)
			}
			if got, want := e.up.last(t).RequestURI, "/open/p?"+tc.want; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// TestARequestWithATransferEncodingClosesItsConnection: a request with
// both Content-Length and Transfer-Encoding (or a Transfer-Encoding
// alone) is answered, then its connection is closed, so that nothing the
// client sent after it is read as another request; a request with a
// Content-Length alone keeps its connection.
func TestARequestWithATransferEncodingClosesItsConnection(t *testing.T) {
	e := newEnv(t, envOptions{})
	const next = "GET /pub/open/v1/smuggled HTTP/1.1\r\nHost: " + sandboxHost + "\r\n\r\n"
	for _, tc := range []struct {
		name, request string
		keep          bool
	}{
		{"Content-Length and Transfer-Encoding", "POST /pub/open/v1/a HTTP/1.1\r\nHost: " + sandboxHost + "\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", false},
		{"Transfer-Encoding and Content-Length", "POST /pub/open/v1/a HTTP/1.1\r\nHost: " + sandboxHost + "\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n3\r\nabc\r\n0\r\n\r\n", false},
		{"Transfer-Encoding alone", "POST /pub/open/v1/a HTTP/1.1\r\nHost: " + sandboxHost + "\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", false},
		{"Content-Length alone", "POST /pub/open/v1/a HTTP/1.1\r\nHost: " + sandboxHost + "\r\nContent-Length: 3\r\n\r\nabc", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.up.all())
			conn, br := dialGateway(t, e)
			io.WriteString(conn, tc.request+next)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got %d, want 200", resp.StatusCode)
			}
			_, err = http.ReadResponse(br, nil)
			if kept := err == nil; kept != tc.keep {
				t.Errorf("connection kept: got %v, want %v (%v)", kept, tc.keep, err)
			}
			got := e.up.all()[before:]
			if len(got) == 0 || got[0].Body != "abc" {
				t.Fatalf("the upstream received %v", got)
			}
			if smuggled := len(got) > 1; smuggled != tc.keep {
				t.Errorf("the request after it reached the upstream: %v", smuggled)
			}
		})
	}
}

// TestUpgradesAreForwardedOnlyForWebSocketOnAPIsThatDeclareIt: an
// upstream that switches to whatever protocol it is asked for, and then
// reads HTTP requests in the tunnel, is reached through a tunnel only by
// a WebSocket upgrade to an API that declares websocket; its handshake
// carries the gateway's identity headers, never a forged one.
func TestUpgradesAreForwardedOnlyForWebSocketOnAPIsThatDeclareIt(t *testing.T) {
	up := newRogue(t, func(w *rogueConn, req *http.Request) {
		if up := req.Header.Get("Upgrade"); up != "" {
			io.WriteString(w, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "+up+"\r\n\r\n")
			return // and read what comes through the tunnel as requests
		}
		io.WriteString(w, okResponse(own(req.RequestURI)))
	})
	e := newEnv(t, envOptions{edit: func(s *snapshot.Snapshot) {
		for _, name := range []string{"ws", "plain"} {
			a := api(name, snapshot.ModeAppLevel0)
			a.WebSocket = name == "ws"
			s.APIs = append(s.APIs, a)
			s.Routes = append(s.Routes, snapshot.Route{Environment: snapshot.EnvSandbox, BasePath: a.BasePath, API: a.ID,
				Upstream: up.url + "/" + name, AccessModes: a.AccessModes})
			s.Entitlements = append(s.Entitlements, grant("acme/portal", name, snapshot.EnvSandbox, snapshot.ModeAppLevel0))
		}
	}})
	const forged = "X-Frontdoor-App: evil/app\r\nX-Frontdoor-Org: evil\r\n"
	for _, tc := range []struct {
		name, method, path, upgrade string
		tunnel                      bool
	}{
		{"websocket to a websocket API", "GET", "/pub/ws/v1/socket", "websocket", true},
		{"WebSocket spelt otherwise", "GET", "/pub/ws/v1/socket", "WebSocket", true},
		{"websocket to an API that does not declare it", "GET", "/pub/plain/v1/socket", "websocket", false},
		{"h2c to a websocket API", "GET", "/pub/ws/v1/socket", "h2c", false},
		{"h2c to another API", "GET", "/pub/plain/v1/socket", "h2c", false},
		{"an invented protocol", "GET", "/pub/ws/v1/socket", "anything/1.0", false},
		{"an invented protocol to another API", "GET", "/pub/plain/v1/socket", "anything/1.0", false},
		{"websocket and another protocol", "GET", "/pub/ws/v1/socket", "h2c, websocket", false},
		{"websocket on a POST", "POST", "/pub/ws/v1/socket", "websocket", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(up.requests())
			conn, br := dialGateway(t, e)
			io.WriteString(conn, tc.method+" "+tc.path+" HTTP/1.1\r\nHost: "+sandboxHost+"\r\napikey: "+portalKey+"\r\n"+forged+
				"Connection: Upgrade\r\nUpgrade: "+tc.upgrade+"\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n")
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tunnel := resp.StatusCode == http.StatusSwitchingProtocols; tunnel != tc.tunnel {
				t.Fatalf("got %d, want a tunnel: %v", resp.StatusCode, tc.tunnel)
			}
			if tc.tunnel {
				// Through the tunnel, a request forging identity reaches
				// the upstream as tunnel bytes of the switched protocol;
				// the handshake itself carried only the gateway's.
				io.WriteString(conn, "GET /in-tunnel HTTP/1.1\r\nHost: x\r\n"+forged+"\r\n")
				if _, err := http.ReadResponse(br, nil); err != nil {
					t.Fatalf("reading through the tunnel: %v", err)
				}
			} else {
				// Without a tunnel, what follows on the connection is
				// another request, which the gateway strips as any other.
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				io.WriteString(conn, "GET /pub/ws/v1/after HTTP/1.1\r\nHost: "+sandboxHost+"\r\napikey: "+portalKey+"\r\n"+forged+"\r\n")
				if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("the request after it: got %v %v, want 200", resp, err)
				}
			}
			got := up.requests()[before:]
			if len(got) == 0 {
				if tc.tunnel {
					t.Fatal("the upstream saw no handshake")
				}
				return
			}
			hs := got[0]
			if tc.tunnel && hs.header.Get("Upgrade") != "websocket" {
				t.Errorf("handshake Upgrade: got %q, want websocket", hs.header.Get("Upgrade"))
			}
			if !tc.tunnel && (hs.header.Get("Upgrade") != "" || hs.header.Get("Connection") != "") {
				t.Errorf("a refused upgrade reached the upstream: Upgrade %q, Connection %q", hs.header.Get("Upgrade"), hs.header.Get("Connection"))
			}
			if app := hs.header.Values("X-Frontdoor-App"); !slices.Equal(app, []string{"acme/portal"}) {
				t.Errorf("handshake X-Frontdoor-App: got %q, want the gateway's", app)
			}
			for _, s := range got {
				if s.uri == "/in-tunnel" {
					continue // tunnel bytes, which a WebSocket upstream reads as frames
				}
				if v := s.header.Values("X-Frontdoor-App"); !slices.Equal(v, []string{"acme/portal"}) {
					t.Errorf("%s reached the upstream with X-Frontdoor-App %q", s.uri, v)
				}
			}
		})
	}
}

// TestConnectionsPerUpstreamHostAreCapped: slow uploads hold at most
// MaxConnsPerHost connections to their upstream.
func TestConnectionsPerUpstreamHostAreCapped(t *testing.T) {
	up := newRogue(t, func(w *rogueConn, req *http.Request) { io.WriteString(w, okResponse(own(req.RequestURI))) })
	e := newEnv(t, envOptions{edit: sharedUpstream(up.url), maxConnsPerHost: 3})
	var wg sync.WaitGroup
	const clients = 10
	release := make(chan struct{})
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr, pw := io.Pipe()
			go func() {
				io.WriteString(pw, "a")
				<-release
				io.WriteString(pw, "b")
				pw.Close()
			}()
			req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/pub/shared/v1/slow/%d", e.srv.URL, i), pr)
			req.Host = sandboxHost
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("got %d", resp.StatusCode)
			}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		up.mu.Lock()
		open := up.open
		up.mu.Unlock()
		if open >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.peak > 3 {
		t.Errorf("the upstream held %d connections at once, want at most 3", up.peak)
	}
	if up.peak < 3 {
		t.Errorf("the upstream held %d connections at most: the slow uploads did not run concurrently", up.peak)
	}
}

// TestABodyAfterAHEADNeverReachesAnotherClientOfTheSamePublisher runs
// HEAD requests whose answers carry a body (a planted response, sent at
// once or a moment later) beside GET requests of other clients of the same
// API, over one upstream connection at a time: a HEAD's upstream
// connection is never reused, so every GET gets its own answer.
func TestABodyAfterAHEADNeverReachesAnotherClientOfTheSamePublisher(t *testing.T) {
	up := newRogue(t, misbehave)
	e := newEnv(t, envOptions{edit: sharedUpstream(up.url), maxConnsPerHost: 1})
	heads := []string{strings.ReplaceAll(misbehaviours[0].name, " ", "-"), "late-head"}
	var wg sync.WaitGroup
	errs := make(chan string, 1000)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				method, path := http.MethodGet, fmt.Sprintf("/pub/shared/v1/get/%d/%d", w, i)
				if (w+i)%2 == 0 {
					method, path = http.MethodHead, fmt.Sprintf("/pub/shared/v1/%s/%d/%d", heads[i/2%2], w, i)
				}
				r, err := e.send(method, path, nil)
				if err != nil {
					errs <- fmt.Sprintf("%s %s: %v", method, path, err)
					continue
				}
				if want := own("/pub/" + strings.TrimPrefix(path, "/pub/shared/v1/")); method == http.MethodGet && r.body != want {
					errs <- fmt.Sprintf("%s: got %d %q, want %q", path, r.code, r.body, want)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}

// TestBytesAnUpstreamSendsOutOfTurnNeverReachAnotherClientOfTheSamePublisher
// runs many clients of one API, concurrently, over few upstream
// connections; each answer comes with bytes out of turn (a planted
// response after it, after a 204, after a chunked body, past its
// Content-Length). A client gets its own answer or a 502, never a
// response planted after another's.
func TestBytesAnUpstreamSendsOutOfTurnNeverReachAnotherClientOfTheSamePublisher(t *testing.T) {
	up := newRogue(t, misbehave)
	e := newEnv(t, envOptions{edit: sharedUpstream(up.url), maxConnsPerHost: 4})
	var names []string
	for _, m := range misbehaviours {
		if m.method == http.MethodGet {
			names = append(names, strings.ReplaceAll(m.name, " ", "-"))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 10000)
	var answered sync.Map
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				rest := fmt.Sprintf("%s/%d/%d", names[(w+i)%len(names)], w, i)
				r, err := e.send(http.MethodGet, "/pub/shared/v1/"+rest, nil)
				if err != nil {
					errs <- fmt.Sprintf("%s: %v", rest, err)
					continue
				}
				switch {
				case r.code == http.StatusBadGateway:
				case strings.Contains(r.body, "STOLEN"):
					errs <- fmt.Sprintf("%s: got the response planted after another request: %q", rest, r.body)
				case r.code == http.StatusOK && r.body != own("/pub/"+rest):
					errs <- fmt.Sprintf("%s: got %q, want its own answer", rest, r.body)
				case r.code == http.StatusOK:
					answered.Store(rest, true)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	n := 0
	answered.Range(func(any, any) bool { n++; return true })
	if n < 100 {
		t.Errorf("only %d requests got their answer", n)
	}
}
