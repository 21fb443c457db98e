package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func newTestCache(t *testing.T, c *clock, edit func(*Config)) *jwksCache {
	t.Helper()
	cfg := Config{AllowInsecureJWKSURLs: true, JWKSCacheTTL: 10 * time.Minute, JWKSRefreshInterval: 30 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	return newJWKSCache(cfg, c.Now, slog.New(slog.DiscardHandler))
}

func TestJWKSIsFetchedOncePerTTL(t *testing.T) {
	c := newClock()
	srv := newJWKSServer(t, snaptest.RSAJWK("a", "", &snaptest.RSAKey(0).PublicKey))
	cache := newTestCache(t, c, nil)
	for range 3 {
		if _, err := cache.key(t.Context(), srv.URL, "a"); err != nil {
			t.Fatalf("key: %v", err)
		}
	}
	if got := srv.hits.Load(); got != 1 {
		t.Errorf("within the TTL: got %d fetches, want 1", got)
	}
	c.Advance(10 * time.Minute)
	if _, err := cache.key(t.Context(), srv.URL, "a"); err != nil {
		t.Fatalf("key: %v", err)
	}
	if got := srv.hits.Load(); got != 2 {
		t.Errorf("after the TTL: got %d fetches, want 2", got)
	}
}

func TestUnknownKidRefetchesAtMostOncePerInterval(t *testing.T) {
	c := newClock()
	srv := newJWKSServer(t, snaptest.RSAJWK("a", "", &snaptest.RSAKey(0).PublicKey))
	cache := newTestCache(t, c, nil)
	if _, err := cache.key(t.Context(), srv.URL, "a"); err != nil {
		t.Fatalf("key: %v", err)
	}
	c.Advance(time.Minute)
	for range 5 {
		if _, err := cache.key(t.Context(), srv.URL, "rotated"); !errors.Is(err, errUnknownKid) {
			t.Fatalf("got %v, want %v", err, errUnknownKid)
		}
	}
	if got := srv.hits.Load(); got != 2 {
		t.Errorf("got %d fetches, want 2 (one refresh for the unknown kid)", got)
	}
	// The publisher rotates; the next refresh after the interval finds it.
	srv.set(snaptest.RSAJWK("a", "", &snaptest.RSAKey(0).PublicKey), snaptest.RSAJWK("rotated", "", &snaptest.RSAKey(1).PublicKey))
	c.Advance(29 * time.Second)
	if _, err := cache.key(t.Context(), srv.URL, "rotated"); !errors.Is(err, errUnknownKid) {
		t.Fatalf("within the interval: got %v, want %v", err, errUnknownKid)
	}
	c.Advance(time.Second)
	if _, err := cache.key(t.Context(), srv.URL, "rotated"); err != nil {
		t.Fatalf("after the interval: %v", err)
	}
}

func TestStaleKeysServeWhileTheSourceIsDownUntilMaxStale(t *testing.T) {
	c := newClock()
	srv := newJWKSServer(t, snaptest.RSAJWK("a", "", &snaptest.RSAKey(0).PublicKey))
	cache := newTestCache(t, c, func(cfg *Config) { cfg.JWKSMaxStale = time.Hour })
	if _, err := cache.key(t.Context(), srv.URL, "a"); err != nil {
		t.Fatalf("key: %v", err)
	}
	srv.setDown(true)
	c.Advance(30 * time.Minute)
	if _, err := cache.key(t.Context(), srv.URL, "a"); err != nil {
		t.Fatalf("stale but within max stale: %v", err)
	}
	c.Advance(41 * time.Minute)
	if _, err := cache.key(t.Context(), srv.URL, "a"); !errors.Is(err, errKeysUnavailable) {
		t.Errorf("past max stale: got %v, want %v", err, errKeysUnavailable)
	}
}

func TestConcurrentRequestsShareOneFetch(t *testing.T) {
	c := newClock()
	release := make(chan struct{})
	started := make(chan struct{})
	var mu sync.Mutex
	count := 0
	jwk := snaptest.RSAJWK("a", "", &snaptest.RSAKey(0).PublicKey)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		count++
		if count == 1 {
			close(started)
		}
		mu.Unlock()
		<-release
		fmt.Fprintf(w, `{"keys":[{"kid":%q,"kty":"RSA","n":%q,"e":%q}]}`, jwk.Kid, jwk.N, jwk.E)
	}))
	defer srv.Close()
	cache := newTestCache(t, c, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := cache.key(t.Context(), srv.URL, "a")
			errs <- err
		})
	}
	<-started
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("key: %v", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if count != 1 {
		t.Errorf("got %d fetches, want 1", count)
	}
}

