package auth

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/snapshot"
	"github.com/golang-jwt/jwt/v5"
)

var level3 = []string{snapshot.ModeAppLevel3}

// tokenRequest posts form to the fixture's sandbox token endpoint.
func (f *fixture) tokenRequest(t testing.TB, a *Authenticator, form url.Values) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, sandboxURL, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	a.ServeToken(w, r, f.dir, "sandbox")
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("response body %q: %v", w.Body.String(), err)
	}
	return w, body
}

func assertionForm(assertion string) url.Values {
	return url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {AssertionTypeJWTBearer},
		"client_assertion":      {assertion},
	}
}

// accessToken obtains an access token for acme/portal from a.
func (f *fixture) accessToken(t testing.TB, a *Authenticator, jti string) string {
	t.Helper()
	as := sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(0), "portal-1", assertionClaims("acme/portal", f.clock.Now(), jti), nil)
	w, body := f.tokenRequest(t, a, assertionForm(as))
	if w.Code != http.StatusOK {
		t.Fatalf("token request: status %d, body %v", w.Code, body)
	}
	return body["access_token"].(string)
}

func TestTokenEndpointIssuesABearerTokenForAValidAssertion(t *testing.T) {
	f := newFixture(t)
	as := sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(0), "portal-1", assertionClaims("acme/portal", f.clock.Now(), "j-1"), nil)
	w, body := f.tokenRequest(t, f.auth, assertionForm(as))
	if w.Code != http.StatusOK {
		t.Fatalf("got status %d, want 200 (body %v)", w.Code, body)
	}
	if got, want := body["token_type"], "Bearer"; got != want {
		t.Errorf("got token_type %q, want %q", got, want)
	}
	if got, want := body["expires_in"], float64(599); got != want {
		t.Errorf("got expires_in %v, want %v", got, want)
	}
	if got, want := w.Header().Get("Cache-Control"), "no-store"; got != want {
		t.Errorf("got Cache-Control %q, want %q", got, want)
	}
	tok, _ := body["access_token"].(string)
	p, err := f.auth.Authenticate(request("Authorization", "Bearer "+tok), f.dir, "sandbox", level3)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	want := Principal{AppID: "acme/portal", OrgID: "acme", AccessMode: snapshot.ModeAppLevel3, CredentialID: p.CredentialID}
	if p != want || p.CredentialID == "" {
		t.Errorf("got %+v, want %+v with a token id", p, want)
	}
}

func TestTokenEndpointFetchesKeysFromTheAppsJWKSURL(t *testing.T) {
	f := newFixture(t)
	as := sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(2), "batch-1", assertionClaims("acme/batch", f.clock.Now(), "j-1"), nil)
	w, body := f.tokenRequest(t, f.auth, assertionForm(as))
	if w.Code != http.StatusOK {
		t.Fatalf("got status %d, want 200 (body %v)", w.Code, body)
	}
	as = sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(2), "batch-1", assertionClaims("acme/batch", f.clock.Now(), "j-2"), nil)
	if w, _ := f.tokenRequest(t, f.auth, assertionForm(as)); w.Code != http.StatusOK {
		t.Fatalf("second request: got status %d, want 200", w.Code)
	}
	if got := f.batch.hits.Load(); got != 1 {
		t.Errorf("got %d JWKS fetches, want 1 (cached)", got)
	}
}

