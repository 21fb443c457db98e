package snapshot

import (
	"net/url"
	"slices"
	"strings"
)

// URLCredential describes the credential a URL carries — user information
// (user:password@ or a token as the user), or a parameter of its query or
// fragment named like a credential — or returns "" for a URL without one,
// or for a string that does not parse as a URL. The description names the
// parameter, never its value. The compiler refuses such URLs anywhere in a
// configuration; Consistent refuses them in a snapshot.
func URLCredential(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if u.User != nil {
		return "credentials (user information before @)"
	}
	for _, part := range []struct{ where, raw string }{{"query", u.RawQuery}, {"fragment", u.EscapedFragment()}} {
		if part.raw == "" {
			continue
		}
		q, _ := url.ParseQuery(part.raw) // what parses is checked
		names := make([]string, 0, len(q))
		for name := range q {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			if credentialParam(name) && slices.ContainsFunc(q[name], notPlaceholder) {
				n := strings.ToLower(name)
				if len(n) > 40 {
					n = n[:40] + "…"
				}
				return "a credential in its " + part.where + " (parameter " + n + ")"
			}
		}
	}
	return ""
}

// credentialParams are query parameter names, lower case without
// separators, that carry credentials; credentialSuffixes end such names
// (X-Amz-Signature, client_secret, access_token...).
var (
	credentialParams = []string{
		"apikey", "key", "token", "secret", "password", "passwd", "pwd", "pass", "sig", "signature", "auth",
		"accesskey", "secretkey", "privatekey", "subscriptionkey", "credential", "credentials", "jwt", "bearer",
	}
	credentialSuffixes = []string{"token", "secret", "password", "signature", "apikey", "credential"}
	// notCredential are parts of the names of parameters that end like a
	// credential's but page through results (pageToken, next_token).
	notCredential = []string{"page", "next", "continuation", "cursor"}
)

// credentialParam reports whether a query parameter name names a
// credential, whatever its case, separators or percent-encoding.
func credentialParam(name string) bool {
	n := ParamName(name)
	if slices.Contains(credentialParams, n) {
		return true
	}
	for _, s := range credentialSuffixes {
		if strings.HasSuffix(n, s) {
			return !slices.ContainsFunc(notCredential, func(x string) bool { return strings.Contains(n, x) })
		}
	}
	return false
}

// notPlaceholder reports whether a parameter's value could be a
// credential: it is neither empty nor a template such as {apikey},
// ${TOKEN} or <token>.
func notPlaceholder(v string) bool {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return false
	case strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}"),
		strings.HasPrefix(v, "${") && strings.HasSuffix(v, "}"),
		strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">"):
		return false
	}
	return true
}

// ParamName returns a query parameter's name as compared with credential
// names: percent-decoded (repeatedly), lower-cased, with every character
// but ASCII letters and digits removed ("API_Key", "api-key", "%61pikey"
// and "apiKey" are all "apikey").
func ParamName(raw string) string {
	v := raw
	for range 4 { // api%255Fkey decodes twice
		if !strings.Contains(v, "%") {
			break
		}
		d, err := url.PathUnescape(v)
		if err != nil || d == v {
			break
		}
		v = d
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			b.WriteByte(c)
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + ('a' - 'A'))
		}
	}
	return b.String()
}
