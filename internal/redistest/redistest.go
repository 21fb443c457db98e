// Package redistest runs a throwaway redis-server for tests: a child process
// on a free loopback port, with persistence off, killed when the test ends.
// Tests that need it skip cleanly where redis-server is not installed
// (.ci/run installs it).
package redistest

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a running redis-server.
type Server struct {
	// Addr is the server's host:port on loopback; it stays the same
	// across restarts.
	Addr string
	// Log is the file the server writes its output to, across restarts.
	Log  string
	bin  string
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts a redis-server and waits until it answers PING, or skips
// the test when redis-server is not installed.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), Log: filepath.Join(t.TempDir(), "redis.log"), bin: bin}
	ln.Close()
	t.Cleanup(s.Kill)
	s.Restart(t)
	return s
}

// Restart starts the server again, empty, on Addr after Kill (without
// persistence, as a fresh node after a failover would be), and waits until
// it answers PING.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
	logf, err := os.OpenFile(s.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close() // the child has its own descriptor
	cmd := exec.Command(s.bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", filepath.Dir(s.Log))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done

	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not answer: %v", err)
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(s.Log)
			t.Fatalf("redis-server exited: %v\n%s", err, log)
		case <-time.After(10 * time.Millisecond): // poll interval
		}
	}
}

// Kill stops the server at once (SIGKILL, as a crash would) and waits for
// it to exit: from then on, its port refuses connections. It is safe to
// call more than once.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

// Client returns a client of the server that fails fast, without retries
// and with short timeouts, as a test of a failing server wants; it is
// closed when the test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:         s.Addr,
		MaxRetries:   -1,
		DialTimeout:  200 * time.Millisecond,
		ReadTimeout:  200 * time.Millisecond,
		WriteTimeout: 200 * time.Millisecond,
	})
	t.Cleanup(func() { c.Close() })
	return c
}
