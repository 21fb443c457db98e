package auth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/snapshot"
	"github.com/golang-jwt/jwt/v5"
)

// benchAccepted measures f's authentication of r, which must pass, for
// an API taking modes.
func benchAccepted(b *testing.B, f *fixture, r *http.Request, modes []string) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.auth.Authenticate(r, f.dir, "sandbox", modes); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticateAPIKey(b *testing.B) {
	f := newFixture(b)
	benchAccepted(b, f, request("apikey", portalKey), level0)
}

func BenchmarkAuthenticateAPIKeyParallel(b *testing.B) {
	f := newFixture(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := request("apikey", portalKey)
		for pb.Next() {
			if _, err := f.auth.Authenticate(r, f.dir, "sandbox", level0); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkAuthenticateAPIKeyRefused(b *testing.B) {
	f := newFixture(b)
	r := request("apikey", "not-a-key-0123456789abcdef0123456789abcdef")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.auth.Authenticate(r, f.dir, "sandbox", level0); err == nil {
			b.Fatal("accepted")
		}
	}
}

func BenchmarkAuthenticateAccessToken(b *testing.B) {
	f := newFixture(b)
	benchAccepted(b, f, request("Authorization", "Bearer "+f.accessToken(b, f.auth, "j")), level3)
}

func BenchmarkAuthenticateUserToken(b *testing.B) {
	f := newFixture(b)
	tok := sign(b, jwt.SigningMethodRS256, snaptest.RSAKey(1), "login-1", loginClaims("P9", f.clock.Now()), nil)
	benchAccepted(b, f, request("Authorization", "Bearer "+tok), []string{snapshot.ModeNHSLoginP9})
}

func BenchmarkTokenEndpoint(b *testing.B) {
	f := newFixture(b)
	a := f.newAuth(b, func(c *Config) { c.ReplayCache = alwaysFresh{} })
	as := sign(b, jwt.SigningMethodRS512, snaptest.RSAKey(0), "portal-1", assertionClaims("acme/portal", f.clock.Now(), "j"), nil)
	form := assertionForm(as).Encode()
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", sandboxURL, strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		a.ServeToken(w, r, f.dir, "sandbox")
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}
