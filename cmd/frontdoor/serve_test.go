package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/internal/tlstest"
)

const tlsHost = "sandbox.api.test"

type syncBuffer = testutil.SyncBuffer

// writeServerPair writes a certificate for host and its key in dir.
func writeServerPair(t *testing.T, ca *tlstest.CA, dir, host string) (certFile, keyFile string) {
	t.Helper()
	c, k := ca.Issue(t, host)
	certFile, keyFile = filepath.Join(dir, host+".crt"), filepath.Join(dir, host+".key")
	tlstest.WriteFile(t, certFile, c)
	tlstest.WriteFile(t, keyFile, k)
	return certFile, keyFile
}

func TestServeRefusesToStartWithoutTLSUnlessToldPlain(t *testing.T) {
	ca := tlstest.NewCA(t, "test CA")
	dir := t.TempDir()
	cert, key := writeServerPair(t, ca, dir, tlsHost)
	bundle := filepath.Join(dir, "ca.pem")
	os.WriteFile(bundle, ca.PEM(), 0o600)
	base := []string{"serve", "--source", "dir", "--dir", t.TempDir(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no certificate and no --no-tls", nil, "--no-tls"},
		{"--no-tls beside a certificate", []string{"--no-tls", "--tls-cert", tlsHost + "=" + cert + "," + key}, "choose one"},
		{"a malformed --tls-cert", []string{"--tls-cert", cert + "," + key}, "HOST=CERT_FILE,KEY_FILE"},
		{"a certificate for another host", []string{"--tls-cert", "other.test=" + cert + "," + key}, "not other.test"},
		{"a missing key", []string{"--tls-cert", tlsHost + "=" + cert + "," + filepath.Join(dir, "nope.key")}, "no such file"},
		{"a CA bundle without certificates", []string{"--no-tls", "--upstream-ca", "sandbox=" + key}, "holds no PEM certificate"},
		{"a malformed --upstream-ca", []string{"--no-tls", "--upstream-ca", bundle}, "ENV=BUNDLE_FILE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := run(append(append([]string(nil), base...), tc.args...), strings.NewReader(""), &stdout, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), exitUsage, tc.want)
			}
		})
	}
}

func TestServeTerminatesTLSWithHTTP2AndReportsItsCertificates(t *testing.T) {
	ca := tlstest.NewCA(t, "test CA")
	dir := t.TempDir()
	cert, key := writeServerPair(t, ca, dir, tlsHost)
	cfg := gatewayConfig{
		source: "dir", dir: t.TempDir(), listen: "127.0.0.1:0", adminListen: "127.0.0.1:0",
		ratelimitPolicy: "fail-open", replicas: 1, server: limitsForTest,
		tls: tlsFlags{certs: []string{tlsHost + "=" + cert + "," + key}, required: true},
	}
	gw, admin := startGateway(t, cfg)
	if !strings.HasPrefix(gw, "https://") {
		t.Fatalf("the gateway is at %s, want https", gw)
	}
	addr := strings.TrimPrefix(gw, "https://")
	d := &net.Dialer{Timeout: 5 * time.Second}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: ca.Pool()},
		ForceAttemptHTTP2: true,
		DialContext:       func(ctx context.Context, n, _ string) (net.Conn, error) { return d.DialContext(ctx, n, addr) },
	}}
	defer client.CloseIdleConnections()
	res, err := client.Get("https://" + tlsHost + "/x")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Proto != "HTTP/2.0" || res.TLS == nil || res.TLS.Version != tls.VersionTLS13 {
		t.Errorf("got %s over TLS %v, want HTTP/2.0 over TLS 1.3", res.Proto, res.TLS)
	}
	var status struct {
		TLS struct {
			Certificates []struct{ Host, CertFile string }
		}
	}
	sres, err := http.Get(admin + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer sres.Body.Close()
	if err := json.NewDecoder(sres.Body).Decode(&status); err != nil {
		t.Fatal(err)
	}
	if c := status.TLS.Certificates; len(c) != 1 || c[0].Host != tlsHost || c[0].CertFile != cert {
		t.Errorf("/status shows certificates %+v, want %s from %s", c, tlsHost, cert)
	}
}

func TestServeWithNoTLSWarnsAndServesPlainHTTP(t *testing.T) {
	cfg := gatewayConfig{
		source: "dir", dir: t.TempDir(), listen: "127.0.0.1:0", adminListen: "127.0.0.1:0",
		ratelimitPolicy: "fail-open", replicas: 1, server: limitsForTest,
		tls: tlsFlags{noTLS: true, required: true},
	}
	var logs syncBuffer
	gw, _ := startGatewayLogging(t, cfg, &logs)
	res, err := http.Get(gw + "/x")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if !strings.HasPrefix(gw, "http://") || res.Proto != "HTTP/1.1" {
		t.Errorf("got %s at %s, want HTTP/1.1 at http://", res.Proto, gw)
	}
	if !strings.Contains(logs.String(), "level=WARN msg=\"serving plain HTTP") {
		t.Errorf("no warning in the logs:\n%s", logs.String())
	}
}

// startGateway runs the gateway with cfg until the test ends and returns
// its gateway and admin URLs.
func startGateway(t *testing.T, cfg gatewayConfig) (gw, admin string) {
	t.Helper()
	return startGatewayLogging(t, cfg, &syncBuffer{})
}

