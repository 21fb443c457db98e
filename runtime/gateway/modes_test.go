package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func TestOpenRouteServesAnonymousRequests(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.get("/pub/open/v1/things?q=1")
	if r.code != http.StatusOK || r.body != "/open/things?q=1" {
		t.Fatalf("got %d %q, want 200 %q", r.code, r.body, "/open/things?q=1")
	}
	if got := e.up.last(t).Header.Get("X-Frontdoor-Access-Mode"); got != "open" {
		t.Errorf("access mode header: got %q, want %q", got, "open")
	}
	if got := e.up.last(t).Header.Get("X-Frontdoor-App"); got != "" {
		t.Errorf("app header on an anonymous request: got %q, want none", got)
	}
}

func TestOpenRouteOverItsQuotaAnswers429ForAllCallers(t *testing.T) {
	e := newEnv(t, envOptions{edit: func(s *snapshot.Snapshot) {
		for i := range s.APIs {
			if s.APIs[i].Name == "open" {
				s.APIs[i].RateLimit = snapshot.RateLimit{Limit: 1, Per: "minute"}
			}
		}
	}})
	if r := e.get("/pub/open/v1/x"); r.code != http.StatusOK {
		t.Fatalf("first request: got %d, want 200", r.code)
	}
	r := e.get("/pub/open/v1/x")
	if r.code != http.StatusTooManyRequests {
		t.Fatalf("second request: got %d, want 429", r.code)
	}
	if p := decodeProblem(t, r); p.Detail != "pub/open exceeded its quota of 1/minute for all callers together" {
		t.Errorf("detail: got %q", p.Detail)
	}
}

func TestAppLevel0ServesAnEntitledAPIKey(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.get("/pub/keyed/v1/Patient/1", "apikey", portalKey)
	if r.code != http.StatusOK || r.body != "/keyed/Patient/1" {
		t.Fatalf("got %d %q, want 200 %q", r.code, r.body, "/keyed/Patient/1")
	}
	h := e.up.last(t).Header
	for name, want := range map[string]string{
		"X-Frontdoor-App": "acme/portal", "X-Frontdoor-Org": "acme", "X-Frontdoor-Access-Mode": "app-level0",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	if got := h.Get("Apikey"); got != "" {
		t.Errorf("apikey forwarded upstream: got %q, want none", got)
	}
}

func TestAppLevel0RefusesMissingAndUnknownKeys(t *testing.T) {
	e := newEnv(t, envOptions{})
	wantRefused(t, e, "/pub/keyed/v1/x", []refusal{
		{"no key", nil, http.StatusUnauthorized},
		{"unknown key", []string{"apikey", "nope-0123456789"}, http.StatusUnauthorized},
		{"repeated key", []string{"apikey", portalKey, "apikey", portalKey}, http.StatusBadRequest},
	})
	if got := e.metric("frontdoor_gateway_auth_failures_total", "reason", "invalid_api_key"); got != 1 {
		t.Errorf("invalid_api_key failures: got %v, want 1", got)
	}
}

func TestAppLevel3ServesATokenFromTheTokenEndpoint(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.accessToken(t)
	if n := len(e.up.all()); n != 0 {
		t.Fatalf("the token endpoint was proxied: %d upstream requests", n)
	}
	r := e.get("/pub/signed/v1/x", "Authorization", "Bearer "+tok)
	if r.code != http.StatusOK {
		t.Fatalf("got %d %s, want 200", r.code, r.body)
	}
	h := e.up.last(t).Header
	if got := h.Get("X-Frontdoor-Access-Mode"); got != "app-level3" {
		t.Errorf("access mode: got %q, want %q", got, "app-level3")
	}
	if got := h.Get("Authorization"); got != "" {
		t.Errorf("the gateway's access token was forwarded: got %q, want none", got)
	}
}

func TestAppLevel3RefusesAForgedToken(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.accessToken(t)
	forged := tok[:len(tok)-2] + "AA"
	if forged == tok {
		forged = tok[:len(tok)-2] + "BB"
	}
	r := e.get("/pub/signed/v1/x", "Authorization", "Bearer "+forged)
	if r.code != http.StatusUnauthorized {
		t.Fatalf("got %d %s, want 401", r.code, r.body)
	}
	if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("WWW-Authenticate: got %q, want a Bearer challenge", got)
	}
	// A token for one environment is not valid in another.
	r = e.get("/pub/signed/v1/x", "Authorization", "Bearer "+tok, "Host", prodHost)
	if r.code != http.StatusUnauthorized {
		t.Errorf("sandbox token in production: got %d, want 401", r.code)
	}
}

func TestTokenEndpointIsServedOnEveryEnvironmentHostAndNeverProxied(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.get("/oauth2/token", "Host", prodHost)
	if r.code != http.StatusMethodNotAllowed {
		t.Errorf("GET: got %d, want 405", r.code)
	}
	r = e.do(http.MethodPost, "/oauth2/token", strings.NewReader("grant_type=client_credentials"), "Content-Type", "application/x-www-form-urlencoded", "Host", prodHost)
	if r.code != http.StatusBadRequest {
		t.Errorf("POST without assertion: got %d %s, want 400", r.code, r.body)
	}
	if n := len(e.up.all()); n != 0 {
		t.Errorf("upstream requests: got %d, want 0", n)
	}
}

func TestUserRestrictedServesAUserWithTheAppsKey(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := userToken(t, "P9")
	r := e.get("/pub/user/v1/me", "Authorization", "Bearer "+tok, "apikey", portalKey)
	if r.code != http.StatusOK {
		t.Fatalf("got %d %s, want 200", r.code, r.body)
	}
	h := e.up.last(t).Header
	for name, want := range map[string]string{
		"X-Frontdoor-App": "acme/portal", "X-Frontdoor-Access-Mode": "nhs-login-p9",
		"X-Frontdoor-User": "user-" + nhsNumber, "X-Frontdoor-Level": "P9",
		// The user's own token goes on: upstreams may read its claims.
		"Authorization": "Bearer " + tok,
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
}

func TestUserRestrictedRefusesALowLevelAnUnknownAppAndNoApp(t *testing.T) {
	e := newEnv(t, envOptions{})
	wantRefused(t, e, "/pub/user/v1/me", []refusal{
		{"P0 user on a P5 route", []string{"Authorization", "Bearer " + userToken(t, "P0"), "apikey", portalKey}, http.StatusForbidden},
		{"no app key", []string{"Authorization", "Bearer " + userToken(t, "P9")}, http.StatusUnauthorized},
		{"app without a grant", []string{"Authorization", "Bearer " + userToken(t, "P9"), "apikey", otherKey}, http.StatusForbidden},
		{"no token", []string{"apikey", portalKey}, http.StatusUnauthorized},
		{"token signed by another key", []string{"Authorization", "Bearer " + userTokenSignedBy(t, 0, "P9"), "apikey", portalKey}, http.StatusUnauthorized},
	})
}

// refusal is a request (header pairs kv) the gateway must answer itself
// with status code.
type refusal struct {
	name string
	kv   []string
	code int
}

// wantRefused sends each refusal to target: each gets its status with a
// problem document, and none reaches the upstream.
func wantRefused(t *testing.T, e *env, target string, refusals []refusal) {
	t.Helper()
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(target, tc.kv...)
			if r.code != tc.code {
				t.Fatalf("got %d %s, want %d", r.code, r.body, tc.code)
			}
			decodeProblem(t, r)
		})
	}
	if n := len(e.up.all()); n != 0 {
		t.Errorf("upstream requests: got %d, want 0", n)
	}
}
