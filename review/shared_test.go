package review

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/report"
)

// A diff whose head shares its base's model and sections (a pull request
// that changes grants files only, diffed with a cache) says what a diff of
// two separate compiles says.
func TestADiffOfGrantsOnlySaysWhatADiffOfSeparateCompilesSays(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(r *testRepo)
	}{
		{"a grant added", func(r *testRepo) {
			r.Write("publishers/nhsbsa/grants/northgate-gp-systems.cue", newGrant)
		}},
		{"a rate limit changed", func(r *testRepo) {
			r.replace("publishers/nhsbsa/grants/northshire-icb.cue", `limit: 1200, per: "minute"`, `limit: 2400, per: "minute"`)
		}},
		{"a grants file removed", func(r *testRepo) {
			if err := os.Remove(filepath.Join(r.Dir, "publishers/nice/grants/healthy-apps.cue")); err != nil {
				t.Fatal(err)
			}
		}},
		{"a comment only", func(r *testRepo) {
			r.Write("publishers/mhra/grants/riverside-pharmacy.cue", r.read("publishers/mhra/grants/riverside-pharmacy.cue")+"\n// reviewed\n")
		}},
		{"grants of two publishers", func(r *testRepo) {
			r.replace("publishers/nhsbsa/grants/northshire-icb.cue", `limit: 1200, per: "minute"`, `limit: 600, per: "minute"`)
			if err := os.Remove(filepath.Join(r.Dir, "publishers/mhra/grants/healthy-apps.cue")); err != nil {
				t.Fatal(err)
			}
		}},
		{"a grant that does not compile", func(r *testRepo) {
			r.replace("publishers/nhsbsa/grants/northshire-icb.cue", `limit: 1200, per: "minute"`, `limit: 1200, per: "fortnight"`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestRepo(t)
			r.copyTree(example)
			base := r.Commit("the platform", nil)
			tc.edit(r)
			head := r.Commit(tc.name, nil)
			diff := func(cache *compiler.Cache) string {
				out, err := DiffGit(context.Background(), PullRequest{Repo: r.Dir, Base: base, Head: head, Cache: cache}, goldenNow)
				if err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				if err := report.Write(&b, report.FormatJSON, out); err != nil {
					t.Fatal(err)
				}
				return b.String()
			}
			want := diff(nil)
			for _, dir := range []string{"", t.TempDir()} {
				cache, err := compiler.NewCache(dir, 0)
				if err != nil {
					t.Fatal(err)
				}
				cache.DiskOnly()
				for run := range 2 { // cold, then warm
					if got := diff(cache); got != want {
						t.Errorf("cache in %q, run %d: got\n%s\nwant\n%s", dir, run, got, want)
					}
				}
				if err := cache.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
