package gateway

import (
	"net/http"
	"slices"
	"strings"

	"github.com/frontdoor-dev/frontdoor/runtime/auth"
	"github.com/frontdoor-dev/frontdoor/runtime/ratelimit"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// A refusal's reason: a stable code in the problem details ("reason"),
// telling the caller what to fix. A reason speaks only of the caller's own
// request and credential, never of other apps or organisations.
// `frontdoor explain CODE` documents each one (Reasons). Authentication
// refusals use the auth package's public codes as they are, so that one
// refusal has one code wherever it is reported.

// ReasonInfo documents one reason code.
type ReasonInfo struct {
	// Code is the stable code, e.g. "not_entitled".
	Code string `json:"code"`
	// Status is the HTTP status it comes with.
	Status int `json:"status"`
	// Title is a short name for the refusal.
	Title string `json:"title"`
	// Fix says what the caller does about it.
	Fix string `json:"fix"`
}

// Reason codes of the gateway itself, besides the auth package's.
const (
	ReasonAppNotIdentified      = "app_not_identified"
	ReasonNotEntitled           = "not_entitled"
	ReasonGrantExpired          = "grant_expired"
	ReasonModeNotGranted        = "mode_not_granted"
	ReasonAppQuotaExceeded      = "app_quota_exceeded"
	ReasonAPIQuotaExceeded      = "api_quota_exceeded"
	ReasonNetworkQuotaExceeded  = "network_quota_exceeded"
	ReasonTokenRequestsExceeded = "token_requests_exceeded"
)

// reasonTable is every reason code. One row per code: add new refusals
// here (and set failure.reason where they are made).
var reasonTable = []ReasonInfo{
	{auth.CodeMissingCredential, http.StatusUnauthorized, "missing credential",
		"Send a credential of one of the API's access modes: the API key in the apikey header (app-level0), an access token from the token endpoint (app-level3) or a user's bearer token (user-restricted modes). The catalogue lists the API's access modes."},
	{auth.CodeInvalidAPIKey, http.StatusUnauthorized, "invalid or expired API key",
		"Send one of your app's API keys as registered (its SHA-256 hash is in your organisation's consumer.cue), and replace a key past its last valid day."},
	{auth.CodeKeyEnvironment, http.StatusUnauthorized, "API key not valid in this environment",
		"Each API key names the environments it is accepted in: use a key issued for this environment (a sandbox key never opens production), or register one for it in your organisation's consumer.cue."},
	{auth.CodeInvalidRequest, http.StatusBadRequest, "invalid authentication request",
		"Send each credential once (one apikey header, one Authorization header) in the form the access mode defines."},
	{auth.CodeInvalidToken, http.StatusUnauthorized, "invalid or expired access token",
		"Get a new access token (app-level3: from this environment's token endpoint, with a fresh signed assertion; user-restricted: from the identity provider) and send it as a bearer token before it expires."},
	{auth.CodeForbidden, http.StatusForbidden, "credential not sufficient for this API",
		"The credential is valid but not of an access mode this API accepts, or the user's assurance or identity level is below the one the route needs: use an access mode the API offers (see its catalogue page)."},
	{auth.CodeUnavailable, http.StatusServiceUnavailable, "authentication temporarily unavailable",
		"Retry after the time given in Retry-After; reuse access tokens until they expire rather than asking for new ones."},
	{auth.CodeClientCertRequired, http.StatusUnauthorized, "client certificate required",
		"This API requires mutual TLS in this environment: call over TLS presenting one of the client certificates your app registered (their SHA-256 fingerprints in your organisation's consumer.cue)."},
	{auth.CodeClientCertExpired, http.StatusUnauthorized, "client certificate expired or not yet valid",
		"Present a client certificate within its validity period, and register the new certificate's fingerprint before the old one expires."},
	{auth.CodeClientCertNotAllowed, http.StatusForbidden, "client certificate not registered by the calling app",
		"Present a certificate whose SHA-256 fingerprint your app registered in your organisation's consumer.cue; a certificate of another app is never accepted."},
	{ReasonAppNotIdentified, http.StatusUnauthorized, "calling application not identified",
		"User-restricted access also names the calling application: send your app's API key in the apikey header beside the user's token."},
	{ReasonNotEntitled, http.StatusForbidden, "no grant for this API, environment and access mode",
		"Your app holds no unexpired grant of this API in this environment for the access mode used. Ask the API's publisher for access, or use the mode you were granted; `frontdoor access --app ORG/APP --api PUB/API --env ENV --mode MODE` says why from the configuration (no grant, expired, mode not granted, a requirement of the API unmet)."},
	{ReasonGrantExpired, http.StatusForbidden, "your app's grant has expired",
		"Your app's grant of this API in this environment for the access mode used is past its last day: ask the API's publisher to renew it."},
	{ReasonModeNotGranted, http.StatusForbidden, "access mode not granted",
		"Your app is granted this API in this environment with another access mode than the one used: call with the credential of the mode you were granted (the detail names it), or ask the publisher for this one."},
	{ReasonAppQuotaExceeded, http.StatusTooManyRequests, "your app's quota on this API is used up",
		"Wait for the time given in Retry-After, and spread your requests within the quota stated in the detail; ask the publisher for a higher one in your grant if you need it."},
	{ReasonAPIQuotaExceeded, http.StatusTooManyRequests, "the API's overall quota is used up",
		"The API as a whole is at its limit: retry after the time given in Retry-After."},
	{ReasonNetworkQuotaExceeded, http.StatusTooManyRequests, "unauthenticated requests from your network exceed their quota",
		"Retry after the time given in Retry-After, or call with an app's credential and grant, which has a quota of its own."},
	{ReasonTokenRequestsExceeded, http.StatusTooManyRequests, "too many token requests",
		"Reuse an access token until it expires instead of asking for a new one for every call; retry after the time given in Retry-After."},
}

// Reasons returns every reason code, sorted.
func Reasons() []ReasonInfo {
	out := slices.Clone(reasonTable)
	slices.SortFunc(out, func(a, b ReasonInfo) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// LookupReason returns the documentation of a reason code.
func LookupReason(code string) (ReasonInfo, bool) {
	i := slices.IndexFunc(reasonTable, func(r ReasonInfo) bool { return r.Code == code })
	if i < 0 {
		return ReasonInfo{}, false
	}
	return reasonTable[i], true
}

// entitlementFailure says why app has no entitlement to route rt with
// mode today: no grant at all, a grant expired, or grants of other modes.
// It reads only the app's own grants.
func entitlementFailure(rd *store.Read, app string, rt *store.Route, env, mode string, today int) *failure {
	f := &failure{kind: kindForbidden, reason: ReasonNotEntitled,
		detail: "app " + app + " has no unexpired grant for " + rt.API.ID + " in " + env + " with access mode " + mode}
	var lapsed string
	var others []string
	rd.Grants(app, rt.API.ID, rt.Environment, func(g *store.Grant) bool {
		same := g.AccessMode == mode || snapshot.UserRestricted(mode) && snapshot.UserRestricted(g.AccessMode) && snapshot.Satisfies(mode, g.AccessMode)
		switch {
		case same && snapshot.Expired(g.Expires, today):
			lapsed = g.Expires
		case !same && !snapshot.Expired(g.Expires, today):
			others = append(others, g.AccessMode)
		}
		return true
	})
	switch {
	case lapsed != "":
		f.reason, f.detail = ReasonGrantExpired, f.detail+": its grant expired on "+lapsed
	case len(others) > 0:
		f.reason, f.detail = ReasonModeNotGranted, f.detail+": it is granted "+strings.Join(others, ", ")
	}
	return f
}

// quotaReason is the reason of a rate-limit rejection of scope s.
func quotaReason(s ratelimit.Scope) string {
	switch s {
	case ratelimit.ScopeApp:
		return ReasonAppQuotaExceeded
	case ratelimit.ScopeNetwork, ratelimit.ScopeAnonymous:
		return ReasonNetworkQuotaExceeded
	}
	return ReasonAPIQuotaExceeded
}
