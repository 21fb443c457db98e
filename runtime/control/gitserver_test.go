package control_test

// A real git server (git daemon) on 127.0.0.1, and commits made with the git
// command line, for the git source's tests.

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gitServer is a git daemon serving the bare repositories under Base.
type gitServer struct {
	t    testing.TB
	Base string
	Port int
	cmd  *exec.Cmd
	done chan struct{}
}

// needGit skips the test when git is not installed.
func needGit(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
}

// startGitServer runs git daemon on a free port; Cleanup stops it.
func startGitServer(t testing.TB) *gitServer {
	t.Helper()
	needGit(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &gitServer{t: t, Base: t.TempDir(), Port: port}
	s.Up()
	t.Cleanup(s.Down)
	return s
}

// URL returns the git:// URL of repository name.
func (s *gitServer) URL(name string) string {
	return fmt.Sprintf("git://127.0.0.1:%d/%s", s.Port, name)
}

// Up starts the daemon (again) and waits until it accepts connections.
func (s *gitServer) Up() {
	s.t.Helper()
	if s.cmd != nil {
		return
	}
	// Run git-daemon itself: "git daemon" would fork it as a child that
	// killing the parent leaves running.
	execPath := strings.TrimSpace(runGit(s.t, "", "--exec-path"))
	cmd := exec.Command(filepath.Join(execPath, "git-daemon"), "--reuseaddr", "--base-path="+s.Base, "--export-all",
		"--listen=127.0.0.1", fmt.Sprintf("--port=%d", s.Port), s.Base)
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("git daemon did not start: %v", err)
		}
		select {
		case <-s.done:
			s.t.Fatal("git daemon exited")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Down stops the daemon.
func (s *gitServer) Down() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// gitRepo is a working clone that pushes to a bare repository of a gitServer.
type gitRepo struct {
	t    testing.TB
	Dir  string
	n    int
	base time.Time
}

// NewRepo creates the bare repository name under s.Base and a working
// repository pushing to it on branch main.
func (s *gitServer) NewRepo(name string) *gitRepo {
	s.t.Helper()
	bare := filepath.Join(s.Base, name)
	runGit(s.t, "", "init", "--bare", "--initial-branch=main", bare)
	r := &gitRepo{t: s.t, Dir: s.t.TempDir(), base: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	runGit(s.t, r.Dir, "init", "--initial-branch=main")
	runGit(s.t, r.Dir, "remote", "add", "origin", bare)
	return r
}

// Commit writes files, commits them with a committer time one minute after
// the previous commit's, pushes (forcing, when force) and returns the hash.
func (r *gitRepo) Commit(files map[string]string, force bool) string {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.Dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.n++
	date := r.base.Add(time.Duration(r.n) * time.Minute).Format(time.RFC3339)
	runGit(r.t, r.Dir, "add", "-A")
	runGitEnv(r.t, r.Dir, []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date},
		"-c", "user.name=Test", "-c", "user.email=test@example.test", "commit", "-q", "--allow-empty", "-m", fmt.Sprintf("change %d", r.n))
	args := []string{"push", "-q", "origin", "main"}
	if force {
		args = append(args, "--force")
	}
	runGit(r.t, r.Dir, args...)
	return strings.TrimSpace(runGit(r.t, r.Dir, "rev-parse", "HEAD"))
}

// Reset moves the working branch to rev (for a force push next).
func (r *gitRepo) Reset(rev string) {
	r.t.Helper()
	runGit(r.t, r.Dir, "reset", "-q", "--hard", rev)
}

// Time returns the committer time of the latest commit.
func (r *gitRepo) Time() time.Time { return r.base.Add(time.Duration(r.n) * time.Minute) }

func runGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return runGitEnv(t, dir, nil, args...)
}

func runGitEnv(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
