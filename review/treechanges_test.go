package review

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/frontdoor-dev/frontdoor/internal/gitfs"
	"github.com/frontdoor-dev/frontdoor/internal/testgit"
	"github.com/frontdoor-dev/frontdoor/report"
)

// gitTree is one commit's work tree: files (path → contents), links
// (path → target) and the files made executable.
type gitTree struct {
	files, links map[string]string
	exec         []string
}

// commitTrees commits each tree in turn to a new repository with the git
// CLI and returns the repository's directory.
func commitTrees(t *testing.T, trees []gitTree) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	gitRun := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitRun("init", "-q", "--initial-branch=main")
	for _, tr := range trees {
		testgit.ClearWorkTree(t, dir)
		write := func(name string, mk func(p string) error) {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := mk(p); err != nil {
				t.Fatal(err)
			}
		}
		for name, body := range tr.files {
			mode := os.FileMode(0o644)
			if slices.Contains(tr.exec, name) {
				mode = 0o755
			}
			write(name, func(p string) error { return os.WriteFile(p, []byte(body), mode) })
		}
		for name, target := range tr.links {
			write(name, func(p string) error { return os.Symlink(target, p) })
		}
		gitRun("add", "-A")
		gitRun("-c", "user.name=T", "-c", "user.email=t@t.test", "commit", "-q", "--allow-empty", "-m", "c")
	}
	return dir
}

// diffTreeChanges is what go-git's DiffTree lists, as treeChanges reports it.
func diffTreeChanges(t *testing.T, from, to *object.Commit) []report.Change {
	t.Helper()
	ft, err := from.Tree()
	if err != nil {
		t.Fatal(err)
	}
	tt, err := to.Tree()
	if err != nil {
		t.Fatal(err)
	}
	chs, err := object.DiffTree(ft, tt)
	if err != nil {
		t.Fatal(err)
	}
	var out []report.Change
	for _, ch := range chs {
		switch {
		case ch.From.Name == "":
			out = append(out, report.Change{Path: ch.To.Name, Action: report.Added})
		case ch.To.Name == "":
			out = append(out, report.Change{Path: ch.From.Name, Action: report.Deleted})
		default:
			out = append(out, report.Change{Path: ch.To.Name, Action: report.Modified})
		}
	}
	slices.SortFunc(out, func(a, b report.Change) int {
		if a.Path != b.Path {
			if a.Path < b.Path {
				return -1
			}
			return 1
		}
		return strings.Compare(string(a.Action), string(b.Action))
	})
	return out
}

// checkEveryCommit compares treeChanges of each commit of the repository
// dir against its parent with go-git's DiffTree.
func checkEveryCommit(t *testing.T, dir string) {
	t.Helper()
	_, c := testgit.Head(t, dir, gitfs.OpenRepository)
	for c.NumParents() > 0 {
		p, err := c.Parent(0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := treeChanges(p, c)
		if err != nil {
			t.Fatal(err)
		}
		if want := diffTreeChanges(t, p, c); !slices.Equal(got, want) {
			t.Errorf("commit %s: got %v, want %v", c.Hash, got, want)
		}
		c = p
	}
}

func TestTreeChangesListWhatGitsTreeDiffLists(t *testing.T) {
	base := map[string]string{"frontdoor.cue": "p", "pubs/a/x.cue": "x", "pubs/a/deep/y.cue": "y", "pubs/b/z.cue": "z"}
	for _, tc := range []struct {
		name string
		head gitTree
	}{
		{"a deep file changed", gitTree{files: map[string]string{"frontdoor.cue": "p", "pubs/a/x.cue": "x", "pubs/a/deep/y.cue": "y2", "pubs/b/z.cue": "z"}}},
		{"a directory deleted and one added", gitTree{files: map[string]string{"frontdoor.cue": "p", "pubs/b/z.cue": "z", "pubs/c/new/n.cue": "n"}}},
		{"a file turned into a directory", gitTree{files: map[string]string{"frontdoor.cue/in.cue": "p", "pubs/a/x.cue": "x", "pubs/a/deep/y.cue": "y", "pubs/b/z.cue": "z"}}},
		{"a directory turned into a link", gitTree{files: map[string]string{"frontdoor.cue": "p", "pubs/b/z.cue": "z"}, links: map[string]string{"pubs/a": "b"}}},
		{"a file made executable", gitTree{files: base, exec: []string{"pubs/b/z.cue"}}},
		{"a file renamed", gitTree{files: map[string]string{"frontdoor.cue": "p", "pubs/a/x2.cue": "x", "pubs/a/deep/y.cue": "y", "pubs/b/z.cue": "z"}}},
		{"nothing changed", gitTree{files: base}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkEveryCommit(t, commitTrees(t, []gitTree{{files: base}, tc.head}))
		})
	}
}

func TestTreeChangesListWhatGitsTreeDiffListsOnRandomEdits(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 2))
	// Each top-level name is absent, a file, a link or a directory of
	// some of its files, so that files turn into directories and back.
	tops := map[string][]string{"a": {"a/x"}, "c": {"c/d", "c/e/f"}, "g": {"g/h/i/j", "g/h/k", "g/l"}}
	loose := []string{"a.b", "a-b", "c.d"}
	var trees []gitTree
	for range 16 {
		tr := gitTree{files: map[string]string{}, links: map[string]string{}}
		file := func(n string) {
			tr.files[n] = fmt.Sprint(rng.IntN(3))
			if rng.IntN(4) == 0 {
				tr.exec = append(tr.exec, n)
			}
		}
		for _, top := range slices.Sorted(maps.Keys(tops)) {
			switch rng.IntN(4) {
			case 0:
			case 1:
				file(top)
			case 2:
				tr.links[top] = "a.b"
			default:
				for _, n := range tops[top] {
					if rng.IntN(3) > 0 {
						file(n)
					}
				}
			}
		}
		for _, n := range loose {
			if rng.IntN(2) == 0 {
				file(n)
			}
		}
		trees = append(trees, tr)
	}
	checkEveryCommit(t, commitTrees(t, trees))
}
