package source_test

import (
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/frontdoor-dev/frontdoor/internal/repofs"
	"github.com/frontdoor-dev/frontdoor/internal/testgit"
	"github.com/frontdoor-dev/frontdoor/runtime/source"
)

// TestOpenCommitReadsTheTreeAtTheCommitTimesGeneration: the default
// OpenFunc gives the commit's files and its committer time as generation,
// the same on every replica.
func TestOpenCommitReadsTheTreeAtTheCommitTimesGeneration(t *testing.T) {
	for _, when := range []time.Time{time.Unix(1, 0), time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC)} {
		r := testgit.New(t, when)
		r.Step = 0
		r.Write("frontdoor.cue", "platform: {}")
		h := r.Commit("x", nil)
		c, err := r.Repo.CommitObject(plumbing.NewHash(h))
		if err != nil {
			t.Fatal(err)
		}
		fsys, gen, err := source.OpenCommit(r.Repo, c)
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
