package auth

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Reasons a client certificate is refused on a route that requires mutual
// TLS.
const (
	ReasonNoClientCert       Reason = "no_client_certificate"       // no TLS, or no certificate presented
	ReasonClientCertExpired  Reason = "client_certificate_expired"  // outside its validity period
	ReasonClientCertMismatch Reason = "client_certificate_mismatch" // not one of the app's registered certificates
)

// Public codes of client certificate refusals.
const (
	CodeClientCertRequired   = "client_certificate_required"
	CodeClientCertExpired    = "client_certificate_expired"
	CodeClientCertNotAllowed = "client_certificate_not_registered"
)

// CheckClientCertificate checks the TLS client certificate of a request
// (state, nil without TLS) against app, the app the request's other
// credential identified (nil when none did): the leaf certificate must be
// within its validity period at now and its SHA-256 fingerprint one the app
// registered. The certificate is pinned by its fingerprint, so no chain is
// verified; the TLS handshake has already made the client prove it holds
// the certificate's key. It returns nil or an *Error: 401 without a usable
// certificate, 403 for a certificate that is not the app's.
func CheckClientCertificate(state *tls.ConnectionState, app *snapshot.App, now time.Time) error {
	if state == nil || len(state.PeerCertificates) == 0 {
		return clientCertError(ReasonNoClientCert, CodeClientCertRequired, http.StatusUnauthorized)
	}
	leaf := state.PeerCertificates[0]
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return clientCertError(ReasonClientCertExpired, CodeClientCertExpired, http.StatusUnauthorized)
	}
	sum := sha256.Sum256(leaf.Raw)
	if app == nil || !app.HasClientCertificate(hex.EncodeToString(sum[:])) {
		return clientCertError(ReasonClientCertMismatch, CodeClientCertNotAllowed, http.StatusForbidden)
	}
	return nil
}

func clientCertError(reason Reason, code string, status int) *Error {
	return &Error{Reason: reason, Code: code, Status: status, err: errors.New(string(reason))}
}
