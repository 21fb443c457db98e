package auth

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
	"github.com/golang-jwt/jwt/v5"
)

// OAuth 2.0 names used by the token endpoint (RFC 6749, RFC 7523).
const (
	TokenPath                = "/oauth2/token"
	GrantClientCredentials   = "client_credentials"
	AssertionTypeJWTBearer   = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	MaxAssertionLifetime     = 5 * time.Minute
	maxTokenRequestBodyBytes = 64 << 10
	maxJTILen                = 256
)

// ServeToken serves one token request for environment env against dir: the
// client_credentials grant with a signed JWT client assertion (RFC 7523
// §2.2). The client id is the app ID ("<org>/<app>"); the assertion must be
// signed RS512 by a key of the app's JWKS (inline keys first, then its JWKS
// URL), have iss = sub = the client id, aud exactly the environment's token
// URL, a jti never seen before, and an exp at most MaxAssertionLifetime
// ahead. On success it answers with an opaque access token bound to the app
// and env, valid for AccessTokenTTL. Errors are RFC 6749 §5.2 JSON bodies
// whose descriptions never carry internal detail.
func (a *Authenticator) ServeToken(w http.ResponseWriter, r *http.Request, dir Directory, env string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "the token endpoint accepts only POST")
		return
	}
	tokenURL, ok := a.tokenURLs[env]
	if !ok {
		if td, isTD := dir.(TokenURLDirectory); isTD {
			tokenURL, ok = td.TokenURL(env)
		}
	}
	if !ok {
		a.log.Error("token request for environment without token url", slog.String("env", env))
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "the token endpoint is not configured")
		return
	}
	if r.URL.RawQuery != "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "parameters must be sent in the request body")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "content type must be application/x-www-form-urlencoded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenRequestBodyBytes)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the request body is not a valid form")
		return
	}
	var params [4]string
	for i, name := range [...]string{"grant_type", "client_assertion_type", "client_assertion", "client_id"} {
		vs := r.PostForm[name]
		if len(vs) > 1 {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "parameter "+name+" is repeated")
			return
		}
		if len(vs) == 1 {
			params[i] = vs[0]
		}
	}
	grantType, assertionType, assertion, clientID := params[0], params[1], params[2], params[3]
	switch {
	case grantType == "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "grant_type is missing")
		return
	case grantType != GrantClientCredentials:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	case assertionType != AssertionTypeJWTBearer:
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "client_assertion_type must be "+AssertionTypeJWTBearer)
		return
	case assertion == "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "client_assertion is missing")
		return
	}
	app, aerr := a.verifyAssertion(r.Context(), dir, env, tokenURL, assertion, clientID)
	if aerr != nil {
		a.log.Debug("client assertion refused", slog.String("env", env), slog.String("reason", string(aerr.Reason)), slog.Any("err", aerr.err))
		if aerr.Status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(aerr.retryAfter.Seconds())))))
			writeOAuthError(w, http.StatusTooManyRequests, "slow_down", "too many token requests for this client: reuse the access token until it expires")
			return
		}
		if aerr.Status == http.StatusServiceUnavailable {
			writeOAuthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "client authentication is temporarily unavailable")
			return
		}
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", assertionDescription(aerr.Reason))
		return
	}
	tok, t, err := a.tokens.issue(app.ID, env, a.now())
	if err != nil {
		a.log.Error("issuing access token", slog.Any("err", err))
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "the token could not be issued")
		return
	}
	a.log.Info("issued access token", slog.String("app", app.ID), slog.String("env", env), slog.String("jti", t.jti))
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	json.NewEncoder(w).Encode(struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}{tok, int(AccessTokenTTL / time.Second), "Bearer"})
}

