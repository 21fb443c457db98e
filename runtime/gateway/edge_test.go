package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/auth"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// TestATargetNamingAHostNeverChoosesTheEnvironment sends absolute-form
// targets naming production (or any host) under a sandbox Host: the
// Host alone names the environment, so each is refused before routing and
// no upstream sees it.
func TestATargetNamingAHostNeverChoosesTheEnvironment(t *testing.T) {
	paths(t, func(t *testing.T, o envOptions) {
		e := newEnv(t, o)
		for _, target := range []string{
			"http://" + prodHost + "/pub/keyed/v1/x",
			"https://" + prodHost + "/pub/keyed/v1/x",
			"http://" + prodHost + ":443/pub/keyed/v1/x",
			"HTTP://" + strings.ToUpper(prodHost) + "/pub/keyed/v1/x",
			"http://user@" + prodHost + "/pub/keyed/v1/x",
			"http://" + sandboxHost + "/pub/keyed/v1/x",
			"http://evil.example/pub/keyed/v1/x",
			"http://" + prodHost + "/oauth2/token",
		} {
			t.Run(target, func(t *testing.T) {
				before := len(e.up.all())
				r := e.rawRequest("GET "+target+" HTTP/1.1", "Host: "+sandboxHost, "apikey: "+portalKey)
				if r.code != http.StatusMisdirectedRequest {
					t.Errorf("got %d, want 421 (%s)", r.code, r.body)
				}
				if got := e.up.all()[before:]; len(got) != 0 {
					t.Errorf("the upstream received %q, want nothing", got[0].RequestURI)
				}
				if p := decodeProblem(t, r); !strings.Contains(p.Detail, "Host") {
					t.Errorf("detail %q does not say the Host names the environment", p.Detail)
				}
			})
		}
	})
}

// TestAnUnknownHostIsRefusedUnlessTheOperatorNamesADefault sends hosts
// that name no environment to a gateway with no default environment: each
// gets 421 and reaches no upstream, while the environments' own hosts
// are served.
func TestAnUnknownHostIsRefusedUnlessTheOperatorNamesADefault(t *testing.T) {
	e := newEnv(t, envOptions{noDefaultEnv: true})
	for _, tc := range []struct {
		host string
		code int
	}{
		{"unknown.example", 421},
		{"127.0.0.1", 421},
		{"[::1]:8080", 421},
		{sandboxHost + ".", 421},
		{"x." + sandboxHost, 421},
		{"sandbox", 421},
		{sandboxHost, 200},
		{strings.ToUpper(sandboxHost) + ":8080", 200},
	} {
		t.Run(tc.host, func(t *testing.T) {
			before := len(e.up.all())
			r := e.rawRequest("GET /pub/keyed/v1/x HTTP/1.1", "Host: "+tc.host, "apikey: "+portalKey)
			if r.code != tc.code {
				t.Fatalf("got %d, want %d (%s)", r.code, tc.code, r.body)
			}
			if got := len(e.up.all()) - before; tc.code != 200 && got != 0 {
				t.Errorf("the upstream received %d requests, want none", got)
			}
		})
	}
}

// TestAnUnknownHostUsesTheDefaultTheOperatorNamed is the other side: with
// a named default, an unknown Host is served by that environment.
func TestAnUnknownHostUsesTheDefaultTheOperatorNamed(t *testing.T) {
	e := newEnv(t, envOptions{})
	if r := e.get("/pub/keyed/v1/x", "Host", "localhost:8080", "apikey", portalKey); r.code != http.StatusOK {
		t.Fatalf("got %d %s, want 200", r.code, r.body)
	}
}

