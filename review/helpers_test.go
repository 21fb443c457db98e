package review

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/frontdoor-dev/frontdoor/internal/testgit"
)

// example is the example platform, relative to this package.
const example = "../examples/national-health-platform"

// testRepo is a git repository in a temporary directory, written with
// go-git (no git binary needed).
type testRepo struct{ *testgit.Repo }

func newTestRepo(t *testing.T) *testRepo {
	return &testRepo{testgit.New(t, time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC))}
}

// copyTree copies a directory into the repository's work tree.
func (r *testRepo) copyTree(src string) {
	r.T.Helper()
	if err := os.CopyFS(r.Dir, os.DirFS(src)); err != nil {
		r.T.Fatal(err)
	}
}

func (r *testRepo) read(name string) string {
	r.T.Helper()
	b, err := os.ReadFile(filepath.Join(r.Dir, filepath.FromSlash(name)))
	if err != nil {
		r.T.Fatal(err)
	}
	return string(b)
}

// replace edits a file, failing the test when old is not in it.
func (r *testRepo) replace(name, old, new string) {
	r.T.Helper()
	s := r.read(name)
	if !strings.Contains(s, old) {
		r.T.Fatalf("%s does not contain %q", name, old)
	}
	r.Write(name, strings.Replace(s, old, new, 1))
}

// branch creates a branch at the current commit and checks it out.
func (r *testRepo) branch(name string) {
	r.T.Helper()
	if err := r.Worktree().Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(name), Create: true}); err != nil {
		r.T.Fatal(err)
	}
}

// checkout checks out an existing branch.
func (r *testRepo) checkout(name string) {
	r.T.Helper()
	if err := r.Worktree().Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(name)}); err != nil {
		r.T.Fatal(err)
	}
}
