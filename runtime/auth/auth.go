// Package auth is the gateway's authentication stage: it sits between routing
// and entitlement on the request path and turns a request's credential into a
// Principal, for one of the access modes a route accepts.
//
// Access modes and their credentials:
//
//   - open: none.
//   - app-level0: an API key in the apikey header. Keys are stored only as
//     SHA-256 hex digests; a key is valid up to and including its Expires day
//     (UTC).
//   - app-level3: an opaque access token in "Authorization: Bearer", issued by
//     this package's token endpoint (ServeToken, POST /oauth2/token) in
//     exchange for a client assertion: a JWT signed RS512 with a key from the
//     app's JWKS (RFC 7523 client credentials). The client id is the app ID
//     ("<org>/<app>").
//   - nhs-cis2-aal1|aal3, nhs-login-p0|p5|p9 (user-restricted): a JWT in
//     "Authorization: Bearer" from one of the platform's identity providers,
//     verified against the provider's JWKS. Its level claim is mapped through
//     the provider's Levels to an access mode; a higher level satisfies a
//     lower one of the same family (p0 < p5 < p9, aal1 < aal3), so a P9 user
//     may use a P5 route but a P5 user may not use a P9 route.
//
// Authentication never decides entitlement: the gateway checks the
// Principal's app and access mode against the grants afterwards (use
// Satisfies when comparing a user's level with a grant's mode).
//
// Running several replicas: access tokens are stateless and verify on any
// replica that shares Config.TokenKeys (with no keys configured, each
// replica generates its own and tokens work only where they were issued).
// The client-assertion replay cache is per replica unless a shared
// ReplayCache is injected. JWKS documents are cached per replica.
//
// JWKS URLs of apps come from consumers' configuration, so by default they
// are fetched only over https from public addresses, with bounded size, time
// and redirects, and at most once per JWKSRefreshInterval per URL.
//
// An Authenticator is safe for concurrent use. Snapshots are passed per
// request as a Directory, so a request is authenticated against the snapshot
// it was routed on.
package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Principal is who a request authenticated as.
type Principal struct {
	// AppID ("<org>/<app>") and OrgID identify the calling app. For
	// user-restricted modes they are set only when the request also carries
	// a valid API key.
	AppID string
	OrgID string
	// AccessMode is the route's access mode the credential satisfied (for a
	// user-restricted token, the highest such mode: a P9 token on a route
	// accepting p5 and p9 gets nhs-login-p9).
	AccessMode string
	// UserID is the end user's subject (sub) for user-restricted modes.
	UserID string
	// Level is the raw value of the provider's level claim, e.g. "P9".
	Level string
	// Provider is the identity provider's ID for user-restricted modes.
	Provider string
	// CredentialID names the credential for logs: the API key's ID, or the
	// access token's or user token's jti. Never a secret.
	CredentialID string
}

// Defaults for Config.
const (
	DefaultClockSkew           = 30 * time.Second
	DefaultJWKSCacheTTL        = 10 * time.Minute
	DefaultJWKSRefreshInterval = 30 * time.Second
	DefaultJWKSMaxStale        = time.Hour
	DefaultJWKSCacheSize       = 1024
	DefaultReplayCacheSize     = 100_000
	DefaultReplayCachePerApp   = 1_000
	DefaultFetchTimeout        = 5 * time.Second
)