func TestClientAssertionIsRefused(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	priv := snaptest.RSAKey(0)
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	valid := func() jwt.MapClaims { return assertionClaims("acme/portal", now, "j-attack") }
	with := func(k string, v any) jwt.MapClaims { return withClaim(valid(), k, v) }
	tests := []struct {
		name       string
		assertion  string
		clientID   string
		wantReason Reason
	}{
		{"an unsigned token (alg none) is refused",
			sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "portal-1", valid(), nil), "", ReasonUnsupportedAlg},
		{"an HS256 token keyed with the public key PEM is refused",
			sign(t, jwt.SigningMethodHS256, pubPEM, "portal-1", valid(), nil), "", ReasonUnsupportedAlg},
		{"an HS512 token keyed with the public key DER is refused",
			sign(t, jwt.SigningMethodHS512, pubDER, "portal-1", valid(), nil), "", ReasonUnsupportedAlg},
		{"an RS256 token is refused",
			sign(t, jwt.SigningMethodRS256, priv, "portal-1", valid(), nil), "", ReasonUnsupportedAlg},
		{"a PS512 token is refused",
			sign(t, jwt.SigningMethodPS512, priv, "portal-1", valid(), nil), "", ReasonUnsupportedAlg},
		{"an expired assertion is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", with("exp", now.Add(-time.Minute).Unix()), nil), "", ReasonExpiredToken},
		{"an assertion without exp is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", with("exp", nil), nil), "", ReasonInvalidToken},
		{"an assertion expiring more than 5 minutes ahead is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", with("exp", now.Add(6*time.Minute).Unix()), nil), "", ReasonExpTooFar},
		{"an assertion issued in the future is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", with("iat", now.Add(2*time.Minute).Unix()), nil), "", ReasonNotYetValid},
		{"an assertion not valid yet is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", with("nbf", now.Add(2*time.Minute).Unix()), nil), "", ReasonNotYetValid},
		{"an assertion for another audience is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", with("aud", prodURL), nil), "", ReasonWrongAudience},
		{"an assertion whose aud only starts with the token URL is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", with("aud", sandboxURL+"/x"), nil), "", ReasonWrongAudience},
		{"an assertion with a second audience is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", with("aud", []string{sandboxURL, prodURL}), nil), "", ReasonWrongAudience},
		{"an assertion without aud is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", with("aud", nil), nil), "", ReasonWrongAudience},
		{"an assertion whose iss differs from sub is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", with("iss", "acme/batch"), nil), "", ReasonWrongIssuer},
		{"an assertion without iss is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", with("iss", nil), nil), "", ReasonWrongIssuer},
		{"an assertion for an unknown app is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", assertionClaims("acme/nobody", now, "j"), nil), "", ReasonUnknownClient},
		{"an assertion for another app signed with this app's key is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", assertionClaims("acme/batch", now, "j"), nil), "", ReasonUnknownKid},
		{"an assertion without jti is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", with("jti", nil), nil), "", ReasonInvalidToken},
		{"an assertion with an unknown kid is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-9", valid(), nil), "", ReasonUnknownKid},
		{"an assertion without kid is refused",
			sign(t, jwt.SigningMethodRS512, priv, "", valid(), nil), "", ReasonUnknownKid},
		{"an assertion signed by another key is refused",
			sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(1), "portal-1", valid(), nil), "", ReasonInvalidSignature},
		{"an assertion with a crit header is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", valid(), map[string]any{"crit": []string{"exp"}}), "", ReasonInvalidToken},
		{"an assertion with a mismatched client_id is refused",
			sign(t, jwt.SigningMethodRS512, priv, "portal-1", valid(), nil), "acme/batch", ReasonWrongIssuer},
		{"an assertion whose signature was stripped is refused",
			strings.TrimRightFunc(sign(t, jwt.SigningMethodRS512, priv, "portal-1", valid(), nil), func(r rune) bool { return r != '.' }), "", ReasonInvalidSignature},
		{"a token of two segments is refused", "eyJhbGciOiJSUzUxMiJ9.eyJpc3MiOiJ4In0", "", ReasonInvalidToken},
		{"garbage is refused", "not a jwt", "", ReasonInvalidToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, e := f.auth.verifyAssertion(t.Context(), f.dir, "sandbox", sandboxURL, tc.assertion, tc.clientID)
			if e == nil {
				t.Fatal("got no error")
			}
			if e.Reason != tc.wantReason {
				t.Errorf("got reason %q, want %q (%v)", e.Reason, tc.wantReason, e)
			}
			form := assertionForm(tc.assertion)
			if tc.clientID != "" {
				form.Set("client_id", tc.clientID)
			}
			w, body := f.tokenRequest(t, f.auth, form)
			if w.Code != http.StatusUnauthorized || body["error"] != "invalid_client" {
				t.Errorf("got %d %v, want 401 invalid_client", w.Code, body["error"])
			}
			if _, ok := body["access_token"]; ok {
				t.Error("got an access token")
			}
		})
	}
}

