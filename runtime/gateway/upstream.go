package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/frontdoor-dev/frontdoor/runtime/store"
)

// CredentialEnvPrefix prefixes the environment variable that may hold an
// upstream credential: FRONTDOOR_CRED_<NAME>, NAME upper-cased with every
// character other than A-Z and 0-9 replaced by "_".
const CredentialEnvPrefix = "FRONTDOOR_CRED_"

// target is one upstream as routes call it: an upstream URL with the
// credential the gateway presents to it. Targets are built per snapshot;
// the transports behind them outlive snapshots (see upstreams), so a swap
// keeps connections warm.
type target struct {
	scheme, host string
	// path is the upstream URL's escaped path, rawQuery its query.
	path, rawQuery string
	// fixedKeys are the parameter names of rawQuery, normalised by
	// queryKey: a client's query may not set them again.
	fixedKeys []string
	// credHeader and credValue are the header credential, if any.
	credHeader, credValue string
	// proxy carries the requests, through the transport of the route's
	// publisher and client certificate (see upstreams), named transport.
	proxy     *httputil.ReverseProxy
	transport string
}

// credential is an upstream credential resolved at run time, never from the
// snapshot: a header to add, or a client certificate for mTLS.
type credential struct {
	header, value string
	cert          *tls.Certificate
	// key identifies the certificate (its bytes' digest) for caching.
	key string
}

// upstreams caches transports across snapshots, and resolves credentials.
// Safe for concurrent use; builds are serialised by the plan cache.
//
// Every upstream is called through net/http's Transport. There is one
// Transport per publisher and client certificate: publishers never share
// an upstream connection, even when their APIs name the same upstream
// address, so bytes an upstream sends out of turn (a body after a HEAD or
// a 204, bytes after a complete response) can reach only clients of the
// publisher whose upstream sent them. Within a publisher, guardedTransport
// refuses a response read from bytes that arrived before its request got
// the connection, and the Transport itself closes a connection that
// speaks while idle; see the README, "The request path", for what
// remains.
type upstreams struct {
	opts     *Options
	newProxy func(http.RoundTripper) *httputil.ReverseProxy
	log      *slog.Logger

	mu sync.Mutex
	// proxies and transports by transportKey.
	proxies    map[string]*httputil.ReverseProxy
	transports map[string]*guardedTransport
	// used by the last two builds: what may still serve requests.
	usedPrev, usedCur map[string]bool
}

func newUpstreams(opts *Options, log *slog.Logger, newProxy func(http.RoundTripper) *httputil.ReverseProxy) *upstreams {
	return &upstreams{
		opts: opts, log: log, newProxy: newProxy,
		proxies: map[string]*httputil.ReverseProxy{}, transports: map[string]*guardedTransport{},
		usedPrev: map[string]bool{}, usedCur: map[string]bool{},
	}
}

// transportKey names the transport of a publisher's routes with a client
// certificate (certKey, "" for none); routes of an environment with its own
// CA bundle (Options.UpstreamRootCAs) add the environment to it.
func transportKey(publisher, certKey string) string { return publisher + "\x00" + certKey }

// resolution is one plan build's view of the upstreams.
type resolution struct {
	u       *upstreams
	creds   map[string]*credential
	errs    map[string]error
	targets map[targetKey]targetEntry
	// seeded are the targets of the plan before (see seed).
	seeded map[targetKey]targetEntry
	used   map[string]bool
}

func (u *upstreams) begin() *resolution {
	return &resolution{u: u, creds: map[string]*credential{}, errs: map[string]error{}, targets: map[targetKey]targetEntry{}, used: map[string]bool{}}
}

// seed gives res the targets of a plan before, made with the credentials
// that still read as they did: routes with their upstream and credential
// take them as they are.
func (res *resolution) seed(targets map[targetKey]targetEntry) {
	res.seeded = targets
}

// target resolves the target of route r, once per upstream and credential.
func (res *resolution) target(r *store.Route) {
	key := res.u.targetKey(r)
	if _, ok := res.targets[key]; ok {
		return
	}
	if e, ok := res.seeded[key]; ok {
		if e.t != nil {
			res.used[e.t.transport] = true
		}
		res.targets[key] = e
		return
	}
	t, problem := res.resolve(r)
	res.targets[key] = targetEntry{t: t, problem: problem}
}

