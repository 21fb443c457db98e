package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unsafe"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// APIKeyHeader is the canonical name of the header carrying an API key.
const APIKeyHeader = "Apikey"

// maxAPIKeyLen bounds the bytes hashed per request.
const maxAPIKeyLen = 512

// apiKeyHeader returns the request's API key, reporting whether one is
// present. Repeated headers are refused: which one counts would be
// ambiguous.
func apiKeyHeader(h http.Header) (string, bool, *Error) {
	vs := h[APIKeyHeader]
	switch {
	case len(vs) == 0:
		return "", false, nil
	case len(vs) > 1:
		return "", false, newError(ReasonInvalidRequest, errors.New("repeated apikey header"))
	case vs[0] == "":
		return "", false, nil
	case len(vs[0]) > maxAPIKeyLen:
		return "", false, newError(ReasonInvalidAPIKey, fmt.Errorf("api key of %d bytes", len(vs[0])))
	}
	return vs[0], true, nil
}

// authenticateAPIKey finds the app owning key and refuses it outside the
// environments it is bound to (env is the request's environment). The key is hashed into a
// fixed array and hex-encoded on the stack; the stored hash is compared in
// constant time.
func (a *Authenticator) authenticateAPIKey(dir Directory, env, key string) (Principal, *Error) {
	// Sum256 only reads its argument: hash the string's bytes in place
	// rather than copying the key to the heap.
	sum := sha256.Sum256(unsafe.Slice(unsafe.StringData(key), len(key)))
	var hexsum [2 * sha256.Size]byte
	hex.Encode(hexsum[:], sum[:])
	var app *snapshot.App
	var ok bool
	if fast, isFast := dir.(APIKeySumDirectory); isFast {
		app, ok = fast.AppByAPIKeySum(sum)
	} else {
		app, ok = dir.AppByAPIKeyHash(string(hexsum[:]))
	}
	if !ok || app == nil {
		return Principal{}, newError(ReasonInvalidAPIKey, errors.New("unknown api key"))
	}
	var k *snapshot.APIKey
	for i := range app.APIKeys {
		if subtle.ConstantTimeCompare(hexsum[:], []byte(app.APIKeys[i].SHA256)) == 1 {
			k = &app.APIKeys[i]
			break
		}
	}
	if k == nil {
		return Principal{}, newError(ReasonInvalidAPIKey, fmt.Errorf("directory returned app %s without the key", app.ID))
	}
	if !slices.Contains(k.Environments, env) {
		return Principal{}, newError(ReasonKeyEnvironment, fmt.Errorf("key %s of app %s is bound to %v, presented in %q", k.ID, app.ID, k.Environments, env))
	}
	if snapshot.Expired(k.Expires, snapshot.DayNumber(a.now())) {
		return Principal{}, newError(ReasonExpiredKey, fmt.Errorf("key %s of app %s expired on %s", k.ID, app.ID, k.Expires))
	}
	return Principal{AppID: app.ID, OrgID: app.Org, AccessMode: snapshot.ModeAppLevel0, CredentialID: k.ID}, nil
}

// bearerToken returns the token of an "Authorization: Bearer" header,
// reporting whether one is present. Other schemes count as absent.
func bearerToken(h http.Header) (string, bool, *Error) {
	vs := h["Authorization"]
	if len(vs) == 0 {
		return "", false, nil
	}
	if len(vs) > 1 {
		return "", false, newError(ReasonInvalidRequest, errors.New("repeated authorization header"))
	}
	v := vs[0]
	const scheme = "bearer "
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return "", false, nil
	}
	tok := strings.TrimLeft(v[len(scheme):], " ")
	if tok == "" || len(tok) > maxTokenLen || !isB64Token(tok) {
		return "", false, newError(ReasonInvalidToken, errors.New("malformed bearer token"))
	}
	return tok, true, nil
}

// maxTokenLen bounds the size of any token this package parses.
const maxTokenLen = 8 << 10

// isB64Token reports whether s matches RFC 6750's b64token syntax.
func isB64Token(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