func TestReplayedAssertionIsRefused(t *testing.T) {
	f := newFixture(t)
	as := sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(0), "portal-1", assertionClaims("acme/portal", f.clock.Now(), "once"), nil)
	if w, body := f.tokenRequest(t, f.auth, assertionForm(as)); w.Code != http.StatusOK {
		t.Fatalf("first use: got %d %v, want 200", w.Code, body)
	}
	_, e := f.auth.verifyAssertion(t.Context(), f.dir, "sandbox", sandboxURL, as, "")
	if e == nil || e.Reason != ReasonReplayedJTI {
		t.Fatalf("replay: got %v, want %q", e, ReasonReplayedJTI)
	}
	// A fresh assertion reusing the jti is a replay too, until the first expires.
	f.clock.Advance(time.Minute)
	as2 := sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(0), "portal-1", assertionClaims("acme/portal", f.clock.Now(), "once"), nil)
	if w, body := f.tokenRequest(t, f.auth, assertionForm(as2)); w.Code != http.StatusUnauthorized || body["error_description"] != assertionDescription(ReasonReplayedJTI) {
		t.Errorf("reused jti: got %d %v, want 401 replayed", w.Code, body)
	}
}

func TestReplayCacheFullFailsClosed(t *testing.T) {
	f := newFixture(t)
	a := f.newAuth(t, func(c *Config) { c.ReplayCacheSize = 1 })
	f.accessToken(t, a, "first")
	as := sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(0), "portal-1", assertionClaims("acme/portal", f.clock.Now(), "second"), nil)
	w, body := f.tokenRequest(t, a, assertionForm(as))
	if w.Code != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" {
		t.Errorf("got %d %v, want 503 temporarily_unavailable", w.Code, body)
	}
}

func TestTokenRequestIsRefused(t *testing.T) {
	f := newFixture(t)
	valid := sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(0), "portal-1", assertionClaims("acme/portal", f.clock.Now(), "j"), nil)
	form := func(edit func(url.Values)) string {
		v := assertionForm(valid)
		edit(v)
		return v.Encode()
	}
	tests := []struct {
		name        string
		method      string
		target      string
		contentType string
		body        string
		wantStatus  int
		wantError   string
	}{
		{"a GET is refused", http.MethodGet, sandboxURL, "", "", 405, "invalid_request"},
		{"a JSON body is refused", http.MethodPost, sandboxURL, "application/json", `{"grant_type":"client_credentials"}`, 400, "invalid_request"},
		{"parameters in the query are refused", http.MethodPost, sandboxURL + "?" + form(func(url.Values) {}), "application/x-www-form-urlencoded", "", 400, "invalid_request"},
		{"a missing grant_type is refused", http.MethodPost, sandboxURL, "application/x-www-form-urlencoded", form(func(v url.Values) { v.Del("grant_type") }), 400, "invalid_request"},
		{"the password grant is unsupported", http.MethodPost, sandboxURL, "application/x-www-form-urlencoded", form(func(v url.Values) { v.Set("grant_type", "password") }), 400, "unsupported_grant_type"},
		{"another assertion type is refused", http.MethodPost, sandboxURL, "application/x-www-form-urlencoded", form(func(v url.Values) { v.Set("client_assertion_type", "urn:x") }), 400, "invalid_request"},
		{"a missing assertion is refused", http.MethodPost, sandboxURL, "application/x-www-form-urlencoded", form(func(v url.Values) { v.Del("client_assertion") }), 400, "invalid_request"},
		{"a repeated parameter is refused", http.MethodPost, sandboxURL, "application/x-www-form-urlencoded", form(func(v url.Values) { v.Add("client_assertion", valid) }), 400, "invalid_request"},
		{"an oversized body is refused", http.MethodPost, sandboxURL, "application/x-www-form-urlencoded", "a=" + strings.Repeat("x", maxTokenRequestBodyBytes), 400, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			w := httptest.NewRecorder()
			f.auth.ServeToken(w, r, f.dir, "sandbox")
			var body struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body.String(), err)
			}
			if w.Code != tc.wantStatus || body.Error != tc.wantError {
				t.Errorf("got %d %q, want %d %q", w.Code, body.Error, tc.wantStatus, tc.wantError)
			}
		})
	}
}