// resolve returns the target of route r, or a reason (safe for clients)
// why it cannot be called.
func (res *resolution) resolve(r *store.Route) (*target, string) {
	roots := res.u.opts.UpstreamRootCAs[r.Environment]
	var cred *credential
	if name := r.UpstreamCredential; name != "" {
		if _, failed := res.errs[name]; failed {
			return nil, "the upstream credential of this API is not available"
		}
		c, ok := res.creds[name]
		if !ok {
			var err error
			c, err = res.u.resolveCredential(name)
			if err != nil {
				// Log the name and the cause, never a credential's value.
				res.u.log.Error("upstream credential unavailable; its routes answer 502", "credential", name, "api", r.API.ID, "err", err)
				res.errs[name] = err
				return nil, "the upstream credential of this API is not available"
			}
			res.creds[name] = c
		}
		cred = c
	}
	u := r.Upstream
	switch u.Scheme {
	case "http", "https":
	default:
		return nil, "the upstream of this API is not an http(s) URL"
	}
	if u.Scheme == "http" && cred != nil && cred.cert != nil {
		res.u.log.Error("client certificate for a plain-http upstream; its routes answer 502", "credential", r.UpstreamCredential, "api", r.API.ID)
		return nil, "the upstream credential of this API does not fit its upstream"
	}
	t := &target{scheme: u.Scheme, host: u.Host, path: u.EscapedPath(), rawQuery: u.RawQuery, fixedKeys: queryKeys(u.RawQuery)}
	if cred != nil {
		t.credHeader, t.credValue = cred.header, cred.value
	}
	ck := ""
	if cred != nil && cred.cert != nil {
		ck = cred.key
	}
	tk := transportKey(r.API.Publisher, ck)
	if roots != nil {
		// The environment's CA bundle: a transport of its own.
		tk += "\x00" + r.Environment
	}
	res.u.mu.Lock()
	defer res.u.mu.Unlock()
	rp := res.u.proxies[tk]
	if rp == nil {
		tr := res.u.newTransport(cred, roots)
		res.u.transports[tk] = tr
		rp = res.u.newProxy(tr)
		res.u.proxies[tk] = rp
	}
	res.used[tk] = true
	t.proxy, t.transport = rp, tk
	return t, ""
}

// targetKey names route r's target: its upstream and credential, and its
// environment when that has a CA bundle of its own (a transport of its own).
func (u *upstreams) targetKey(r *store.Route) targetKey {
	k := targetKey{upstream: r.Route.Upstream, credential: r.UpstreamCredential}
	if u.opts.UpstreamRootCAs[r.Environment] != nil {
		k.env = r.Environment
	}
	return k
}

// done closes the transports that neither this build nor the one before it
// uses, and returns the build's targets.
func (res *resolution) done() map[targetKey]targetEntry {
	u := res.u
	u.mu.Lock()
	defer u.mu.Unlock()
	u.usedPrev, u.usedCur = u.usedCur, res.used
	for k, tr := range u.transports {
		if !u.usedCur[k] && !u.usedPrev[k] {
			tr.CloseIdleConnections()
			delete(u.transports, k)
			delete(u.proxies, k)
		}
	}
	return res.targets
}

// credPrint fingerprints the upstream credentials a plan was built with.
type credPrint struct {
	names string   // the credential names, sorted, NUL-separated
	sum   [32]byte // SHA-256 over each one's resolution, or its error
}

// fingerprint returns the fingerprint of the credentials res's targets
// were made with: those it resolved, from its own resolutions, and those
// of the seeded targets it kept, read again.
func (res *resolution) fingerprint() credPrint {
	names := make([]string, 0, len(res.creds)+len(res.errs))
	for n := range res.creds {
		names = append(names, n)
	}
	for n := range res.errs {
		names = append(names, n)
	}
	for k := range res.targets {
		if k.credential != "" {
			names = append(names, k.credential)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	return printCredentials(names, func(n string) (*credential, error) {
		if err, failed := res.errs[n]; failed {
			return nil, err
		}
		if c, ok := res.creds[n]; ok {
			return c, nil
		}
		return res.u.resolveCredential(n)
	})
}

// fingerprint resolves the credentials named (NUL-separated) again and
// fingerprints them: a plan whose credentials still fingerprint alike
// would be built with the same targets.
func (u *upstreams) fingerprint(names string) credPrint {
	var list []string
	if names != "" {
		list = strings.Split(names, "\x00")
	}
	return printCredentials(list, u.resolveCredential)
}

// printCredentials fingerprints the credentials named, as resolve resolves
// them. The sum is over the values; it is kept, the values are not.
func printCredentials(names []string, resolve func(string) (*credential, error)) credPrint {
	h := sha256.New()
	for _, n := range names {
		c, err := resolve(n)
		switch {
		case err != nil:
			fmt.Fprintf(h, "%s\x00!%s\x00", n, err)
		case c.cert != nil:
			fmt.Fprintf(h, "%s\x00cert %s\x00", n, c.key)
		default:
			fmt.Fprintf(h, "%s\x00%s: %s\x00", n, c.header, c.value)
		}
	}
	return credPrint{names: strings.Join(names, "\x00"), sum: [32]byte(h.Sum(nil))}
}

// closeAll closes every transport's idle connections.
func (u *upstreams) closeAll() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, tr := range u.transports {
		tr.CloseIdleConnections()
	}
}

func (u *upstreams) newTransport(cred *credential, roots *x509.CertPool) *guardedTransport {
	tr := NewTransport(u.opts)
	if roots != nil {
		tr.TLSClientConfig.RootCAs = roots
	}
	if cred != nil && cred.cert != nil {
		tr.TLSClientConfig.Certificates = []tls.Certificate{*cred.cert}
	}
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c}, nil
	}
	return &guardedTransport{tr}
}

