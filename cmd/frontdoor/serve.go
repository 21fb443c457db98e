package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/spf13/cobra"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/internal/sourcecompile"
	"github.com/frontdoor-dev/frontdoor/runtime/admin"
	"github.com/frontdoor-dev/frontdoor/runtime/control"
	"github.com/frontdoor-dev/frontdoor/runtime/diagnosis"
	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/runtime/source"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/runtime/verify"
	"github.com/frontdoor-dev/frontdoor/schema"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// gatewayConfig is what serve and dev run.
type gatewayConfig struct {
	source            string
	repo, branch      string
	poll              time.Duration
	webhookSecretFile string
	dir               string
	snapshotFile      string
	ociRef            string
	plainHTTP         bool
	trust             []string
	stateDir          string
	listen            string
	adminListen       string
	env               string
	allowRollback     bool
	allowForcePush    bool

	// Data plane.
	accessLogDir          string
	replicaID             string
	diagnosis             string
	diagnosisRetention    time.Duration
	credentialsDir        string
	ratelimitRedis        string
	ratelimitPolicy       string
	replicas              int
	tokenKeyFile          string
	allowInsecureJWKS     bool
	dialTimeout           time.Duration
	tlsHandshakeTimeout   time.Duration
	responseHeaderTimeout time.Duration
	maxIdleConnsPerHost   int
	upstreamMaxConns      int
	gcHeapFloor           int64
	server                serverLimits
	mockUpstreams         bool
	catalogListen         string
	tls                   tlsFlags
	tracing               tracingFlags
}

// addDataPlaneFlags registers the flags of the gateway's request path.
func addDataPlaneFlags(c *cobra.Command, cfg *gatewayConfig) {
	f := c.Flags()
	f.StringVar(&cfg.accessLogDir, "access-log-dir", cfg.accessLogDir, "directory for daily JSON access logs and aggregates (off when empty)")
	f.StringVar(&cfg.replicaID, "replica-id", hostname(), "this replica's name in its daily aggregates, so that frontdoor usage counts each replica's day once")
	f.StringVar(&cfg.diagnosis, "diagnosis-dir", "", "directory for the encrypted records of diagnosis windows (default: diagnosis under --state; none recorded without either)")
	f.DurationVar(&cfg.diagnosisRetention, "diagnosis-retention", diagnosis.DefaultRetention, "how long a diagnosis window's records are kept after it closes")
	f.StringVar(&cfg.credentialsDir, "credentials-dir", cfg.credentialsDir, "directory of upstream credentials: NAME.header (\"Header: value\") or NAME.crt + NAME.key; else $FRONTDOOR_CRED_NAME")
	f.StringVar(&cfg.ratelimitRedis, "ratelimit-redis", cfg.ratelimitRedis, "Redis address (HOST:PORT) for cluster-wide rate limits; local buckets when empty")
	f.StringVar(&cfg.ratelimitPolicy, "ratelimit-policy", cfg.ratelimitPolicy, "when Redis is unreachable: fail-open (local buckets at 1/--replicas of each limit) or fail-closed (503)")
	f.IntVar(&cfg.replicas, "replicas", cfg.replicas, "number of gateway replicas sharing the rate limits (scales local limits)")
	f.StringVar(&cfg.tokenKeyFile, "token-key-file", cfg.tokenKeyFile, "file holding the secret (32+ bytes) that signs app-level3 access tokens; replicas must share it (random per process when empty)")
	f.BoolVar(&cfg.allowInsecureJWKS, "allow-insecure-jwks", cfg.allowInsecureJWKS, "fetch JWKS from http and private addresses (local development only)")
	f.DurationVar(&cfg.dialTimeout, "upstream-dial-timeout", gateway.DefaultDialTimeout, "upstream connect timeout")
	f.DurationVar(&cfg.tlsHandshakeTimeout, "upstream-tls-timeout", gateway.DefaultTLSHandshakeTimeout, "upstream TLS handshake timeout")
	f.DurationVar(&cfg.responseHeaderTimeout, "upstream-response-header-timeout", gateway.DefaultResponseHeaderTimeout, "how long an upstream may take to start answering")
	f.IntVar(&cfg.maxIdleConnsPerHost, "upstream-idle-conns", gateway.DefaultMaxIdleConnsPerHost, "idle connections kept per upstream")
	f.IntVar(&cfg.upstreamMaxConns, "upstream-max-conns", gateway.DefaultMaxConnsPerHost, "connections per upstream host (of each publisher); requests beyond wait for one")
	cfg.gcHeapFloor = defaultGCHeapFloor
	f.Var(byteSize{&cfg.gcHeapFloor}, "gc-heap-floor", "least growth of the heap between two garbage collections (GOGC, when set, replaces this)")
	s := &cfg.server
	f.DurationVar(&s.readHeaderTimeout, "read-header-timeout", 10*time.Second, "time a client has to send a request's headers")
	f.DurationVar(&s.readTimeout, "read-timeout", time.Minute, "time a client has to send a whole request, body included")
	f.DurationVar(&s.writeTimeout, "write-timeout", 2*time.Minute, "time to answer a request once its headers are read, response body included (WebSocket tunnels are exempt)")
	f.DurationVar(&s.idleTimeout, "idle-timeout", time.Minute, "how long an idle keep-alive connection is kept")
	f.IntVar(&s.maxHeaderBytes, "max-header-bytes", 32<<10, "largest request header section accepted (431 beyond)")
	f.IntVar(&s.maxConns, "max-conns", 8192, "client connections held at once; beyond it a new connection is answered 503 and closed (0: no cap)")
	f.IntVar(&s.maxConnsPerClient, "max-conns-per-client", 512, "client connections held at once from one IP address; beyond it 503 and close (0: no cap)")
	addTLSFlags(c, &cfg.tls)
	addTracingFlags(c, &cfg.tracing)
}

