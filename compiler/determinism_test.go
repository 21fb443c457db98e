package compiler

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// gitRepo writes fsys into a new repository at dir and commits it, on top
// of `parents` empty commits, and returns the commit hash.
// writeFS writes the files of fsys into dir.
func writeFS(t *testing.T, dir string, fsys fstest.MapFS) {
	t.Helper()
	for name, f := range fsys {
		testutil.WriteFile(t, filepath.Join(dir, filepath.FromSlash(name)), f.Data)
	}
}

func gitRepo(t *testing.T, dir string, fsys fstest.MapFS, parents int) string {
	t.Helper()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "test", Email: "test@example.test", When: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i := range parents {
		if _, err := wt.Commit("empty "+string(rune('a'+i)), &git.CommitOptions{Author: sig, AllowEmptyCommits: true}); err != nil {
			t.Fatal(err)
		}
	}
	writeFS(t, dir, fsys)
	for name := range fsys {
		if _, err := wt.Add(name); err != nil {
			t.Fatal(err)
		}
	}
	h, err := wt.Commit("config", &git.CommitOptions{Author: sig})
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

func TestCompileIsByteIdenticalAcrossRunsAndWorkerCounts(t *testing.T) {
	fsys := baseFS(t)
	var outs [][]byte
	for _, workers := range []int{1, 8, 1, 3} {
		opts := testOptions()
		opts.Workers = workers
		outs = append(outs, mustCompile(t, fsys, opts).Bytes)
	}
	for i, o := range outs[1:] {
		if !bytes.Equal(o, outs[0]) {
			t.Errorf("run %d: got different bytes from run 0", i+1)
		}
	}
}

func TestCompileOfDirectoryAndGitCommitIsByteIdentical(t *testing.T) {
	fsys := baseFS(t)
	dir := t.TempDir()
	commit := gitRepo(t, dir, fsys, 0)
	gfs, gotCommit, gen, err := OpenGit(dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if gotCommit != commit {
		t.Errorf("got commit %q, want %q", gotCommit, commit)
	}
	opts := testOptions()
	opts.Commit, opts.Generation = commit, gen
	fromGit := mustCompile(t, gfs, opts)
	fromDir := mustCompile(t, os.DirFS(dir), opts)
	if len(fromGit.Diagnostics) > 0 {
		t.Fatalf("got diagnostics from git:\n%s", renderDiags(fromGit.Diagnostics))
	}
	if !bytes.Equal(fromGit.Bytes, fromDir.Bytes) {
		t.Errorf("got different snapshots from the git commit and the directory")
	}
}

func TestOpenGitCountsFirstParentGeneration(t *testing.T) {
	dir := t.TempDir()
	gitRepo(t, dir, baseFS(t), 3)
	for _, tc := range []struct {
		ref  string
		want uint64
	}{{"HEAD", 4}, {"HEAD~1", 3}, {"HEAD~3", 1}, {"master", 4}} {
		_, _, gen, err := OpenGit(dir, tc.ref)
		if err != nil {
			t.Fatalf("%s: %v", tc.ref, err)
		}
		if gen != tc.want {
			t.Errorf("%s: got generation %d, want %d", tc.ref, gen, tc.want)
		}
	}
}

func TestOpenGitRefusesAnUnknownRevision(t *testing.T) {
	dir := t.TempDir()
	gitRepo(t, dir, baseFS(t), 0)
	if _, _, _, err := OpenGit(dir, "no-such-branch"); err == nil {
		t.Error("got no error, want one")
	}
}

func TestOpenGitReadsABareRepository(t *testing.T) {
	src := t.TempDir()
	commit := gitRepo(t, src, baseFS(t), 0)
	bare := t.TempDir()
	if _, err := git.PlainClone(bare, true, &git.CloneOptions{URL: src}); err != nil {
		t.Fatal(err)
	}
	fsys, got, _, err := OpenGit(bare, commit)
	if err != nil {
		t.Fatal(err)
	}
	if got != commit {
		t.Errorf("got commit %q, want %q", got, commit)
	}
	if err := fstest.TestFS(fsys, "frontdoor.cue", "publishers/acme/apis/patients.yaml"); err != nil {
		t.Error(err)
	}
}
