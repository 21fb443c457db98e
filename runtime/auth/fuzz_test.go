package auth

import (
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/snapshot"
	"github.com/golang-jwt/jwt/v5"
)

// alwaysFresh is a ReplayCache that never refuses, so fuzzing can replay
// valid seeds.
type alwaysFresh struct{}

func (alwaysFresh) Use(string, string, time.Time) (bool, error) { return true, nil }

// verifiesRS checks sig over the JWS signing input of tok with pub,
// independently of the jwt library, for alg RS256/384/512 or PS256/384/512.
func verifiesRS(tok string, pub *rsa.PublicKey) bool {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return false
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(hb, &h) != nil {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	input := []byte(parts[0] + "." + parts[1])
	var hash crypto.Hash
	var digest []byte
	switch h.Alg[2:] {
	case "256":
		d := sha256.Sum256(input)
		hash, digest = crypto.SHA256, d[:]
	case "384":
		d := sha512.Sum384(input)
		hash, digest = crypto.SHA384, d[:]
	case "512":
		d := sha512.Sum512(input)
		hash, digest = crypto.SHA512, d[:]
	default:
		return false
	}
	switch h.Alg[:2] {
	case "RS":
		return rsa.VerifyPKCS1v15(pub, hash, digest, sig) == nil
	case "PS":
		return rsa.VerifyPSS(pub, hash, digest, sig, nil) == nil
	}
	return false
}

func headerAlg(tok string) string {
	hb, err := base64.RawURLEncoding.DecodeString(strings.SplitN(tok, ".", 2)[0])
	if err != nil {
		return ""
	}
	var h struct {
		Alg string `json:"alg"`
	}
	json.Unmarshal(hb, &h)
	return h.Alg
}

// FuzzClientAssertion checks that assertion validation never panics and
// never accepts a token that is not RS512 and validly signed by the app's
// key.
func FuzzClientAssertion(f *testing.F) {
	fx := newFixture(f)
	a := fx.newAuth(f, func(c *Config) { c.ReplayCache = alwaysFresh{} })
	now := fx.clock.Now()
	priv := snaptest.RSAKey(0)
	valid := assertionClaims("acme/portal", now, "j")
	f.Add(sign(f, jwt.SigningMethodRS512, priv, "portal-1", valid, nil))
	f.Add(sign(f, jwt.SigningMethodRS256, priv, "portal-1", valid, nil))
	f.Add(sign(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "portal-1", valid, nil))
	f.Add(sign(f, jwt.SigningMethodHS256, []byte("k"), "portal-1", valid, nil))
	f.Add(sign(f, jwt.SigningMethodRS512, snaptest.RSAKey(1), "portal-1", valid, nil))
	f.Add("")
	f.Add("..")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, assertion string) {
		app, err := a.verifyAssertion(t.Context(), fx.dir, "sandbox", sandboxURL, assertion, "")
		if err != nil {
			if err.Status != 401 && err.Status != 503 {
				t.Errorf("got status %d for a refused assertion", err.Status)
			}
			return
		}
		if app == nil || app.ID != "acme/portal" {
			t.Fatalf("accepted an assertion for %v", app)
		}
		if alg := headerAlg(assertion); alg != "RS512" {
			t.Fatalf("accepted alg %q", alg)
		}
		if !verifiesRS(assertion, &priv.PublicKey) {
			t.Fatalf("accepted an assertion whose signature does not verify: %q", assertion)
		}
	})
}

