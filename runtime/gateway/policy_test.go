package gateway_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/runtime/ratelimit"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// frozen is a clock that never moves: token buckets never refill.
func frozen() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

func TestEntitlementDeniesByDefault(t *testing.T) {
	e := newEnv(t, envOptions{edit: func(s *snapshot.Snapshot) {
		// The portal app holds an app-level0 grant to "other" in
		// production only.
		s.Entitlements = append(s.Entitlements, grant("acme/portal", "other", snapshot.EnvProduction, snapshot.ModeAppLevel0))
	}})
	for _, tc := range []struct {
		name   string
		target string
		kv     []string
	}{
		{"no grant at all", "/pub/keyed/v1/x", []string{"apikey", otherKey}},
		{"a grant for another API", "/pub/other/v1/x", []string{"apikey", portalKey, "Host", sandboxHost}},
		{"a grant for another environment", "/pub/other/v1/x", []string{"apikey", portalKey}},
		{"an expired grant", "/pub/keyed/v1/x", []string{"apikey", portalKey, "Host", prodHost}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(tc.target, tc.kv...)
			if r.code != http.StatusForbidden {
				t.Fatalf("got %d %s, want 403", r.code, r.body)
			}
			if p := decodeProblem(t, r); !strings.Contains(p.Detail, "has no unexpired grant for") {
				t.Errorf("detail: got %q", p.Detail)
			}
		})
	}
	if n := len(e.up.all()); n != 0 {
		t.Errorf("upstream requests: got %d, want 0", n)
	}
	if got := e.metric("frontdoor_gateway_auth_failures_total", "reason", "not_entitled"); got != 4 {
		t.Errorf("not_entitled failures: got %v, want 4", got)
	}
}

func TestAGrantForAnotherModeDoesNotEntitle(t *testing.T) {
	e := newEnv(t, envOptions{edit: func(s *snapshot.Snapshot) {
		for i := range s.APIs {
			if s.APIs[i].Name == "signed" {
				s.APIs[i].AccessModes = []string{snapshot.ModeAppLevel0, snapshot.ModeAppLevel3}
			}
		}
		for i := range s.Routes {
			if s.Routes[i].API == "pub/signed" {
				s.Routes[i].AccessModes = []string{snapshot.ModeAppLevel0, snapshot.ModeAppLevel3}
			}
		}
	}})
	// The portal app's grant to "signed" is for app-level3; its API key
	// authenticates app-level0.
	if r := e.get("/pub/signed/v1/x", "apikey", portalKey); r.code != http.StatusForbidden {
		t.Errorf("app-level0 with an app-level3 grant: got %d, want 403", r.code)
	}
	if r := e.get("/pub/signed/v1/x", "Authorization", "Bearer "+e.accessToken(t)); r.code != http.StatusOK {
		t.Errorf("app-level3: got %d %s, want 200", r.code, r.body)
	}
}

func TestAGrantIsValidThroughItsLastDay(t *testing.T) {
	var now time.Time
	e := newEnv(t, envOptions{now: func() time.Time { return now }, edit: func(s *snapshot.Snapshot) {
		for i := range s.Entitlements {
			if s.Entitlements[i].API == "pub/keyed" && s.Entitlements[i].Environment == snapshot.EnvSandbox {
				s.Entitlements[i].Expires = "2026-03-01"
			}
		}
	}})
	now = time.Date(2026, 3, 1, 23, 59, 59, 0, time.UTC)
	if r := e.get("/pub/keyed/v1/x", "apikey", portalKey); r.code != http.StatusOK {
		t.Errorf("on the last day: got %d, want 200", r.code)
	}
	now = now.Add(time.Second)
	if r := e.get("/pub/keyed/v1/x", "apikey", portalKey); r.code != http.StatusForbidden {
		t.Errorf("the day after: got %d, want 403", r.code)
	}
}