// errEarlyResponse is the error of a response read whole from bytes that
// had arrived before its request was sent.
var errEarlyResponse = errors.New("the upstream's response was read from bytes it sent before the request (bytes out of turn); connection closed")

// guardedTransport refuses a response that is not the upstream's answer to
// the request: one read whole from bytes received on the connection
// before the request got it. Such bytes are what an upstream sent out of
// turn after an earlier response (a body after a 204, a second response),
// which net/http's Transport reads as the next response when it hands the
// connection to another request before noticing them. An answer needs at
// least one read after the request got its connection; a response without
// one is dropped, its connection closed, and the request fails (502).
type guardedTransport struct{ *http.Transport }

func (g *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var st *connGuard
	if call := callOf(req); call != nil {
		// The gateway's request: proxy set the trace up.
		st = &call.guard
	} else {
		// One allocation for the state and the trace, one for the hook.
		st = new(connGuard)
		req = req.WithContext(st.watch(req.Context()))
	}
	res, err := g.Transport.RoundTrip(req)
	if err != nil || st.conn == nil || st.conn.reads.Load() != st.before {
		return res, err
	}
	res.Body.Close()
	st.conn.Close()
	return nil, errEarlyResponse
}

// connGuard is one request's view of guardedTransport's check: the
// connection it got and the reads that connection had made then.
type connGuard struct {
	trace  httptrace.ClientTrace
	conn   *countingConn
	before uint64
}

// watch returns ctx with the trace that records the connection the
// request gets (one allocation for the hook, one for the context).
func (st *connGuard) watch(ctx context.Context) context.Context {
	st.trace.GotConn = st.got
	return httptrace.WithClientTrace(ctx, &st.trace)
}

func (st *connGuard) got(info httptrace.GotConnInfo) {
	c := info.Conn
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	st.conn, st.before = nil, 0
	if cc, ok := c.(*countingConn); ok {
		st.conn, st.before = cc, cc.reads.Load()
	}
}

// countingConn counts the reads that returned bytes (see guardedTransport).
type countingConn struct {
	net.Conn
	reads atomic.Uint64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.reads.Add(1)
	}
	return n, err
}

// NewTransport returns the Transport the gateway calls upstreams with,
// tuned by o's upstream settings (zero values take the Defaults):
// bounded dial, TLS handshake and response-header waits, idle connections
// kept and closed, connections per host capped, response headers bounded,
// no compression (bodies pass through as the upstream sent them). It is
// exported so that benchmarks can run a bare httputil.ReverseProxy with
// the same settings.
func NewTransport(o *Options) *http.Transport {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLSClientConfig != nil {
		tlsConf = o.TLSClientConfig.Clone()
	}
	d := &net.Dialer{Timeout: cmp(o.DialTimeout, DefaultDialTimeout), KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:            d.DialContext,
		TLSClientConfig:        tlsConf,
		TLSHandshakeTimeout:    cmp(o.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout),
		ResponseHeaderTimeout:  cmp(o.ResponseHeaderTimeout, DefaultResponseHeaderTimeout),
		IdleConnTimeout:        cmp(o.IdleConnTimeout, DefaultIdleConnTimeout),
		MaxIdleConns:           0, // bounded per host below
		MaxIdleConnsPerHost:    positive(o.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost),
		MaxConnsPerHost:        positive(o.MaxConnsPerHost, DefaultMaxConnsPerHost),
		MaxResponseHeaderBytes: int64(positive(o.MaxResponseHeaderBytes, DefaultMaxResponseHeaderBytes)),
		ExpectContinueTimeout:  time.Second,
		DisableCompression:     true,
		ForceAttemptHTTP2:      true,
	}
}

