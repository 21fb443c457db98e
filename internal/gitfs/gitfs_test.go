package gitfs_test

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/frontdoor-dev/frontdoor/internal/gitfs"
	"github.com/frontdoor-dev/frontdoor/internal/repofs"
	"github.com/frontdoor-dev/frontdoor/internal/testgit"
	"github.com/frontdoor-dev/frontdoor/internal/testutil"
)

// commit makes a git repository on branch main with one commit of files
// (path → contents) and links (path → target), and returns its directory.
func commit(t *testing.T, files, links map[string]string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	testutil.WriteTree(t, dir, files)
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"init", "-q", "--initial-branch=main"},
		{"add", "-A"},
		{"-c", "user.name=T", "-c", "user.email=t@t.test", "commit", "-q", "-m", "x"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

func TestACommitsTreeIsAValidFileSystem(t *testing.T) {
	dir := commit(t, map[string]string{
		"frontdoor.cue":                       "platform: {}",
		"publishers/nhsbsa/publisher.cue":     "publisher: {}",
		"publishers/nhsbsa/apis/x.cue":        "api: {}",
		"publishers/nhsbsa/specs/x.yaml":      "openapi: 3.1.0",
		"consumers/riverside/consumer.cue":    "consumer: {}",
		"consumers/riverside/apps/readme.txt": "",
	}, nil)
	fsys, _, gen, err := gitfs.Open(dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	if gen != 1 {
		t.Errorf("generation: got %d, want 1", gen)
	}
	if err := fstest.TestFS(fsys, "frontdoor.cue", "publishers/nhsbsa/apis/x.cue", "consumers/riverside/apps/readme.txt"); err != nil {
		t.Fatal(err)
	}
}

// TestLinksAreListedButNeverRead commits a link to /etc/passwd, a link to
// a file inside and a large file: the walk lists the links as links, and
// ReadFile through repofs refuses them and the large file, that one
// without reading it, and reads a small one.
func TestLinksAreListedButNeverRead(t *testing.T) {
	dir := commit(t, map[string]string{
		"small.yaml":   "a: 1\n",
		"big.yaml":     string(make([]byte, 4096)),
		"sub/ok.yaml":  "b: 2\n",
		"sub/big.yaml": string(make([]byte, 4096)),
	}, map[string]string{
		"README.yaml": "/etc/passwd",
		"inside.yaml": "small.yaml",
		"dir":         "sub",
	})
	fsys, _, _, err := gitfs.Open(dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]fs.FileMode{}
	for _, e := range ents {
		listed[e.Name()] = e.Type()
	}
	for _, name := range []string{"README.yaml", "inside.yaml", "dir"} {
		if m, ok := listed[name]; !ok || m != fs.ModeSymlink {
			t.Errorf("%s: listed %v with type %v, want a symbolic link", name, ok, m)
		}
	}
	for _, tc := range []struct {
		name string
		want error
	}{
		{"small.yaml", nil},
		{"sub/ok.yaml", nil},
		{"big.yaml", repofs.ErrTooLarge},
		{"sub/big.yaml", repofs.ErrTooLarge},
		{"README.yaml", repofs.ErrSymlink},
		{"inside.yaml", repofs.ErrSymlink},
		{"dir/ok.yaml", repofs.ErrSymlink},
	} {
		b, err := repofs.ReadFile(fsys, tc.name, 1024)
		if tc.want == nil && (err != nil || len(b) == 0) || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: got %q, %v; want %v", tc.name, b, err, tc.want)
		}
	}
}

// recommit replaces the work tree of the repository dir with files and
// links and commits it.
func recommit(t *testing.T, dir string, files, links map[string]string) {
	t.Helper()
	testgit.ClearWorkTree(t, dir)
	testutil.WriteTree(t, dir, files)
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"add", "-A"},
		{"-c", "user.name=T", "-c", "user.email=t@t.test", "commit", "-q", "--allow-empty", "-m", "y"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// dump lists every path of fsys with its type, and a file's contents or
// the reason it is refused.
func dump(t *testing.T, fsys fs.FS) []string {
	t.Helper()
	var out []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %v", p, d.Type())
		if !d.IsDir() {
			b, err := repofs.ReadFile(fsys, p, 1<<20)
			line += fmt.Sprintf(" %q %v", b, err)
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestATreeIndexedFromAnotherIsTheSameAsOneIndexedAlone commits a base and
// a head that differ in several ways and checks that the head indexed
// from the base's index lists and reads exactly what it does indexed on
// its own.
func TestATreeIndexedFromAnotherIsTheSameAsOneIndexedAlone(t *testing.T) {
	base := map[string]string{
		"frontdoor.cue":               "platform: {}",
		"publishers/a/publisher.cue":  "publisher: a",
		"publishers/a/apis/x.cue":     "api: x",
		"publishers/a/grants/g.cue":   "grants: 1",
		"publishers/b/publisher.cue":  "publisher: b",
		"publishers/b/deep/er/f.yaml": "f: 1",
	}
	with := func(edit func(m map[string]string)) map[string]string {
		m := maps.Clone(base)
		edit(m)
		return m
	}
	for _, tc := range []struct {
		name  string
		head  map[string]string
		links map[string]string
	}{
		{"unchanged", base, nil},
		{"a deep file changed", with(func(m map[string]string) { m["publishers/b/deep/er/f.yaml"] = "f: 2" }), nil},
		{"a file added to a new directory", with(func(m map[string]string) { m["publishers/c/publisher.cue"] = "publisher: c" }), nil},
		{"a directory deleted", with(func(m map[string]string) {
			delete(m, "publishers/a/apis/x.cue")
			delete(m, "publishers/a/grants/g.cue")
		}), nil},
		{"a file turned into a directory", with(func(m map[string]string) {
			delete(m, "frontdoor.cue")
			m["frontdoor.cue/inner.cue"] = "x: 1"
		}), nil},
		{"a directory turned into a link", with(func(m map[string]string) { delete(m, "publishers/b/deep/er/f.yaml") }), map[string]string{"publishers/b/deep": "../a"}},
		{"a root file renamed", with(func(m map[string]string) {
			delete(m, "frontdoor.cue")
			m["platform.cue"] = "platform: {}"
		}), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := commit(t, base, nil)
			recommit(t, dir, tc.head, tc.links)
			repo, hc := testgit.Head(t, dir, gitfs.OpenRepository)
			bc, err := hc.Parent(0)
			if err != nil {
				t.Fatal(err)
			}
			prev, err := gitfs.Commit(repo, bc)
			if err != nil {
				t.Fatal(err)
			}
			before := dump(t, prev)
			alone, err := gitfs.Commit(repo, hc)
			if err != nil {
				t.Fatal(err)
			}
			from, err := gitfs.CommitFrom(prev, repo, hc)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := dump(t, from), dump(t, alone); !slices.Equal(got, want) {
				t.Errorf("indexed from the base:\n%s\nindexed alone:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if got := dump(t, prev); !slices.Equal(got, before) {
				t.Errorf("indexing the head from the base changed the base:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

// TestAFileUnderAPathThatIsAlsoAFileIsNeverRead commits a tree with two
// entries of one name (git refuses to make one, but builds it with
// mktree): a file and a directory, or a link and a directory. A file
// under that name is refused, as under any file or link.
func TestAFileUnderAPathThatIsAlsoAFileIsNeverRead(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want error
	}{
		{"100644", fs.ErrNotExist},
		{"120000", repofs.ErrSymlink},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			dir := commit(t, map[string]string{"x.yaml": "x: 1\n"}, nil)
			git := func(stdin string, args ...string) string {
				t.Helper()
				cmd := exec.Command("git", args...)
				cmd.Dir = dir
				cmd.Stdin = strings.NewReader(stdin)
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("git %v: %v", args, err)
				}
				return strings.TrimSpace(string(out))
			}
			blob := git("b: 2\n", "hash-object", "-w", "--stdin")
			sub := git(fmt.Sprintf("100644 blob %s\tb.yaml\n", blob), "mktree")
			root := git(fmt.Sprintf("%s blob %s\ta\n040000 tree %s\ta\n", tc.mode, blob, sub), "mktree")
			c := git("", "-c", "user.name=T", "-c", "user.email=t@t.test", "commit-tree", root, "-m", "dup")
			fsys, _, _, err := gitfs.Open(dir, c)
			if err != nil {
				t.Fatal(err)
			}
			if b, err := repofs.ReadFile(fsys, "a/b.yaml", 1024); !errors.Is(err, tc.want) {
				t.Errorf("a/b.yaml: got %q, %v; want %v", b, err, tc.want)
			}
			if _, ok := fsys.(interface{ BlobID(string) (string, bool) }).BlobID("a/b.yaml"); ok {
				t.Errorf("a/b.yaml has a blob ID under a file")
			}
		})
	}
}