func TestAppQuotaThenAPIQuotaAnswer429(t *testing.T) {
	e := newEnv(t, envOptions{limiter: ratelimit.NewLocal(ratelimit.LocalOptions{Now: frozen})})
	// pub/limited: 2/second per app, 3/second for the API.
	for i := range 2 {
		if r := e.get("/pub/limited/v1/x", "apikey", portalKey); r.code != http.StatusOK {
			t.Fatalf("portal request %d: got %d, want 200", i+1, r.code)
		}
	}
	r := e.get("/pub/limited/v1/x", "apikey", portalKey)
	if r.code != http.StatusTooManyRequests {
		t.Fatalf("portal request 3: got %d, want 429", r.code)
	}
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After: got %q, want %q", got, "1")
	}
	p := decodeProblem(t, r)
	if want := "app acme/portal exceeded its quota of 2/second for pub/limited"; p.Detail != want || p.Status != 429 || p.RetryAfterSeconds != 1 {
		t.Errorf("problem: got %+v, want detail %q, status 429, retryAfterSeconds 1", p, want)
	}
	// The other app has its own quota, but only one request is left in
	// the API's.
	if r := e.get("/pub/limited/v1/x", "apikey", otherKey); r.code != http.StatusOK {
		t.Fatalf("other request 1: got %d, want 200", r.code)
	}
	r = e.get("/pub/limited/v1/x", "apikey", otherKey)
	if r.code != http.StatusTooManyRequests {
		t.Fatalf("other request 2: got %d, want 429", r.code)
	}
	if want := "app acme/other was refused because pub/limited exceeded its quota of 3/second for all apps together"; decodeProblem(t, r).Detail != want {
		t.Errorf("detail: got %q, want %q", decodeProblem(t, r).Detail, want)
	}
	if got := e.metric("frontdoor_gateway_rate_limited_total", "api", "pub/limited", "scope", "app"); got != 1 {
		t.Errorf("app-scope rejections: got %v, want 1", got)
	}
	if got := e.metric("frontdoor_gateway_rate_limited_total", "api", "pub/limited", "scope", "api"); got != 1 {
		t.Errorf("api-scope rejections: got %v, want 1", got)
	}
}

func TestAGrantsRateLimitOverridesTheAPIsPerAppDefault(t *testing.T) {
	e := newEnv(t, envOptions{limiter: ratelimit.NewLocal(ratelimit.LocalOptions{Now: frozen}), edit: func(s *snapshot.Snapshot) {
		for i := range s.Entitlements {
			if s.Entitlements[i].App == "acme/portal" && s.Entitlements[i].API == "pub/limited" {
				s.Entitlements[i].RateLimit = &snapshot.RateLimit{Limit: 5, Per: "second"}
			}
		}
	}})
	for i := range 3 {
		if r := e.get("/pub/limited/v1/x", "apikey", portalKey); r.code != http.StatusOK {
			t.Fatalf("request %d: got %d, want 200", i+1, r.code)
		}
	}
	// Now the API's own 3/second stops the app, not its 5/second.
	r := e.get("/pub/limited/v1/x", "apikey", portalKey)
	if p := decodeProblem(t, r); r.code != 429 || !strings.Contains(p.Detail, "for all apps together") {
		t.Errorf("request 4: got %d %q, want 429 for the API's quota", r.code, p.Detail)
	}
}

func TestUpstreamCredentialFromAFileIsInjectedAndNeverLogged(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, credName+".header"), []byte("Authorization: "+credSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logDir := t.TempDir()
	e := newEnv(t, envOptions{credDir: dir, accessLog: logDir})
	r := e.get("/pub/cred/v1/x", "apikey", portalKey, "Authorization", "Bearer client-supplied")
	if r.code != http.StatusOK {
		t.Fatalf("got %d %s, want 200", r.code, r.body)
	}
	if got := e.up.last(t).Header["Authorization"]; len(got) != 1 || got[0] != credSecret {
		t.Errorf("upstream Authorization: got %q, want only the credential", got)
	}
	// Other routes do not get it.
	e.get("/pub/keyed/v1/x", "apikey", portalKey)
	if got := e.up.last(t).Header.Get("Authorization"); got != "" {
		t.Errorf("credential sent to another API: got %q", got)
	}
	e.alog.Flush()
	logs := e.gatewayLogs() + readAccessLog(t, logDir)
	if strings.Contains(logs, "upstream-secret") {
		t.Errorf("the credential appears in the logs:\n%s", logs)
	}
}

func TestUpstreamCredentialFromTheEnvironment(t *testing.T) {
	e := newEnv(t, envOptions{getenv: func(k string) string {
		if k == "FRONTDOOR_CRED_BACKEND_TOKEN" {
			return "X-Backend-Key: s3cr3t"
		}
		return ""
	}})
	if r := e.get("/pub/cred/v1/x", "apikey", portalKey); r.code != http.StatusOK {
		t.Fatalf("got %d %s, want 200", r.code, r.body)
	}
	if got := e.up.last(t).Header.Get("X-Backend-Key"); got != "s3cr3t" {
		t.Errorf("got %q, want %q", got, "s3cr3t")
	}
}

func TestAMissingUpstreamCredentialAnswers502(t *testing.T) {
	e := newEnv(t, envOptions{credDir: t.TempDir(), getenv: func(string) string { return "" }})
	r := e.get("/pub/cred/v1/x", "apikey", portalKey)
	if r.code != http.StatusBadGateway {
		t.Fatalf("got %d %s, want 502", r.code, r.body)
	}
	if p := decodeProblem(t, r); p.Type != "urn:frontdoor:problem:upstream-misconfigured" {
		t.Errorf("type: got %q", p.Type)
	}
	if n := len(e.up.all()); n != 0 {
		t.Errorf("upstream requests: got %d, want 0", n)
	}
	if logs := e.gatewayLogs(); !strings.Contains(logs, "credential="+credName) {
		t.Errorf("the missing credential is not named in the logs:\n%s", logs)
	}
}

