package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/snapshot"
	"github.com/golang-jwt/jwt/v5"
)

func TestUserTokenIsAccepted(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	login := func(level string) string {
		return sign(t, jwt.SigningMethodRS256, snaptest.RSAKey(1), "login-1", loginClaims(level, now), nil)
	}
	cis2 := func(acr string) string {
		return sign(t, jwt.SigningMethodRS256, snaptest.RSAKey(1), "cis2-1", jwt.MapClaims{
			"iss": cis2Iss, "sub": "uid-555", "acr": acr, "exp": now.Add(time.Hour).Unix(),
		}, nil)
	}
	tests := []struct {
		name      string
		tok       string
		modes     []string
		wantMode  string
		wantLevel string
	}{
		{"a P9 token is accepted on a P9 route", login("P9"), []string{snapshot.ModeNHSLoginP9}, snapshot.ModeNHSLoginP9, "P9"},
		{"a P9 token is accepted on a P5 route", login("P9"), []string{snapshot.ModeNHSLoginP5}, snapshot.ModeNHSLoginP5, "P9"},
		{"a P9 token gets the strongest mode a route accepts", login("P9"), []string{snapshot.ModeNHSLoginP5, snapshot.ModeNHSLoginP9}, snapshot.ModeNHSLoginP9, "P9"},
		{"a P5 token is accepted on a P0 route", login("P5"), []string{snapshot.ModeNHSLoginP0}, snapshot.ModeNHSLoginP0, "P5"},
		{"an AAL3 token is accepted on an AAL1 route", cis2("AAL3_ANY"), []string{snapshot.ModeCIS2AAL1}, snapshot.ModeCIS2AAL1, "AAL3_ANY"},
		{"an AAL1 token is accepted on a route taking AAL1 or P9", cis2("AAL1_USERPASS"), []string{snapshot.ModeCIS2AAL1, snapshot.ModeNHSLoginP9}, snapshot.ModeCIS2AAL1, "AAL1_USERPASS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := f.auth.Authenticate(request("Authorization", "Bearer "+tc.tok), f.dir, "sandbox", tc.modes)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if p.AccessMode != tc.wantMode || p.Level != tc.wantLevel {
				t.Errorf("got mode %q level %q, want %q %q", p.AccessMode, p.Level, tc.wantMode, tc.wantLevel)
			}
			if p.UserID == "" || p.AppID != "" {
				t.Errorf("got user %q app %q, want a user and no app", p.UserID, p.AppID)
			}
		})
	}
}

func TestUserTokenWithAPIKeyNamesTheApp(t *testing.T) {
	f := newFixture(t)
	tok := sign(t, jwt.SigningMethodRS256, snaptest.RSAKey(1), "login-1", loginClaims("P9", f.clock.Now()), nil)
	p, err := f.auth.Authenticate(request("Authorization", "Bearer "+tok, "apikey", portalKey), f.dir, "sandbox", []string{snapshot.ModeNHSLoginP9})
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	want := Principal{AppID: "acme/portal", OrgID: "acme", AccessMode: snapshot.ModeNHSLoginP9, UserID: "user-9912003888", Level: "P9", Provider: "nhs-login", CredentialID: "u-1"}
	if p != want {
		t.Errorf("got %+v, want %+v", p, want)
	}
	_, err = f.auth.Authenticate(request("Authorization", "Bearer "+tok, "apikey", oldKey), f.dir, "sandbox", []string{snapshot.ModeNHSLoginP9})
	if got := ReasonOf(err); got != ReasonExpiredKey {
		t.Errorf("with an expired key: got %q, want %q", got, ReasonExpiredKey)
	}
}

