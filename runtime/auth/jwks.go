package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/redact"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// RSA modulus bounds: below 2048 bits is weak, above 8192 makes every
// verification a denial of service.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// maxJWKSBytes bounds a fetched JWKS document.
const maxJWKSBytes = 1 << 20

// publicKey is a parsed JWK.
type publicKey struct {
	kid string
	alg string // the JWK's alg, if it states one
	key crypto.PublicKey
}

// parseJWK parses an RSA or EC public signing key.
func parseJWK(j snapshot.JWK) (publicKey, error) {
	if j.Use != "" && j.Use != "sig" {
		return publicKey{}, fmt.Errorf("jwk %q has use %q", j.Kid, j.Use)
	}
	pk := publicKey{kid: j.Kid, alg: j.Alg}
	switch j.Kty {
	case "RSA":
		n, err := decodeB64(j.N)
		if err != nil {
			return publicKey{}, fmt.Errorf("jwk %q modulus: %w", j.Kid, err)
		}
		e, err := decodeB64(j.E)
		if err != nil {
			return publicKey{}, fmt.Errorf("jwk %q exponent: %w", j.Kid, err)
		}
		if len(e) == 0 || len(e) > 4 {
			return publicKey{}, fmt.Errorf("jwk %q exponent of %d bytes", j.Kid, len(e))
		}
		N := new(big.Int).SetBytes(n)
		if bits := N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return publicKey{}, fmt.Errorf("jwk %q modulus of %d bits", j.Kid, bits)
		}
		E := int(new(big.Int).SetBytes(e).Int64())
		if E < 3 || E%2 == 0 {
			return publicKey{}, fmt.Errorf("jwk %q exponent %d", j.Kid, E)
		}
		pk.key = &rsa.PublicKey{N: N, E: E}
	case "EC":
		var curve elliptic.Curve
		switch j.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return publicKey{}, fmt.Errorf("jwk %q curve %q", j.Kid, j.Crv)
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err1 := decodeB64(j.X)
		y, err2 := decodeB64(j.Y)
		if err := errors.Join(err1, err2); err != nil {
			return publicKey{}, fmt.Errorf("jwk %q point: %w", j.Kid, err)
		}
		if len(x) != size || len(y) != size {
			return publicKey{}, fmt.Errorf("jwk %q point coordinates of %d and %d bytes", j.Kid, len(x), len(y))
		}
		point := append(append([]byte{4}, x...), y...)
		k, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return publicKey{}, fmt.Errorf("jwk %q point: %w", j.Kid, err)
		}
		pk.key = k
	default:
		return publicKey{}, fmt.Errorf("jwk %q has kty %q", j.Kid, j.Kty)
	}
	return pk, nil
}

// decodeB64 decodes base64url, with or without padding.
func decodeB64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// keyMatchesAlg reports whether k can verify alg, the token's header alg.
func keyMatchesAlg(k publicKey, alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch key := k.key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return key.Curve == elliptic.P256()
		case "ES384":
			return key.Curve == elliptic.P384()
		case "ES512":
			return key.Curve == elliptic.P521()
		}
	}
	return false
}

// findInline returns the key kid among inline JWKs.
func findInline(jwks []snapshot.JWK, kid string) (publicKey, bool, error) {
	for _, j := range jwks {
		if j.Kid == kid {
			k, err := parseJWK(j)
			return k, err == nil, err
		}
	}
	return publicKey{}, false, nil
}

// jwksCache fetches and caches JWKS documents by URL. Entries are fresh for
// ttl; an unknown kid triggers a refetch at most once per refresh interval
// per URL; concurrent requests for one URL share one fetch; at most size
// URLs are cached (least recently used first out). Safe for concurrent use.
type jwksCache struct {
	client       *http.Client
	now          func() time.Time
	log          *slog.Logger
	ttl, refresh time.Duration
	maxStale     time.Duration
	timeout      time.Duration
	size         int
	insecure     bool

	mu      sync.Mutex
	entries map[string]*jwksEntry
}

type jwksEntry struct {
	keys      map[string]publicKey // replaced wholesale, never mutated
	fetched   time.Time            // last successful fetch
	attempted time.Time            // last fetch started
	used      time.Time
	inflight  chan struct{} // closed when the running fetch ends
}

func newJWKSCache(cfg Config, now func() time.Time, log *slog.Logger) *jwksCache {
	c := &jwksCache{
		client:   cfg.HTTPClient,
		now:      now,
		log:      log,
		ttl:      cfg.JWKSCacheTTL,
		refresh:  cfg.JWKSRefreshInterval,
		maxStale: cfg.JWKSMaxStale,
		timeout:  cfg.FetchTimeout,
		size:     cfg.JWKSCacheSize,
		insecure: cfg.AllowInsecureJWKSURLs,
		entries:  make(map[string]*jwksEntry),
	}
	if c.ttl <= 0 {
		c.ttl = DefaultJWKSCacheTTL
	}
	if c.refresh <= 0 {
		c.refresh = DefaultJWKSRefreshInterval
	}
	if c.maxStale <= 0 {
		c.maxStale = DefaultJWKSMaxStale
	}
	if c.timeout <= 0 {
		c.timeout = DefaultFetchTimeout
	}
	if c.size <= 0 {
		c.size = DefaultJWKSCacheSize
	}
	if c.client == nil {
		c.client = guardedClient(c.insecure)
	}
	return c
}