// Config configures an Authenticator. The zero value of every field but
// TokenURLs has a usable default.
type Config struct {
	// TokenURLs maps an environment name to the exact public URL of its
	// token endpoint, e.g. "https://sandbox.api.example/oauth2/token". A
	// client assertion's aud must equal it. Environments without an entry
	// cannot issue app-level3 tokens, unless the Directory passed to
	// ServeToken is a TokenURLDirectory that knows theirs.
	TokenURLs map[string]string
	// TokenKeys sign and verify app-level3 access tokens. The first key
	// signs; all verify (list the previous key second while rotating). When
	// empty, a random key is generated and tokens are valid only on this
	// replica; N replicas behind one load balancer must share keys.
	TokenKeys []TokenKey
	// Now is the clock; time.Now if nil.
	Now func() time.Time
	// ClockSkew tolerated on exp, nbf and iat; DefaultClockSkew if zero.
	ClockSkew time.Duration
	// HTTPClient fetches JWKS documents. If nil, a client is built that
	// refuses plain http and non-public addresses (app JWKS URLs come from
	// consumers' configuration, so fetching them must not reach internal
	// services) unless AllowInsecureJWKSURLs is set.
	HTTPClient *http.Client
	// AllowInsecureJWKSURLs permits http and loopback or private addresses
	// for JWKS URLs. For tests and local development only.
	AllowInsecureJWKSURLs bool
	// JWKSCacheTTL is how long a fetched key set is fresh.
	JWKSCacheTTL time.Duration
	// JWKSRefreshInterval is the least time between two fetches of one URL,
	// bounding refreshes triggered by unknown kids.
	JWKSRefreshInterval time.Duration
	// JWKSMaxStale is how long past its TTL a key set is still used while
	// refreshing it fails.
	JWKSMaxStale time.Duration
	// JWKSCacheSize bounds the number of cached key sets.
	JWKSCacheSize int
	// FetchTimeout bounds one JWKS fetch.
	FetchTimeout time.Duration
	// ReplayCache records client-assertion jtis. If nil, an in-memory cache
	// of ReplayCacheSize entries is used; it is local to one replica, so a
	// cluster that must refuse replays across replicas injects a shared one.
	ReplayCache     ReplayCache
	ReplayCacheSize int
	// ReplayCachePerApp is the share of the in-memory replay cache one app
	// may hold (DefaultReplayCachePerApp when zero): an app past it gets
	// 429 from the token endpoint, every other app is still served.
	ReplayCachePerApp int
	// TokenLimit, if set, is asked before a valid client assertion of app
	// in env is recorded and a token issued; it refuses with how long to
	// wait. The gateway sets one on its limiter (see SetTokenLimit).
	TokenLimit TokenLimitFunc
	// Logger receives refusals at debug level and key fetch problems at warn.
	Logger *slog.Logger
}

// Authenticator authenticates requests and issues app-level3 access tokens.
// It is safe for concurrent use.
type Authenticator struct {
	now       func() time.Time
	skew      time.Duration
	tokenURLs map[string]string
	tokens    *tokenCodec
	jwks      *jwksCache
	replay    ReplayCache
	log       *slog.Logger
	parsers   parsers
	// tokenLimit is the TokenLimitFunc, if any.
	tokenLimit atomic.Pointer[TokenLimitFunc]
}

// TokenLimitFunc decides whether app may be issued one more token in env;
// when not, it says how long to wait.
type TokenLimitFunc func(ctx context.Context, env, app string) (retryAfter time.Duration, ok bool)

// SetTokenLimit sets the token endpoint's per-app limit unless one is set
// (Config.TokenLimit), and reports whether it did. Call it before serving.
func (a *Authenticator) SetTokenLimit(f TokenLimitFunc) bool {
	if f == nil {
		return false
	}
	return a.tokenLimit.CompareAndSwap(nil, &f)
}

