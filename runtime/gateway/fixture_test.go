package gateway_test

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/runtime/accesslog"
	"github.com/frontdoor-dev/frontdoor/runtime/auth"
	"github.com/frontdoor-dev/frontdoor/runtime/diagnosis"
	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/metrictest"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/ratelimit"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Hosts, keys and names of the fixture platform.
const (
	sandboxHost = "sandbox.api.test"
	prodHost    = "api.test"
	portalKey   = "portal-key-0123456789abcdef0123456789abcdef"
	otherKey    = "other-key-0123456789abcdef0123456789abcdef"
	loginIss    = "https://login.test"
	loginAud    = "frontdoor"
	tokenURL    = "https://" + sandboxHost + "/oauth2/token"
	credName    = "backend-token"
	credSecret  = "Bearer upstream-secret-5f3c9a"
	nhsNumber   = "9434765919" // mod-11 valid
)

// snaptest.RSAKey(0) signs the portal app's client assertions, 1 the
// identity provider's user tokens.

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// seen is what an upstream received.
type seen struct {
	Method, RequestURI, Host string
	Header                   http.Header
	Body                     string
}

// recorder is an upstream that records every request and echoes its
// request URI.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newRecorder(t testing.TB, then http.Handler) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if then != nil {
			rec.mu.Lock()
			rec.reqs = append(rec.reqs, seen{r.Method, r.RequestURI, r.Host, r.Header.Clone(), ""})
			rec.mu.Unlock()
			then.ServeHTTP(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, seen{r.Method, r.RequestURI, r.Host, r.Header.Clone(), string(b)})
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, r.RequestURI)
	}))
	t.Cleanup(rec.Close)
	return rec
}

// all returns the requests received so far.
func (r *recorder) all() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.reqs...)
}

// last returns the last request received; it fails the test if none was.
func (r *recorder) last(t testing.TB) seen {
	t.Helper()
	all := r.all()
	if len(all) == 0 {
		t.Fatal("the upstream received no request")
	}
	return all[len(all)-1]
}

// api is a fixture API: its name, modes and what else it needs.
func api(name string, modes ...string) snapshot.API {
	return snapshot.API{
		ID: "pub/" + name, Publisher: "pub", Name: name, Title: name, Summary: "s", Version: "1.0.0", Major: 1,
		Status: snapshot.StatusStable, ServiceLevel: "silver", BasePath: "/pub/" + name + "/v1", AccessModes: modes,
		RateLimit: snapshot.RateLimit{Limit: 100000, Per: "second"}, AppRateLimit: snapshot.RateLimit{Limit: 100000, Per: "second"},
		IdentityHeaders: snapshot.IdentityHeaders{App: "X-Frontdoor-App", Org: "X-Frontdoor-Org", AccessMode: "X-Frontdoor-Access-Mode"},
		Network:         "internet",
	}
}

func grant(app, apiName, env, mode string) snapshot.Entitlement {
	return snapshot.Entitlement{App: app, API: "pub/" + apiName, Environment: env, AccessMode: mode, GrantedBy: "pub",
		Approval: snapshot.Approval{By: "owner", Date: "2026-01-01"}}
}

