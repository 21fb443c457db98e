package gateway

// The lean HTTP/1.1 path.
//
// httputil.ReverseProxy over http.Transport costs, per request, a clone of
// the request and its header map, a context, a response object with its own
// header map, and (in the Transport) a hand-off to the connection's read and
// write goroutines through channels: several goroutine switches per request.
// Measured on a 2-core machine, a bare ReverseProxy reached about 0.45× the
// throughput of nginx's keep-alive proxy, short of the gateway's target
// (≥ 0.5× nginx and ≥ 1.5× Caddy with authentication, entitlement, rate
// limits and access logs on).
//
// So plain-http upstreams (the common case: a sidecar, a service mesh, or
// loopback) are served by this path: the request's goroutine writes the
// request straight onto a pooled connection and parses the response head
// straight into the ResponseWriter's header map, with no extra goroutine and
// no per-request allocation in steady state. It keeps ReverseProxy's
// semantics where they matter:
//
//   - hop-by-hop headers are removed both ways, including those named by
//     Connection (request side: stripInbound; response side: readHead);
//   - Upgrade requests (WebSocket) are not served here but by ReverseProxy,
//     which implements the protocol switch; so are https upstreams;
//   - responses of unknown length (chunked, read-until-close) and
//     text/event-stream are flushed after every read, as ReverseProxy's
//     FlushInterval -1 does for them; trailers are forwarded;
//   - an error after the response head was sent aborts the client
//     connection (http.ErrAbortHandler), as ReverseProxy does;
//   - idempotent requests without a body are retried once on a new
//     connection when a reused one turns out to be closed, as
//     http.Transport does; other requests first probe a reused connection
//     for a close the upstream sent while it was idle.
//
// What it does not do: HTTP/2 to upstreams, 1xx forwarding (1xx responses
// are read and dropped), and noticing a client that goes away while the
// upstream has not answered yet (bounded by ResponseHeaderTimeout; once a
// streamed response has started, a departed client does stop the copy).

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of the lean path.
const (
	h1ReadBuffer     = 16 << 10 // also the longest response header line
	h1WriteBuffer    = 8 << 10
	maxResponseHead  = 256 << 10
	maxCachedHeaders = 64
)

// h1Pool is a pool of HTTP/1.1 connections to one plain-http upstream
// address. Safe for concurrent use.
type h1Pool struct {
	addr        string
	dialer      net.Dialer
	idle        chan *h1Conn
	idleTimeout time.Duration
	headTimeout time.Duration
	closed      atomic.Bool
}

func newH1Pool(addr string, o *Options) *h1Pool {
	return &h1Pool{
		addr:        addr,
		dialer:      net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second},
		idle:        make(chan *h1Conn, o.MaxIdleConnsPerHost),
		idleTimeout: o.IdleConnTimeout,
		headTimeout: o.ResponseHeaderTimeout,
	}
}

// h1Conn is one upstream connection with its buffers and a cache of the
// response header names and values it has seen, so that repeated headers
// (Content-Type, Server, ...) cost no allocation.
type h1Conn struct {
	conn     net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	lastUsed time.Time
	// deadline is the read deadline armed on conn, zero if none.
	deadline time.Time
	headers  map[string]*cachedHeader
}

type cachedHeader struct {
	name string
	// vals is the last value seen, as a one-element slice with len == cap:
	// shared read-only with the header maps it is put in (an append to
	// them copies).
	vals []string
}

// get returns an idle connection, or a new one. fresh forces a new one.
func (p *h1Pool) get(ctx context.Context, now time.Time, fresh, probe bool) (*h1Conn, bool, error) {
	for !fresh {
		select {
		case c := <-p.idle:
			if probe && !c.deadline.IsZero() && c.deadline.Before(now.Add(time.Second)) {
				// The probe must not fail on an old deadline.
				c.armDeadline(now, p.headTimeout)
			}
			if now.Sub(c.lastUsed) > p.idleTimeout || (probe && !alive(c.conn)) {
				c.conn.Close()
				continue
			}
			return c, true, nil
		default:
		}
		break
	}
	conn, err := p.dialer.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, false, err
	}
	return &h1Conn{
		conn:    conn,
		br:      bufio.NewReaderSize(conn, h1ReadBuffer),
		bw:      bufio.NewWriterSize(conn, h1WriteBuffer),
		headers: make(map[string]*cachedHeader),
	}, false, nil
}