func TestWaitingRequestGivesUpWithItsContext(t *testing.T) {
	c := newClock()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	cache := newTestCache(t, c, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := cache.key(ctx, srv.URL, "a"); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want %v", err, context.Canceled)
	}
}

func TestJWKSCacheIsBounded(t *testing.T) {
	c := newClock()
	cache := newTestCache(t, c, func(cfg *Config) { cfg.JWKSCacheSize = 2 })
	for i := range 3 {
		srv := newJWKSServer(t, snaptest.RSAJWK("a", "", &snaptest.RSAKey(0).PublicKey))
		if _, err := cache.key(t.Context(), srv.URL, "a"); err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
		c.Advance(time.Second)
	}
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if got := len(cache.entries); got != 2 {
		t.Errorf("got %d entries, want 2", got)
	}
}

func TestGuardedClientRefusesInternalAddresses(t *testing.T) {
	c := newClock()
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"keys":[]}`))
	}))
	defer tls.Close()
	plain := newJWKSServer(t)
	cache := newTestCache(t, c, func(cfg *Config) { cfg.AllowInsecureJWKSURLs = false })
	for _, u := range []string{tls.URL, plain.URL} {
		if _, err := cache.fetch(t.Context(), u); err == nil {
			t.Errorf("fetching %s: got no error, want a refusal", u)
		}
	}
	if got := plain.hits.Load(); got != 0 {
		t.Errorf("got %d requests to the plain server, want 0", got)
	}
}

func TestPublicAddr(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"8.8.8.8", true},
		{"2001:4860:4860::8888", true},
		{"127.0.0.1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false},
		{"100.64.0.1", false},
		{"0.0.0.0", false},
		{"::1", false},
		{"fe80::1", false},
		{"fd00::1", false},
		{"::ffff:127.0.0.1", false},
		{"224.0.0.1", false},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			if got := publicAddr(netip.MustParseAddr(tc.addr)); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseJWK(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecJWK := func(x, y []byte) snapshot.JWK {
		return snapshot.JWK{Kid: "e", Kty: "EC", Crv: "P-256",
			X: base64.RawURLEncoding.EncodeToString(x), Y: base64.RawURLEncoding.EncodeToString(y)}
	}
	pt, err := ec.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	x, y := pt[1:33], pt[33:]
	badY := append([]byte(nil), y...)
	badY[31] ^= 1
	rsaOK := snaptest.RSAJWK("r", "RS512", &snaptest.RSAKey(0).PublicKey)
	evenE := rsaOK
	evenE.E = base64.RawURLEncoding.EncodeToString([]byte{2})
	enc := rsaOK
	enc.Use = "enc"
	tests := []struct {
		name string
		jwk  snapshot.JWK
		ok   bool
	}{
		{"a 2048-bit RSA key is accepted", rsaOK, true},
		{"a 1024-bit RSA key is refused", snaptest.RSAJWK("s", "", &small.PublicKey), false},
		{"an even RSA exponent is refused", evenE, false},
		{"an encryption key is refused", enc, false},
		{"a P-256 key is accepted", ecJWK(x, y), true},
		{"a point off the curve is refused", ecJWK(x, badY), false},
		{"a symmetric key is refused", snapshot.JWK{Kid: "o", Kty: "oct"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseJWK(tc.jwk)
			if got := err == nil; got != tc.ok {
				t.Errorf("got ok %v (%v), want %v", got, err, tc.ok)
			}
		})
	}
}