// serverLimits bound what a client can hold on a listener without any
// credential.
type serverLimits struct {
	readHeaderTimeout, readTimeout, writeTimeout, idleTimeout time.Duration
	maxHeaderBytes, maxConns, maxConnsPerClient               int
}

// newServer returns a server of h with the limits; connection caps are
// the listener's (gateway.LimitListener).
func (l serverLimits) newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.readHeaderTimeout,
		ReadTimeout:       l.readTimeout,
		WriteTimeout:      l.writeTimeout,
		IdleTimeout:       l.idleTimeout,
		MaxHeaderBytes:    l.maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func newServeCmd() *cobra.Command {
	var cfg gatewayConfig
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway: load snapshots from git, a directory or a file and hot-swap them",
		Long: `serve runs the gateway. It serves the last-known-good snapshot from --state at
once, then follows its source:

  --source git   fetch --branch of --repo every --poll and on POST /-/sync
                 (the webhook, HMAC-SHA256 with --webhook-secret-file), and
                 compile each new head
  --source dir   compile --dir and recompile it on every change
  --source file  load --snapshot (with its .sig and .sha256 beside it) on
                 every change
  --source oci   resolve --oci-ref (REGISTRY/REPO:TAG or @DIGEST) every
                 --poll and on POST /-/sync, and pull the artifact that
                 frontdoor publish pushed when its digest changes

A snapshot is activated only if it passes the snapshot JSON Schema, its
expected digest, its signature (with --trust keys; snapshots the gateway
compiles itself need none), the generation check (no lower than the active
one unless --allow-rollback) and the consistency checks. Otherwise the active
one keeps serving and /status on the admin listener says why.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runGateway(c.Context(), cfg, c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	f := c.Flags()
	f.StringVar(&cfg.source, "source", "git", "where snapshots come from: git, dir, file or oci")
	f.StringVar(&cfg.repo, "repo", "", "git repository URL (--source git)")
	f.StringVar(&cfg.branch, "branch", "main", "git branch to follow")
	f.DurationVar(&cfg.poll, "poll", 30*time.Second, "git and oci poll interval")
	f.StringVar(&cfg.webhookSecretFile, "webhook-secret-file", "", "file holding the webhook's HMAC secret (enables POST /-/sync)")
	f.StringVar(&cfg.dir, "dir", "", "configuration directory (--source dir)")
	f.StringVar(&cfg.snapshotFile, "snapshot", "", "snapshot file (--source file)")
	f.StringVar(&cfg.ociRef, "oci-ref", "", "OCI artifact to follow, REGISTRY/REPO:TAG or REGISTRY/REPO@DIGEST (--source oci)")
	f.BoolVar(&cfg.plainHTTP, "plain-http", false, "speak HTTP to the registry (--source oci; loopback registries only)")
	f.StringArrayVar(&cfg.trust, "trust", nil, "public key (PEM) that snapshot signatures must verify with; repeatable")
	f.StringVar(&cfg.stateDir, "state", "", "directory for the last-known-good snapshot and the git cache")
	f.StringVar(&cfg.listen, "listen", ":8080", "gateway listen address")
	f.StringVar(&cfg.adminListen, "admin-listen", "127.0.0.1:9090", "admin listen address (health, status, metrics, webhook); loopback unless told otherwise, e.g. :9090 for probes from outside the host")
	f.StringVar(&cfg.env, "env", "", "environment of requests whose Host matches no environment (none by default: such requests get 421)")
	f.BoolVar(&cfg.allowRollback, "allow-rollback", false, "accept snapshots with a lower generation than the active one")
	f.BoolVar(&cfg.allowForcePush, "allow-force-push", false, "follow a force-pushed branch instead of refusing it")
	f.StringVar(&cfg.catalogListen, "catalog-listen", "", "also serve the public catalogue of the compiled configuration at this address (git and dir sources)")
	cfg.ratelimitPolicy, cfg.replicas = "fail-open", 1
	cfg.tls.required = true
	addDataPlaneFlags(c, &cfg)
	return c
}

func usage(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// runGateway runs the gateway until ctx is done or SIGINT/SIGTERM.
func runGateway(ctx context.Context, cfg gatewayConfig, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	loaded, stopGC := startHeapFloor(cfg.gcHeapFloor)
	defer stopGC()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	trust, err := readTrustKeys(cfg.trust)
	if err != nil {
		return usage("%w", err)
	}
	front, err := cfg.tls.load(log) // nil: plain HTTP
	if err != nil {
		return usage("%w", err)
	}
	var secret []byte
	if cfg.webhookSecretFile != "" {
		b, err := os.ReadFile(cfg.webhookSecretFile)
		if err != nil {
			return usage("reading webhook secret: %w", err)
		}
		if secret = []byte(strings.TrimSpace(string(b))); len(secret) == 0 {
			return usage("webhook secret file %s is empty", cfg.webhookSecretFile)
		}
	}
	verifier, err := verify.New(verify.Options{Schema: schema.SnapshotJSONSchema, Trust: trust})
	if err != nil {
		return err
	}
	reg := admin.NewRegistry()
	st := new(store.Store)
	dp, err := newDataPlane(cfg, st, reg, log)
	if err != nil {
		return err
	}
	defer dp.close()
	returner := newMemoryReturner(dp.proxy.Busy)
	ctrl, err := control.New(control.Options{
		Store: st, Verifier: verifier, StateDir: cfg.stateDir, AllowRollback: cfg.allowRollback,
		Metrics: control.NewMetrics(reg), Prepare: dp.prepare, Swapped: func() { loaded(); returner.swapped() }, Log: log,
	})
	if err != nil {
		return err
	}
	// Serve the last-known-good snapshot before any source answers.
	if err := ctrl.Restore(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		log.Warn("last-known-good snapshot not restored", "err", err)
	}

	var live *liveCatalog
	var onCompiled func(*compiler.Result, fs.FS)
	if cfg.catalogListen != "" {
		if cfg.source != "dir" && cfg.source != "git" {
			return usage("--catalog-listen needs a source that compiles (dir or git)")
		}
		live = &liveCatalog{baseURL: "http://" + cfg.catalogListen + "/", log: log}
		onCompiled = live.update
	}
	src, sync, err := newSource(cfg, ctrl, sourcecompile.Func(onCompiled), log)
	if err != nil {
		return usage("%w", err)
	}

	gwLn, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return usage("gateway listener: %w", err)
	}
	adminLn, err := net.Listen("tcp", cfg.adminListen)
	if err != nil {
		gwLn.Close()
		return usage("admin listener: %w", err)
	}
	gwLn = gateway.LimitListener(gwLn, gateway.ConnLimits{Max: cfg.server.maxConns, PerClient: cfg.server.maxConnsPerClient, Registerer: reg, Silent: front != nil})
	gw := cfg.server.newServer(dp.proxy, log)
	front.configure(ctx, gw, dp.proxy, log)
	var routed diagnosis.Routed
	adm := cfg.server.newServer(admin.New(admin.Options{Controller: ctrl, Gatherer: reg, Sync: sync, WebhookSecret: secret, TLS: front.status(dp.proxy), AggregateDir: cfg.accessLogDir, Log: log,
		Diagnosis: func() any { return dp.diag.Status(routed.Of(st.Active())) }}), log)
	if cfg.env == "" {
		fmt.Fprintf(stdout, "gateway: %s://%s (routing by Host only)\n", front.scheme(), displayAddr(gwLn.Addr()))
	} else {
		fmt.Fprintf(stdout, "gateway: %s://%s (default environment %s)\n", front.scheme(), displayAddr(gwLn.Addr()), cfg.env)
	}
	fmt.Fprintf(stdout, "admin:   http://%s/status\n", displayAddr(adminLn.Addr()))

	errc := make(chan error, 4)
	go func() { errc <- serveHTTP(gw, gwLn) }()
	go func() { errc <- serveHTTP(adm, adminLn) }()
	if live != nil {
		catLn, err := net.Listen("tcp", cfg.catalogListen)
		if err != nil {
			gwLn.Close()
			adminLn.Close()
			return usage("catalogue listener: %w", err)
		}
		cat := cfg.server.newServer(live, log)
		fmt.Fprintf(stdout, "catalogue: http://%s/\n", displayAddr(catLn.Addr()))
		go func() { errc <- serveHTTP(cat, catLn) }()
		defer cat.Close()
	}
	go func() { errc <- ctrl.Run(ctx, src) }()

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		stop()
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gw.Shutdown(shutdownCtx)
	adm.Shutdown(shutdownCtx)
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	return nil
}

// serveHTTP serves s on ln, over TLS when s has a TLS configuration.
func serveHTTP(s *http.Server, ln net.Listener) error {
	serve := s.Serve
	if s.TLSConfig != nil {
		serve = func(ln net.Listener) error { return s.ServeTLS(ln, "", "") }
	}
	if err := serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newSource builds the configured source; sync triggers it, if it can be.
func newSource(cfg gatewayConfig, ctrl *control.Controller, compileConfig source.CompileFunc, log *slog.Logger) (source.Source, func(), error) {
	switch cfg.source {
	case "git":
		if cfg.repo == "" {
			return nil, nil, errors.New("--source git needs --repo")
		}
		cache := filepath.Join(cfg.stateDir, "git")
		if cfg.stateDir == "" {
			dir, err := os.MkdirTemp("", "frontdoor-git-")
			if err != nil {
				return nil, nil, err
			}
			cache = dir
		}
		g := &source.Git{
			URL: cfg.repo, Branch: cfg.branch, CacheDir: cache, Poll: cfg.poll,
			AllowForcePush: cfg.allowForcePush, Since: ctrl.ActiveCommit(),
			Compile: compileConfig,
			// The compiler's generation (the first-parent commit count)
			// keeps gateway-compiled snapshots identical to those CI
			// compiles from the same commit; it needs the branch's history,
			// so the fetch is not shallow.
			Open: func(_ *git.Repository, c *object.Commit) (fs.FS, uint64, error) {
				fsys, _, gen, err := compiler.OpenGit(cache, c.Hash.String())
				return fsys, gen, err
			},
			Log: log,
		}
		return g, g.Trigger, nil
	case "dir":
		if cfg.dir == "" {
			return nil, nil, errors.New("--source dir needs --dir")
		}
		return &source.Dir{Root: cfg.dir, Compile: compileConfig, NextGeneration: func() uint64 { return ctrl.ActiveGeneration() + 1 }, Log: log}, nil, nil
	case "file":
		if cfg.snapshotFile == "" {
			return nil, nil, errors.New("--source file needs --snapshot")
		}
		return &source.File{Path: cfg.snapshotFile, Copies: ctrl.Copies(), Log: log}, nil, nil
	case "oci":
		if cfg.ociRef == "" {
			return nil, nil, errors.New("--source oci needs --oci-ref")
		}
		if _, err := source.NewOCIRepository(cfg.ociRef, source.OCIRepositoryOptions{PlainHTTP: cfg.plainHTTP}); err != nil {
			return nil, nil, err
		}
		o := &source.OCI{Ref: cfg.ociRef, PlainHTTP: cfg.plainHTTP, Poll: cfg.poll, Log: log}
		return o, o.Trigger, nil
	}
	return nil, nil, fmt.Errorf("unknown --source %q: want git, dir, file or oci", cfg.source)
}

func readTrustKeys(paths []string) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading trust key: %w", err)
		}
		k, err := snapshot.ParsePublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("trust key %s: %w", p, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// displayAddr renders a listener address for a URL (":8080" → "localhost:8080").
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// diagnosisDir is where diagnosis records go, or "" for nowhere.
func (cfg *gatewayConfig) diagnosisDir() string {
	if cfg.diagnosis == "" && cfg.stateDir != "" {
		return filepath.Join(cfg.stateDir, "diagnosis")
	}
	return cfg.diagnosis
}

// hostname is the default replica name.
func hostname() string {
	h, _ := os.Hostname()
	return h
}