// FuzzUserToken checks that user-token validation never panics and never
// accepts a token that is not signed by the provider's key under an
// asymmetric algorithm.
func FuzzUserToken(f *testing.F) {
	fx := newFixture(f)
	now := fx.clock.Now()
	priv := snaptest.RSAKey(1)
	f.Add(sign(f, jwt.SigningMethodRS256, priv, "login-1", loginClaims("P9", now), nil))
	f.Add(sign(f, jwt.SigningMethodRS256, priv, "cis2-1", jwt.MapClaims{"iss": cis2Iss, "sub": "u", "acr": "AAL3_ANY", "exp": now.Add(time.Hour).Unix()}, nil))
	f.Add(sign(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "login-1", loginClaims("P9", now), nil))
	f.Add(sign(f, jwt.SigningMethodHS256, []byte("k"), "login-1", loginClaims("P9", now), nil))
	f.Add("a.b.c")
	modes := []string{snapshot.ModeNHSLoginP0, snapshot.ModeCIS2AAL1}
	f.Fuzz(func(t *testing.T, tok string) {
		r := request()
		r.Header["Authorization"] = []string{"Bearer " + tok}
		p, err := fx.auth.Authenticate(r, fx.dir, "sandbox", modes)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("got %T, want *Error", err)
			}
			return
		}
		if alg := headerAlg(tok); !strings.HasPrefix(alg, "RS") && !strings.HasPrefix(alg, "PS") {
			t.Fatalf("accepted alg %q", alg)
		}
		if !verifiesRS(tok, &priv.PublicKey) {
			t.Fatalf("accepted a token whose signature does not verify: %q", tok)
		}
		if p.UserID == "" || !snapshot.UserRestricted(p.AccessMode) {
			t.Fatalf("accepted a token as %+v", p)
		}
	})
}

// FuzzAccessToken checks that access-token validation never panics and
// accepts only tokens carrying a valid MAC under the configured key, in
// their canonical encoding. (Fuzz workers issue their own tokens, so the
// check recomputes the MAC rather than comparing with one issued token.)
func FuzzAccessToken(f *testing.F) {
	fx := newFixture(f)
	issued := fx.accessToken(f, fx.auth, "j")
	f.Add(issued)
	f.Add(issued + "=")
	f.Add(strings.Replace(issued, "fd1.test-1.", "fd1.other.", 1))
	f.Add("fd1....")
	f.Add("fd1.test-1.e30.")
	secret := []byte("0123456789abcdef0123456789abcdef")
	f.Fuzz(func(t *testing.T, tok string) {
		r := request()
		r.Header["Authorization"] = []string{"Bearer " + tok}
		p, err := fx.auth.Authenticate(r, fx.dir, "sandbox", level3)
		if err != nil {
			return
		}
		parts := strings.Split(tok, ".")
		if len(parts) != 4 || parts[0] != "fd1" || parts[1] != "test-1" {
			t.Fatalf("accepted %q of the wrong shape", tok)
		}
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(strings.Join(parts[:3], ".")))
		if want := base64.RawURLEncoding.EncodeToString(m.Sum(nil)); parts[3] != want {
			t.Fatalf("accepted %q without a valid MAC", tok)
		}
		payload, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil || base64.RawURLEncoding.EncodeToString(payload) != parts[2] {
			t.Fatalf("accepted %q with a non-canonical payload", tok)
		}
		if p.AppID != "acme/portal" || !strings.HasPrefix(string(payload), "acme/portal sandbox ") {
			t.Fatalf("accepted the token as %+v", p)
		}
	})
}

// FuzzParseJWK checks that any accepted JWK is a strong signing key.
func FuzzParseJWK(f *testing.F) {
	ok := snaptest.RSAJWK("r", "RS512", &snaptest.RSAKey(0).PublicKey)
	f.Add(ok.Kty, ok.N, ok.E, "", "", "")
	f.Add("EC", "", "", "P-256", "AAAA", "AAAA")
	f.Add("RSA", "AQAB", "AQAB", "", "", "")
	f.Fuzz(func(t *testing.T, kty, n, e, crv, x, y string) {
		k, err := parseJWK(snapshot.JWK{Kid: "k", Kty: kty, N: n, E: e, Crv: crv, X: x, Y: y})
		if err != nil {
			return
		}
		if pub, isRSA := k.key.(*rsa.PublicKey); isRSA && (pub.N.BitLen() < minRSABits || pub.E < 3) {
			t.Fatalf("accepted a weak RSA key of %d bits, e=%d", pub.N.BitLen(), pub.E)
		}
	})
}
