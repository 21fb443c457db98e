// Package e2e runs frontdoor end to end, as separate processes: the real
// frontdoor binary serving gateway replicas that follow a branch of a real
// git server (git daemon on loopback), with pushes made by the git command
// line. The replicas test (replicas_test.go) and the propagation benchmark
// (tools/propagation, scripts/bench-propagation.sh) share it. The rate-limit
// test (ratelimit_test.go) runs replicas over a configuration directory
// instead, sharing their quotas through a real redis-server (internal/redistest)
// that it stops and restarts under load.
//
// It is not part of frontdoor. Nothing here is safe for concurrent use
// unless its doc comment says so.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ErrNoGit is returned when the git command line is not installed.
var ErrNoGit = errors.New("git is not installed")

// Build builds the frontdoor binary of the module at moduleRoot into dir
// and returns its path.
func Build(ctx context.Context, moduleRoot, dir string) (string, error) {
	bin := filepath.Join(dir, "frontdoor")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/frontdoor")
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building frontdoor: %w\n%s", err, out)
	}
	return bin, nil
}

// ModuleRoot returns the directory of the main module that dir is in.
func ModuleRoot(dir string) (string, error) {
	cmd := exec.Command("go", "env", "GOMOD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("finding the module root: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("finding the module root: %s is not in a module", dir)
	}
	return filepath.Dir(gomod), nil
}

// WaitUntil calls cond every interval until it returns true, an error, or
// ctx is done; the last error from cond (or what was awaited) explains a
// timeout.
func WaitUntil(ctx context.Context, interval time.Duration, what string, cond func() (bool, error)) error {
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("waiting for %s: %w (last: %v)", what, ctx.Err(), last)
			}
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(interval):
		}
	}
}

// tail returns the last n bytes of file, for error messages.
func tail(file string, n int) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	if len(b) > n {
		b = b[len(b)-n:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}
