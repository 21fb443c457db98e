package accesslog

import "strings"

// RedactedCredential replaces the value of a credential-carrying query
// parameter in a logged query.
const RedactedCredential = "[redacted]"

// ParamName returns a query parameter's name as compared with credential
// names: percent-decoded (repeatedly), '+' read as a space, lower-cased,
// with every character but letters and digits removed ("API_Key",
// "api-key", "%61pikey" and "apiKey" are all "apikey").
func ParamName(raw string) string {
	v := view(raw)
	var b strings.Builder
	for _, r := range v {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			b.WriteRune(r)
		case 'A' <= r && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
		}
	}
	return b.String()
}

// credentialWords mark a normalised parameter name as carrying a
// credential wherever they appear in it; credentialNames only as the whole
// name (short words that are parts of ordinary names: "design", "postcode").
var (
	credentialWords = [...]string{
		"apikey", "token", "password", "passwd", "secret", "assertion",
		"authorization", "credential", "subscriptionkey", "sessionid", "signature",
	}
	credentialNames = [...]string{"key", "code", "sig", "auth", "pwd", "jwt", "session", "pass"}
)

// IsCredentialParam reports whether a query parameter named raw (as sent)
// carries a credential, by ParamName: apikey, access_token, id_token,
// password, client_secret, client_assertion, code, sig, ...
func IsCredentialParam(raw string) bool {
	n := ParamName(raw)
	for _, w := range credentialNames {
		if n == w {
			return true
		}
	}
	for _, w := range credentialWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

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
