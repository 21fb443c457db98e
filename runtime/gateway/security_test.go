package gateway_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestPathConfusionNeverReachesAnotherUpstreamOrPath sends requests whose
// raw paths try to escape the entitled API (pub/keyed) towards one the app
// has no grant for (pub/other), or to reach the upstream with another path
// than the one routed and authorised. Each is either refused before any
// upstream sees it, or reaches the entitled API's upstream with exactly the
// clean path.
func TestPathConfusionNeverReachesAnotherUpstreamOrPath(t *testing.T) {
	paths(t, testPathConfusion)
}

func testPathConfusion(t *testing.T, o envOptions) {
	e := newEnv(t, o)
	const refused = ""
	for _, tc := range []struct {
		target string
		code   int
		// upstream is the request URI the upstream must see; refused
		// means it sees nothing.
		upstream string
	}{
		{"/pub/keyed/v1/../other/v1/x", 400, refused},
		{"/pub/keyed/v1/%2e%2e/%2e%2e/other/v1/x", 400, refused},
		{"/pub/keyed/v1/%2E%2E/x", 400, refused},
		{"/pub/keyed/v1/.%2e/other", 400, refused},
		{"/pub/keyed/v1/..%2f..%2fother/v1", 400, refused},
		{"/pub/keyed/v1%2f..%2fother/v1/x", 400, refused},
		{"/pub/keyed/v1/x%2fy", 400, refused},
		{"/pub/keyed/v1/%2F", 400, refused},
		{"/pub/keyed/v1/x%5c..%5cother", 400, refused},
		{`/pub/keyed/v1/..\..\other\v1`, 400, refused},
		{"/pub/keyed/v1/x;/../../other/v1", 400, refused},
		{"/pub/keyed/v1;x=1/y", 400, refused},
		{"/pub/keyed/v1/..;/other", 400, refused},
		{"/pub/keyed/v1/x%3b/y", 400, refused},
		{"//pub/keyed/v1/x", 400, refused},
		{"/pub//keyed/v1/x", 400, refused},
		{"/pub/keyed/v1//x", 400, refused},
		{"/pub/keyed/v1/./x", 400, refused},
		{"/pub/keyed/./v1/x", 400, refused},
		{"/pub/keyed/v1/x/..", 400, refused},
		{"/pub/keyed/v1/%252e%252e/other", 400, refused},
		{"/pub/keyed/v1/%00", 400, refused},
		{"/pub/keyed/v1/%09", 400, refused},
		{"/pub/keyed/v1/x%0d%0aX-Frontdoor-App:%20evil", 400, refused},
		{"/pub/keyed/v1/%c0%af", 400, refused},
		{"/pub/keyed/v1/%ef%bc%8f..%ef%bc%8fother", 400, refused},
		{"/pub/keyed/v1/x%E2%88%95y", 400, refused},
		{"/pub/keyed/v1/%E2%80%A5/other/v1", 400, refused},
		{"/pub/keyed/v1/%E2%80%A4%E2%80%A4/other/v1", 400, refused},
		{"/pub/keyed/v1/%E2%80%A6/x", 400, refused},
		{"/pub/keyed/v1/%EF%B8%B0/other/v1", 400, refused},
		{"/pub/keyed/v1/.../other/v1", 400, refused},
		{"/pub/keyed/v1/x./y", 400, refused},
		{"/pub/keyed/v1./x", 400, refused},
		{"/pub/keyed/v1/x%zz", 400, refused},
		{"/pub/keyed/v1/%u002e%u002e", 400, refused},
		{"http://" + sandboxHost + "/pub/keyed/v1/../../other/v1", 421, refused},
		{"/PUB/KEYED/V1/x", 404, refused},
		{"/pub/keyed/v1x", 404, refused},
		{"/pub/keyed", 404, refused},
		{"/pub/other/v1/x", 403, refused},
		{"http://evil.example/pub/other/v1/x", 421, refused},
		{"/pub/%6beyed/v1/x", 200, "/keyed/x"},
		{"/pub/keyed/v1/%41bc", 200, "/keyed/Abc"},
		{"/pub/keyed/v1/caf%c3%a9", 200, "/keyed/caf%C3%A9"},
		{"/pub/keyed/v1/x#frag", 200, "/keyed/x%23frag"},
		{"/pub/keyed/v1/x?y=/../../other/v1", 200, "/keyed/x?y=/../../other/v1"},
		{"/pub/keyed/v1/a:b@c!$&'()*+,=", 200, "/keyed/a:b@c!$&'()*+,="},
	} {
		t.Run(tc.target, func(t *testing.T) {
			before := len(e.up.all())
			r := e.raw(tc.target, "apikey: "+portalKey)
			if r.code != tc.code {
				t.Errorf("got %d, want %d (%s)", r.code, tc.code, r.body)
			}
			got := e.up.all()[before:]
			switch {
			case tc.upstream == refused && len(got) != 0:
				t.Errorf("the upstream received %q, want nothing", got[0].RequestURI)
			case tc.upstream != refused && (len(got) != 1 || got[0].RequestURI != tc.upstream):
				t.Errorf("the upstream received %v, want exactly %q", requestURIs(got), tc.upstream)
			}
			if r.code >= 400 && r.header.Get("X-Request-Id") != "" {
				// Answered by the gateway, not refused by net/http.
				decodeProblem(t, r)
			}
		})
	}
	for _, s := range e.up.all() {
		if !strings.HasPrefix(s.RequestURI, "/keyed/") {
			t.Errorf("an upstream outside the entitled API was reached: %q", s.RequestURI)
		}
	}
}

func requestURIs(ss []seen) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.RequestURI)
	}
	return out
}