// New returns an Authenticator for cfg.
func New(cfg Config) (*Authenticator, error) {
	a := &Authenticator{
		now:       cfg.Now,
		skew:      cfg.ClockSkew,
		tokenURLs: make(map[string]string, len(cfg.TokenURLs)),
		replay:    cfg.ReplayCache,
		log:       cfg.Logger,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.skew <= 0 {
		a.skew = DefaultClockSkew
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	for env, u := range cfg.TokenURLs {
		if u == "" {
			return nil, fmt.Errorf("token URL of environment %q is empty", env)
		}
		a.tokenURLs[env] = u
	}
	keys := cfg.TokenKeys
	if len(keys) == 0 {
		secret := make([]byte, 32)
		id := make([]byte, 4)
		rand.Read(secret)
		rand.Read(id)
		keys = []TokenKey{{ID: "local-" + hex.EncodeToString(id), Secret: secret}}
		a.log.Info("generated an access-token key; app-level3 tokens are valid only on this replica", slog.String("kid", keys[0].ID))
	}
	var err error
	if a.tokens, err = newTokenCodec(keys); err != nil {
		return nil, err
	}
	if a.replay == nil {
		size := cfg.ReplayCacheSize
		if size <= 0 {
			size = DefaultReplayCacheSize
		}
		share := cfg.ReplayCachePerApp
		if share <= 0 {
			share = DefaultReplayCachePerApp
		}
		a.replay = NewMemoryReplayCache(size, share, a.now)
	}
	if cfg.TokenLimit != nil {
		f := cfg.TokenLimit
		a.tokenLimit.Store(&f)
	}
	a.jwks = newJWKSCache(cfg, a.now, a.log)
	a.parsers = newParsers(a.now, a.skew)
	return a, nil
}

// Authenticate authenticates r for a route in environment env that accepts
// modes, against the snapshot directory dir. The credential is chosen by
// what the route accepts and what the request carries: a bearer token if the
// route accepts app-level3 or a user-restricted mode, else an API key if it
// accepts app-level0, else nothing if it is open. A credential that is
// present and refused is an error even on a route that is also open.
//
// Errors are always *Error.
func (a *Authenticator) Authenticate(r *http.Request, dir Directory, env string, modes []string) (Principal, error) {
	var open, level0, level3, user bool
	for _, m := range modes {
		switch m {
		case snapshot.ModeOpen:
			open = true
		case snapshot.ModeAppLevel0:
			level0 = true
		case snapshot.ModeAppLevel3:
			level3 = true
		default:
			user = user || snapshot.UserRestricted(m)
		}
	}
	if level3 || user {
		tok, present, err := bearerToken(r.Header)
		if err != nil {
			return Principal{}, a.refuse(err)
		}
		if present {
			p, err := a.authenticateBearer(r, dir, env, modes, tok, level3, user)
			if err != nil {
				return Principal{}, a.refuse(err)
			}
			return p, nil
		}
	}
	if level0 {
		key, present, err := apiKeyHeader(r.Header)
		if err != nil {
			return Principal{}, a.refuse(err)
		}
		if present {
			p, err := a.authenticateAPIKey(dir, env, key)
			if err != nil {
				return Principal{}, a.refuse(err)
			}
			return p, nil
		}
	}
	if open {
		return Principal{AccessMode: snapshot.ModeOpen}, nil
	}
	e := newError(ReasonMissingCredential, nil)
	if level3 || user {
		e.Challenge = `Bearer realm="frontdoor"`
	}
	return Principal{}, e
}

// authenticateBearer dispatches a bearer token: this package's access
// tokens are recognised by their prefix, anything else is a user token.
func (a *Authenticator) authenticateBearer(r *http.Request, dir Directory, env string, modes []string, tok string, level3, user bool) (Principal, *Error) {
	if isAccessToken(tok) {
		p, err := a.authenticateAccessToken(dir, env, tok)
		if err != nil {
			return Principal{}, err
		}
		if !level3 {
			return Principal{}, newError(ReasonModeNotAllowed, fmt.Errorf("app-level3 token for app %s on a route without app-level3", p.AppID))
		}
		return p, nil
	}
	if !user {
		return Principal{}, newError(ReasonInvalidToken, fmt.Errorf("bearer token is not an access token"))
	}
	return a.authenticateUser(r.Context(), r.Header, dir, env, modes, tok)
}

// refuse logs a refusal at debug level and returns it as an error.
func (a *Authenticator) refuse(e *Error) error {
	if a.log.Enabled(context.Background(), slog.LevelDebug) {
		a.log.Debug("credential refused", slog.String("reason", string(e.Reason)), slog.Any("err", e.err))
	}
	return e
}
