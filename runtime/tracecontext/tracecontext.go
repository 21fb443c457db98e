// Package tracecontext reads and writes W3C Trace Context headers
// (traceparent and tracestate, https://www.w3.org/TR/trace-context/) for
// the gateway's request path: it continues a client's trace, or starts
// one, and names the gateway's call to the upstream as the parent span.
package tracecontext

import (
	"encoding/hex"
	"math/rand/v2"
	"net/http"
)

// Header names as net/http canonicalises them.
const (
	ParentHeader = "Traceparent"
	StateHeader  = "Tracestate"
)

// maxState bounds the tracestate the gateway forwards (the
// specification's 32 list members fit in it); a longer one is dropped.
const maxState = 512

// Context is one span's trace context. The zero Context is not valid.
type Context struct {
	TraceID [16]byte
	SpanID  [8]byte
	Flags   byte
}

// Sampled is the trace-flags bit of a sampled trace.
const Sampled byte = 0x01

// headerLen is the length of a version 00 traceparent.
const headerLen = 55

// Parse parses a traceparent header value strictly: version 00 as
// "00-<32 hex>-<16 hex>-<2 hex>" in lower case, trace and parent IDs not
// all zeros. A higher version (not ff) is read by its version 00 prefix
// when what follows it starts with '-', as the specification asks.
func Parse(s string) (Context, bool) {
	var c Context
	if len(s) < headerLen {
		return c, false
	}
	v0, okv0 := unhex(s[0])
	v1, okv1 := unhex(s[1])
	if !okv0 || !okv1 || v0 == 0xf && v1 == 0xf {
		return c, false
	}
	if v0 == 0 && v1 == 0 {
		if len(s) != headerLen {
			return c, false
		}
	} else if len(s) > headerLen && s[headerLen] != '-' {
		return c, false
	}
	if s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return c, false
	}
	if !decode(c.TraceID[:], s[3:35]) || !decode(c.SpanID[:], s[36:52]) {
		return c, false
	}
	var flags [1]byte
	if !decode(flags[:], s[53:55]) {
		return c, false
	}
	c.Flags = flags[0]
	if c.TraceID == [16]byte{} || c.SpanID == [8]byte{} {
		return Context{}, false
	}
	return c, true
}

// decode decodes lower-case hex src into dst (len(src) == 2*len(dst)).
func decode(dst []byte, src string) bool {
	for i := range dst {
		hi, ok1 := unhex(src[2*i])
		lo, ok2 := unhex(src[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

// unhex decodes one lower-case hex digit; upper case is not allowed.
func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// Valid reports whether c has non-zero trace and span IDs.
func (c Context) Valid() bool { return c.TraceID != [16]byte{} && c.SpanID != [8]byte{} }

// String returns c as a version 00 traceparent value.
func (c Context) String() string {
	var b [headerLen]byte
	b[0], b[1], b[2] = '0', '0', '-'
	hex.Encode(b[3:35], c.TraceID[:])
	b[35] = '-'
	hex.Encode(b[36:52], c.SpanID[:])
	b[52] = '-'
	hex.Encode(b[53:55], []byte{c.Flags})
	return string(b[:])
}

// TraceIDString returns the trace ID in hex, as logs show it.
func (c Context) TraceIDString() string { return hex.EncodeToString(c.TraceID[:]) }

// New starts a trace: random trace and span IDs, not sampled.
func New() Context {
	var c Context
	for c.TraceID == [16]byte{} {
		putUint64(c.TraceID[:8], rand.Uint64())
		putUint64(c.TraceID[8:], rand.Uint64())
	}
	c.SpanID = newSpanID()
	return c
}

// Child returns a span of c's trace with a new span ID and c's flags.
func (c Context) Child() Context {
	c.SpanID = newSpanID()
	return c
}

// newSpanID returns a random non-zero span ID. IDs need to be unique, not
// secret: math/rand/v2's generator (ChaCha8, seeded by the runtime) does.
func newSpanID() [8]byte {
	var id [8]byte
	for id == [8]byte{} {
		putUint64(id[:], rand.Uint64())
	}
	return id
}

func putUint64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (56 - 8*i))
	}
}

// Start returns the context of the gateway's call to the upstream of a
// request with headers h: when h holds exactly one valid traceparent, its
// trace goes on with a new span ID (the upstream's parent), and keepState
// reports whether h's tracestate may be forwarded (it may unless longer
// than the gateway forwards); otherwise a new trace starts and keepState is
// false, as any tracestate belonged to a traceparent the gateway could not
// read. h is not changed.
func Start(h http.Header) (next Context, keepState bool) {
	if v := h[ParentHeader]; len(v) == 1 {
		if parent, ok := Parse(v[0]); ok {
			n := 0
			for _, s := range h[StateHeader] {
				n += len(s) + 1
			}
			return parent.Child(), n <= maxState+1
		}
	}
	return New(), false
}

// Propagate applies Start to h in place: it sets the upstream's
// traceparent and drops a tracestate that may not be forwarded.
func Propagate(h http.Header) Context {
	next, keep := Start(h)
	if !keep {
		delete(h, StateHeader)
	}
	h[ParentHeader] = []string{next.String()}
	return next
}
