package gateway

import (
	"net/http"
	"strconv"
	"unicode/utf8"
)

// ProblemContentType is the media type of every error the gateway answers
// itself (RFC 9457).
const ProblemContentType = "application/problem+json"

// ProblemTypeBase prefixes the type URI of every problem, followed by the
// kind's slug, e.g. urn:frontdoor:problem:rate-limited (a URN: the type names
// the problem without claiming a web address).
const ProblemTypeBase = "urn:frontdoor:problem:"

// kind is one of the few ways a request can fail in the gateway. Every
// failure is mapped to exactly one kind, and a kind to an HTTP status and a
// problem type in one place (problemOf), so that no handler invents its own
// error response and no internal detail reaches a client.
type kind uint8

const (
	kindNoSnapshot       kind = iota + 1 // no configuration is active yet
	kindBadPath                          // the path is ambiguous (pathsafe)
	kindBadRequest                       // the request is malformed (e.g. a repeated credential header)
	kindNotFound                         // no API at this path in this environment
	kindUnauthenticated                  // no or an invalid credential
	kindForbidden                        // authenticated, but not allowed (level, grant)
	kindRateLimited                      // over the app's or the API's quota
	kindUnavailable                      // a dependency (rate limiter, key set) is unavailable
	kindUpstreamConfig                   // the upstream cannot be called as configured (credential missing)
	kindBadGateway                       // the upstream failed or answered garbage
	kindGatewayTimeout                   // the upstream did not answer in time
	kindMethodNotAllowed                 // TRACE, TRACK or CONNECT
	kindNotImplemented                   // a method the gateway does not know
	kindMisdirected                      // the Host names no environment, or the target names another host
	kindUpstreamTLS                      // the TLS handshake with the upstream failed (its certificate, mostly)
)

// allowedMethods is the Allow header of refused methods.
const allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

// problemType is the fixed part of a kind's problem.
type problemType struct {
	status int
	slug   string
	title  string
}

// problemOf maps each kind to its status, type and title.
func problemOf(k kind) problemType {
	switch k {
	case kindNoSnapshot:
		return problemType{http.StatusServiceUnavailable, "not-ready", "The gateway has no configuration yet"}
	case kindBadPath:
		return problemType{http.StatusBadRequest, "ambiguous-path", "The request path is ambiguous"}
	case kindBadRequest:
		return problemType{http.StatusBadRequest, "bad-request", "The request is malformed"}
	case kindNotFound:
		return problemType{http.StatusNotFound, "not-found", "No API at this path"}
	case kindUnauthenticated:
		return problemType{http.StatusUnauthorized, "unauthenticated", "Authentication required"}
	case kindForbidden:
		return problemType{http.StatusForbidden, "forbidden", "Access denied"}
	case kindRateLimited:
		return problemType{http.StatusTooManyRequests, "rate-limited", "Too many requests"}
	case kindUnavailable:
		return problemType{http.StatusServiceUnavailable, "unavailable", "Temporarily unavailable"}
	case kindUpstreamConfig:
		return problemType{http.StatusBadGateway, "upstream-misconfigured", "The API's backend is not reachable as configured"}
	case kindBadGateway:
		return problemType{http.StatusBadGateway, "bad-gateway", "The API's backend failed"}
	case kindGatewayTimeout:
		return problemType{http.StatusGatewayTimeout, "gateway-timeout", "The API's backend did not answer in time"}
	case kindMisdirected:
		return problemType{http.StatusMisdirectedRequest, "misdirected", "No environment is served at this host"}
	case kindMethodNotAllowed:
		return problemType{http.StatusMethodNotAllowed, "method-not-allowed", "The method is not allowed"}
	case kindNotImplemented:
		return problemType{http.StatusNotImplemented, "method-not-implemented", "The method is not supported"}
	case kindUpstreamTLS:
		return problemType{http.StatusBadGateway, "upstream-tls", "The API's backend failed the TLS handshake"}
	}
	return problemType{http.StatusInternalServerError, "internal", "Internal error"}
}

// failure is a request's failure: its kind, a detail safe to show the
// client, and response headers that go with it.
type failure struct {
	kind   kind
	detail string
	// reason is the refusal's stable code (reasons.go), if any.
	reason string
	// challenge is the WWW-Authenticate value, if any.
	challenge string
	// retryAfter is the Retry-After value in seconds, if positive.
	retryAfter int
}

// writeProblem answers with f as an RFC 9457 problem: type, title, status,
// detail, reason (an extension member: the refusal's stable code, see
// reasons.go) and instance (the request ID), plus retryAfterSeconds when
// set. It
// returns the status and the body's length.
func writeProblem(w http.ResponseWriter, f *failure, requestID string) (int, int64) {
	pt := problemOf(f.kind)
	h := w.Header()
	h.Set("Content-Type", ProblemContentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if f.challenge != "" {
		h.Set("WWW-Authenticate", f.challenge)
	}
	if f.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(f.retryAfter))
	}
	if f.kind == kindMethodNotAllowed || f.kind == kindNotImplemented {
		h.Set("Allow", allowedMethods)
	}
	b := make([]byte, 0, 256)
	b = append(b, `{"type":`...)
	b = appendJSONString(b, ProblemTypeBase+pt.slug)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, pt.title)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(pt.status), 10)
	if f.detail != "" {
		b = append(b, `,"detail":`...)
		b = appendJSONString(b, f.detail)
	}
	if f.reason != "" {
		b = append(b, `,"reason":`...)
		b = appendJSONString(b, f.reason)
	}
	if requestID != "" {
		b = append(b, `,"instance":`...)
		b = appendJSONString(b, "urn:frontdoor:request:"+requestID)
	}
	if f.retryAfter > 0 {
		b = append(b, `,"retryAfterSeconds":`...)
		b = strconv.AppendInt(b, int64(f.retryAfter), 10)
	}
	b = append(b, "}\n"...)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(pt.status)
	n, _ := w.Write(b)
	return pt.status, int64(n)
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
