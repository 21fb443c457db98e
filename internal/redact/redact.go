// Package redact removes credentials from what the gateway prints: URLs in
// its status, logs, metrics labels and errors (including those wrapped
// from go-git and net/http), and credential-carrying query parameters. It
// is the one redaction every printed URL goes through.
package redact

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Mask replaces a credential.
const Mask = "REDACTED"

// URL returns raw with its credentials masked: the password of its
// userinfo, the whole userinfo of an http(s) URL without a password (a
// token sent as the user name), and the value of every credential
// parameter of its query or fragment (see CredentialParam). A raw that
// does not parse as a URL is masked as text (see Text). URL returns raw
// itself when it carries no credential.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return textURLs(raw)
	}
	changed := false
	if u.User != nil {
		if p, hasPassword := u.User.Password(); hasPassword {
			if p != Mask {
				u.User = url.UserPassword(u.User.Username(), Mask)
				changed = true
			}
		} else if s := strings.ToLower(u.Scheme); (s == "http" || s == "https") && u.User.Username() != Mask {
			u.User = url.User(Mask)
			changed = true
		}
	}
	if u.RawQuery != "" {
		if q := Query(u.RawQuery); q != u.RawQuery {
			u.RawQuery = q
			changed = true
		}
	}
	if f := u.EscapedFragment(); f != "" {
		if q := Query(f); q != f {
			u.RawFragment = q
			u.Fragment, _ = url.PathUnescape(q)
			changed = true
		}
	}
	if !changed {
		return raw
	}
	return u.String()
}

// Query returns the query q with the value of every credential-carrying
// parameter replaced by Mask; q itself when there is none.
func Query(q string) string {
	parts := strings.Split(q, "&")
	changed := false
	for i, p := range parts {
		name, _, ok := strings.Cut(p, "=")
		if ok && CredentialParam(name) {
			parts[i] = name + "=" + Mask
			changed = true
		}
	}
	if !changed {
		return q
	}
	return strings.Join(parts, "&")
}

// urlInText matches a URL with a scheme inside free text, up to a space,
// a quote or an angle bracket.
var urlInText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>` + "`" + `]+`)

// textURLs masks the userinfo of an unparsable URL-like string
// (everything between "://" and the last "@" before the first "/", "?" or
// "#") and the credential parameters after its first "?" or "#".
func textURLs(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	head, rest := s[:i+3], s[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
		head, rest, end = head+Mask, rest[at:], end-at
	}
	if q := strings.IndexAny(rest[end:], "?#"); q >= 0 {
		q += end + 1
		rest = rest[:q] + Query(rest[q:])
	}
	return head + rest
}

// Text returns s with every URL in it masked as URL does.
func Text(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlInText.ReplaceAllStringFunc(s, func(m string) string {
		// A URL ending a sentence or a list keeps its punctuation.
		trail := len(m) - len(strings.TrimRight(m, ".,;:)]"))
		return URL(m[:len(m)-trail]) + m[len(m)-trail:]
	})
}

// Error returns err with its message masked as Text does, still wrapping
// err (errors.Is and errors.As see through it); err itself when its
// message carries no credential, nil for nil.
func Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if m := Text(msg); m != msg {
		return &maskedError{msg: m, err: err}
	}
	return err
}

type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

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

// CredentialParam reports whether a query parameter named raw (as sent)
// carries a credential, by its snapshot.ParamName: apikey, access_token, id_token,
// token, password, client_secret, client_assertion, code, sig, key, ...
func CredentialParam(raw string) bool {
	n := snapshot.ParamName(raw)
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