func TestRequestIDIsPropagatedOrCreated(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.get("/pub/open/v1/x", "X-Request-ID", "abc-123")
	if got := e.up.last(t).Header["X-Request-Id"]; len(got) != 1 || got[0] != "abc-123" {
		t.Errorf("propagated upstream: got %q, want [abc-123]", got)
	}
	if got := r.header.Get("X-Request-Id"); got != "abc-123" {
		t.Errorf("response: got %q, want %q", got, "abc-123")
	}
	for _, bad := range [][]string{{"X-Request-ID", "has space"}, {"X-Request-ID", "a", "X-Request-ID", "b"}, nil} {
		r := e.get("/pub/open/v1/x", bad...)
		got := e.up.last(t).Header.Get("X-Request-Id")
		if len(got) != 32 || got != r.header.Get("X-Request-Id") {
			t.Errorf("sent %q: got upstream %q and response %q, want one new 32-digit ID", bad, got, r.header.Get("X-Request-Id"))
		}
	}
	a, b := e.get("/pub/open/v1/x").header.Get("X-Request-Id"), e.get("/pub/open/v1/x").header.Get("X-Request-Id")
	if a == b {
		t.Errorf("two new request IDs are equal: %q", a)
	}
}

func TestAccessLogRecordsTheRequestWithNHSNumbersRedacted(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, envOptions{accessLog: dir})
	r := e.get("/pub/keyed/v1/Patient/"+nhsNumber+"?identifier="+nhsNumber, "apikey", portalKey, "X-Request-ID", "req-1", "User-Agent", "tester/1.0")
	if r.code != http.StatusOK {
		t.Fatalf("got %d, want 200", r.code)
	}
	e.alog.Flush()
	line := readAccessLog(t, dir)
	for _, want := range []string{`"requestId":"req-1"`, `"method":"GET"`, `"status":200`, `"app":"acme/portal"`, `"org":"acme"`,
		`"api":"pub/keyed"`, `"environment":"sandbox"`, `"accessMode":"app-level0"`, `"clientIp":"127.0.0.0"`, `"userAgent":"tester/1.0"`,
		`"path":"/pub/keyed/v1/Patient/`} {
		if !strings.Contains(line, want) {
			t.Errorf("access log line lacks %s:\n%s", want, line)
		}
	}
	if strings.Contains(line, nhsNumber) {
		t.Errorf("the NHS number was logged:\n%s", line)
	}
	if strings.Contains(line, portalKey) {
		t.Errorf("the API key was logged:\n%s", line)
	}
}

func readAccessLog(t testing.TB, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "access-*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no access log in %s (%v)", dir, err)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestErrorsAreProblemDetails(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.get("/pub/keyed/v1/x", "X-Request-ID", "req-42")
	p := decodeProblem(t, r)
	want := problem{Type: "urn:frontdoor:problem:unauthenticated", Title: "Authentication required", Status: 401,
		Detail: "missing credential", Instance: "urn:frontdoor:request:req-42", Reason: "missing_credential"}
	if p != want {
		t.Errorf("got %+v, want %+v", p, want)
	}
	if r.code != 401 || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("got %d, Cache-Control %q; want 401, no-store", r.code, r.header.Get("Cache-Control"))
	}
}

func TestMetricsCountRequestsByAPIEnvironmentAndClass(t *testing.T) {
	e := newEnv(t, envOptions{accessLog: t.TempDir()})
	e.get("/pub/keyed/v1/x", "apikey", portalKey)
	e.get("/pub/keyed/v1/x", "apikey", portalKey)
	e.get("/pub/keyed/v1/x")
	e.get("/nowhere")
	for _, tc := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"api", "pub/keyed", "environment", "sandbox", "class", "2xx"}, 2},
		{[]string{"api", "pub/keyed", "environment", "sandbox", "class", "4xx"}, 1},
		{[]string{"api", "", "environment", "sandbox", "class", "4xx"}, 1},
	} {
		if got := e.metric("frontdoor_gateway_requests_total", tc.labels...); got != tc.want {
			t.Errorf("requests %v: got %v, want %v", tc.labels, got, tc.want)
		}
	}
	if got := e.gaugeOrCounter("frontdoor_gateway_access_log_dropped_total"); got != 0 {
		t.Errorf("access log drops: got %v, want 0", got)
	}
	if got := e.metric("frontdoor_gateway_problems_total", "type", "not-found"); got != 1 {
		t.Errorf("not-found problems: got %v, want 1", got)
	}
}
