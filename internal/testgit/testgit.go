// Package testgit makes git repositories in a test's temporary directory
// with go-git, so that tests need no git binary.
package testgit

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Repo is a repository with a work tree. Not safe for concurrent use.
type Repo struct {
	T    testing.TB
	Dir  string
	Repo *git.Repository
	// When is the time of the last commit; Commit moves it on by Step.
	When time.Time
	Step time.Duration
}

// New initialises a repository in a new temporary directory whose commits
// are a minute apart, from when on.
func New(t testing.TB, when time.Time) *Repo {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	return &Repo{T: t, Dir: dir, Repo: repo, When: when, Step: time.Minute}
}

// Write writes the file name (slash-separated) of the work tree.
func (r *Repo) Write(name, data string) {
	r.T.Helper()
	p := filepath.Join(r.Dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.T.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		r.T.Fatal(err)
	}
}

// Worktree returns the repository's work tree.
func (r *Repo) Worktree() *git.Worktree {
	r.T.Helper()
	wt, err := r.Repo.Worktree()
	if err != nil {
		r.T.Fatal(err)
	}
	return wt
}

// Commit commits every change of the work tree, Step after the last
// commit, and returns its hash. The author is opts.Author, or a tester.
func (r *Repo) Commit(msg string, opts *git.CommitOptions) string {
	r.T.Helper()
	wt := r.Worktree()
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		r.T.Fatal(err)
	}
	if opts == nil {
		opts = &git.CommitOptions{}
	}
	r.When = r.When.Add(r.Step)
	if opts.Author == nil {
		opts.Author = &object.Signature{Name: "Tester", Email: "tester@example.org"}
	}
	opts.Author.When = r.When
	h, err := wt.Commit(msg, opts)
	if err != nil {
		r.T.Fatal(err)
	}
	return h.String()
}

// Head opens the repository in dir with open (gitfs.OpenRepository, say)
// and returns it with its HEAD commit.
func Head(t testing.TB, dir string, open func(string) (*git.Repository, error)) (*git.Repository, *object.Commit) {
	t.Helper()
	repo, err := open(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := repo.ResolveRevision("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.CommitObject(*h)
	if err != nil {
		t.Fatal(err)
	}
	return repo, c
}

// ClearWorkTree removes everything of the work tree dir but .git.
func ClearWorkTree(t testing.TB, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != ".git" {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
}
