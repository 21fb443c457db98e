package auth

import (
	"errors"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Algorithm allow-lists. Only asymmetric algorithms verify third-party
// tokens: "none" and HS* are never accepted, so a public key can never be
// used as an HMAC secret.
func assertionAlgs() []string { return []string{"RS512"} }

func userAlgs() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
}

// parsers are the JWT parsers, built once; a jwt.Parser is safe for
// concurrent use once built.
type parsers struct {
	assertion *jwt.Parser
	user      *jwt.Parser
}

func newParsers(now func() time.Time, skew time.Duration) parsers {
	common := []jwt.ParserOption{
		jwt.WithTimeFunc(now),
		jwt.WithLeeway(skew),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithStrictDecoding(),
	}
	return parsers{
		assertion: jwt.NewParser(append([]jwt.ParserOption{jwt.WithValidMethods(assertionAlgs())}, common...)...),
		user:      jwt.NewParser(append([]jwt.ParserOption{jwt.WithValidMethods(userAlgs())}, common...)...),
	}
}

// jwtError maps a parse error to an *Error. tok is what the parser returned
// (possibly nil), allowed the parser's algorithms.
func jwtError(tok *jwt.Token, err error, allowed []string) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if tok != nil && (tok.Method == nil || !slices.Contains(allowed, tok.Method.Alg())) && !errors.Is(err, jwt.ErrTokenMalformed) {
		return newError(ReasonUnsupportedAlg, err)
	}
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return newError(ReasonInvalidToken, err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return newError(ReasonInvalidSignature, err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return newError(ReasonExpiredToken, err)
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return newError(ReasonNotYetValid, err)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return newError(ReasonWrongAudience, err)
	}
	return newError(ReasonInvalidToken, err)
}

// checkHeader refuses tokens with a crit header: RFC 7515 §4.1.11 requires
// refusing critical extensions one does not implement, and this package
// implements none. Embedded or referenced keys (jwk, jku, x5u, x5c) are
// ignored: keys come only from configured key sets.
func checkHeader(t *jwt.Token) *Error {
	if _, ok := t.Header["crit"]; ok {
		return newError(ReasonInvalidToken, errors.New("token header has crit"))
	}
	return nil
}

// headerKid returns the header's kid, if it is a non-empty string.
func headerKid(t *jwt.Token) (string, bool) {
	kid, ok := t.Header["kid"].(string)
	return kid, ok && kid != ""
}