// writeOAuthError writes an RFC 6749 §5.2 error response.
func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer error="`+code+`"`)
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Error       string `json:"error"`
		Description string `json:"error_description,omitempty"`
	}{code, desc})
}

// assertionDescription is the client-facing description of a refused
// assertion. Failures that would reveal whether a client id or key exists
// share one description.
func assertionDescription(r Reason) string {
	switch r {
	case ReasonUnsupportedAlg:
		return "client_assertion must be signed with RS512"
	case ReasonExpiredToken:
		return "client_assertion has expired"
	case ReasonNotYetValid:
		return "client_assertion is not valid yet"
	case ReasonExpTooFar:
		return "client_assertion exp must be at most 5 minutes in the future"
	case ReasonWrongAudience:
		return "client_assertion aud must be the token endpoint URL"
	case ReasonWrongIssuer:
		return "client_assertion iss and sub must both be the client id"
	case ReasonReplayedJTI:
		return "client_assertion jti has been used before"
	case ReasonKeyEnvironment:
		return "client_assertion is signed with a key that is not valid in this environment"
	case ReasonInvalidToken:
		return "client_assertion is malformed or misses a required claim"
	}
	return "client authentication failed"
}

// verifyAssertion validates a client assertion for the token endpoint at
// tokenURL and returns the authenticated app. The jti is recorded only once
// the signature and every claim have been checked, so unsigned junk cannot
// fill the replay cache.
func (a *Authenticator) verifyAssertion(ctx context.Context, dir Directory, env, tokenURL, assertion, clientID string) (*snapshot.App, *Error) {
	if len(assertion) > maxTokenLen {
		return nil, newError(ReasonInvalidToken, fmt.Errorf("client assertion of %d bytes", len(assertion)))
	}
	var app *snapshot.App
	claims := &jwt.RegisteredClaims{}
	keyfunc := func(t *jwt.Token) (any, error) {
		if e := checkHeader(t); e != nil {
			return nil, e
		}
		if claims.Issuer == "" || claims.Issuer != claims.Subject {
			return nil, newError(ReasonWrongIssuer, fmt.Errorf("client assertion iss %q and sub %q", claims.Issuer, claims.Subject))
		}
		found, ok := dir.App(claims.Issuer)
		if !ok {
			return nil, newError(ReasonUnknownClient, fmt.Errorf("client assertion for unknown app %q", claims.Issuer))
		}
		kid, ok := headerKid(t)
		if !ok {
			return nil, newError(ReasonUnknownKid, errors.New("client assertion without kid"))
		}
		k, e := a.appKey(ctx, found, env, kid)
		if e != nil {
			return nil, e
		}
		if _, isRSA := k.key.(*rsa.PublicKey); !isRSA || !keyMatchesAlg(k, t.Method.Alg()) {
			return nil, newError(ReasonInvalidToken, fmt.Errorf("key %q of app %s does not fit alg %s", kid, found.ID, t.Method.Alg()))
		}
		app = found
		return k.key, nil
	}
	tok, err := a.parsers.assertion.ParseWithClaims(assertion, claims, keyfunc)
	if err != nil {
		return nil, jwtError(tok, err, assertionAlgs())
	}
	if len(claims.Audience) != 1 || claims.Audience[0] != tokenURL {
		return nil, newError(ReasonWrongAudience, fmt.Errorf("client assertion of app %s has aud %q", app.ID, []string(claims.Audience)))
	}
	exp := claims.ExpiresAt.Time
	if exp.After(a.now().Add(MaxAssertionLifetime + a.skew)) {
		return nil, newError(ReasonExpTooFar, fmt.Errorf("client assertion of app %s expires at %s", app.ID, exp))
	}
	if claims.ID == "" || len(claims.ID) > maxJTILen {
		return nil, newError(ReasonInvalidToken, fmt.Errorf("client assertion of app %s has a jti of %d bytes", app.ID, len(claims.ID)))
	}
	if clientID != "" && clientID != app.ID {
		return nil, newError(ReasonWrongIssuer, fmt.Errorf("client_id %q with an assertion of app %s", clientID, app.ID))
	}
	if f := a.tokenLimit.Load(); f != nil {
		if wait, ok := (*f)(ctx, env, app.ID); !ok {
			e := newError(ReasonTokenRateLimited, fmt.Errorf("app %s over its token request limit in %s", app.ID, env))
			e.retryAfter = wait
			return nil, e
		}
	}
	fresh, err := a.replay.Use(app.ID, claims.ID, exp.Add(a.skew))
	if errors.Is(err, ErrReplayShareFull) {
		e := newError(ReasonTokenRateLimited, fmt.Errorf("recording jti of app %s: %w", app.ID, err))
		e.retryAfter = MaxAssertionLifetime / 10
		return nil, e
	}
	if err != nil {
		return nil, newError(ReasonReplayCacheFull, fmt.Errorf("recording jti of app %s: %w", app.ID, err))
	}
	if !fresh {
		return nil, newError(ReasonReplayedJTI, fmt.Errorf("client assertion of app %s replays jti %q", app.ID, claims.ID))
	}
	return app, nil
}

// appKey finds an app's signing key kid: inline keys first, then the app's
// JWKS URL.
func (a *Authenticator) appKey(ctx context.Context, app *snapshot.App, env, kid string) (publicKey, *Error) {
	for _, j := range app.JWKs {
		if j.Kid == kid && len(j.Environments) > 0 && !slices.Contains(j.Environments, env) {
			return publicKey{}, newError(ReasonKeyEnvironment, fmt.Errorf("key %q of app %s is bound to %v, used in %q", kid, app.ID, j.Environments, env))
		}
	}
	k, ok, err := findInline(app.JWKs, kid)
	if err != nil {
		return publicKey{}, newError(ReasonUnknownKid, fmt.Errorf("inline key of app %s: %w", app.ID, err))
	}
	if ok {
		return k, nil
	}
	if app.JWKSURL == "" {
		return publicKey{}, newError(ReasonUnknownKid, fmt.Errorf("app %s has no key %q", app.ID, kid))
	}
	k, err = a.jwks.key(ctx, app.JWKSURL, kid)
	switch {
	case errors.Is(err, errUnknownKid):
		return publicKey{}, newError(ReasonUnknownKid, fmt.Errorf("app %s has no key %q: %w", app.ID, kid, err))
	case err != nil:
		return publicKey{}, newError(ReasonKeysUnavailable, fmt.Errorf("keys of app %s: %w", app.ID, err))
	}
	return k, nil
}