// put returns c to the pool, or closes it when the pool is full or closed.
func (p *h1Pool) put(c *h1Conn, now time.Time) {
	if p.closed.Load() {
		c.conn.Close()
		return
	}
	c.lastUsed = now
	select {
	case p.idle <- c:
	default:
		c.conn.Close()
	}
}

// close closes the idle connections; connections in use are closed when
// they are put back.
func (p *h1Pool) close() {
	p.closed.Store(true)
	for {
		select {
		case c := <-p.idle:
			c.conn.Close()
		default:
			return
		}
	}
}

// upstreamError is a failure of the lean path before the response head was
// written to the client.
type upstreamError struct {
	kind kind
	err  error
}

func (e *upstreamError) Error() string { return e.err.Error() }
func (e *upstreamError) Unwrap() error { return e.err }

// errAborted reports a failure after the response head was sent: the
// client's connection must be aborted.
var errAborted = errors.New("upstream response aborted")

// forwardH1 sends r to t over the lean path and copies the response to w.
// rest is the clean path below the route's base path, query the query to
// send. It returns the status sent to the client and the body bytes written;
// an *upstreamError when nothing was written yet (the caller answers with a
// problem), errAborted (wrapped) when the response was cut short.
func forwardH1(w http.ResponseWriter, r *http.Request, t *target, rest, query string, extra *outHeaders, now time.Time) (int, int64, error) {
	p := t.pool
	bodyless := r.Body == nil || r.Body == http.NoBody
	idempotent := bodyless && (r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions || r.Method == http.MethodTrace ||
		len(r.Header["Idempotency-Key"]) > 0 || len(r.Header["X-Idempotency-Key"]) > 0)
	fresh := false
	for attempt := 0; ; attempt++ {
		c, reused, err := p.get(r.Context(), now, fresh, !idempotent)
		if err != nil {
			return 0, 0, &upstreamError{kindBadGateway, err}
		}
		err = writeRequest(c.bw, r, t, rest, query, extra)
		if err == nil {
			// A client that leaves while the upstream thinks ends the wait:
			// the read is interrupted, the connection (with a request in
			// flight) closed, and the request logged as 499.
			stop := context.AfterFunc(r.Context(), func() { c.conn.SetReadDeadline(time.Unix(1, 0)) })
			err = readStatus(c, now, p.headTimeout)
			if !stop() {
				c.conn.Close()
				return 0, 0, fmt.Errorf("waiting for the upstream: %w", context.Cause(r.Context()))
			}
		}
		if err != nil {
			c.conn.Close()
			if reused && idempotent && attempt == 0 && !isTimeout(err) {
				fresh = true
				continue
			}
			if errors.Is(err, errBody) {
				return 0, 0, &upstreamError{kindBadRequest, err}
			}
			if isTimeout(err) {
				return 0, 0, &upstreamError{kindGatewayTimeout, err}
			}
			return 0, 0, &upstreamError{kindBadGateway, err}
		}
		status, n, keep, err := copyResponse(w, r, c)
		if keep {
			p.put(c, now)
		} else {
			c.conn.Close()
		}
		return status, n, err
	}
}

