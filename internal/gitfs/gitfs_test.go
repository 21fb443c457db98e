package gitfs_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/frontdoor-dev/frontdoor/internal/gitfs"
	"github.com/frontdoor-dev/frontdoor/internal/repofs"
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
