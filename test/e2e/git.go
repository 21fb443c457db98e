package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// GitServer is a git daemon serving the bare repositories under Base on
// 127.0.0.1:Port (read only: pushes go to the bare repositories' paths).
type GitServer struct {
	Base string
	Port int

	proc
}

// StartGit runs a git daemon for the bare repositories under base, on a
// free port. Stop it with Stop.
func StartGit(ctx context.Context, base string) (*GitServer, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, ErrNoGit
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("finding a port for git daemon: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &GitServer{Base: base, Port: port}
	return s, s.Start(ctx)
}

// URL returns the git:// URL of the repository name.
func (s *GitServer) URL(name string) string {
	return fmt.Sprintf("git://127.0.0.1:%d/%s", s.Port, name)
}

// InitBare creates the bare repository name, on branch main.
func (s *GitServer) InitBare(ctx context.Context, name string) (string, error) {
	bare := filepath.Join(s.Base, name)
	_, err := runGit(ctx, "", "init", "-q", "--bare", "--initial-branch=main", bare)
	return bare, err
}

// Start starts the daemon (again, after Stop) and waits until it accepts
// connections.
func (s *GitServer) Start(ctx context.Context) error {
	if s.cmd != nil {
		return nil
	}
	out, err := runGit(ctx, "", "--exec-path")
	if err != nil {
		return err
	}
	// Run git-daemon itself: "git daemon" forks it as a child that
	// killing the parent would leave running.
	cmd := exec.Command(filepath.Join(strings.TrimSpace(out), "git-daemon"), "--reuseaddr", "--base-path="+s.Base,
		"--export-all", "--listen=127.0.0.1", "--port="+strconv.Itoa(s.Port), s.Base)
	if err := s.start(cmd); err != nil {
		return fmt.Errorf("starting git daemon: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
	err = WaitUntil(ctx, 10*time.Millisecond, "git daemon on "+addr, func() (bool, error) {
		if s.exited() {
			return false, errors.New("git daemon exited")
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false, err
		}
		c.Close()
		return true, nil
	})
	if err != nil {
		s.Stop()
	}
	return err
}

// Stop kills the daemon and waits for it to exit.
func (s *GitServer) Stop() { s.kill() }

// WorkTree is a working repository that pushes branch main to a bare one.
type WorkTree struct {
	Dir string
}

// NewWorkTree initialises a working repository in dir whose origin is the
// bare repository at bare.
func NewWorkTree(ctx context.Context, dir, bare string) (*WorkTree, error) {
	if _, err := runGit(ctx, "", "init", "-q", "--initial-branch=main", dir); err != nil {
		return nil, err
	}
	if _, err := runGit(ctx, dir, "remote", "add", "origin", bare); err != nil {
		return nil, err
	}
	return &WorkTree{Dir: dir}, nil
}

// Commit commits every change of the work tree (with an empty commit if
// there is none) and returns its hash; Push pushes it.
func (w *WorkTree) Commit(ctx context.Context, msg string) (string, error) {
	if _, err := runGit(ctx, w.Dir, "add", "-A"); err != nil {
		return "", err
	}
	if _, err := runGit(ctx, w.Dir, "commit", "-q", "--allow-empty", "-m", msg); err != nil {
		return "", err
	}
	out, err := runGit(ctx, w.Dir, "rev-parse", "HEAD")
	return strings.TrimSpace(out), err
}

// Push pushes branch main.
func (w *WorkTree) Push(ctx context.Context) error {
	_, err := runGit(ctx, w.Dir, "push", "-q", "origin", "main")
	return err
}

// Generation returns the generation frontdoor compiles HEAD with: its
// first-parent commit count.
func (w *WorkTree) Generation(ctx context.Context) (uint64, error) {
	out, err := runGit(ctx, w.Dir, "rev-list", "--count", "--first-parent", "HEAD")
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(strings.TrimSpace(out), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parsing commit count %q: %w", out, err)
	}
	return n, nil
}

// WriteFile writes a file of the work tree (name is slash-separated).
func (w *WorkTree) WriteFile(name, content string) error {
	p := filepath.Join(w.Dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// ReadFile reads a file of the work tree (name is slash-separated).
func (w *WorkTree) ReadFile(name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(w.Dir, filepath.FromSlash(name)))
	return string(b), err
}

// gitEnv isolates the git command line from the user's and the system's
// configuration.
func gitEnv() []string {
	return []string{
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull, "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=frontdoor e2e", "GIT_AUTHOR_EMAIL=e2e@frontdoor.example",
		"GIT_COMMITTER_NAME=frontdoor e2e", "GIT_COMMITTER_EMAIL=e2e@frontdoor.example",
	}
}

func runGit(ctx context.Context, dir string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}
