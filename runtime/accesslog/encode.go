package accesslog

import (
	"encoding/hex"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendEntry appends e as one JSON line. It writes the same shape a
// log/slog JSONHandler would (time in RFC 3339 with nanoseconds, then
// msg "access", then the fields), without slog's per-attribute overhead.
// Every text field is
// redacted as it is appended (NHS numbers in every spelling, credential
// query parameters); the user agent is cut to maxUserAgent bytes after
// redaction; the client IP is truncated.
func appendEntry(b []byte, e *Entry) []byte {
	b = append(b, `{"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","msg":"access"`...)
	// Every text field goes through the one redaction (Redact), the query
	// after its credential parameters are replaced.
	b = appendRedactedField(b, "requestId", e.RequestID)
	if e.TraceID != ([16]byte{}) {
		var id [32]byte
		hex.Encode(id[:], e.TraceID[:])
		if mayHoldNumber(id[:]) {
			b = appendRedactedField(b, "traceId", string(id[:]))
		} else {
			// Hex digits: nothing to redact or escape.
			b = append(b, `,"traceId":"`...)
			b = append(append(b, id[:]...), '"')
		}
	}
	b = appendRedactedField(b, "method", e.Method)
	b = appendRedactedField(b, "path", e.Path)
	if e.Query != "" {
		b = appendRedactedField(b, "query", redactQuery(e.Query))
	}
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, `,"latencyMs":`...)
	b = strconv.AppendFloat(b, float64(e.Latency.Microseconds())/1e3, 'f', -1, 64)
	b = append(b, `,"bytesOut":`...)
	b = strconv.AppendInt(b, e.BytesOut, 10)
	for _, f := range [...]struct{ k, v string }{
		{"app", e.App}, {"org", e.Org}, {"api", e.API}, {"environment", e.Environment},
		{"accessMode", e.AccessMode},
	} {
		if f.v != "" {
			b = appendRedactedField(b, f.k, f.v)
		}
	}
	if ip := TruncateIP(e.ClientIP); ip.IsValid() {
		b = append(b, `,"clientIp":"`...)
		b = ip.AppendTo(b)
		b = append(b, '"')
	}
	if e.UserAgent != "" {
		ua := e.UserAgent
		if len(ua) > maxUserAgent {
			// Redact the whole agent, so no partial number survives
			// the cut.
			ua = Redact(ua)
			ua = Redact(ua[:min(len(ua), maxUserAgent)])
			b = appendField(b, "userAgent", ua)
		} else {
			b = appendRedactedField(b, "userAgent", ua)
		}
	}
	return append(b, '}', '\n')
}

// appendField appends ,"key":"value"; key needs no escaping.
func appendField(b []byte, key, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

// appendRedactedField appends ,"key":"value" with value redacted.
func appendRedactedField(b []byte, key, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':', '"')
	b = appendRedacted(b, value)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

// appendEscaped appends s escaped as JSON string content: '"' and '\'
// escaped, control characters as \u00XX, invalid UTF-8 as U+FFFD (as
// encoding/json and slog do).
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}