var (
	errUnknownKid      = errors.New("kid not in key set")
	errKeysUnavailable = errors.New("key set unavailable")
)

// key returns the key kid published at rawURL, fetching the document when
// it is missing, stale, or lacks kid (rate limited).
func (c *jwksCache) key(ctx context.Context, rawURL, kid string) (publicKey, error) {
	c.mu.Lock()
	e := c.entry(rawURL)
	now := c.now()
	e.used = now
	waited := false
	for {
		usable := e.keys != nil && now.Sub(e.fetched) < c.ttl+c.maxStale
		fresh := e.keys != nil && now.Sub(e.fetched) < c.ttl
		k, found := e.keys[kid]
		if usable && found && fresh {
			c.mu.Unlock()
			return k, nil
		}
		if waited || now.Sub(e.attempted) < c.refresh && e.inflight == nil {
			// Fetched (or tried) too recently to fetch again.
			c.mu.Unlock()
			switch {
			case usable && found:
				return k, nil
			case usable:
				return publicKey{}, errUnknownKid
			}
			return publicKey{}, errKeysUnavailable
		}
		if e.inflight == nil {
			e.inflight = make(chan struct{})
			e.attempted = now
			go c.fetchInto(rawURL, e)
		}
		ch := e.inflight
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return publicKey{}, fmt.Errorf("waiting for jwks %s: %w", rawURL, ctx.Err())
		}
		c.mu.Lock()
		now = c.now()
		waited = true
	}
}

// entry returns the cache entry for rawURL, creating it and evicting the
// least recently used idle entry if the cache is full. c.mu is held.
func (c *jwksCache) entry(rawURL string) *jwksEntry {
	if e, ok := c.entries[rawURL]; ok {
		return e
	}
	if len(c.entries) >= c.size {
		var victim string
		var oldest time.Time
		for u, e := range c.entries {
			if e.inflight == nil && (victim == "" || e.used.Before(oldest)) {
				victim, oldest = u, e.used
			}
		}
		if victim != "" {
			delete(c.entries, victim)
		}
	}
	e := &jwksEntry{}
	c.entries[rawURL] = e
	return e
}

// fetchInto fetches rawURL and stores the result in e. It runs detached from
// any request, so one client giving up does not fail the others waiting.
func (c *jwksCache) fetchInto(rawURL string, e *jwksEntry) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	keys, err := c.fetch(ctx, rawURL)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.log.Warn("fetching jwks", slog.String("url", redact.URL(rawURL)), slog.Any("err", redact.Error(err)))
	} else {
		e.keys, e.fetched = keys, c.now()
	}
	close(e.inflight)
	e.inflight = nil
}

// fetch gets and parses a JWKS document. Keys that fail to parse are
// skipped; a repeated kid keeps its first key.
func (c *jwksCache) fetch(ctx context.Context, rawURL string) (map[string]publicKey, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parsing jwks url: %w", err)
	}
	if u.Scheme != "https" && !(c.insecure && u.Scheme == "http") {
		return nil, fmt.Errorf("jwks url scheme %q refused", u.Scheme)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("building jwks request: %w", err)
	}
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("getting jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("getting jwks: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading jwks: %w", err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("jwks larger than %d bytes", maxJWKSBytes)
	}
	var doc struct {
		Keys []snapshot.JWK `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("decoding jwks: %w", err)
	}
	keys := make(map[string]publicKey, len(doc.Keys))
	for _, j := range doc.Keys {
		if j.Kid == "" {
			continue
		}
		if _, dup := keys[j.Kid]; dup {
			continue
		}
		k, err := parseJWK(j)
		if err != nil {
			c.log.Debug("skipping jwk", slog.String("url", redact.URL(rawURL)), slog.Any("err", err))
			continue
		}
		keys[j.Kid] = k
	}
	return keys, nil
}

// guardedClient returns an HTTP client for JWKS documents. Unless insecure,
// it connects only to public unicast addresses (checked on the resolved
// address at dial time, so DNS cannot smuggle in an internal one), ignores
// proxy settings, and follows at most three redirects, all to https.
func guardedClient(insecure bool) *http.Client {
	dialer := &net.Dialer{Timeout: DefaultFetchTimeout}
	if !insecure {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("jwks dial to %s: %w", address, err)
			}
			if !publicAddr(ap.Addr()) {
				return fmt.Errorf("jwks dial to non-public address %s refused", ap.Addr())
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: DefaultFetchTimeout,
		Transport: &http.Transport{
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   DefaultFetchTimeout,
			ResponseHeaderTimeout: DefaultFetchTimeout,
			MaxIdleConns:          16,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many jwks redirects")
			}
			if req.URL.Scheme != "https" && !insecure {
				return fmt.Errorf("jwks redirect to scheme %q refused", req.URL.Scheme)
			}
			return nil
		},
	}
}

// publicAddr reports whether a is a public unicast address.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return false
	}
	// Shared address space (RFC 6598), often used inside clouds.
	return !netip.MustParsePrefix("100.64.0.0/10").Contains(a)
}