// platform builds the fixture snapshot, routing every API in every
// environment to upstream/<api name>. edit may change it before it is
// normalised.
func platform(upstream, jwksURL string, edit func(*snapshot.Snapshot)) *snapshot.Snapshot {
	envs := []snapshot.Environment{
		{Name: snapshot.EnvSandbox, BaseURL: "https://" + sandboxHost, Host: sandboxHost},
		{Name: snapshot.EnvProduction, BaseURL: "https://" + prodHost, Host: prodHost},
	}
	s := &snapshot.Snapshot{
		SchemaVersion: snapshot.SchemaVersion, Generation: 7,
		Platform: snapshot.Platform{
			Name: "Test", Operator: "Op", Environments: envs,
			IdentityProviders: []snapshot.IdentityProvider{{
				ID: "nhs-login", Issuer: loginIss, JWKSURL: jwksURL, Audience: loginAud, LevelClaim: "identity_proofing_level",
				Levels: map[string]string{"P0": snapshot.ModeNHSLoginP0, "P5": snapshot.ModeNHSLoginP5, "P9": snapshot.ModeNHSLoginP9},
			}},
			AppRateLimit:     snapshot.RateLimit{Limit: 100000, Per: "second"},
			LogRetentionDays: 90, AggregateRetentionDays: 730,
		},
		Publishers: []snapshot.Publisher{{ID: "pub", Name: "Pub", Category: "nhs-body", LegalBasis: "law", DataController: true}},
	}
	user := api("user", snapshot.ModeNHSLoginP5, snapshot.ModeNHSLoginP9)
	user.IdentityHeaders.User, user.IdentityHeaders.Level = "X-Frontdoor-User", "X-Frontdoor-Level"
	custom := api("custom", snapshot.ModeAppLevel0)
	custom.IdentityHeaders = snapshot.IdentityHeaders{App: "X-Consumer-App", Org: "X-Consumer-Org", AccessMode: "X-Consumer-Mode"}
	limited := api("limited", snapshot.ModeAppLevel0)
	limited.RateLimit, limited.AppRateLimit = snapshot.RateLimit{Limit: 3, Per: "second"}, snapshot.RateLimit{Limit: 2, Per: "second"}
	s.APIs = []snapshot.API{
		api("open", snapshot.ModeOpen), api("keyed", snapshot.ModeAppLevel0), api("signed", snapshot.ModeAppLevel3),
		user, custom, limited, api("cred", snapshot.ModeAppLevel0), api("other", snapshot.ModeAppLevel0),
	}
	s.Consumers = []snapshot.Consumer{{ID: "acme", Name: "Acme", DSPT: "standards-met", Apps: []snapshot.App{
		{ID: "acme/portal", Org: "acme", Name: "Portal", APIKeys: []snapshot.APIKey{{ID: "k1", SHA256: sum(portalKey), Environments: []string{snapshot.EnvProduction, snapshot.EnvSandbox}}},
			JWKs: []snapshot.JWK{snaptest.RSAJWK("portal-1", "RS512", &snaptest.RSAKey(0).PublicKey)}},
		{ID: "acme/other", Org: "acme", Name: "Other", APIKeys: []snapshot.APIKey{{ID: "k1", SHA256: sum(otherKey), Environments: []string{snapshot.EnvSandbox}}}},
	}}}
	sb := snapshot.EnvSandbox
	s.Entitlements = []snapshot.Entitlement{
		grant("acme/portal", "keyed", sb, snapshot.ModeAppLevel0),
		grant("acme/portal", "signed", sb, snapshot.ModeAppLevel3),
		grant("acme/portal", "user", sb, snapshot.ModeNHSLoginP5),
		grant("acme/portal", "custom", sb, snapshot.ModeAppLevel0),
		grant("acme/portal", "limited", sb, snapshot.ModeAppLevel0),
		grant("acme/other", "limited", sb, snapshot.ModeAppLevel0),
		grant("acme/portal", "cred", sb, snapshot.ModeAppLevel0),
		grant("acme/portal", "keyed", snapshot.EnvProduction, snapshot.ModeAppLevel0),
	}
	s.Entitlements[7].Expires = "2020-01-01"
	for _, a := range s.APIs {
		for _, e := range envs {
			r := snapshot.Route{Environment: e.Name, BasePath: a.BasePath, API: a.ID, Upstream: upstream + "/" + a.Name, AccessModes: a.AccessModes}
			if a.Name == "cred" {
				r.UpstreamCredential = credName
			}
			s.Routes = append(s.Routes, r)
		}
	}
	if edit != nil {
		edit(s)
	}
	for i := range s.Routes {
		// Edits name the upstream "UP".
		if rest, ok := strings.CutPrefix(s.Routes[i].Upstream, "UP/"); ok {
			s.Routes[i].Upstream = upstream + "/" + rest
		}
	}
	s.Normalize()
	return s
}

// env is a running gateway over the fixture.
type env struct {
	t     testing.TB
	up    *recorder
	jwks  *httptest.Server
	store *store.Store
	gw    *gateway.Proxy
	srv   *httptest.Server
	reg   *prometheus.Registry
	alog  *accesslog.Logger
	logs  *testutil.SyncBuffer
}

