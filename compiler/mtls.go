package compiler

import (
	"fmt"
	"strings"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Mutual TLS from consumers: apps register the SHA-256 fingerprints of
// their TLS client certificates (public data), and an API requires one of
// them per environment (mutualTLS).

// checkClientCertificates checks the apps' client certificate fingerprints
// (rules 5, 9): lowercase hex SHA-256, each one app's. A fingerprint
// registered twice is reported at both places, each naming the other.
func checkClientCertificates(s *diagSink, m *model) {
	type firstAt struct {
		file, what string
		p          pos
		reported   bool
	}
	seen := map[string]*firstAt{}
	consumers := both(m.consumers, m.partial.consumers)
	for _, org := range sortedKeys(consumers) {
		file := consumerPath(org)
		gs := m.gaps[file]
		for _, appID := range sortedKeys(consumers[org].Apps) {
			certs := consumers[org].Apps[appID].ClientCertificates
			for _, cid := range sortedKeys(certs) {
				c := certs[cid]
				if gs.lacks("apps", appID, "clientCertificates", cid, "sha256") {
					continue
				}
				what := fmt.Sprintf("client certificate %s of app %s", cid, appID)
				p := c.At.of("sha256")
				if !snapshot.IsSHA256Hex(c.SHA256) {
					s.add(file, p, codeClientCertFingerprint, "write the 64 lowercase hex digits of `openssl x509 -in app.crt -outform der | sha256sum`",
						"%s is not a lowercase hex SHA-256 fingerprint", what)
					continue
				}
				f, ok := seen[c.SHA256]
				if !ok {
					seen[c.SHA256] = &firstAt{file, what, p, false}
					continue
				}
				hint := "each app registers certificates of its own"
				s.add(file, p, codeSharedClientCert, hint, "%s has the fingerprint of %s at %s:%d:%d", what, f.what, f.file, f.p.line, f.p.col)
				if !f.reported {
					f.reported = true
					s.add(f.file, f.p, codeSharedClientCert, hint, "%s has the fingerprint of %s at %s:%d:%d", f.what, what, file, p.line, p.col)
				}
			}
		}
	}
}

// checkMutualTLSAPIs refuses mutual TLS in an environment of an API that
// accepts open access: an open request names no app whose certificate
// could be checked.
func checkMutualTLSAPIs(s *diagSink, apis map[string]*apiFile) {
	for _, id := range sortedKeys(apis) {
		a := apis[id]
		open := false
		for _, mode := range a.AccessModes {
			open = open || mode == snapshot.ModeOpen
		}
		if !open {
			continue
		}
		pub, name, _ := strings.Cut(id, "/")
		for _, env := range sortedKeys(a.Environments) {
			if e := a.Environments[env]; e.MutualTLS {
				s.add(apiPath(pub, name), e.At.of("mutualTLS"), codeMutualTLSOpen, "remove open from accessModes, or mutualTLS from "+env,
					"API %s requires mutual TLS in %s but accepts open access, which names no app", id, env)
			}
		}
	}
}

// mutualTLS checks that an app granted access where the API requires
// mutual TLS has a client certificate to present.
func (gc grantCheck) mutualTLS(a *apiFile, ap *app) {
	g := gc.g
	e, ok := a.Environments[g.Environment]
	if ap == nil || !ok || !e.MutualTLS || g.AccessMode == snapshot.ModeOpen || len(ap.ClientCertificates) > 0 {
		return
	}
	gc.s.add(gc.file, g.At.of("environment"), codeNoClientCert,
		"register the fingerprint of the app's client certificate in "+consumerPath(gc.ge.org)+" (clientCertificates: <id>: sha256)",
		"API %s requires mutual TLS in %s, and app %s has no client certificate", gc.ge.pub+"/"+g.API, g.Environment, g.App)
}
