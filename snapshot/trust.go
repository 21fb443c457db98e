package snapshot

import (
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"strings"
)

// The names of headers an API may not declare as identity headers (see
// IdentityHeaderProblem). They are shared by the compiler, which reports
// them with positions, and Consistent, which refuses a snapshot carrying
// one: the gateway strips every identity name of every API from clients'
// requests and sets it upstream, so a reserved name would break framing,
// leak or drop credentials, or spoof what the gateway itself sets.
var reservedHeaders = map[string]string{
	// Hop-by-hop (RFC 9110 §7.6.1) and what the gateway's server answers.
	"connection":          "is a hop-by-hop header",
	"keep-alive":          "is a hop-by-hop header",
	"proxy-connection":    "is a hop-by-hop header",
	"proxy-authenticate":  "is a hop-by-hop header",
	"proxy-authorization": "is a hop-by-hop header",
	"te":                  "is a hop-by-hop header",
	"trailer":             "is a hop-by-hop header",
	"upgrade":             "is a hop-by-hop header",
	"expect":              "is a hop-by-hop header",
	// Framing.
	"transfer-encoding": "frames the message",
	// Routing and credentials.
	"host":          "routes the request",
	"authorization": "carries credentials",
	"cookie":        "carries credentials",
	"set-cookie":    "carries credentials",
	"apikey":        "carries credentials", // the gateway's API-key header
	// Forwarding, set by the gateway.
	"forwarded": "is a forwarding header the gateway sets",
	"via":       "is a forwarding header the gateway sets",
	"x-real-ip": "is a forwarding header the gateway sets",
	// The gateway's own.
	"x-request-id": "is the gateway's own header",
}

// reservedPrefixes are reserved name prefixes, lower case.
var reservedPrefixes = []struct{ prefix, why string }{
	{"content-", "frames the message"},
	{"x-forwarded-", "is a forwarding header the gateway sets"},
	{"x-frontdoor-", "is the gateway's own header"},
	{"x-original-", "is a header upstreams trust for the client, URL or method"},
}

// SpoofableHeaders are the headers (canonical form) that upstreams often
// trust for the client's address, the scheme, the URL or the method. The
// gateway strips them from every client's request (with every X-Original-*
// and X-Forwarded-*), and no API may declare one as an identity header.
var SpoofableHeaders = []string{
	"True-Client-Ip", "Cf-Connecting-Ip", "Fastly-Client-Ip", "X-Client-Ip", "X-Cluster-Client-Ip",
	"X-Remote-Ip", "X-Remote-Addr", "X-Originating-Ip", "X-Host", "X-Proxyuser-Ip",
	"X-Rewrite-Url", "X-Http-Method-Override", "X-Http-Method", "X-Method-Override",
	"Front-End-Https", "X-Url-Scheme", "X-Scheme",
}

// DefaultIdentityHeaders are the identity header names the schema gives an
// API by default; they are the only X-Frontdoor-* names an API may declare.
var DefaultIdentityHeaders = []string{"X-Frontdoor-App", "X-Frontdoor-Org", "X-Frontdoor-Access-Mode", "X-Frontdoor-User", "X-Frontdoor-Level"}

// IdentityHeaderProblem says why name may not be an identity header
// (compared case-insensitively, underscores as dashes, as CGI-style
// upstreams read them), or returns "" when it may.
func IdentityHeaderProblem(name string) string {
	if !validToken(name) {
		return "is not a valid header name"
	}
	for _, d := range DefaultIdentityHeaders {
		if strings.EqualFold(name, d) {
			return ""
		}
	}
	n := strings.ReplaceAll(strings.ToLower(name), "_", "-")
	if why, ok := reservedHeaders[n]; ok {
		return why
	}
	for _, h := range SpoofableHeaders {
		if strings.EqualFold(n, h) {
			return "is a header upstreams trust for the client, URL or method"
		}
	}
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(n, p.prefix) {
			return p.why
		}
	}
	return ""
}

// SameHeaderName reports whether two header names name the same header
// for an upstream (case-insensitive, underscores as dashes).
func SameHeaderName(a, b string) bool {
	return strings.EqualFold(strings.ReplaceAll(a, "_", "-"), strings.ReplaceAll(b, "_", "-"))
}

// validToken reports whether s is an RFC 9110 token (a field name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// APIKeyIdentity is what makes two API-key hashes the same key: the hash,
// in lower case.
func APIKeyIdentity(sha string) string { return strings.ToLower(strings.TrimSpace(sha)) }

// KeyMaterial identifies the public key of j: two JWKs with the same
// material are one key, whatever their kid, alg, use or base64 spelling
// (padding, leading zero bytes). RSA keys are identified by n and e, EC
// keys by crv, x and y, OKP keys by crv and x; members that do not decode
// are compared as written.
func (j JWK) KeyMaterial() string {
	num := func(s string) string {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			return "?" + s
		}
		return new(big.Int).SetBytes(b).Text(16)
	}
	raw := func(s string) string {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			return "?" + s
		}
		return hex.EncodeToString(b)
	}
	switch j.Kty {
	case "RSA":
		return "RSA " + num(j.N) + " " + num(j.E)
	case "EC":
		return "EC " + j.Crv + " " + num(j.X) + " " + num(j.Y)
	case "OKP":
		return "OKP " + j.Crv + " " + raw(j.X)
	}
	return j.Kty + " " + j.Crv + " " + j.N + " " + j.E + " " + j.X + " " + j.Y
}