func TestAccessTokenIsRefused(t *testing.T) {
	f := newFixture(t)
	tok := f.accessToken(t, f.auth, "j")
	other := f.newAuth(t, func(c *Config) {
		c.TokenKeys = []TokenKey{{ID: "test-1", Secret: []byte("another secret of at least 32 bytes")}}
	})
	foreign := f.accessToken(t, other, "j2")
	unkeyed := f.newAuth(t, func(c *Config) { c.TokenKeys = nil })
	// Swap the payload for one naming another app, keeping the MAC.
	parts := strings.Split(tok, ".")
	parts[2] = base64.RawURLEncoding.EncodeToString([]byte("acme/batch sandbox 1772366400 1772366999 x"))
	forged := strings.Join(parts, ".")

	tests := []struct {
		name       string
		auth       *Authenticator
		tok        string
		env        string
		modes      []string
		wantReason Reason
		wantStatus int
	}{
		{"a token is refused in another environment", f.auth, tok, "production", level3, ReasonWrongEnvironment, 401},
		{"a token is refused on a route without app-level3", f.auth, tok, "sandbox", []string{snapshot.ModeNHSLoginP9}, ReasonModeNotAllowed, 403},
		{"a token is ignored on an app-level0 route", f.auth, tok, "sandbox", level0, ReasonMissingCredential, 401},
		{"a token with a swapped payload is refused", f.auth, forged, "sandbox", level3, ReasonInvalidSignature, 401},
		{"a token of a replica with another key is refused", f.auth, foreign, "sandbox", level3, ReasonInvalidSignature, 401},
		{"a token is refused by a replica with a generated key", unkeyed, tok, "sandbox", level3, ReasonUnknownKid, 401},
		{"a truncated token is refused", f.auth, tok[:len(tok)-1], "sandbox", level3, ReasonInvalidSignature, 401},
		{"a token with an appended segment is refused", f.auth, tok + ".x", "sandbox", level3, ReasonInvalidToken, 401},
		{"a JWT on an app-level3 route is refused", f.auth, sign(t, jwt.SigningMethodRS256, snaptest.RSAKey(1), "login-1", loginClaims("P9", f.clock.Now()), nil), "sandbox", level3, ReasonInvalidToken, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.auth.Authenticate(request("Authorization", "Bearer "+tc.tok), f.dir, tc.env, tc.modes)
			wantRefusal(t, err, tc.wantReason, tc.wantStatus)
		})
	}
}

func TestAccessTokenExpiresAfter599Seconds(t *testing.T) {
	f := newFixture(t)
	tok := f.accessToken(t, f.auth, "j")
	f.clock.Advance(598 * time.Second)
	if _, err := f.auth.Authenticate(request("Authorization", "Bearer "+tok), f.dir, "sandbox", level3); err != nil {
		t.Fatalf("at 598 s: %v", err)
	}
	f.clock.Advance(time.Second)
	_, err := f.auth.Authenticate(request("Authorization", "Bearer "+tok), f.dir, "sandbox", level3)
	if got := ReasonOf(err); got != ReasonExpiredToken {
		t.Errorf("at 599 s: got %q, want %q", got, ReasonExpiredToken)
	}
}

