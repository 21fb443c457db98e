package gateway

import (
	"net/http"
	"strings"
)

// targetHostFailure refuses a request whose target names a host
// (absolute-form, "GET http://host/path HTTP/1.1"). net/http routes such a
// request by the target's host and drops the Host header before the
// handler runs (RFC 9112, 3.2.2), so the gateway cannot tell which of the
// two the client meant: a target naming production under a sandbox Host
// would reach production. Clients of a gateway send origin-form targets;
// the Host (or :authority) alone chooses the environment.
//
// Over HTTP/2 the :authority names the host and a Host header, if one is
// sent, must name the same one: a front end reading the header would
// otherwise disagree with the gateway about the environment.
func targetHostFailure(r *http.Request) *failure {
	if r.URL.Host == "" && r.URL.Scheme == "" && r.URL.Opaque == "" {
		if hs := r.Header["Host"]; len(hs) == 0 || len(hs) == 1 && strings.EqualFold(hs[0], r.Host) {
			return nil
		}
		return &failure{kind: kindMisdirected, detail: "the Host header and the request's authority name different hosts"}
	}
	return &failure{kind: kindMisdirected,
		detail: "the request target must be a path: the Host header alone names the environment, never a host in the target"}
}
