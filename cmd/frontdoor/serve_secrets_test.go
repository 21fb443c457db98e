package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
)

type syncBuffer = testutil.SyncBuffer

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
