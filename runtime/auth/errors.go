package auth

import (
	"net/http"
	"time"
)

// Reason is a stable, low-cardinality label saying why a credential was
// refused. It is meant for metrics and logs; clients see only Error.Code and
// Error.Message.
type Reason string

// Reasons a credential is refused.
const (
	ReasonMissingCredential Reason = "missing_credential" // no credential for any of the route's modes
	ReasonInvalidAPIKey     Reason = "invalid_api_key"    // unknown or malformed API key
	ReasonExpiredKey        Reason = "expired_key"        // API key past its last valid day
	ReasonKeyEnvironment    Reason = "key_environment"    // API key not bound to the request's environment
	ReasonInvalidRequest    Reason = "invalid_request"    // malformed request (duplicate headers, bad form)
	ReasonInvalidToken      Reason = "invalid_token"      // malformed token or missing/invalid claims
	ReasonInvalidSignature  Reason = "invalid_signature"  // signature does not verify
	ReasonUnsupportedAlg    Reason = "unsupported_alg"    // alg not on the allow-list (none, HS*, ...)
	ReasonExpiredToken      Reason = "expired_token"      // exp in the past
	ReasonNotYetValid       Reason = "not_yet_valid"      // nbf or iat in the future
	ReasonExpTooFar         Reason = "exp_too_far"        // client assertion exp beyond the allowed window
	ReasonWrongAudience     Reason = "wrong_audience"     // aud is not the expected audience
	ReasonWrongIssuer       Reason = "wrong_issuer"       // client assertion iss and sub differ
	ReasonUntrustedIssuer   Reason = "untrusted_issuer"   // iss is no configured identity provider
	ReasonUnknownClient     Reason = "unknown_client"     // client id names no app
	ReasonUnknownKid        Reason = "unknown_kid"        // kid absent or not in the key set
	ReasonReplayedJTI       Reason = "replayed_jti"       // client assertion jti already used
	ReasonWrongEnvironment  Reason = "wrong_environment"  // access token issued for another environment
	ReasonInsufficientLevel Reason = "insufficient_level" // user's assurance level below the route's
	ReasonModeNotAllowed    Reason = "mode_not_allowed"   // valid credential of a mode the route does not accept
	ReasonKeysUnavailable   Reason = "keys_unavailable"   // a JWKS could not be fetched
	ReasonReplayCacheFull   Reason = "replay_cache_full"  // replay cache at capacity
	ReasonTokenRateLimited  Reason = "token_rate_limited" // app over its token request limit or replay cache share
)

// Public error codes. Several reasons share one code so that clients learn
// what to fix without learning which internal check failed.
const (
	CodeMissingCredential = "missing_credential"
	CodeInvalidAPIKey     = "invalid_api_key"
	CodeKeyEnvironment    = "api_key_not_for_environment"
	CodeInvalidRequest    = "invalid_request"
	CodeInvalidToken      = "invalid_token"
	CodeForbidden         = "forbidden"
	CodeUnavailable       = "temporarily_unavailable"
)

// Error is an authentication or authorisation failure. Status is the HTTP
// status to answer with (401, 403 or 503), Code and Message are safe to show
// to clients, Challenge (if not empty) is the WWW-Authenticate header value,
// and Reason is the label for metrics. The wrapped cause is for logs only and
// must never be sent to a client.
type Error struct {
	Status    int
	Code      string
	Reason    Reason
	Challenge string
	err       error
	// retryAfter is how long to wait, for a 429.
	retryAfter time.Duration
}

// Error describes the failure for logs, including the internal cause.
func (e *Error) Error() string {
	if e.err == nil {
		return "auth: " + string(e.Reason)
	}
	return "auth: " + string(e.Reason) + ": " + e.err.Error()
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.err }

// Message is a fixed, client-safe sentence for the error's code.
func (e *Error) Message() string {
	switch e.Code {
	case CodeMissingCredential:
		return "missing credential"
	case CodeInvalidAPIKey:
		return "invalid or expired API key"
	case CodeKeyEnvironment:
		return "this API key is not valid in this environment: use a key issued for it"
	case CodeInvalidRequest:
		return "invalid authentication request"
	case CodeInvalidToken:
		return "invalid or expired access token"
	case CodeForbidden:
		return "credential not sufficient for this resource"
	case CodeUnavailable:
		return "authentication temporarily unavailable"
	case CodeClientCertRequired:
		return "this API requires mutual TLS: present, over TLS, a client certificate your app registered"
	case CodeClientCertExpired:
		return "the client certificate is expired or not yet valid"
	case CodeClientCertNotAllowed:
		return "the client certificate is not one the calling app registered"
	}
	return "unauthorised"
}

// newError builds an Error for reason with its status, code and challenge.
// cause may be nil.
func newError(reason Reason, cause error) *Error {
	e := &Error{Reason: reason, err: cause, Status: http.StatusUnauthorized}
	switch reason {
	case ReasonMissingCredential:
		e.Code = CodeMissingCredential
	case ReasonInvalidAPIKey, ReasonExpiredKey:
		e.Code = CodeInvalidAPIKey
	case ReasonKeyEnvironment:
		e.Code = CodeKeyEnvironment
	case ReasonInvalidRequest:
		e.Code, e.Status = CodeInvalidRequest, http.StatusBadRequest
	case ReasonInsufficientLevel, ReasonModeNotAllowed:
		e.Code, e.Status = CodeForbidden, http.StatusForbidden
		e.Challenge = `Bearer error="insufficient_scope"`
	case ReasonKeysUnavailable, ReasonReplayCacheFull:
		e.Code, e.Status = CodeUnavailable, http.StatusServiceUnavailable
	case ReasonTokenRateLimited:
		e.Code, e.Status = CodeUnavailable, http.StatusTooManyRequests
	default:
		e.Code = CodeInvalidToken
		e.Challenge = `Bearer error="invalid_token"`
	}
	return e
}
