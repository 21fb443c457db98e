package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Access tokens issued for app-level3 are opaque to clients:
//
//	fd1.<kid>.<payload>.<mac>
//
// payload is base64url (no padding) of "<app-id> <environment> <iat> <exp>
// <jti>" (Unix seconds), and mac is base64url of HMAC-SHA256 under key kid
// of everything before the last dot. They are stateless, so any replica that
// holds the key validates them, and they carry no alg header to confuse.
// The MAC covers the encoded text, so a token is accepted only byte-for-byte
// as issued.

// AccessTokenTTL is the lifetime of an app-level3 access token.
const AccessTokenTTL = 599 * time.Second

const accessTokenPrefix = "fd1."

// minTokenSecret is the least length of a token key's secret.
const minTokenSecret = 32

// TokenKey is a secret for signing app-level3 access tokens. ID appears in
// tokens; Secret must be at least 32 random bytes and never leave the
// gateway's configuration.
type TokenKey struct {
	ID     string
	Secret []byte
}

// tokenCodec issues and validates access tokens. Immutable after
// construction, safe for concurrent use.
type tokenCodec struct {
	keys []*tokenKeyState // keys[0] signs
}

type tokenKeyState struct {
	id   string
	pool sync.Pool // of *macScratch
}

// macScratch is per-validation scratch space, pooled to keep validation free
// of allocations.
type macScratch struct {
	mac  hash.Hash
	buf  []byte
	sum  [sha256.Size]byte
	enc  [43]byte // base64url of a SHA-256 MAC
	text []byte
}

func newTokenCodec(keys []TokenKey) (*tokenCodec, error) {
	c := &tokenCodec{}
	seen := make(map[string]bool)
	for _, k := range keys {
		if !validKid(k.ID) {
			return nil, fmt.Errorf("token key id %q: want 1 to 32 of A-Z a-z 0-9 - _", k.ID)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("token key id %q repeated", k.ID)
		}
		seen[k.ID] = true
		if len(k.Secret) < minTokenSecret {
			return nil, fmt.Errorf("token key %q: secret of %d bytes, want at least %d", k.ID, len(k.Secret), minTokenSecret)
		}
		secret := append([]byte(nil), k.Secret...)
		st := &tokenKeyState{id: k.ID}
		st.pool.New = func() any { return &macScratch{mac: hmac.New(sha256.New, secret)} }
		c.keys = append(c.keys, st)
	}
	if len(c.keys) == 0 {
		return nil, errors.New("no token key")
	}
	return c, nil
}

