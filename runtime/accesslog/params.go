package accesslog

import (
	"strings"

	"github.com/frontdoor-dev/frontdoor/internal/redact"
)

// RedactedCredential replaces the value of a credential-carrying query
// parameter in a logged query.
const RedactedCredential = "[redacted]"

// IsCredentialParam reports whether a query parameter named raw (as sent)
// carries a credential (redact.CredentialParam: apikey, access_token,
// password, client_secret, ... in any spelling).
func IsCredentialParam(raw string) bool { return redact.CredentialParam(raw) }

// RedactQuery returns q as the access log writes it: credential values
// replaced, NHS numbers redacted.
func RedactQuery(q string) string { return Redact(redactQuery(q)) }

// redactQuery returns q with the value of every credential-carrying
// parameter replaced by RedactedCredential. Parameters are separated by
// '&' or ';' (as some servers read them). It returns q itself when nothing
// is replaced.
func redactQuery(q string) string {
	if q == "" {
		return q
	}
	var b []byte
	start := 0
	for i := 0; i <= len(q); i++ {
		if i < len(q) && q[i] != '&' && q[i] != ';' {
			continue
		}
		part := q[start:i]
		name, _, hasValue := strings.Cut(part, "=")
		if hasValue && IsCredentialParam(name) {
			if b == nil {
				b = append(make([]byte, 0, len(q)), q[:start]...)
			}
			b = append(b, name...)
			b = append(b, '=')
			b = append(b, RedactedCredential...)
		} else if b != nil {
			b = append(b, part...)
		}
		if b != nil && i < len(q) {
			b = append(b, q[i])
		}
		start = i + 1
	}
	if b == nil {
		return q
	}
	return string(b)
}
