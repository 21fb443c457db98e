package gateway

import (
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/auth"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// The headers the gateway sets or strips for itself may never be an API's
// identity header (snapshot.IdentityHeaderProblem, which the compiler and
// Snapshot.Consistent apply): the list there must cover the gateway's.
func TestTheGatewaysOwnHeadersCannotBeIdentityHeaders(t *testing.T) {
	own := []string{GenerationHeader, RequestIDHeader, auth.APIKeyHeader, identityPrefix + "Anything"}
	for _, h := range []string{
		"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade",
		"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port",
		"X-Forwarded-Prefix", "X-Forwarded-Server", "X-Real-Ip", "X-Request-Id",
		"Apikey", "Expect", "Host", "Content-Length", "Authorization",
		"X-Original-Url", "X-Original-Method", "True-Client-Ip", "X-Http-Method-Override",
	} {
		// Every header the gateway strips whatever its value, and
		// Authorization, which it may strip.
		if dropHeader(h, []string{"Bearer fd1.x"}, nil) {
			own = append(own, h)
		}
	}
	for _, h := range own {
		if snapshot.IdentityHeaderProblem(h) == "" {
			t.Errorf("%s: got no problem, want it reserved", h)
		}
	}
}