func positive(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// queryKeys returns the normalised parameter names of query q.
func queryKeys(q string) []string {
	var keys []string
	for part := range strings.SplitSeq(q, "&") {
		if part == "" {
			continue
		}
		k, _, _ := strings.Cut(part, "=")
		if nk, ok := queryKey(k); ok && !slices.Contains(keys, nk) {
			keys = append(keys, nk)
		}
	}
	return keys
}

// queryKey normalises a raw query parameter name as lenient upstream
// frameworks read it: unescaped ('+' is a space), lower case, and cut at
// the first '[' (k[]=1 and k[x]=1 set k in PHP-style parsers). ok is
// false when k does not unescape.
func queryKey(k string) (string, bool) {
	k, err := url.QueryUnescape(k)
	if err != nil {
		return "", false
	}
	if i := strings.IndexByte(k, '['); i >= 0 {
		k = k[:i]
	}
	return strings.ToLower(strings.TrimSpace(k)), true
}

// withoutFixed returns client query q without the parameters whose names
// the upstream URL fixes (keys, from queryKeys), and without those whose
// names do not unescape (an upstream might read them as a fixed one).
func withoutFixed(q string, keys []string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(q, "&") {
		if part == "" {
			continue
		}
		k, _, _ := strings.Cut(part, "=")
		if nk, ok := queryKey(k); !ok || slices.Contains(keys, nk) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(part)
	}
	return b.String()
}

// resolveCredential finds credential name: in the credentials directory as
// <name>.header ("Header-Name: value") or <name>.crt and <name>.key (a PEM
// client certificate and key), else in the environment variable
// FRONTDOOR_CRED_<NAME> ("Header-Name: value"). Errors name files and
// variables, never values.
func (u *upstreams) resolveCredential(name string) (*credential, error) {
	if !validCredentialName(name) {
		return nil, fmt.Errorf("credential name %q: want letters, digits, '.', '-' or '_'", name)
	}
	if dir := u.opts.CredentialsDir; dir != "" {
		hp := filepath.Join(dir, name+".header")
		b, err := os.ReadFile(hp)
		switch {
		case err == nil:
			c, err := parseHeaderCredential(string(b))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", hp, err)
			}
			return c, nil
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("reading credential: %w", err)
		}
		cp, kp := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
		certPEM, err := os.ReadFile(cp)
		switch {
		case err == nil:
			keyPEM, err := os.ReadFile(kp)
			if err != nil {
				return nil, fmt.Errorf("reading credential key: %w", err)
			}
			cert, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				return nil, fmt.Errorf("client certificate %s: %w", cp, err)
			}
			sum := sha256.New()
			sum.Write(certPEM)
			sum.Write(keyPEM)
			return &credential{cert: &cert, key: name + "@" + fmt.Sprintf("%x", sum.Sum(nil))}, nil
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("reading credential: %w", err)
		}
	}
	env := credentialEnv(name)
	getenv := u.opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if v := getenv(env); v != "" {
		c, err := parseHeaderCredential(v)
		if err != nil {
			return nil, fmt.Errorf("$%s: %w", env, err)
		}
		return c, nil
	}
	if u.opts.CredentialsDir != "" {
		return nil, fmt.Errorf("no %s.header, %s.crt or $%s", filepath.Join(u.opts.CredentialsDir, name), filepath.Join(u.opts.CredentialsDir, name), env)
	}
	return nil, fmt.Errorf("no $%s (and no credentials directory)", env)
}

func validCredentialName(name string) bool {
	if name == "" || len(name) > 128 || name[0] == '.' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// credentialEnv is the environment variable of credential name.
func credentialEnv(name string) string {
	b := []byte(strings.ToUpper(name))
	for i, c := range b {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			b[i] = '_'
		}
	}
	return CredentialEnvPrefix + string(b)
}

// parseHeaderCredential parses "Header-Name: value" (one line; a final
// newline is ignored).
func parseHeaderCredential(s string) (*credential, error) {
	s = strings.TrimRight(s, "\r\n")
	name, value, ok := strings.Cut(s, ":")
	value = strings.TrimSpace(value)
	switch {
	case !ok:
		return nil, errors.New(`want "Header-Name: value"`)
	case !httpguts.ValidHeaderFieldName(name):
		return nil, errors.New("invalid header name")
	case value == "" || !httpguts.ValidHeaderFieldValue(value):
		return nil, errors.New("empty or invalid header value")
	}
	return &credential{header: textproto.CanonicalMIMEHeaderKey(name), value: value}, nil
}