func TestUserTokenIsRefused(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	priv := snaptest.RSAKey(1)
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p9 := []string{snapshot.ModeNHSLoginP9}
	with := func(k string, v any) jwt.MapClaims { return withClaim(loginClaims("P9", now), k, v) }
	rs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, priv, "login-1", c, nil) }
	tests := []struct {
		name       string
		tok        string
		modes      []string
		wantReason Reason
		wantStatus int
	}{
		{"a P5 token is refused on a P9 route", rs(loginClaims("P5", now)), p9, ReasonInsufficientLevel, 403},
		{"a P0 token is refused on a P5 route", rs(loginClaims("P0", now)), []string{snapshot.ModeNHSLoginP5}, ReasonInsufficientLevel, 403},
		{"an nhs-login token is refused on a CIS2 route", rs(loginClaims("P9", now)), []string{snapshot.ModeCIS2AAL1}, ReasonInsufficientLevel, 403},
		{"a token without the level claim is refused", rs(with("identity_proofing_level", nil)), p9, ReasonInsufficientLevel, 403},
		{"a token with an unmapped level is refused", rs(with("identity_proofing_level", "P10")), p9, ReasonInsufficientLevel, 403},
		{"a token from an untrusted issuer is refused", rs(with("iss", "https://evil.example")), p9, ReasonUntrustedIssuer, 401},
		{"a token without iss is refused", rs(with("iss", nil)), p9, ReasonUntrustedIssuer, 401},
		{"a token for another audience is refused", rs(with("aud", "someone-else")), p9, ReasonWrongAudience, 401},
		{"a token without aud is refused when the provider sets one", rs(with("aud", nil)), p9, ReasonWrongAudience, 401},
		{"an expired token is refused", rs(with("exp", now.Add(-time.Minute).Unix())), p9, ReasonExpiredToken, 401},
		{"a token without exp is refused", rs(with("exp", nil)), p9, ReasonInvalidToken, 401},
		{"a token not valid yet is refused", rs(with("nbf", now.Add(time.Minute).Unix())), p9, ReasonNotYetValid, 401},
		{"a token without sub is refused", rs(with("sub", nil)), p9, ReasonInvalidToken, 401},
		{"an unsigned token (alg none) is refused",
			sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "login-1", loginClaims("P9", now), nil), p9, ReasonUnsupportedAlg, 401},
		{"an HS256 token keyed with the public key is refused",
			sign(t, jwt.SigningMethodHS256, pubDER, "login-1", loginClaims("P9", now), nil), p9, ReasonUnsupportedAlg, 401},
		{"an HS256 token keyed with the JWK modulus is refused",
			sign(t, jwt.SigningMethodHS256, []byte(base64.RawURLEncoding.EncodeToString(priv.N.Bytes())), "login-1", loginClaims("P9", now), nil), p9, ReasonUnsupportedAlg, 401},
		{"a token signed by another key is refused",
			sign(t, jwt.SigningMethodRS256, snaptest.RSAKey(0), "login-1", loginClaims("P9", now), nil), p9, ReasonInvalidSignature, 401},
		{"an ES256 token under an RSA kid is refused",
			sign(t, jwt.SigningMethodES256, ec, "login-1", loginClaims("P9", now), nil), p9, ReasonInvalidToken, 401},
		{"a token whose alg differs from its key's alg is refused",
			sign(t, jwt.SigningMethodRS512, priv, "login-1", loginClaims("P9", now), nil), p9, ReasonInvalidToken, 401},
		{"a token with an unknown kid is refused",
			sign(t, jwt.SigningMethodRS256, priv, "login-9", loginClaims("P9", now), nil), p9, ReasonUnknownKid, 401},
		{"a token without kid is refused",
			sign(t, jwt.SigningMethodRS256, priv, "", loginClaims("P9", now), nil), p9, ReasonUnknownKid, 401},
		{"a token from one provider signed under another provider's kid is refused",
			sign(t, jwt.SigningMethodRS256, priv, "cis2-1", loginClaims("P9", now), nil), p9, ReasonUnknownKid, 401},
		{"a token with a crit header is refused",
			sign(t, jwt.SigningMethodRS256, priv, "login-1", loginClaims("P9", now), map[string]any{"crit": []string{"x"}}), p9, ReasonInvalidToken, 401},
		{"a user token on an app-level3 route is refused", rs(loginClaims("P9", now)), level3, ReasonInvalidToken, 401},
		{"a malformed bearer token is refused", "a b", p9, ReasonInvalidToken, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.auth.Authenticate(request("Authorization", "Bearer "+tc.tok), f.dir, "sandbox", tc.modes)
			wantRefusal(t, err, tc.wantReason, tc.wantStatus)
		})
	}
}

func TestUserRouteWithoutTokenAsksForOne(t *testing.T) {
	f := newFixture(t)
	_, err := f.auth.Authenticate(request("Authorization", "Basic dXNlcjpwYXNz"), f.dir, "sandbox", []string{snapshot.ModeNHSLoginP9})
	e := err.(*Error)
	if e.Reason != ReasonMissingCredential || e.Challenge != `Bearer realm="frontdoor"` {
		t.Errorf("got %q challenge %q, want %q with a Bearer challenge", e.Reason, e.Challenge, ReasonMissingCredential)
	}
}

func TestUserTokenIsRefusedWhileTheProvidersKeysAreUnavailable(t *testing.T) {
	f := newFixture(t)
	f.login.setDown(true)
	tok := sign(t, jwt.SigningMethodRS256, snaptest.RSAKey(1), "login-1", loginClaims("P9", f.clock.Now()), nil)
	_, err := f.auth.Authenticate(request("Authorization", "Bearer "+tok), f.dir, "sandbox", []string{snapshot.ModeNHSLoginP9})
	e := err.(*Error)
	if e.Reason != ReasonKeysUnavailable || e.Status != 503 {
		t.Errorf("got %q %d, want %q 503", e.Reason, e.Status, ReasonKeysUnavailable)
	}
}

func TestES256TokenFromAProviderWithAnECKeyIsAccepted(t *testing.T) {
	f := newFixture(t)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := ec.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	srv := newJWKSServer(t, snapshot.JWK{Kid: "ec-1", Kty: "EC", Crv: "P-256",
		X: base64.RawURLEncoding.EncodeToString(pt[1:33]), Y: base64.RawURLEncoding.EncodeToString(pt[33:])})
	f.snap.Platform.IdentityProviders = append(f.snap.Platform.IdentityProviders, snapshot.IdentityProvider{
		ID: "test-idp", Issuer: "https://idp.example", JWKSURL: srv.URL, LevelClaim: "lvl",
		Levels: map[string]string{"9": snapshot.ModeNHSLoginP9},
	})
	claims := jwt.MapClaims{"iss": "https://idp.example", "sub": "u", "lvl": 9, "exp": f.clock.Now().Add(time.Minute).Unix()}
	tok := sign(t, jwt.SigningMethodES256, ec, "ec-1", claims, nil)
	p, err := f.auth.Authenticate(request("Authorization", "Bearer "+tok), newDir(f.snap), "sandbox", []string{snapshot.ModeNHSLoginP9})
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if p.Level != "9" || p.Provider != "test-idp" {
		t.Errorf("got level %q provider %q, want 9 test-idp", p.Level, p.Provider)
	}
	tok = sign(t, jwt.SigningMethodES384, mustEC(t, elliptic.P384()), "ec-1", claims, nil)
	_, err = f.auth.Authenticate(request("Authorization", "Bearer "+tok), newDir(f.snap), "sandbox", []string{snapshot.ModeNHSLoginP9})
	if got := ReasonOf(err); got != ReasonInvalidToken {
		t.Errorf("ES384 under a P-256 key: got %q, want %q", got, ReasonInvalidToken)
	}
}

func mustEC(t *testing.T, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