// TestAnAPIKeyIsRefusedOutsideItsEnvironments presents keys on the host
// of an environment they are not bound to. The gateway refuses them with
// 401 and a detail saying so, even where a grant would otherwise let the
// app in (the compiler refuses such grants; the gateway does not rely on
// it).
func TestAnAPIKeyIsRefusedOutsideItsEnvironments(t *testing.T) {
	sandboxOnly := func(s *snapshot.Snapshot) {
		// acme/other's key is bound to sandbox; grant it production too,
		// and the portal's key production only.
		s.Entitlements = append(s.Entitlements,
			grant("acme/other", "keyed", snapshot.EnvProduction, snapshot.ModeAppLevel0),
			grant("acme/other", "user", snapshot.EnvProduction, snapshot.ModeNHSLoginP5),
			grant("acme/portal", "open", snapshot.EnvSandbox, snapshot.ModeOpen))
		s.Consumers[0].Apps[0].APIKeys[0].Environments = []string{snapshot.EnvProduction}
	}
	e := newEnv(t, envOptions{edit: sandboxOnly})
	for _, tc := range []struct {
		name, path string
		kv         []string
	}{
		{"a sandbox key on the production host", "/pub/keyed/v1/x", []string{"Host", prodHost, "apikey", otherKey}},
		{"a sandbox key on the production host in capitals with a port", "/pub/keyed/v1/x", []string{"Host", strings.ToUpper(prodHost) + ":443", "apikey", otherKey}},
		{"a sandbox key beside a user's token in production", "/pub/user/v1/me", []string{"Host", prodHost, "apikey", otherKey, "Authorization", "Bearer " + userToken(t, "P5")}},
		{"a production key on the sandbox host", "/pub/keyed/v1/x", []string{"apikey", portalKey}},
		{"a production key on the sandbox host of an API with its own headers", "/pub/custom/v1/x", []string{"apikey", portalKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.up.all())
			r := e.get(tc.path, tc.kv...)
			if r.code != http.StatusUnauthorized {
				t.Fatalf("got %d %s, want 401", r.code, r.body)
			}
			if got := len(e.up.all()) - before; got != 0 {
				t.Errorf("the upstream received %d requests, want none", got)
			}
			if p := decodeProblem(t, r); !strings.Contains(p.Detail, "not valid in this environment") {
				t.Errorf("detail %q does not say the key is not valid in this environment", p.Detail)
			}
		})
	}
	if got := e.metric("frontdoor_gateway_auth_failures_total", "reason", string(auth.ReasonKeyEnvironment)); got != 5 {
		t.Errorf("auth failures by key_environment: got %v, want 5", got)
	}
	// The same keys still work where they are bound.
	if r := e.get("/pub/keyed/v1/x", "apikey", otherKey); r.code != http.StatusForbidden {
		t.Errorf("sandbox key in sandbox without a sandbox grant: got %d, want 403 (authenticated, not entitled)", r.code)
	}
	if r := e.get("/pub/keyed/v1/x", "Host", prodHost, "apikey", portalKey); r.code != http.StatusForbidden {
		t.Errorf("production key in production with an expired grant: got %d %s, want 403", r.code, r.body)
	}
}

// TestTheGatewaysCredentialsNeverReachTheUpstreamInTheQuery sends the
// apikey (and the gateway's other credentials) as query parameters in
// several spellings: the upstream sees the rest of the query only.
func TestTheGatewaysCredentialsNeverReachTheUpstreamInTheQuery(t *testing.T) {
	paths(t, func(t *testing.T, o envOptions) {
		e := newEnv(t, o)
		for _, tc := range []struct{ query, upstream string }{
			{"apikey=" + portalKey, ""},
			{"a=1&apikey=" + portalKey + "&b=2", "a=1&b=2"},
			{"APIKEY=x&a=1", "a=1"},
			{"api_key=x&a=1", "a=1"},
			{"api-key=x&a=1", "a=1"},
			{"%61pikey=x&a=1", "a=1"},
			{"apiKey&a=1", "a=1"},
			{"access_token=x&client_assertion=y&a=1", "a=1"},
			{"keyword=x&monkey=y&tokens=2", "keyword=x&monkey=y&tokens=2"},
			{"q=1", "q=1"},
		} {
			t.Run(tc.query, func(t *testing.T) {
				r := e.get("/pub/keyed/v1/x?"+tc.query, "apikey", portalKey)
				if r.code != http.StatusOK {
					t.Fatalf("got %d %s, want 200", r.code, r.body)
				}
				want := "/keyed/x"
				if tc.upstream != "" {
					want += "?" + tc.upstream
				}
				if got := e.up.last(t).RequestURI; got != want {
					t.Errorf("the upstream received %q, want %q", got, want)
				}
			})
		}
	})
}