func startGatewayLogging(t *testing.T, cfg gatewayConfig, logs *syncBuffer) (gw, admin string) {
	t.Helper()
	gw, admin, stop := startGatewayStop(t, cfg, logs)
	t.Cleanup(stop)
	return gw, admin
}

// startGatewayStop is startGatewayLogging with a stop function (call it
// once) that returns when the gateway has stopped.
func startGatewayStop(t *testing.T, cfg gatewayConfig, logs *syncBuffer) (gw, admin string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- runGateway(ctx, cfg, pw, logs); pw.Close() }()
	stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runGateway: %v", err)
		}
	}
	sc := bufio.NewScanner(pr)
	for (gw == "" || admin == "") && sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "gateway:"); ok {
			gw, _, _ = strings.Cut(strings.TrimSpace(rest), " ")
		}
		if rest, ok := strings.CutPrefix(line, "admin:"); ok {
			admin = strings.TrimSuffix(strings.TrimSpace(rest), "/status")
		}
	}
	go io.Copy(io.Discard, pr)
	if gw == "" || admin == "" {
		stop()
		t.Fatalf("the gateway printed no addresses; logs:\n%s", logs.String())
	}
	return gw, admin, stop
}

func TestServeExportsSpansWhenGivenAnOTLPEndpoint(t *testing.T) {
	var posts atomic.Int32
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" {
			posts.Add(1)
		}
	}))
	defer collector.Close()
	cfg := gatewayConfig{
		source: "dir", dir: t.TempDir(), listen: "127.0.0.1:0", adminListen: "127.0.0.1:0",
		ratelimitPolicy: "fail-open", replicas: 1, server: limitsForTest,
		tracing: tracingFlags{otlpEndpoint: collector.URL, sampleRatio: 1},
	}
	gw, _, stop := startGatewayStop(t, cfg, &syncBuffer{})
	res, err := http.Get(gw + "/x")
	if err != nil {
		stop()
		t.Fatal(err)
	}
	res.Body.Close()
	stop() // exports what is queued
	if posts.Load() == 0 {
		t.Error("the collector received no span")
	}
}

// TestServeNeverShowsTheRepositorysCredentials runs serve against a git
// remote whose URL carries a password, a token as user name and a token in
// its query: the remote receives them, and neither /status, nor the logs,
// nor the cache repository on disk shows any of them.
func TestServeNeverShowsTheRepositorysCredentials(t *testing.T) {
	const password, userToken, queryToken = "pw-s3cret-1", "ghp-s3cret-2", "qt-s3cret-3"
	var mu sync.Mutex
	var auths []string
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, "no", http.StatusForbidden)
	}))
	t.Cleanup(remote.Close)
	host := strings.TrimPrefix(remote.URL, "http://")
	for _, tc := range []struct{ name, repo string }{
		{"user and password", "http://frontdoor:" + password + "@" + host + "/platform.git"},
		{"token as user", "http://" + userToken + "@" + host + "/platform.git"},
		{"token in the query", "http://" + host + "/platform.git?token=" + queryToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := t.TempDir()
			cfg := gatewayConfig{
				source: "git", repo: tc.repo, branch: "main", poll: time.Hour, stateDir: state,
				listen: "127.0.0.1:0", adminListen: "127.0.0.1:0", ratelimitPolicy: "fail-open", replicas: 1,
			}
			ctx, cancel := context.WithCancel(context.Background())
			pr, pw := io.Pipe()
			var logs syncBuffer
			done := make(chan error, 1)
			go func() { done <- runGateway(ctx, cfg, pw, &logs); pw.Close() }()
			t.Cleanup(func() {
				cancel()
				<-done
			})
			admin := adminURL(t, pr, &logs)
			var status string
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				resp, err := http.Get(admin + "/status")
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if status = string(b); strings.Contains(status, "lastError") {
						break
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
			if !strings.Contains(status, "lastError") {
				t.Fatalf("/status shows no fetch error: %s", status)
			}
			var disk strings.Builder
			filepath.WalkDir(state, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					b, _ := os.ReadFile(p)
					disk.Write(b)
				}
				return nil
			})
			for _, secret := range []string{password, userToken, queryToken} {
				for where, text := range map[string]string{"/status": status, "the logs": logs.String(), "the state directory": disk.String()} {
					if strings.Contains(text, secret) {
						t.Errorf("%s shows %q:\n%s", where, secret, text)
					}
				}
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(auths, " "), "Basic ") {
		t.Errorf("the remote never received the credentials as basic authentication: %q", auths)
	}
}

// TestServeBindsAdminToLoopbackAndNamesNoDefaultEnvironment checks serve's
// defaults: the unauthenticated admin listener is reachable from this host
// only, and a Host naming no environment is refused unless --env names one.
func TestServeBindsAdminToLoopbackAndNamesNoDefaultEnvironment(t *testing.T) {
	f := newServeCmd().Flags()
	admin := f.Lookup("admin-listen").DefValue
	host, _, err := net.SplitHostPort(admin)
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Errorf("--admin-listen defaults to %q, want a loopback address", admin)
	}
	if env := f.Lookup("env").DefValue; env != "" {
		t.Errorf("--env defaults to %q, want none", env)
	}
}