type envOptions struct {
	edit      func(*snapshot.Snapshot)
	limiter   ratelimit.Limiter
	accessLog string // directory; "" for none
	credDir   string
	getenv    func(string) string
	now       func() time.Time
	// quiet routes to rawUpstream instead of the recorder (benchmarks).
	quiet bool
	// upstream, when set, answers after the recorder recorded.
	upstream http.Handler
	// headerTimeout is the gateway's ResponseHeaderTimeout.
	headerTimeout time.Duration
	// tlsConfig is the gateway's TLSClientConfig.
	tlsConfig *tls.Config
	// upstreamCAs are the gateway's UpstreamRootCAs.
	upstreamCAs map[string]*x509.CertPool
	// spans are the gateway's Spans.
	spans gateway.Spans
	// transport, when set, sends every request through ReverseProxy.
	transport http.RoundTripper
	// noDefaultEnv leaves Options.DefaultEnvironment empty (else sandbox).
	noDefaultEnv bool
	// maxConnsPerHost is the gateway's MaxConnsPerHost.
	maxConnsPerHost int
	// diagnosis is the gateway's Diagnosis recorder.
	diagnosis *diagnosis.Recorder
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	e := &env{t: t, up: newRecorder(t, o.upstream), reg: prometheus.NewRegistry(), logs: &testutil.SyncBuffer{}}
	e.jwks = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"keys": []snapshot.JWK{snaptest.RSAJWK("login-1", "RS256", &snaptest.RSAKey(1).PublicKey)}})
	}))
	t.Cleanup(e.jwks.Close)
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := auth.New(auth.Config{
		TokenKeys:             []auth.TokenKey{{ID: "test", Secret: []byte("0123456789abcdef0123456789abcdef")}},
		AllowInsecureJWKSURLs: true,
		Logger:                log,
	})
	if err != nil {
		t.Fatal(err)
	}
	upURL := e.up.URL
	if o.quiet {
		upURL = rawUpstream(t)
	}
	built, err := store.Build(platform(upURL, e.jwks.URL, o.edit), "sha256:fixture")
	if err != nil {
		t.Fatal(err)
	}
	e.store = new(store.Store)
	e.store.Swap(built)
	if o.accessLog != "" {
		e.alog, err = accesslog.New(accesslog.Options{Dir: o.accessLog, ErrorLog: log})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.alog.Close() })
	}
	defaultEnv := snapshot.EnvSandbox
	if o.noDefaultEnv {
		defaultEnv = ""
	}
	e.gw = gateway.New(gateway.Options{
		Store: e.store, DefaultEnvironment: defaultEnv, Auth: a, Limiter: o.limiter, AccessLog: e.alog,
		Registerer: e.reg, CredentialsDir: o.credDir, Getenv: o.getenv, Now: o.now, ResponseHeaderTimeout: o.headerTimeout, TLSClientConfig: o.tlsConfig, UpstreamRootCAs: o.upstreamCAs, Spans: o.spans, Transport: o.transport, MaxConnsPerHost: o.maxConnsPerHost, Diagnosis: o.diagnosis, Log: log,
	})
	e.gw.Prepare(built)
	e.srv = httptest.NewServer(e.gw)
	t.Cleanup(func() { e.srv.Close(); e.gw.Close() })
	return e
}

// gatewayLogs returns what the gateway logged.
func (e *env) gatewayLogs() string {
	return e.logs.String()
}

// response is a gateway response, read whole.
type response struct {
	code   int
	header http.Header
	body   string
}

