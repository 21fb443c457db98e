// Package redistest runs a throwaway redis-server for tests: a child process
// on a free loopback port, with persistence off, killed when the test ends.
// Tests that need it skip cleanly where redis-server is not installed
// (.ci/run installs it).
package redistest

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a running redis-server.
type Server struct {
	// Addr is the server's host:port on loopback.
	Addr string
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
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Server{
		Addr: "127.0.0.1:" + strconv.Itoa(port),
		cmd:  exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
		done: make(chan struct{}),
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Kill)

	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not answer: %v", err)
		}
		select {
		case <-s.done:
			t.Fatalf("redis-server exited: %v", err)
		case <-time.After(10 * time.Millisecond): // poll interval
		}
	}
}

// Kill stops the server and waits for it to exit. It is safe to call more
// than once.
func (s *Server) Kill() {
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
