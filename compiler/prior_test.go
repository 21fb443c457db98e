package compiler

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// grantsEdit changes one grants file of m, or adds one: a comment
// appended, a semantic edit of the base's, or a grants file of the pool.
func grantsEdit(r *rand.Rand, m fstest.MapFS, pool map[string][][]byte) string {
	var files, poolFiles []string
	for p := range m {
		if strings.Contains(p, "/grants/") {
			files = append(files, p)
		}
	}
	for p := range pool {
		if strings.Contains(p, "/grants/") {
			poolFiles = append(poolFiles, p)
		}
	}
	slices.Sort(files)
	slices.Sort(poolFiles)
	switch {
	case len(files) > 0 && r.IntN(3) == 0:
		p := files[r.IntN(len(files))]
		m[p] = &fstest.MapFile{Data: append(bytes.Clone(m[p].Data), fmt.Sprintf("\n// edit %d\n", r.IntN(1000))...), Mode: 0o644}
		return "comment " + p
	case r.IntN(2) == 0:
		for range 8 {
			if e := semanticEdits[r.IntN(len(semanticEdits))]; strings.Contains(e.file, "/grants/") {
				if f, ok := m[e.file]; ok {
					m[e.file] = &fstest.MapFile{Data: bytes.Replace(f.Data, []byte(e.old), []byte(e.new), 1), Mode: 0o644}
					return "edit " + e.file
				}
			}
		}
		return "none"
	default:
		p := poolFiles[r.IntN(len(poolFiles))]
		vs := pool[p]
		m[p] = &fstest.MapFile{Data: vs[r.IntN(len(vs))], Mode: 0o644}
		return "put " + p
	}
}

// A compile that reuses a prior compile's model (Options.Prior, as diff's
// head reuses its base's) gives what a cold compile gives, over random
// sequences of edits, most of them to grants files only (when the model is
// reused), the others to any file.
func TestACompileWithAPriorEqualsAColdCompile(t *testing.T) {
	steps := 50
	if testing.Short() {
		steps = 10
	}
	pool := editPool(t)
	poolPaths := slices.Sorted(func(yield func(string) bool) {
		for k := range pool {
			if !yield(k) {
				return
			}
		}
	})
	r := rand.New(rand.NewPCG(11, 16))
	m := baseFS(t)
	cache, err := NewCache("", 0)
	if err != nil {
		t.Fatal(err)
	}
	var prior *Result // the last compile, of either kind
	reused, shared := 0, 0
	var edits []string
	for step := range steps {
		if step%8 == 7 {
			// Back to the valid base, whose snapshot the edits then change.
			m = baseFS(t)
			edits = append(edits, "reset")
		}
		fsys := gitTree(t, m)
		// Mostly as diff compiles (not encoding), at times as build does.
		for _, noEncode := range []bool{step%3 != 2} {
			opts := testOptions()
			opts.NoEncode = noEncode
			cold := compileOutput(t, fsys, opts)
			opts.Cache, opts.Reusable, opts.Prior = cache, true, prior
			res := mustCompile(t, fsys, opts)
			if warm := resultOutput(t, res, opts); warm != cold {
				t.Fatalf("step %d (no encoding: %t), after %s: the compile with a prior differs from the cold one at\n%s", step, noEncode, strings.Join(edits[max(0, len(edits)-8):], "; "), firstDifference(warm, cold))
			}
			if prior != nil && prior.state != nil && res.state == prior.state {
				reused++
				if s, base := res.Snapshot, prior.state.snap; s != nil && base != nil && len(s.APIs) > 0 && &s.APIs[0] == &base.APIs[0] {
					shared++
				}
			}
			prior = res
		}
		for range 1 + r.IntN(2) {
			switch r.IntN(5) {
			case 0:
				edits = append(edits, randomEdit(r, m, pool, poolPaths))
			case 1:
				edits = append(edits, semanticEdit(r, m))
			default:
				edits = append(edits, grantsEdit(r, m, pool))
			}
		}
	}
	if reused == 0 {
		t.Error("no compile reused its prior's model")
	}
	t.Logf("%d of %d compiles reused their prior's model, %d shared its sections", reused, steps-1, shared)
}