func TestAccessTokenOfARemovedAppIsRefused(t *testing.T) {
	f := newFixture(t)
	tok := f.accessToken(t, f.auth, "j")
	f.snap.Consumers[0].Apps = f.snap.Consumers[0].Apps[:1] // drop acme/portal
	_, err := f.auth.Authenticate(request("Authorization", "Bearer "+tok), newDir(f.snap), "sandbox", level3)
	if got := ReasonOf(err); got != ReasonUnknownClient {
		t.Errorf("got %q, want %q", got, ReasonUnknownClient)
	}
}

func TestReplicasSharingATokenKeyAcceptEachOthersTokens(t *testing.T) {
	f := newFixture(t)
	old := TokenKey{ID: "old", Secret: []byte("the old secret, 32 bytes or more!")}
	replicaA := f.newAuth(t, func(c *Config) { c.TokenKeys = []TokenKey{old} })
	tok := f.accessToken(t, replicaA, "j")
	// Replica B has rotated to a new key but still verifies the old one.
	replicaB := f.newAuth(t, func(c *Config) {
		c.TokenKeys = []TokenKey{{ID: "new", Secret: []byte("the new secret, 32 bytes or more!")}, old}
	})
	p, err := replicaB.Authenticate(request("Authorization", "Bearer "+tok), f.dir, "sandbox", level3)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if got, want := p.AppID, "acme/portal"; got != want {
		t.Errorf("got app %q, want %q", got, want)
	}
	if tok2 := f.accessToken(t, replicaB, "j2"); !strings.HasPrefix(tok2, "fd1.new.") {
		t.Errorf("got token %q, want one signed with the new key", tok2)
	}
}

func TestNewRefusesWeakTokenKeys(t *testing.T) {
	tests := []struct {
		name string
		keys []TokenKey
	}{
		{"a short secret is refused", []TokenKey{{ID: "k", Secret: []byte("short")}}},
		{"an empty key id is refused", []TokenKey{{ID: "", Secret: make([]byte, 32)}}},
		{"a key id with a dot is refused", []TokenKey{{ID: "a.b", Secret: make([]byte, 32)}}},
		{"a repeated key id is refused", []TokenKey{{ID: "k", Secret: make([]byte, 32)}, {ID: "k", Secret: make([]byte, 32)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(Config{TokenKeys: tc.keys}); err == nil {
				t.Error("got no error")
			}
		})
	}
}

func TestTokenEndpointOfAnUnconfiguredEnvironmentFails(t *testing.T) {
	f := newFixture(t)
	r := httptest.NewRequest(http.MethodPost, "https://int.api.example/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	f.auth.ServeToken(w, r, f.dir, "integration")
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), `"server_error"`) {
		t.Errorf("got %d %s, want 500 server_error", w.Code, w.Body)
	}
}

