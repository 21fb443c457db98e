package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/frontdoor-dev/frontdoor/runtime/auth"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// serveFrom sends one request to the gateway's handler as if from
// remoteAddr, with Host sandboxHost; kv are header pairs.
func (e *env) serveFrom(remoteAddr, method, target string, body string, kv ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host, r.RemoteAddr = sandboxHost, remoteAddr
	for i := 0; i+1 < len(kv); i += 2 {
		r.Header.Add(kv[i], kv[i+1])
	}
	w := httptest.NewRecorder()
	e.gw.ServeHTTP(w, r)
	return w
}

// mixedAPI adds pub/mixed, open and app-level0, 8/second for everyone and
// 2/second per app, granted to acme/portal in the sandbox.
func mixedAPI(s *snapshot.Snapshot) {
	m := api("mixed", snapshot.ModeOpen, snapshot.ModeAppLevel0)
	m.RateLimit, m.AppRateLimit = snapshot.RateLimit{Limit: 8, Per: "second"}, snapshot.RateLimit{Limit: 2, Per: "second"}
	s.APIs = append(s.APIs, m)
	s.Routes = append(s.Routes, snapshot.Route{Environment: snapshot.EnvSandbox, BasePath: m.BasePath, API: m.ID, Upstream: "UP/mixed", AccessModes: m.AccessModes})
	s.Entitlements = append(s.Entitlements, grant("acme/portal", "mixed", snapshot.EnvSandbox, snapshot.ModeAppLevel0))
}

// TestAnonymousCallersCannotSpendWhatGrantedAppsAreEntitledTo floods an
// API that is both open and app-restricted with unauthenticated requests,
// from one network and from many: a granted app still gets its quota, and
// anonymous callers get no more than their own limits.
func TestAnonymousCallersCannotSpendWhatGrantedAppsAreEntitledTo(t *testing.T) {
	for _, tc := range []struct {
		name     string
		networks []string // one request burst of 5 from each
		// maxAdmitted bounds the anonymous requests admitted (the
		// buckets may refill by one while the test runs).
		maxAdmitted int
	}{
		{"one IPv4 network", []string{"198.51.100.7:1000"}, 2 + 1},
		{"addresses of one /24", []string{"198.51.100.1:1000", "198.51.100.200:2000", "198.51.100.77:3000"}, 2 + 1},
		{"addresses of one IPv6 /48", []string{"[2001:db8:1:2::1]:1000", "[2001:db8:1:ffff::9]:2000"}, 2 + 1},
		{"twenty networks", func() (ns []string) {
			for i := range 20 {
				ns = append(ns, "203.0."+strconv.Itoa(i)+".9:1000")
			}
			return ns
		}(), 4 + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{edit: mixedAPI})
			admitted := 0
			var refused *httptest.ResponseRecorder
			for _, n := range tc.networks {
				for range 5 {
					w := e.serveFrom(n, http.MethodGet, "/pub/mixed/v1/x", "")
					switch w.Code {
					case http.StatusOK:
						admitted++
					case http.StatusTooManyRequests:
						refused = w
					default:
						t.Fatalf("anonymous request: got %d %s", w.Code, w.Body)
					}
				}
			}
			if admitted > tc.maxAdmitted {
				t.Errorf("admitted %d anonymous requests, want at most %d", admitted, tc.maxAdmitted)
			}
			if refused == nil || !strings.Contains(refused.Body.String(), "unauthenticated requests") {
				t.Errorf("no 429 names the unauthenticated requests' own quota: %v", refused)
			}
			for i := range 2 {
				if w := e.serveFrom("198.51.100.7:1000", http.MethodGet, "/pub/mixed/v1/x", "", "apikey", portalKey); w.Code != http.StatusOK {
					t.Fatalf("granted app's request %d after the flood: got %d %s, want 200", i, w.Code, w.Body)
				}
			}
		})
	}
}

