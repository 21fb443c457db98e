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
	for range 3 { // api%255Fkey decodes twice
		d, err := url.QueryUnescape(name)
		if err != nil || d == name {
			break
		}
		name = d
	}
	n := strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			return r
		case 'A' <= r && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, name)
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