// errBody marks a failure to read the client's request body.
var errBody = errors.New("reading the request body")

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// writeRequest writes the request line, headers and body.
func writeRequest(bw *bufio.Writer, r *http.Request, t *target, rest, query string, extra *outHeaders) error {
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	writeJoinedPath(bw, t.path, rest)
	if query != "" {
		bw.WriteByte('?')
		bw.WriteString(query)
	}
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(t.host)
	bw.WriteString("\r\n")
	for k, vs := range r.Header {
		for _, v := range vs {
			writeHeader(bw, k, v)
		}
	}
	for _, h := range extra.all() {
		writeHeader(bw, h.name, h.value)
	}
	chunked := false
	switch {
	case r.ContentLength > 0:
		bw.WriteString("Content-Length: ")
		bw.Write(strconv.AppendInt(bw.AvailableBuffer(), r.ContentLength, 10))
		bw.WriteString("\r\n")
	case r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody:
		bw.WriteString("Transfer-Encoding: chunked\r\n")
		chunked = true
	case r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch:
		bw.WriteString("Content-Length: 0\r\n")
	}
	bw.WriteString("\r\n")
	if r.Body != nil && r.Body != http.NoBody {
		if err := writeBody(bw, r.Body, chunked); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func writeHeader(bw *bufio.Writer, k, v string) {
	bw.WriteString(k)
	bw.WriteString(": ")
	bw.WriteString(v)
	bw.WriteString("\r\n")
}

// writeJoinedPath writes the upstream base path joined with the path below
// the route's base path (joinPath without building the string).
func writeJoinedPath(bw *bufio.Writer, base, rest string) {
	switch {
	case rest == "":
		if base == "" {
			bw.WriteByte('/')
			return
		}
		bw.WriteString(base)
	case strings.HasSuffix(base, "/"):
		bw.WriteString(base)
		bw.WriteString(strings.TrimPrefix(rest, "/"))
	default:
		bw.WriteString(base)
		bw.WriteString(rest)
	}
}

// bodyReader tells apart read errors of the client's body from write errors
// of the upstream connection.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func writeBody(bw *bufio.Writer, body io.Reader, chunked bool) error {
	br := &bodyReader{r: body}
	var err error
	if chunked {
		cw := httputil.NewChunkedWriter(bw)
		if _, err = io.Copy(cw, br); err == nil {
			if err = cw.Close(); err == nil {
				_, err = bw.WriteString("\r\n")
			}
		}
	} else {
		_, err = bw.ReadFrom(br)
	}
	if br.err != nil {
		return errors.Join(errBody, br.err)
	}
	return err
}

// readStatus waits for the status line of the response, at most about
// timeout after now (the request's start). It only peeks: copyResponse
// parses.
func readStatus(c *h1Conn, now time.Time, timeout time.Duration) error {
	if c.deadline.IsZero() || c.deadline.Sub(now) < timeout-timeout/8 {
		c.armDeadline(now, timeout)
	}
	_, err := c.br.Peek(1)
	return err
}

// armDeadline sets c's read deadline to now + timeout. A deadline is
// re-armed only when less than 7/8 of timeout remains (readStatus), which
// keeps the runtime's timer work off most requests: the response-header
// timeout is enforced to within 1/8 of its value.
func (c *h1Conn) armDeadline(now time.Time, timeout time.Duration) {
	c.deadline = now.Add(timeout)
	c.conn.SetReadDeadline(c.deadline)
}

// copyResponse reads the response head into w's header map, writes it, and
// copies the body. keep reports whether the connection may be reused.
func copyResponse(w http.ResponseWriter, r *http.Request, c *h1Conn) (status int, n int64, keep bool, err error) {
	h := w.Header()
	var head responseHead
	for {
		head, err = readHead(c, h)
		if err != nil {
			resetHeader(h)
			if isTimeout(err) {
				return 0, 0, false, &upstreamError{kindGatewayTimeout, err}
			}
			return 0, 0, false, &upstreamError{kindBadGateway, err}
		}
		if head.status >= 200 || head.status == http.StatusSwitchingProtocols {
			break
		}
		// 1xx: dropped, the final response follows.
	}
	if head.status == http.StatusSwitchingProtocols {
		resetHeader(h)
		return 0, 0, false, &upstreamError{kindBadGateway, errors.New("upstream switched protocols unasked")}
	}
	for _, name := range head.connTokens {
		delete(h, name)
	}
	noBody := r.Method == http.MethodHead || head.status == http.StatusNoContent || head.status == http.StatusNotModified
	if !noBody && !head.chunked && head.length < 0 {
		head.close = true // read until close
	}
	stream := !noBody && (head.chunked || head.length < 0 || isEventStream(h))
	if !noBody && (head.chunked || head.length < 0 || int64(c.br.Buffered()) < head.length) {
		// The body is not all buffered yet: further reads hit the
		// connection, with no deadline (a response may stream for long).
		c.conn.SetReadDeadline(time.Time{})
		c.deadline = time.Time{}
	}
	w.WriteHeader(head.status)
	status = head.status
	switch {
	case noBody:
		return status, 0, !head.close && c.br.Buffered() == 0, nil
	case head.chunked:
		n, err = copyChunked(w, r.Context(), c, h)
	case head.length >= 0:
		n, err = copyN(w, c.br, head.length)
	default:
		n, err = copyStream(w, r.Context(), c, c.br)
	}
	if err != nil {
		return status, n, false, errors.Join(errAborted, err)
	}
	if stream {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	// Bytes beyond the response (nothing is pipelined) are garbage that
	// would be read as the next response.
	return status, n, !head.close && c.br.Buffered() == 0, nil
}

func isEventStream(h http.Header) bool {
	ct := h["Content-Type"]
	return len(ct) > 0 && strings.HasPrefix(ct[0], "text/event-stream")
}

// resetHeader removes every upstream header from h, keeping only the
// gateway's own, before a problem is written instead.
func resetHeader(h http.Header) {
	for k := range h {
		if k != GenerationHeader && k != RequestIDHeader {
			delete(h, k)
		}
	}
}

// responseHead is what readHead learnt.
type responseHead struct {
	status     int
	length     int64 // -1 if unknown
	chunked    bool
	close      bool
	connTokens []string
}

// readHead parses a status line and header section into h, dropping
// hop-by-hop headers and the gateway's own response headers.
func readHead(c *h1Conn, h http.Header) (responseHead, error) {
	head := responseHead{length: -1}
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return head, err
	}
	total := len(line)
	// "HTTP/1.x SP 3DIGIT [SP reason]" CRLF
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || (line[7] != '1' && line[7] != '0') || line[8] != ' ' {
		return head, errors.New("malformed status line")
	}
	code := 0
	for _, d := range line[9:12] {
		if d < '0' || d > '9' {
			return head, errors.New("malformed status code")
		}
		code = code*10 + int(d-'0')
	}
	if code < 100 || len(line) > 12 && line[12] != ' ' && line[12] != '\r' && line[12] != '\n' {
		return head, errors.New("malformed status line")
	}
	head.status = code
	head.close = line[7] == '0'
	for {
		line, err = c.br.ReadSlice('\n')
		if err != nil {
			return head, err
		}
		total += len(line)
		if total > maxResponseHead {
			return head, errors.New("response head too large")
		}
		line = trimEOL(line)
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return head, errors.New("obsolete header line folding")
		}
		colon := indexByte(line, ':')
		if colon <= 0 {
			return head, errors.New("malformed header line")
		}
		kb, vb := line[:colon], trimOWS(line[colon+1:])
		if !validFieldValue(vb) {
			return head, errors.New("invalid header value")
		}
		ch := c.headers[string(kb)]
		if ch == nil {
			if !validFieldName(kb) {
				return head, errors.New("invalid header name")
			}
			ch = &cachedHeader{name: textproto.CanonicalMIMEHeaderKey(string(kb))}
			if len(c.headers) < maxCachedHeaders {
				c.headers[string(kb)] = ch
			}
		}
		switch ch.name {
		case "Connection":
			for tok := range strings.SplitSeq(string(vb), ",") {
				tok = textproto.TrimString(tok)
				if strings.EqualFold(tok, "close") {
					head.close = true
				} else if strings.EqualFold(tok, "keep-alive") {
					continue
				} else if tok != "" {
					head.connTokens = append(head.connTokens, textproto.CanonicalMIMEHeaderKey(tok))
				}
			}
			continue
		case "Transfer-Encoding":
			// Only chunked is understood (RFC 9112 §6.1: a proxy may
			// refuse other codings).
			if head.chunked || !strings.EqualFold(string(trimOWS(vb)), "chunked") {
				return head, errors.New("unsupported transfer coding")
			}
			head.chunked = true
			continue
		case "Content-Length":
			n, ok := parseLength(vb)
			if !ok || head.length >= 0 && head.length != n {
				return head, errors.New("invalid content length")
			}
			head.length = n
		case "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Te", "Trailer", "Upgrade",
			GenerationHeader, RequestIDHeader:
			continue
		}
		vals := ch.vals
		if len(vals) != 1 || vals[0] != string(vb) {
			vals = []string{string(vb)}
			ch.vals = vals
		}
		if prev, dup := h[ch.name]; dup {
			h[ch.name] = append(prev, vals[0])
		} else {
			h[ch.name] = vals
		}
	}
	if head.chunked {
		// RFC 9112 §6.3: Transfer-Encoding overrides Content-Length, and
		// such a response must not reuse the connection.
		if head.length >= 0 {
			delete(h, "Content-Length")
			head.length = -1
			head.close = true
		}
	}
	return head, nil
}

