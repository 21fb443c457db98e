package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/frontdoor-dev/frontdoor/snapshot"
	"github.com/golang-jwt/jwt/v5"
)

// authenticateUser validates a user-restricted token from one of dir's
// identity providers and picks the route mode it satisfies. If the request
// also carries an API key, the key must be valid and names the calling app.
func (a *Authenticator) authenticateUser(ctx context.Context, h http.Header, dir Directory, env string, modes []string, raw string) (Principal, *Error) {
	var idp *snapshot.IdentityProvider
	claims := jwt.MapClaims{}
	keyfunc := func(t *jwt.Token) (any, error) {
		if e := checkHeader(t); e != nil {
			return nil, e
		}
		iss, _ := claims["iss"].(string)
		providers := dir.IdentityProviders()
		for i := range providers {
			if iss != "" && providers[i].Issuer == iss {
				idp = &providers[i]
				break
			}
		}
		if idp == nil {
			return nil, newError(ReasonUntrustedIssuer, fmt.Errorf("user token from issuer %q", iss))
		}
		kid, ok := headerKid(t)
		if !ok {
			return nil, newError(ReasonUnknownKid, fmt.Errorf("user token of provider %s without kid", idp.ID))
		}
		k, err := a.jwks.key(ctx, idp.JWKSURL, kid)
		switch {
		case errors.Is(err, errUnknownKid):
			return nil, newError(ReasonUnknownKid, fmt.Errorf("provider %s has no key %q: %w", idp.ID, kid, err))
		case err != nil:
			return nil, newError(ReasonKeysUnavailable, fmt.Errorf("keys of provider %s: %w", idp.ID, err))
		}
		if !keyMatchesAlg(k, t.Method.Alg()) {
			return nil, newError(ReasonInvalidToken, fmt.Errorf("key %q of provider %s does not fit alg %s", kid, idp.ID, t.Method.Alg()))
		}
		return k.key, nil
	}
	tok, err := a.parsers.user.ParseWithClaims(raw, claims, keyfunc)
	if err != nil {
		return Principal{}, jwtError(tok, err, userAlgs())
	}
	if idp.Audience != "" {
		aud, err := claims.GetAudience()
		if err != nil || !slices.Contains(aud, idp.Audience) {
			return Principal{}, newError(ReasonWrongAudience, fmt.Errorf("user token of provider %s has aud %q", idp.ID, []string(aud)))
		}
	}
	sub, _ := claims["sub"].(string)
	if sub == "" {
		return Principal{}, newError(ReasonInvalidToken, fmt.Errorf("user token of provider %s without sub", idp.ID))
	}
	level, ok := claimString(claims[idp.LevelClaim])
	if !ok {
		return Principal{}, newError(ReasonInsufficientLevel, fmt.Errorf("user token of provider %s without level claim %s", idp.ID, idp.LevelClaim))
	}
	have, ok := idp.Levels[level]
	if !ok {
		return Principal{}, newError(ReasonInsufficientLevel, fmt.Errorf("user token of provider %s has unmapped level %q", idp.ID, level))
	}
	mode, ok := bestMode(have, modes)
	if !ok {
		return Principal{}, newError(ReasonInsufficientLevel, fmt.Errorf("user token at %s on a route accepting %v", have, modes))
	}
	jti, _ := claims["jti"].(string)
	p := Principal{AccessMode: mode, UserID: sub, Level: level, Provider: idp.ID, CredentialID: jti}
	key, present, kerr := apiKeyHeader(h)
	if kerr != nil {
		return Principal{}, kerr
	}
	if present {
		ap, kerr := a.authenticateAPIKey(dir, env, key)
		if kerr != nil {
			return Principal{}, kerr
		}
		p.AppID, p.OrgID = ap.AppID, ap.OrgID
	}
	return p, nil
}

// claimString returns a claim's value as text: a string as is, a number in
// its shortest decimal form.
func claimString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, v != ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	}
	return "", false
}

// bestMode returns the strongest of modes that a user authenticated at mode
// have satisfies.
func bestMode(have string, modes []string) (string, bool) {
	best, bestRank := "", -1
	for _, m := range modes {
		if !snapshot.UserRestricted(m) || !snapshot.Satisfies(have, m) {
			continue
		}
		if _, r := snapshot.UserLevel(m); r > bestRank {
			best, bestRank = m, r
		}
	}
	return best, best != ""
}
