package source_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"testing/fstest"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/frontdoor-dev/frontdoor/internal/repofs"
	"github.com/frontdoor-dev/frontdoor/runtime/source"
)

func TestTreeFSIsAValidFileSystem(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	for name, content := range map[string]string{
		"frontdoor.cue":                       "platform: {}",
		"publishers/nhsbsa/publisher.cue":     "publisher: {}",
		"publishers/nhsbsa/apis/x.cue":        "api: {}",
		"publishers/nhsbsa/specs/x.yaml":      "openapi: 3.1.0",
		"consumers/riverside/consumer.cue":    "consumer: {}",
		"consumers/riverside/apps/readme.txt": "",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), 0o644)
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
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := repo.Reference(plumbing.NewBranchReferenceName("main"), true)
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.CommitObject(ref.Hash())
	if err != nil {
		t.Fatal(err)
	}
	fsys, gen, err := source.OpenCommit(repo, c)
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(c.Committer.When.Unix()); gen != want {
		t.Errorf("generation: got %d, want %d", gen, want)
	}
	if err := fstest.TestFS(fsys, "frontdoor.cue", "publishers/nhsbsa/apis/x.cue", "consumers/riverside/apps/readme.txt"); err != nil {
		t.Fatal(err)
	}
}

// TestTreeFSRefusesLinksAndBlobsOverTheLimit commits a link to
// /etc/passwd and a large file: ReadFile through repofs refuses both,
// the large one without reading it, and reads a small one.
func TestTreeFSRefusesLinksAndBlobsOverTheLimit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "small.yaml"), []byte("a: 1\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "big.yaml"), make([]byte, 4096), 0o644)
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "README.yaml")); err != nil {
		t.Fatal(err)
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
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.CommitObject(head.Hash())
	if err != nil {
		t.Fatal(err)
	}
	fsys, _, err := source.OpenCommit(repo, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		want error
	}{
		{"small.yaml", nil},
		{"big.yaml", repofs.ErrTooLarge},
		{"README.yaml", repofs.ErrSymlink},
	} {
		b, err := repofs.ReadFile(fsys, tc.name, 1024)
		if tc.want == nil && (err != nil || len(b) == 0) || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: got %q, %v; want %v", tc.name, b, err, tc.want)
		}
	}
}
