package gateway

import (
	"encoding/hex"
	"github.com/frontdoor-dev/frontdoor/snapshot"
	"math/rand/v2"
	"net/http"
	"net/textproto"
	"strings"
	"unsafe"

	"golang.org/x/net/http/httpguts"
)

// RequestIDHeader carries the request's ID to the upstream and back to the
// client.
const RequestIDHeader = "X-Request-Id"

// identityPrefix starts every header name the gateway reserves: clients may
// never send one, whichever API they call.
const identityPrefix = "X-Frontdoor-"

// maxRequestIDLen bounds an incoming X-Request-ID that is propagated.
const maxRequestIDLen = 128

// requestID returns the request's valid incoming X-Request-ID, or a new
// random one: 16 bytes from the runtime's per-thread ChaCha8 generator (no
// lock, no system call), hex-encoded. A repeated or malformed header is
// replaced, never propagated. vals is the ID as a header value, len == cap,
// to be shared read-only.
func requestID(h http.Header) (id string, vals []string) {
	if vs := h[RequestIDHeader]; len(vs) == 1 && validRequestID(vs[0]) {
		return vs[0], vs[:1:1]
	}
	// One allocation for the ID's bytes and its header value.
	x := new(struct {
		vals [1]string
		hex  [32]byte
	})
	var b [16]byte
	r1, r2 := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		b[i], b[8+i] = byte(r1>>(8*i)), byte(r2>>(8*i))
	}
	hex.Encode(x.hex[:], b[:])
	// x.hex is never written again: the string may share it.
	id = unsafe.String(&x.hex[0], len(x.hex))
	x.vals[0] = id
	return id, x.vals[:]
}

// validRequestID accepts 1 to maxRequestIDLen of A-Z a-z 0-9 - _ . : (UUIDs,
// ULIDs, hex, W3C trace IDs).
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// maxOutHeaders bounds the headers the gateway sets: five identity headers,
// the request ID, traceparent and tracestate, three forwarding headers, the
// upstream credential, TE and the upgrade pair.
const maxOutHeaders = 15

// outHeaders are the gateway's own upstream headers: names and values in
// arrays, so that setting them takes no allocation per header (a value
// is set as a one-element slice of vals).
type outHeaders struct {
	names, vals [maxOutHeaders]string
	n           int
}

func (o *outHeaders) add(name, value string) {
	if name != "" && value != "" && o.n < len(o.names) {
		o.names[o.n], o.vals[o.n] = name, value
		o.n++
	}
}

// setOn sets the headers on h, sharing o's values.
func (o *outHeaders) setOn(h http.Header) {
	for i := range o.n {
		h[o.names[i]] = o.vals[i : i+1 : i+1]
	}
}

// stripped is what stripInbound learnt from the headers it removed.
type stripped struct {
	// upgrade is the protocol the client asked to switch to, if any.
	upgrade string
	// teTrailers is set when the client accepts trailers.
	teTrailers bool
}

// stripInbound removes from h, in place, every header that must not reach
// an upstream as the client sent it:
//
//   - hop-by-hop headers (RFC 9110 §7.6.1) and every header the Connection
//     header names, so that "Connection: X-App" cannot make a later hop drop
//     the identity header the gateway sets;
//   - every identity header name of any API of the snapshot (reserved) and
//     every X-Frontdoor-* header, also when spelt with underscores, which
//     CGI-style frameworks read as dashes;
//   - forwarding headers (Forwarded, every X-Forwarded-*, X-Real-Ip),
//     which the gateway sets itself, and X-Request-Id, which it replaces
//     with the request's ID;
//   - headers upstreams often trust for the client's address, the scheme,
//     the URL or the method (spoofable): True-Client-IP, CF-Connecting-IP,
//     X-Client-IP, X-Cluster-Client-IP, every X-Original-* (URL, URI,
//     Host, Forwarded-For, Method), X-Rewrite-URL, X-HTTP-Method-Override
//     and its variants, Front-End-Https, X-Url-Scheme and the like;
//   - the apikey header and an Authorization header carrying one of the
//     gateway's own access tokens: credentials meant for the gateway;
//   - Expect, which the gateway's server already answered;
//   - credHeader, the header the route's upstream credential sets.
//
// A user's bearer token from an identity provider is kept: upstreams of
// user-restricted APIs may read its claims.
func stripInbound(h http.Header, reserved func(string) bool, credHeader string) stripped {
	var s stripped
	if conn := h["Connection"]; len(conn) > 0 {
		for _, v := range conn {
			for tok := range strings.SplitSeq(v, ",") {
				tok = textproto.TrimString(tok)
				if tok == "" {
					continue
				}
				if strings.EqualFold(tok, "upgrade") {
					if up := h["Upgrade"]; len(up) > 0 {
						s.upgrade = up[0]
					}
				}
				delete(h, textproto.CanonicalMIMEHeaderKey(tok))
			}
		}
	}
	if te := h["Te"]; len(te) > 0 && httpguts.HeaderValuesContainsToken(te, "trailers") {
		s.teTrailers = true
	}
	for k, vs := range h {
		if dropHeader(k, vs, reserved) || k == credHeader {
			delete(h, k)
		}
	}
	return s
}

// dropHeader reports whether the inbound header k (canonical) with values
// vs is one stripInbound removes (except those named by Connection).
func dropHeader(k string, vs []string, reserved func(string) bool) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade",
		"Forwarded", "X-Real-Ip", "X-Request-Id",
		"Apikey", "Expect", "Host", "Content-Length":
		return true
	case "Authorization":
		for _, v := range vs {
			if isGatewayToken(v) {
				return true
			}
		}
		return false
	}
	if hasPrefixFold(k, identityPrefix) || hasPrefixFold(k, "X-Forwarded-") || hasPrefixFold(k, "X-Original-") {
		return true
	}
	if reserved != nil && reserved(k) {
		return true
	}
	if _, ok := spoofable[k]; ok {
		return true
	}
	if strings.IndexByte(k, '_') >= 0 {
		// X-Frontdoor_App reaches a CGI-style upstream as X_FRONTDOOR_APP,
		// like the real header: compare with underscores read as dashes.
		alt := textproto.CanonicalMIMEHeaderKey(strings.ReplaceAll(k, "_", "-"))
		return dropHeader(alt, vs, reserved)
	}
	return false
}

// spoofable is snapshot.SpoofableHeaders as a set.
var spoofable = func() map[string]struct{} {
	m := make(map[string]struct{}, len(snapshot.SpoofableHeaders))
	for _, h := range snapshot.SpoofableHeaders {
		m[h] = struct{}{}
	}
	return m
}()

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// isGatewayToken reports whether an Authorization value carries one of the
// gateway's own app-level3 access tokens ("Bearer fd1.…"), which are meant
// for the gateway and must not leak to an upstream.
func isGatewayToken(v string) bool {
	const scheme = "bearer "
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return false
	}
	return strings.HasPrefix(strings.TrimLeft(v[len(scheme):], " "), "fd1.")
}

// clientIP returns the host part of a RemoteAddr ("ip:port") without
// allocating.
func clientIP(remoteAddr string) string {
	if i := strings.LastIndexByte(remoteAddr, ':'); i >= 0 {
		host := remoteAddr[:i]
		if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
			host = host[1 : len(host)-1]
		}
		return host
	}
	return remoteAddr
}