// TestClientsCannotForgeIdentityUpstream sends identity and forwarding
// headers a client might forge; the upstream must see only the gateway's.
func TestClientsCannotForgeIdentityUpstream(t *testing.T) {
	paths(t, testForgery)
}

func testForgery(t *testing.T, o envOptions) {
	e := newEnv(t, o)
	tok := e.accessToken(t)
	for _, tc := range []struct {
		name, path string
		send       []string
		// want maps upstream headers to their only allowed values; nil
		// means absent.
		want map[string][]string
	}{
		{"the API's identity headers", "/pub/keyed/v1/x",
			[]string{"X-Frontdoor-App", "evil/app", "X-Frontdoor-Org", "evil", "X-Frontdoor-Access-Mode", "app-level3"},
			map[string][]string{"X-Frontdoor-App": {"acme/portal"}, "X-Frontdoor-Org": {"acme"}, "X-Frontdoor-Access-Mode": {"app-level0"}}},
		{"repeated identity headers", "/pub/keyed/v1/x",
			[]string{"X-Frontdoor-App", "evil/app", "X-Frontdoor-App", "acme/portal", "x-frontdoor-app", "evil/two"},
			map[string][]string{"X-Frontdoor-App": {"acme/portal"}}},
		{"identity headers the API does not set", "/pub/keyed/v1/x",
			[]string{"X-Frontdoor-User", "victim", "X-Frontdoor-Level", "P9", "X-Frontdoor-Anything", "x"},
			map[string][]string{"X-Frontdoor-User": nil, "X-Frontdoor-Level": nil, "X-Frontdoor-Anything": nil}},
		{"another API's custom identity header names", "/pub/keyed/v1/x",
			[]string{"X-Consumer-App", "evil/app", "x-consumer-org", "evil", "X-Consumer-Mode", "open"},
			map[string][]string{"X-Consumer-App": nil, "X-Consumer-Org": nil, "X-Consumer-Mode": nil}},
		{"the API's own custom identity header names", "/pub/custom/v1/x",
			[]string{"X-Consumer-App", "evil/app", "X-Consumer-Org", "evil", "X-Frontdoor-App", "evil/app"},
			map[string][]string{"X-Consumer-App": {"acme/portal"}, "X-Consumer-Org": {"acme"}, "X-Consumer-Mode": {"app-level0"}, "X-Frontdoor-App": nil}},
		{"underscore spellings", "/pub/custom/v1/x",
			[]string{"X-Frontdoor_App", "evil/app", "X_Consumer_App", "evil/app", "x_consumer_org", "evil"},
			map[string][]string{"X-Frontdoor_app": nil, "X_consumer_app": nil, "X_consumer_org": nil, "X-Consumer-App": {"acme/portal"}}},
		{"forwarding headers", "/pub/keyed/v1/x",
			[]string{"X-Forwarded-For", "1.2.3.4", "X-Forwarded-Host", "admin.internal", "X-Forwarded-Proto", "https",
				"Forwarded", "for=1.2.3.4;host=admin.internal", "X-Real-Ip", "1.2.3.4", "X-Forwarded-Prefix", "/admin"},
			map[string][]string{"X-Forwarded-For": {"127.0.0.1"}, "X-Forwarded-Host": {sandboxHost}, "X-Forwarded-Proto": {"http"},
				"Forwarded": nil, "X-Real-Ip": nil, "X-Forwarded-Prefix": nil}},
		{"the apikey", "/pub/keyed/v1/x", nil, map[string][]string{"Apikey": nil}},
		{"Connection naming identity headers", "/pub/custom/v1/x",
			[]string{"Connection", "X-Consumer-App, X-Consumer-Org", "Connection", "X-Frontdoor-App"},
			map[string][]string{"X-Consumer-App": {"acme/portal"}, "X-Consumer-Org": {"acme"}, "Connection": nil}},
		{"hop-by-hop headers", "/pub/keyed/v1/x",
			[]string{"Keep-Alive", "timeout=5", "Proxy-Authorization", "Basic eDp5", "Upgrade", "h2c", "Te", "gzip", "Trailer", "X-Frontdoor-App", "Proxy-Connection", "keep-alive"},
			map[string][]string{"Keep-Alive": nil, "Proxy-Authorization": nil, "Upgrade": nil, "Te": nil, "Trailer": nil, "Proxy-Connection": nil}},
		{"the gateway's bearer token with an API key", "/pub/keyed/v1/x",
			[]string{"Authorization", "Bearer " + tok},
			map[string][]string{"Authorization": nil, "X-Frontdoor-App": {"acme/portal"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			send := append([]string{"apikey", portalKey}, tc.send...)
			r := e.get(tc.path, send...)
			if r.code != http.StatusOK {
				t.Fatalf("got %d %s, want 200", r.code, r.body)
			}
			h := e.up.last(t).Header
			for name, want := range tc.want {
				if got := h[name]; !slices.Equal(got, want) {
					t.Errorf("%s: got %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestUsersCannotForgeAnotherUserUpstream(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.get("/pub/user/v1/me", "Authorization", "Bearer "+userToken(t, "P5"), "apikey", portalKey,
		"X-Frontdoor-User", "user-victim", "X-Frontdoor-Level", "P9")
	if r.code != http.StatusOK {
		t.Fatalf("got %d %s, want 200", r.code, r.body)
	}
	h := e.up.last(t).Header
	if got := h["X-Frontdoor-User"]; !slices.Equal(got, []string{"user-" + nhsNumber}) {
		t.Errorf("user: got %q, want the token's subject", got)
	}
	if got := h["X-Frontdoor-Level"]; !slices.Equal(got, []string{"P5"}) {
		t.Errorf("level: got %q, want %q", got, "P5")
	}
}