func TestAuthenticateIsSafeForConcurrentUse(t *testing.T) {
	f := newFixture(t)
	access := f.accessToken(t, f.auth, "j")
	user := sign(t, jwt.SigningMethodRS256, snaptest.RSAKey(1), "login-1", loginClaims("P9", f.clock.Now()), nil)
	// A fresh authenticator, so that goroutines race on the first JWKS fetch.
	a := f.newAuth(t, nil)
	cases := []struct {
		header, value string
		modes         []string
	}{
		{"apikey", portalKey, level0},
		{"Authorization", "Bearer " + access, level3},
		{"Authorization", "Bearer " + user, []string{snapshot.ModeNHSLoginP5}},
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			c := cases[i%len(cases)]
			for range 20 {
				if _, err := a.Authenticate(request(c.header, c.value), f.dir, "sandbox", c.modes); err != nil {
					t.Errorf("%s: %v", c.header, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestAFloodingAppGets429AndOtherAppsStillGetTokens floods the token
// endpoint with valid assertions of one app: past its share of the replay
// cache it gets 429, while another app is still served (no 503).
func TestAFloodingAppGets429AndOtherAppsStillGetTokens(t *testing.T) {
	f := newFixture(t)
	a := f.newAuth(t, func(c *Config) { c.ReplayCacheSize = 20; c.ReplayCachePerApp = 5 })
	codes := map[int]int{}
	for i := range 12 {
		as := sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(0), "portal-1", assertionClaims("acme/portal", f.clock.Now(), fmt.Sprint("flood-", i)), nil)
		w, _ := f.tokenRequest(t, a, assertionForm(as))
		codes[w.Code]++
		if w.Code == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if codes[http.StatusOK] != 5 || codes[http.StatusTooManyRequests] != 7 {
		t.Errorf("flooding app: got %v, want 5 × 200 and 7 × 429", codes)
	}
	for i := range 5 {
		as := sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(2), "batch-1", assertionClaims("acme/batch", f.clock.Now(), fmt.Sprint("calm-", i)), nil)
		if w, body := f.tokenRequest(t, a, assertionForm(as)); w.Code != http.StatusOK {
			t.Fatalf("other app's request %d: got %d %v, want 200", i, w.Code, body)
		}
	}
}

// TestTheTokenLimitIsAskedPerAppAndEnvironmentBeforeRecording: a refusing
// TokenLimit answers 429 and records nothing in the replay cache, so the
// same assertion is accepted once the limit allows it.
func TestTheTokenLimitIsAskedPerAppAndEnvironmentBeforeRecording(t *testing.T) {
	f := newFixture(t)
	var asked []string
	allow := false
	a := f.newAuth(t, func(c *Config) {
		c.TokenLimit = func(_ context.Context, env, app string) (time.Duration, bool) {
			asked = append(asked, env+" "+app)
			return 3 * time.Second, allow
		}
	})
	as := sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(0), "portal-1", assertionClaims("acme/portal", f.clock.Now(), "limited"), nil)
	w, _ := f.tokenRequest(t, a, assertionForm(as))
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "3" {
		t.Fatalf("got %d Retry-After %q, want 429 and 3", w.Code, w.Header().Get("Retry-After"))
	}
	allow = true
	if w, body := f.tokenRequest(t, a, assertionForm(as)); w.Code != http.StatusOK {
		t.Fatalf("once allowed: got %d %v, want 200 (the refused assertion was not recorded)", w.Code, body)
	}
	if len(asked) != 2 || asked[0] != "sandbox acme/portal" {
		t.Errorf("asked %q, want the app and environment twice", asked)
	}
	if a.SetTokenLimit(func(context.Context, string, string) (time.Duration, bool) { return 0, true }) {
		t.Error("SetTokenLimit replaced the configured limit")
	}
}

// TestASigningKeyIsRefusedOutsideItsEnvironments: an inline JWK bound to
// production signs no assertion the sandbox's token endpoint accepts, and
// one bound to the sandbox does.
func TestASigningKeyIsRefusedOutsideItsEnvironments(t *testing.T) {
	for _, tc := range []struct {
		envs []string
		want int
	}{
		{[]string{"production"}, http.StatusUnauthorized},
		{[]string{"integration", "production"}, http.StatusUnauthorized},
		{[]string{"sandbox"}, http.StatusOK},
		{nil, http.StatusOK},
	} {
		t.Run(fmt.Sprint(tc.envs), func(t *testing.T) {
			f := newFixture(t)
			f.snap.Consumers[0].Apps[1].JWKs[0].Environments = tc.envs
			f.dir = newDir(f.snap)
			as := sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(0), "portal-1", assertionClaims("acme/portal", f.clock.Now(), "env"), nil)
			w, body := f.tokenRequest(t, f.auth, assertionForm(as))
			if w.Code != tc.want {
				t.Fatalf("got %d %v, want %d", w.Code, body, tc.want)
			}
			if tc.want != http.StatusOK && body["error_description"] != assertionDescription(ReasonKeyEnvironment) {
				t.Errorf("description %q does not say the key is not valid here", body["error_description"])
			}
		})
	}
}
