package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrNoRedis is returned when redis-server is not installed.
var ErrNoRedis = errors.New("redis-server is not installed")

// RedisServer is a redis-server child process on a loopback port, without
// persistence (--save ” --appendonly no): a restart starts it empty, as
// the rate limiter's keys would be after a failover to a fresh node.
type RedisServer struct {
	// Addr is HOST:PORT; it stays the same across restarts.
	Addr string
	// LogFile receives the server's output (appended to across restarts).
	LogFile string

	bin string
	proc
}

// StartRedis starts redis-server on a free loopback port, logging to
// logFile, and waits until it answers PING. It returns ErrNoRedis when
// redis-server is not installed. Stop it with Stop.
func StartRedis(ctx context.Context, logFile string) (*RedisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNoRedis
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("finding a free port for redis: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &RedisServer{Addr: addr, LogFile: logFile, bin: bin}
	return s, s.Start(ctx)
}

// Start starts the server (again, after Stop) on Addr and waits until it
// answers PING.
func (s *RedisServer) Start(ctx context.Context) error {
	if s.cmd != nil {
		return errors.New("redis-server is running")
	}
	_, port, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("redis address: %w", err)
	}
	logf, err := os.OpenFile(s.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("redis: opening log: %w", err)
	}
	defer logf.Close() // the child has its own descriptor
	cmd := exec.Command(s.bin, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no",
		"--dir", filepath.Dir(s.LogFile), "--protected-mode", "yes")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := s.start(cmd); err != nil {
		return fmt.Errorf("starting redis-server: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err = WaitUntil(ctx, 10*time.Millisecond, "redis-server on "+s.Addr+" to answer PING", func() (bool, error) {
		if s.exited() {
			return false, fmt.Errorf("redis-server exited: %v; log:\n%s", cmd.ProcessState, tail(s.LogFile, 2000))
		}
		reply, err := s.Do(ctx, "PING")
		return reply == "PONG", err
	})
	if err != nil {
		s.Stop()
		return err
	}
	return nil
}

// Stop kills the server at once (SIGKILL, as a crash would) and waits
// until it has exited: from then on, its port refuses connections.
func (s *RedisServer) Stop() { s.kill() }

// Do sends one command on a fresh connection and returns its reply, which
// must be a simple string, an integer or a bulk string ("" for nil); an
// error reply is returned as an error.
func (s *RedisServer) Do(ctx context.Context, args ...string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(5 * time.Second))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", fmt.Errorf("redis %s: %w", args[0], err)
	}
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("redis %s: reading reply: %w", args[0], err)
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("redis %s: empty reply", args[0])
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("redis %s: %s", args[0], line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", fmt.Errorf("redis %s: bad bulk length %q", args[0], line)
		}
		if n < 0 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return "", fmt.Errorf("redis %s: reading bulk reply: %w", args[0], err)
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("redis %s: unsupported reply %q", args[0], line)
}