// TestAnotherNetworkIsNotLimitedByAFloodingOne: per-network buckets are
// separate on an open-only API too.
func TestAnotherNetworkIsNotLimitedByAFloodingOne(t *testing.T) {
	e := newEnv(t, envOptions{edit: func(s *snapshot.Snapshot) {
		for i := range s.APIs {
			if s.APIs[i].Name == "open" {
				s.APIs[i].AppRateLimit = snapshot.RateLimit{Limit: 1, Per: "second"}
			}
		}
	}})
	for range 5 {
		e.serveFrom("198.51.100.7:1000", http.MethodGet, "/pub/open/v1/x", "")
	}
	if w := e.serveFrom("198.51.100.7:1000", http.MethodGet, "/pub/open/v1/x", ""); w.Code != http.StatusTooManyRequests {
		t.Fatalf("the flooding network: got %d, want 429", w.Code)
	}
	for _, other := range []string{"198.51.101.7:1000", "[2001:db8::1]:1000"} {
		if w := e.serveFrom(other, http.MethodGet, "/pub/open/v1/x", ""); w.Code != http.StatusOK {
			t.Errorf("%s: got %d %s, want 200", other, w.Code, w.Body)
		}
	}
}

func tokenForm(t testing.TB, jti string) string {
	now := time.Now()
	as := signJWT(t, jwt.SigningMethodRS512, snaptest.RSAKey(0), "portal-1", jwt.MapClaims{
		"iss": "acme/portal", "sub": "acme/portal", "aud": tokenURL, "jti": jti,
		"exp": now.Add(4 * time.Minute).Unix(), "iat": now.Unix(),
	})
	return url.Values{
		"grant_type":            {auth.GrantClientCredentials},
		"client_assertion_type": {auth.AssertionTypeJWTBearer},
		"client_assertion":      {as},
	}.Encode()
}

// TestTheTokenEndpointIsLimitedPerClientNetwork sends token requests from
// one network past its limit: they get 429 before any assertion is
// parsed, while another network is still answered.
func TestTheTokenEndpointIsLimitedPerClientNetwork(t *testing.T) {
	e := newEnv(t, envOptions{})
	ct := []string{"Content-Type", "application/x-www-form-urlencoded"}
	codes := map[int]int{}
	for range 15 {
		w := e.serveFrom("198.51.100.7:1000", http.MethodPost, "/oauth2/token", "grant_type=client_credentials", ct...)
		codes[w.Code]++
	}
	if codes[http.StatusTooManyRequests] < 4 || codes[http.StatusBadRequest] > 11 {
		t.Errorf("one network: got %v, want 10 (or 11) answered and the rest 429", codes)
	}
	if w := e.serveFrom("198.51.101.7:1000", http.MethodPost, "/oauth2/token", "grant_type=client_credentials", ct...); w.Code == http.StatusTooManyRequests {
		t.Errorf("another network: got 429, want an answer")
	}
}

// TestTheTokenEndpointIsLimitedPerApp sends valid assertions of one app
// from many networks: past the app's limit they get 429 slow_down with
// Retry-After, and are not recorded in the replay cache.
func TestTheTokenEndpointIsLimitedPerApp(t *testing.T) {
	e := newEnv(t, envOptions{})
	ct := []string{"Content-Type", "application/x-www-form-urlencoded"}
	codes := map[int]int{}
	var last *httptest.ResponseRecorder
	for i := range 8 {
		w := e.serveFrom("203.0."+strconv.Itoa(i)+".1:1000", http.MethodPost, "/oauth2/token", tokenForm(t, "flood-"+strconv.Itoa(i)), ct...)
		codes[w.Code]++
		if w.Code == http.StatusTooManyRequests {
			last = w
		}
	}
	if codes[http.StatusOK] < 2 || codes[http.StatusOK] > 3 || codes[http.StatusOK]+codes[http.StatusTooManyRequests] != 8 {
		t.Fatalf("got %v, want 2 (or 3) tokens and the rest 429", codes)
	}
	if last.Header().Get("Retry-After") == "" || !strings.Contains(last.Body.String(), "slow_down") {
		t.Errorf("429 without Retry-After or slow_down: %v %s", last.Header(), last.Body)
	}
}