// A compile that encodes does not reuse one that did not (its documents'
// bytes were not kept), and the other way round.
func TestAPriorOfAnotherKindIsNotReused(t *testing.T) {
	fsys := gitTree(t, baseFS(t))
	cache, err := NewCache("", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, noEncode := range []bool{false, true} {
		opts := testOptions()
		opts.Cache, opts.Reusable, opts.NoEncode = cache, true, !noEncode
		prior := mustCompile(t, fsys, opts)
		if prior.state == nil {
			t.Fatal("a reusable compile of a git tree kept no state")
		}
		opts.NoEncode, opts.Prior = noEncode, prior
		cold := testOptions()
		cold.NoEncode = noEncode
		res := mustCompile(t, fsys, opts)
		if got, want := resultOutput(t, res, opts), compileOutput(t, fsys, cold); got != want {
			t.Errorf("no encoding: %t: the compile differs from a cold one at\n%s", noEncode, firstDifference(got, want))
		}
		if res.state == prior.state {
			t.Errorf("no encoding: %t: the prior's state was reused", noEncode)
		}
	}
}

// A disk-only cache keeps nothing in memory, and what it wrote serves the
// next run whole.
func TestADiskOnlyCacheWritesEverythingToItsDirectoryAndKeepsNoneInMemory(t *testing.T) {
	dir := t.TempDir()
	fsys := baseFS(t)
	opts := testOptions()
	want := compileOutput(t, fsys, opts)
	c, err := NewCache(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	c.DiskOnly()
	opts.Cache = c
	if got := compileOutput(t, fsys, opts); got != want {
		t.Errorf("the compile differs from one without a cache at\n%s", firstDifference(got, want))
	}
	if n := len(c.mem) + len(c.old); n != 0 {
		t.Errorf("%d entries kept in memory, want 0", n)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	fullyCached(t, dir, want, "after a disk-only run")
}

// A compile whose files differ from its prior's in grants files only shares
// every section of the prior's snapshot but the entitlements, and gives
// what a cold compile gives: a comment added, a grants file added or
// replaced. (TestACompileWithAPriorEqualsAColdCompile's random steps share
// sections too seldom to be relied on for this.)
func TestAGrantsOnlyChangeSharesItsPriorsSections(t *testing.T) {
	pool := editPool(t)
	for _, edit := range []string{"comment", "put"} {
		t.Run(edit, func(t *testing.T) {
			m := baseFS(t)
			cache, err := NewCache("", 0)
			if err != nil {
				t.Fatal(err)
			}
			opts := testOptions()
			opts.NoEncode, opts.Cache, opts.Reusable = true, cache, true
			prior := mustCompile(t, gitTree(t, m), opts)
			if prior.Snapshot == nil {
				t.Fatal("the base does not compile")
			}
			// The first of the edit's kind that keeps the tree valid.
			r := rand.New(rand.NewPCG(1, 2))
			for range 200 {
				next := maps.Clone(m)
				if !strings.HasPrefix(grantsEdit(r, next, pool), edit+" ") {
					continue
				}
				fsys := gitTree(t, next)
				cold := compileOutput(t, fsys, opts)
				o := opts
				o.Prior = prior
				res := mustCompile(t, fsys, o)
				if res.Snapshot == nil {
					continue
				}
				if warm := resultOutput(t, res, o); warm != cold {
					t.Fatalf("the compile with a prior differs from the cold one at\n%s", firstDifference(warm, cold))
				}
				if &res.Snapshot.APIs[0] != &prior.Snapshot.APIs[0] {
					t.Fatal("the compile did not share its prior's sections")
				}
				return
			}
			t.Fatalf("no %s edit kept the tree valid", edit)
		})
	}
}
