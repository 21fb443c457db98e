package source_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/frontdoor-dev/frontdoor/internal/repofs"
	"github.com/frontdoor-dev/frontdoor/runtime/source"
)

// TestOpenCommitReadsTheTreeAtTheCommitTimesGeneration: the default
// OpenFunc gives the commit's files and its committer time as generation,
// the same on every replica.
func TestOpenCommitReadsTheTreeAtTheCommitTimesGeneration(t *testing.T) {
	for _, when := range []time.Time{time.Unix(1, 0), time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC)} {
		dir := t.TempDir()
		repo, err := git.PlainInit(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "frontdoor.cue"), []byte("platform: {}"), 0o644); err != nil {
			t.Fatal(err)
		}
		wt, err := repo.Worktree()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wt.Add("frontdoor.cue"); err != nil {
			t.Fatal(err)
		}
		sig := &object.Signature{Name: "T", Email: "t@t.test", When: when}
		h, err := wt.Commit("x", &git.CommitOptions{Author: sig, Committer: sig})
		if err != nil {
			t.Fatal(err)
		}
		c, err := repo.CommitObject(h)
		if err != nil {
			t.Fatal(err)
		}
		fsys, gen, err := source.OpenCommit(repo, c)
		if err != nil {
			t.Fatal(err)
		}
		if want := uint64(when.Unix()); gen != want {
			t.Errorf("generation: got %d, want %d", gen, want)
		}
		if b, err := repofs.ReadFile(fsys, "frontdoor.cue", 1<<10); string(b) != "platform: {}" {
			t.Errorf("frontdoor.cue: got %q, %v", b, err)
		}
	}
}