// TestTheAccessLogHoldsNoNHSNumberNorCredentialInAnyField sends numbers in
// several writings in the path, the query, X-Request-ID, the user agent
// and the method, and credentials in the query: the log line holds none.
func TestTheAccessLogHoldsNoNHSNumberNorCredentialInAnyField(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, envOptions{accessLog: dir})
	requests := []struct{ line, header string }{
		{"GET /pub/open/v1/p/943.476.5919 HTTP/1.1", "X-Request-ID: 943_476_5919"},
		{"GET /pub/open/v1/p/943%2520476%25205919?q=%EF%BC%99%EF%BC%94%EF%BC%93%EF%BC%94%EF%BC%97%EF%BC%96%EF%BC%95%EF%BC%99%EF%BC%91%EF%BC%99 HTTP/1.1", "User-Agent: x 943\t476\t5919"},
		{"GET /pub/open/v1/x?n=943+476+5919&apikey=" + portalKey + "&access_token=tok-secret&password=hunter2 HTTP/1.1", "X-Request-ID: a-9434765919"},
		{"9434765919 /pub/open/v1/x HTTP/1.1", "X-Request-ID: r4"},
		{"GET /pub/open/v1/p/943/476/5919 HTTP/1.1", "User-Agent: 943   476    5919"},
	}
	for _, rq := range requests {
		// An unknown method is refused (501), and logged all the same.
		if r := e.rawRequest(rq.line, "Host: "+sandboxHost, rq.header); r.code >= 500 && r.code != http.StatusNotImplemented {
			t.Fatalf("%s: got %d", rq.line, r.code)
		}
	}
	e.alog.Flush()
	// The trace IDs are random hex: digits may appear in them by chance.
	log := traceIDField.ReplaceAllString(readAccessLog(t, dir), "")
	if n := strings.Count(log, "\n"); n != len(requests) {
		t.Fatalf("got %d lines, want %d:\n%s", n, len(requests), log)
	}
	for _, leak := range []string{"5919", "\\uff19", "\uff19", portalKey, "tok-secret", "hunter2"} {
		if strings.Contains(log, leak) {
			t.Errorf("the access log holds %q:\n%s", leak, log)
		}
	}
	if got := strings.Count(log, "[nhs-number]"); got < 9 {
		t.Errorf("got %d redactions, want at least 9:\n%s", got, log)
	}
}

// TestAHostHeaderDisagreeingWithTheAuthorityIsRefused covers HTTP/2, where
// the :authority is the request's host and a Host header may be sent too:
// they must agree.
func TestAHostHeaderDisagreeingWithTheAuthorityIsRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, tc := range []struct {
		hosts []string
		code  int
	}{
		{[]string{prodHost}, http.StatusMisdirectedRequest},
		{[]string{sandboxHost, prodHost}, http.StatusMisdirectedRequest},
		{[]string{strings.ToUpper(sandboxHost)}, http.StatusOK},
		{nil, http.StatusOK},
	} {
		t.Run(strings.Join(tc.hosts, ","), func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/pub/keyed/v1/x", nil)
			r.Host, r.Proto, r.ProtoMajor, r.ProtoMinor = sandboxHost, "HTTP/2.0", 2, 0
			r.Header.Set("apikey", portalKey)
			for _, h := range tc.hosts {
				r.Header.Add("Host", h)
			}
			rec := httptest.NewRecorder()
			e.gw.ServeHTTP(rec, r)
			if rec.Code != tc.code {
				t.Fatalf("got %d %s, want %d", rec.Code, rec.Body, tc.code)
			}
		})
	}
}