func trimEOL(b []byte) []byte {
	b = b[:len(b)-1]
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func validFieldName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isTokenByte(c) {
			return false
		}
	}
	return true
}

func isTokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func validFieldValue(b []byte) bool {
	for _, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func parseLength(b []byte) (int64, bool) {
	b = trimOWS(b)
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// copyN copies exactly n body bytes from br to w, straight out of br's
// buffer.
func copyN(w io.Writer, br *bufio.Reader, n int64) (int64, error) {
	var written int64
	for written < n {
		if br.Buffered() == 0 {
			if _, err := br.Peek(1); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return written, err
			}
		}
		chunk, _ := br.Peek(int(min(int64(br.Buffered()), n-written)))
		m, err := w.Write(chunk)
		br.Discard(m)
		written += int64(m)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// copyBuffers pools the buffers of streamed copies.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copyStream copies src to w until EOF, flushing after every read (a
// response of unknown length is often a stream). A client that goes away
// stops the copy.
func copyStream(w io.Writer, ctx context.Context, c *h1Conn, src io.Reader) (int64, error) {
	stop := context.AfterFunc(ctx, func() { c.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	buf := *bp
	f, _ := w.(http.Flusher)
	var written int64
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			m, err := w.Write(buf[:n])
			written += int64(m)
			if err != nil {
				return written, err
			}
			if f != nil {
				f.Flush()
			}
		}
		if rerr == io.EOF {
			return written, nil
		}
		if rerr != nil {
			return written, rerr
		}
	}
}

// copyChunked copies a chunked body, then its trailers into h as
// http.TrailerPrefix headers.
func copyChunked(w io.Writer, ctx context.Context, c *h1Conn, h http.Header) (int64, error) {
	n, err := copyStream(w, ctx, c, httputil.NewChunkedReader(c.br))
	if err != nil {
		return n, err
	}
	total := 0
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return n, err
		}
		total += len(line)
		if total > maxResponseHead {
			return n, errors.New("trailers too large")
		}
		line = trimEOL(line)
		if len(line) == 0 {
			return n, nil
		}
		colon := indexByte(line, ':')
		if colon <= 0 || !validFieldName(line[:colon]) || !validFieldValue(line[colon+1:]) {
			return n, errors.New("malformed trailer")
		}
		name := textproto.CanonicalMIMEHeaderKey(string(line[:colon]))
		switch name {
		case "Content-Length", "Transfer-Encoding", "Trailer", "Connection", "Host":
			continue
		}
		h.Add(http.TrailerPrefix+name, string(trimOWS(line[colon+1:])))
	}
}
