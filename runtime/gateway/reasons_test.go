package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/auth"
	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/runtime/ratelimit"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func TestRefusalsCarryTheirDocumentedReason(t *testing.T) {
	e := newEnv(t, envOptions{limiter: ratelimit.NewLocal(ratelimit.LocalOptions{Now: frozen}), edit: func(s *snapshot.Snapshot) {
		s.Entitlements = append(s.Entitlements, grant("acme/other", "user", snapshot.EnvSandbox, snapshot.ModeNHSLoginP5))
		// "signed" also accepts API keys; the portal app is granted it
		// with app-level3 only.
		both := []string{snapshot.ModeAppLevel0, snapshot.ModeAppLevel3}
		for i := range s.APIs {
			if s.APIs[i].Name == "signed" {
				s.APIs[i].AccessModes = both
			}
		}
		for i := range s.Routes {
			if s.Routes[i].API == "pub/signed" {
				s.Routes[i].AccessModes = both
			}
		}
	}})
	for _, tc := range []struct {
		name   string
		target string
		kv     []string
		want   string
	}{
		{"no credential", "/pub/keyed/v1/x", nil, auth.CodeMissingCredential},
		{"an unknown API key", "/pub/keyed/v1/x", []string{"apikey", "not-a-registered-key"}, auth.CodeInvalidAPIKey},
		{"a sandbox key in production", "/pub/other/v1/x", []string{"apikey", otherKey, "Host", prodHost}, auth.CodeKeyEnvironment},
		{"a repeated credential header", "/pub/keyed/v1/x", []string{"apikey", portalKey, "apikey", portalKey}, auth.CodeInvalidRequest},
		{"a malformed bearer token", "/pub/signed/v1/x", []string{"Authorization", "Bearer not.a.token"}, auth.CodeInvalidToken},
		{"no grant for the API", "/pub/keyed/v1/x", []string{"apikey", otherKey}, gateway.ReasonNotEntitled},
		{"an expired grant", "/pub/keyed/v1/x", []string{"apikey", portalKey, "Host", prodHost}, gateway.ReasonGrantExpired},
		{"a grant of another mode", "/pub/signed/v1/x", []string{"apikey", portalKey}, gateway.ReasonModeNotGranted},
		{"a user's token without the app's key", "/pub/user/v1/x", []string{"Authorization", "Bearer " + userToken(t, "P5")}, gateway.ReasonAppNotIdentified},
		{"a user's level below the route's", "/pub/user/v1/x", []string{"apikey", portalKey, "Authorization", "Bearer " + userToken(t, "P0")}, auth.CodeForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(tc.target, tc.kv...)
			p := decodeProblem(t, r)
			if p.Reason != tc.want {
				t.Fatalf("reason: got %q (%d %s), want %q", p.Reason, r.code, r.body, tc.want)
			}
			if strings.Contains(r.body, "acme/other") && !strings.Contains(strings.Join(tc.kv, " "), otherKey) {
				t.Errorf("a refusal of the portal app names another app: %s", r.body)
			}
			info, ok := gateway.LookupReason(p.Reason)
			if !ok {
				t.Fatalf("reason %q is not documented", p.Reason)
			}
			if info.Status != r.code {
				t.Errorf("status: got %d, the documentation says %d", r.code, info.Status)
			}
		})
	}
}

func TestQuotaRefusalsNameTheQuotaThatRefused(t *testing.T) {
	e := newEnv(t, envOptions{limiter: ratelimit.NewLocal(ratelimit.LocalOptions{Now: frozen})})
	// pub/limited: 2/second per app, 3/second for the API.
	for range 2 {
		e.get("/pub/limited/v1/x", "apikey", portalKey)
	}
	if p := decodeProblem(t, e.get("/pub/limited/v1/x", "apikey", portalKey)); p.Reason != gateway.ReasonAppQuotaExceeded {
		t.Errorf("the app's quota: got reason %q, want %q", p.Reason, gateway.ReasonAppQuotaExceeded)
	}
	e.get("/pub/limited/v1/x", "apikey", otherKey)
	r := e.get("/pub/limited/v1/x", "apikey", otherKey)
	if p := decodeProblem(t, r); p.Reason != gateway.ReasonAPIQuotaExceeded || r.code != http.StatusTooManyRequests {
		t.Errorf("the API's quota: got %d reason %q, want 429 %q", r.code, p.Reason, gateway.ReasonAPIQuotaExceeded)
	}
}

func TestARefusalNamesNoOtherApp(t *testing.T) {
	e := newEnv(t, envOptions{})
	// acme/other has no grant of keyed; acme/portal has.
	r := e.get("/pub/keyed/v1/x", "apikey", otherKey)
	if r.code != http.StatusForbidden {
		t.Fatalf("got %d, want 403", r.code)
	}
	if strings.Contains(r.body, "acme/portal") || strings.Contains(r.body, "Portal") {
		t.Errorf("the refusal of acme/other names acme/portal: %s", r.body)
	}
}

func TestEveryReasonIsDocumentedOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range gateway.Reasons() {
		if seen[r.Code] {
			t.Errorf("reason %s is documented twice", r.Code)
		}
		seen[r.Code] = true
		if r.Title == "" || r.Fix == "" || r.Status < 400 {
			t.Errorf("reason %s: incomplete documentation %+v", r.Code, r)
		}
	}
	for _, code := range []string{auth.CodeMissingCredential, auth.CodeInvalidAPIKey, auth.CodeKeyEnvironment, auth.CodeInvalidRequest,
		auth.CodeInvalidToken, auth.CodeForbidden, auth.CodeUnavailable} {
		if !seen[code] {
			t.Errorf("the auth package's public code %s is not documented", code)
		}
	}
}
