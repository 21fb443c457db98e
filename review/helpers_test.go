package review

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// example is the example platform, relative to this package.
const example = "../examples/national-health-platform"

// testRepo is a git repository in a temporary directory, written with
// go-git (no git binary needed).
type testRepo struct {
	t    *testing.T
	dir  string
	repo *git.Repository
	when time.Time
}

func newTestRepo(t *testing.T) *testRepo {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	return &testRepo{t: t, dir: dir, repo: repo, when: time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)}
}

// copyTree copies a directory into the repository's work tree.
func (r *testRepo) copyTree(src string) {
	r.t.Helper()
	if err := os.CopyFS(r.dir, os.DirFS(src)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) write(name, data string) {
	r.t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) read(name string) string {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, filepath.FromSlash(name)))
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// replace edits a file, failing the test when old is not in it.
func (r *testRepo) replace(name, old, new string) {
	r.t.Helper()
	s := r.read(name)
	if !strings.Contains(s, old) {
		r.t.Fatalf("%s does not contain %q", name, old)
	}
	r.write(name, strings.Replace(s, old, new, 1))
}

// commit commits every change of the work tree and returns the hash.
func (r *testRepo) commit(msg string, opts *git.CommitOptions) string {
	r.t.Helper()
	wt, err := r.repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		r.t.Fatal(err)
	}
	if opts == nil {
		opts = &git.CommitOptions{}
	}
	r.when = r.when.Add(time.Minute)
	opts.Author = &object.Signature{Name: "Tester", Email: "tester@example.org", When: r.when}
	h, err := wt.Commit(msg, opts)
	if err != nil {
		r.t.Fatal(err)
	}
	return h.String()
}

// branch creates a branch at the current commit and checks it out.
func (r *testRepo) branch(name string) {
	r.t.Helper()
	wt, err := r.repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(name), Create: true}); err != nil {
		r.t.Fatal(err)
	}
}

// checkout checks out an existing branch.
func (r *testRepo) checkout(name string) {
	r.t.Helper()
	wt, err := r.repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(name)}); err != nil {
		r.t.Fatal(err)
	}
}
