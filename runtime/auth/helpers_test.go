package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/snapshot"
	"github.com/golang-jwt/jwt/v5"
)

// t0 is the tests' "now".
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type clock = testutil.Clock

func newClock() *clock { return testutil.NewClock(t0) }

// jwksServer serves a JWKS document that tests may change, counting hits.
type jwksServer struct {
	*httptest.Server
	mu   sync.Mutex
	keys []snapshot.JWK
	down bool
	hits atomic.Int64
}

func newJWKSServer(t testing.TB, keys ...snapshot.JWK) *jwksServer {
	s := &jwksServer{keys: keys}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.down {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"keys": s.keys})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(keys ...snapshot.JWK) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
}

func (s *jwksServer) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Plaintext API keys of the fixture.
const (
	portalKey  = "portal-key-0123456789abcdef0123456789abcdef"
	oldKey     = "portal-old-0123456789abcdef0123456789abcdef"
	batchKey   = "batch-key-0123456789abcdef0123456789abcdef"
	loginIss   = "https://login.example"
	cis2Iss    = "https://cis2.example/openam/oauth2/realms/root/realms/oidc"
	loginAud   = "frontdoor"
	sandboxURL = "https://sandbox.api.example/oauth2/token"
	prodURL    = "https://api.example/oauth2/token"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// fixture is a snapshot with two identity providers and three apps:
// acme/portal (API keys, inline JWK "portal-1" of key 0), acme/batch (JWKS
// URL) and other/app (no credentials).
type fixture struct {
	snap  *snapshot.Snapshot
	dir   *snapDir
	clock *clock
	auth  *Authenticator
	login *jwksServer // nhs-login keys: kid "login-1" of key 1
	cis2  *jwksServer // nhs-cis2 keys: kid "cis2-1" of key 1
	batch *jwksServer // acme/batch keys: kid "batch-1" of key 2
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{clock: newClock()}
	f.login = newJWKSServer(t, snaptest.RSAJWK("login-1", "RS256", &snaptest.RSAKey(1).PublicKey))
	f.cis2 = newJWKSServer(t, snaptest.RSAJWK("cis2-1", "", &snaptest.RSAKey(1).PublicKey))
	f.batch = newJWKSServer(t, snaptest.RSAJWK("batch-1", "RS512", &snaptest.RSAKey(2).PublicKey))
	f.snap = &snapshot.Snapshot{
		SchemaVersion: snapshot.SchemaVersion,
		Platform: snapshot.Platform{
			IdentityProviders: []snapshot.IdentityProvider{
				{ID: "nhs-cis2", Issuer: cis2Iss, JWKSURL: f.cis2.URL, LevelClaim: "acr",
					Levels: map[string]string{"AAL1_USERPASS": snapshot.ModeCIS2AAL1, "AAL3_ANY": snapshot.ModeCIS2AAL3}},
				{ID: "nhs-login", Issuer: loginIss, JWKSURL: f.login.URL, Audience: loginAud, LevelClaim: "identity_proofing_level",
					Levels: map[string]string{"P0": snapshot.ModeNHSLoginP0, "P5": snapshot.ModeNHSLoginP5, "P9": snapshot.ModeNHSLoginP9}},
			},
		},
		Consumers: []snapshot.Consumer{
			{ID: "acme", Apps: []snapshot.App{
				{ID: "acme/batch", Org: "acme", JWKSURL: f.batch.URL,
					APIKeys: []snapshot.APIKey{{ID: "b1", SHA256: sha(batchKey), Environments: []string{"sandbox"}}}},
				{ID: "acme/portal", Org: "acme",
					APIKeys: []snapshot.APIKey{
						{ID: "k1", SHA256: sha(portalKey), Expires: "2026-03-01", Environments: []string{"sandbox"}},
						{ID: "k0", SHA256: sha(oldKey), Expires: "2026-02-28", Environments: []string{"sandbox"}},
					},
					JWKs: []snapshot.JWK{snaptest.RSAJWK("portal-1", "RS512", &snaptest.RSAKey(0).PublicKey)}},
			}},
			{ID: "other", Apps: []snapshot.App{{ID: "other/app", Org: "other"}}},
		},
	}
	f.dir = newDir(f.snap)
	f.auth = f.newAuth(t, nil)
	return f
}

// newAuth builds an Authenticator on the fixture's clock; edit may change
// the config first.
func (f *fixture) newAuth(t testing.TB, edit func(*Config)) *Authenticator {
	t.Helper()
	cfg := Config{
		TokenURLs:             map[string]string{"sandbox": sandboxURL, "production": prodURL},
		TokenKeys:             []TokenKey{{ID: "test-1", Secret: []byte("0123456789abcdef0123456789abcdef")}},
		Now:                   f.clock.Now,
		AllowInsecureJWKSURLs: true,
		Logger:                slog.New(slog.DiscardHandler),
	}
	if edit != nil {
		edit(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// sign signs claims with key under method, setting kid unless empty, and
// any extra header members.
func sign(t testing.TB, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return s
}

// assertionClaims are valid client-assertion claims for app at now.
func assertionClaims(app string, now time.Time, jti string) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": app, "sub": app, "aud": sandboxURL, "jti": jti,
		"exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(),
	}
}

// loginClaims are valid nhs-login claims at level for now.
func loginClaims(level string, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": loginIss, "sub": "user-9912003888", "aud": loginAud, "jti": "u-1",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "identity_proofing_level": level,
	}
}

// request returns a GET with the given header pairs.
func request(kv ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://sandbox.api.example/acme/api/v1/x", nil)
	for i := 0; i+1 < len(kv); i += 2 {
		r.Header.Add(kv[i], kv[i+1])
	}
	return r
}

// snapDir is a Directory over a snapshot, for these tests (the gateway's
// is its store's read transaction).
type snapDir struct{ snap *snapshot.Snapshot }

var _ APIKeySumDirectory = (*snapDir)(nil)

func newDir(s *snapshot.Snapshot) *snapDir { return &snapDir{snap: s} }

func (d *snapDir) AppByAPIKeyHash(hexsha string) (*snapshot.App, bool) {
	for i := range d.snap.Consumers {
		for j := range d.snap.Consumers[i].Apps {
			app := &d.snap.Consumers[i].Apps[j]
			for _, k := range app.APIKeys {
				if k.SHA256 == hexsha {
					return app, true
				}
			}
		}
	}
	return nil, false
}

func (d *snapDir) AppByAPIKeySum(sum [sha256.Size]byte) (*snapshot.App, bool) {
	return d.AppByAPIKeyHash(hex.EncodeToString(sum[:]))
}

func (d *snapDir) App(id string) (*snapshot.App, bool) { return d.snap.App(id) }

func (d *snapDir) IdentityProviders() []snapshot.IdentityProvider {
	return d.snap.Platform.IdentityProviders
}

// wantRefusal fails the test unless err is an *Error with the reason and
// the HTTP status.
func wantRefusal(t *testing.T, err error, reason Reason, status int) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want a refusal (%s, %d)", err, reason, status)
	}
	if e.Reason != reason || e.Status != status {
		t.Errorf("got %q %d, want %q %d (%v)", e.Reason, e.Status, reason, status, e)
	}
}

// withClaim returns c with claim k set to v, or removed when v is nil.
func withClaim(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	if v == nil {
		delete(c, k)
	} else {
		c[k] = v
	}
	return c
}

// ReasonOf returns the Reason of an *Error in err's chain, or "" if there is
// none.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