func validKid(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// accessToken is the content of a valid access token.
type accessToken struct {
	app, env, jti string
	iat, exp      int64
}

// issue returns a token for app in env, valid from now for AccessTokenTTL.
func (c *tokenCodec) issue(app, env string, now time.Time) (string, accessToken, error) {
	if app == "" || env == "" || strings.ContainsAny(app, " \n") || strings.ContainsAny(env, " \n") {
		return "", accessToken{}, fmt.Errorf("issuing token for app %q in environment %q: invalid name", app, env)
	}
	var j [16]byte
	rand.Read(j[:])
	t := accessToken{app: app, env: env, jti: hex.EncodeToString(j[:]), iat: now.Unix(), exp: now.Add(AccessTokenTTL).Unix()}
	payload := app + " " + env + " " + strconv.FormatInt(t.iat, 10) + " " + strconv.FormatInt(t.exp, 10) + " " + t.jti
	k := c.keys[0]
	signed := accessTokenPrefix + k.id + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	s := k.pool.Get().(*macScratch)
	defer k.pool.Put(s)
	enc := s.macOf(signed)
	return signed + "." + string(enc), t, nil
}

// macOf returns the base64url MAC of text in s's scratch space.
func (s *macScratch) macOf(text string) []byte {
	s.text = append(s.text[:0], text...)
	s.mac.Reset()
	s.mac.Write(s.text)
	sum := s.mac.Sum(s.sum[:0])
	base64.RawURLEncoding.Encode(s.enc[:], sum)
	return s.enc[:]
}

func isAccessToken(tok string) bool { return strings.HasPrefix(tok, accessTokenPrefix) }

// validate checks tok's MAC and returns its content. It does not check
// expiry or binding.
func (c *tokenCodec) validate(tok string) (accessToken, error) {
	if len(tok) > maxTokenLen {
		return accessToken{}, errors.New("access token too long")
	}
	rest, ok := strings.CutPrefix(tok, accessTokenPrefix)
	if !ok {
		return accessToken{}, errors.New("not an access token")
	}
	kid, rest, ok := strings.Cut(rest, ".")
	if !ok {
		return accessToken{}, errors.New("access token without payload")
	}
	payload, mac, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(mac, '.') >= 0 {
		return accessToken{}, errors.New("access token of wrong shape")
	}
	var k *tokenKeyState
	for _, ks := range c.keys {
		if ks.id == kid {
			k = ks
			break
		}
	}
	if k == nil {
		return accessToken{}, errUnknownTokenKid
	}
	s := k.pool.Get().(*macScratch)
	defer k.pool.Put(s)
	want := s.macOf(tok[:len(tok)-len(mac)-1])
	if !hmac.Equal(want, []byte(mac)) {
		return accessToken{}, errBadMAC
	}
	n := base64.RawURLEncoding.DecodedLen(len(payload))
	if cap(s.buf) < n {
		s.buf = make([]byte, n)
	}
	n, err := base64.RawURLEncoding.Decode(s.buf[:n], []byte(payload))
	if err != nil {
		// Cannot happen for a token we issued.
		return accessToken{}, fmt.Errorf("decoding access token payload: %w", err)
	}
	return parseAccessPayload(string(s.buf[:n]))
}

var (
	errUnknownTokenKid = errors.New("access token key id unknown")
	errBadMAC          = errors.New("access token mac mismatch")
)

func parseAccessPayload(p string) (accessToken, error) {
	var f [5]string
	for i := range 4 {
		var ok bool
		f[i], p, ok = strings.Cut(p, " ")
		if !ok {
			return accessToken{}, errors.New("access token payload has too few fields")
		}
	}
	f[4] = p
	iat, err1 := strconv.ParseInt(f[2], 10, 64)
	exp, err2 := strconv.ParseInt(f[3], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return accessToken{}, fmt.Errorf("access token times: %w", err)
	}
	return accessToken{app: f[0], env: f[1], iat: iat, exp: exp, jti: f[4]}, nil
}

// authenticateAccessToken validates an app-level3 access token for a route
// in env: its MAC, its lifetime, its environment, and that its app still
// exists in dir (removing an app revokes its tokens).
func (a *Authenticator) authenticateAccessToken(dir Directory, env, tok string) (Principal, *Error) {
	t, err := a.tokens.validate(tok)
	switch {
	case errors.Is(err, errUnknownTokenKid):
		return Principal{}, newError(ReasonUnknownKid, err)
	case errors.Is(err, errBadMAC):
		return Principal{}, newError(ReasonInvalidSignature, err)
	case err != nil:
		return Principal{}, newError(ReasonInvalidToken, err)
	}
	now := a.now().Unix()
	if now >= t.exp {
		return Principal{}, newError(ReasonExpiredToken, fmt.Errorf("access token of app %s expired at %d", t.app, t.exp))
	}
	if t.iat > now+int64(a.skew/time.Second) {
		return Principal{}, newError(ReasonNotYetValid, fmt.Errorf("access token of app %s issued at %d in the future", t.app, t.iat))
	}
	if t.env != env {
		return Principal{}, newError(ReasonWrongEnvironment, fmt.Errorf("access token of app %s for environment %s used in %s", t.app, t.env, env))
	}
	app, ok := dir.App(t.app)
	if !ok {
		return Principal{}, newError(ReasonUnknownClient, fmt.Errorf("access token of unknown app %s", t.app))
	}
	return Principal{AppID: app.ID, OrgID: app.Org, AccessMode: snapshot.ModeAppLevel3, CredentialID: t.jti}, nil
}
