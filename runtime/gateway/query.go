package gateway

import (
	"strings"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// upstreamQuery returns the query to forward upstream: q without the
// gateway's own credentials, which are the gateway's and never the API's
// (apikey in any spelling: "apikey", "APIKey", "api_key", "api-key",
// "%61pikey"; access_token, the gateway's bearer tokens in query form;
// client_assertion, the token endpoint's). It returns q itself when there
// is nothing to remove. The access log redacts the rest of what carries a
// credential (internal/redact.CredentialParam).
func upstreamQuery(q string) string {
	if q == "" || !mayNameCredential(q) {
		return q
	}
	var b strings.Builder
	dropped := false
	for part := range strings.SplitSeq(q, "&") {
		name, _, _ := strings.Cut(part, "=")
		switch snapshot.ParamName(name) {
		case "apikey", "accesstoken", "clientassertion":
			dropped = true
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(part)
	}
	if !dropped {
		return q
	}
	return b.String()
}

// mayNameCredential is a cheap test that q may hold a parameter
// upstreamQuery removes: "key", "token" or "assertion" in any case, or an
// escape that could spell one.
func mayNameCredential(q string) bool {
	if strings.IndexByte(q, '%') >= 0 {
		return true
	}
	for i := 0; i < len(q); i++ {
		switch q[i] | 0x20 {
		case 'k':
			if i+3 <= len(q) && strings.EqualFold(q[i:i+3], "key") {
				return true
			}
		case 't':
			if i+5 <= len(q) && strings.EqualFold(q[i:i+5], "token") {
				return true
			}
		case 'a':
			if i+9 <= len(q) && strings.EqualFold(q[i:i+9], "assertion") {
				return true
			}
		}
	}
	return false
}