// do sends a request to the gateway with Host sandboxHost unless a "Host"
// pair is given; kv are header pairs (added, so repeats are kept).
func (e *env) do(method, target string, body io.Reader, kv ...string) response {
	e.t.Helper()
	r, err := e.send(method, target, body, kv...)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// send is do returning its error instead of failing the test, for
// goroutines other than the test's.
func (e *env) send(method, target string, body io.Reader, kv ...string) (response, error) {
	req, err := http.NewRequest(method, e.srv.URL+target, body)
	if err != nil {
		return response{}, err
	}
	req.Host = sandboxHost
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "Host" {
			req.Host = kv[i+1]
			continue
		}
		req.Header.Add(kv[i], kv[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		return response{}, err
	}
	return readResponse(resp), nil
}

// readResponse reads resp whole and closes its body.
func readResponse(resp *http.Response) response {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

func (e *env) get(target string, kv ...string) response {
	e.t.Helper()
	return e.do(http.MethodGet, target, nil, kv...)
}

// rawRequest writes one request exactly as given (request line, then
// header lines) on a new connection and reads the response.
func (e *env) rawRequest(requestLine string, lines ...string) response {
	e.t.Helper()
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	b.WriteString(requestLine + "\r\n")
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return readResponse(resp)
}

// raw sends a request line with target exactly as given, and headers as
// given ("Name: value" lines), over a new connection.
func (e *env) raw(target string, lines ...string) response {
	e.t.Helper()
	return e.rawRequest("GET "+target+" HTTP/1.1", append([]string{"Host: " + sandboxHost}, lines...)...)
}

// problem is an RFC 9457 body.
type problem struct {
	Type, Title, Detail, Instance, Reason string
	Status                                int
	RetryAfterSeconds                     int
}

func decodeProblem(t testing.TB, r response) problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != gateway.ProblemContentType {
		t.Fatalf("content type: got %q, want %q (body %q)", ct, gateway.ProblemContentType, r.body)
	}
	var p problem
	dec := json.NewDecoder(strings.NewReader(r.body))
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("decoding problem %q: %v", r.body, err)
	}
	return p
}

// accessToken gets an app-level3 token for the portal app from the
// gateway's token endpoint.
func (e *env) accessToken(t testing.TB) string {
	t.Helper()
	now := time.Now()
	as := signJWT(t, jwt.SigningMethodRS512, snaptest.RSAKey(0), "portal-1", jwt.MapClaims{
		"iss": "acme/portal", "sub": "acme/portal", "aud": tokenURL, "jti": randomID(),
		"exp": now.Add(4 * time.Minute).Unix(), "iat": now.Unix(),
	})
	form := url.Values{
		"grant_type":            {auth.GrantClientCredentials},
		"client_assertion_type": {auth.AssertionTypeJWTBearer},
		"client_assertion":      {as},
	}
	r := e.do(http.MethodPost, "/oauth2/token", strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
	if r.code != http.StatusOK {
		t.Fatalf("token endpoint: got %d %s", r.code, r.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(r.body), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token response %q: %v", r.body, err)
	}
	return tok.AccessToken
}

// userToken is an nhs-login token of the fixture's identity provider at
// level.
func userToken(t testing.TB, level string) string { return userTokenSignedBy(t, 1, level) }

// userTokenSignedBy is userToken signed by fixture key i (1 is the
// provider's).
func userTokenSignedBy(t testing.TB, i int, level string) string {
	now := time.Now()
	return signJWT(t, jwt.SigningMethodRS256, snaptest.RSAKey(i), "login-1", jwt.MapClaims{
		"iss": loginIss, "sub": "user-" + nhsNumber, "aud": loginAud, "jti": randomID(),
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "identity_proofing_level": level,
	})
}

func signJWT(t testing.TB, m jwt.SigningMethod, key *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func randomID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// metric returns the value of a counter or gauge with the given labels, 0
// if none.
func (e *env) metric(name string, labels ...string) float64 {
	e.t.Helper()
	v, _ := metrictest.Value(e.t, e.reg, name, labels...)
	return v
}

// rawUpstream is a minimal HTTP/1.1 keep-alive server answering every
// request "ok", without net/http: benchmarks then count only the gateway's
// allocations. It handles requests without bodies only.
func rawUpstream(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	const resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nServer: raw\r\n\r\nok"
	respBytes := []byte(resp)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					for {
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) <= 2 {
							break
						}
					}
					if _, err := c.Write(respBytes); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// gaugeOrCounter returns the value of an unlabelled counter or gauge, -1
// if none.
func (e *env) gaugeOrCounter(name string) float64 {
	e.t.Helper()
	if v, ok := metrictest.Value(e.t, e.reg, name); ok {
		return v
	}
	return -1
}

// paths runs f once per kind of transport: the gateway's own, and one
// given in Options.Transport.
func paths(t *testing.T, f func(t *testing.T, o envOptions)) {
	t.Run("own", func(t *testing.T) { f(t, envOptions{}) })
	t.Run("given", func(t *testing.T) {
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		f(t, envOptions{transport: tr})
	})
}
