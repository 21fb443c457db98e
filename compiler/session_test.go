package compiler

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/frontdoor-dev/frontdoor/internal/repofs"
)

// syncDir makes directory dir hold the files of m, and returns the paths
// it changed as a watcher reports them: a file written, added or removed,
// or, at random, only its directory (a directory moved in or out is one
// event) or nothing but "anything may have changed" (events lost).
func syncDir(t *testing.T, r *rand.Rand, dir string, old, m fstest.MapFS) (changed []string, all bool) {
	t.Helper()
	for p, f := range m {
		if o, ok := old[p]; ok && bytes.Equal(o.Data, f.Data) {
			continue
		}
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		// Written aside and renamed over, as editors save.
		tmp := filepath.Join(filepath.Dir(full), ".save.tmp")
		if err := os.WriteFile(tmp, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, full); err != nil {
			t.Fatal(err)
		}
		changed = append(changed, p)
	}
	for p := range old {
		if _, ok := m[p]; !ok {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
				t.Fatal(err)
			}
			changed = append(changed, p)
		}
	}
	slices.Sort(changed)
	switch r.IntN(8) {
	case 0:
		return nil, true
	case 1:
		for i, p := range changed {
			changed[i] = path.Dir(p)
		}
	case 2: // each told twice (a write is often two events)
		changed = append(changed, changed...)
	}
	return changed, false
}

func TestSessionCompilesAsAColdCompileOverRandomEdits(t *testing.T) {
	steps := 40
	if testing.Short() {
		steps = 10
	}
	pool := editPool(t)
	poolPaths := slices.Sorted(maps.Keys(pool))
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 32))
			dir := t.TempDir()
			m := fstest.MapFS{}
			base := baseFS(t)
			if _, all := syncDir(t, r, dir, m, base); all {
				t.Log("first sync: everything")
			}
			m = base
			s, err := NewSession(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			var edits []string
			for step := range steps {
				opts := testOptions()
				fsys, err := repofs.Dir(dir)
				if err != nil {
					t.Fatal(err)
				}
				cold := compileOutput(t, fsys, opts)
				res, err := s.Compile(t.Context(), opts)
				if err != nil {
					t.Fatal(err)
				}
				if got := resultOutput(t, res, opts); got != cold {
					t.Fatalf("step %d, after %s: the session's compile differs from a cold one at\n%s", step, strings.Join(edits[max(0, len(edits)-8):], "; "), firstDifference(got, cold))
				}
				old := fstest.MapFS{}
				for k, v := range m {
					old[k] = v
				}
				for range 1 + r.IntN(3) {
					if r.IntN(3) == 0 {
						edits = append(edits, semanticEdit(r, m))
					} else {
						edits = append(edits, randomEdit(r, m, pool, poolPaths))
					}
				}
				s.Changed(syncDir(t, r, dir, old, m))
			}
		})
	}
}

func TestASessionReadsOnlyTheFilesItIsToldChanged(t *testing.T) {
	dir := baseDir(t)
	s, err := NewSession(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := mustSessionCompile(t, s)
	// A change the session is not told of is not seen: what it read
	// stands for the file.
	api := filepath.Join(dir, "publishers", "acme", "apis", "patients.cue")
	b, err := os.ReadFile(api)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(b, []byte(`status:       "stable"`), []byte(`status:       "deprecated"`), 1)
	if bytes.Equal(edited, b) {
		t.Fatal("the edit changes nothing")
	}
	if err := os.WriteFile(api, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	if again := mustSessionCompile(t, s); again.Digest != first.Digest {
		t.Errorf("untold, the session read the changed file again")
	}
	s.Changed([]string{"publishers/acme/apis/patients.cue", "publishers/acme/apis/patients.cue"}, false)
	if s.listed == nil {
		t.Errorf("a file's new contents, told twice, made the session walk the tree again")
	}
	told := mustSessionCompile(t, s)
	if told.Digest == first.Digest {
		t.Errorf("told, the session did not read the changed file")
	}
	if !bytes.Contains(told.Bytes, []byte(`"status":"deprecated"`)) {
		t.Errorf("the edit is not in the snapshot")
	}
}

func mustSessionCompile(t *testing.T, s *Session) *Result {
	t.Helper()
	res, err := s.Compile(t.Context(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		t.Fatalf("the base does not compile: %s", renderDiags(res.Diagnostics))
	}
	return res
}

// TestASessionEncodesEveryChangeOfAGrantThatKeepsTheirNumber changes one
// field of a grant at a time, keeping the entitlements as many and in the
// same order: each compile of the session still equals a cold one.
func TestASessionEncodesEveryChangeOfAGrantThatKeepsTheirNumber(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 1))
	m := baseFS(t)
	syncDir(t, r, dir, fstest.MapFS{}, m)
	s, err := NewSession(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	const file = "publishers/acme/grants/clinic.cue"
	for _, edit := range []struct{ old, new string }{
		{"", ""}, // the base
		{`expires:     "2026-06-01"`, `expires:     "2026-05-01"`},
		{`date:        "2025-06-01"`, `date:        "2025-07-01"`},
		{`accessMode:  "app-level3"`, "accessMode:  \"app-level3\"\n\trateLimit: {limit: 5, per: \"second\"}"},
		{`limit: 5`, `limit: 6`},
		{`per: "second"`, `per: "minute"`},
	} {
		data := bytes.Replace(m[file].Data, []byte(edit.old), []byte(edit.new), 1)
		if edit.old != "" && bytes.Equal(data, m[file].Data) {
			t.Fatalf("%s: changes nothing", edit.new)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(file)), data, 0o644); err != nil {
			t.Fatal(err)
		}
		m[file] = &fstest.MapFile{Data: data}
		s.Changed([]string{file}, false)
		fsys, err := repofs.Dir(dir)
		if err != nil {
			t.Fatal(err)
		}
		cold := compileOutput(t, fsys, testOptions())
		if !strings.Contains(cold, `"entitlements":[{`) {
			t.Fatalf("%s: the edit leaves no entitlements:\n%s", edit.new, cold)
		}
		got := resultOutput(t, mustSessionCompile(t, s), testOptions())
		if got != cold {
			t.Errorf("%s: the session's compile differs from a cold one at\n%s", edit.new, firstDifference(got, cold))
		}
	}
}

// TestASessionWalksAgainOnlyWhenAToldPathMayChangeTheFileList tells a
// session of one path at a time: only a path gone that the last walk met
// nothing at or under leaves the file list as it was.
func TestASessionWalksAgainOnlyWhenAToldPathMayChangeTheFileList(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		create     bool // the path exists when told
		walk       bool
	}{
		{"an editor's temporary file, gone", "publishers/acme/apis/sed7xQ2a", false, false},
		{"a temporary directory, gone", "publishers/acme/.tmp", false, false},
		{"a listed file, gone", "publishers/acme/apis/patients.cue", false, true},
		{"a directory of listed files, gone", "publishers/acme/apis", false, true},
		{"a new file", "publishers/acme/apis/new.cue", true, true},
		{"a .gitignore, gone", "publishers/acme/.gitignore", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := baseDir(t)
			s, err := NewSession(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			mustSessionCompile(t, s)
			full := filepath.Join(dir, filepath.FromSlash(tc.path))
			if tc.create {
				if err := os.WriteFile(full, []byte("package x\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			} else if err := os.RemoveAll(full); err != nil {
				t.Fatal(err)
			}
			s.Changed([]string{tc.path}, false)
			if walks := s.listed == nil; walks != tc.walk {
				t.Errorf("walks again: %v, want %v", walks, tc.walk)
			}
		})
	}
}

// baseDir writes baseFS into a new directory and returns it.
func baseDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for p, f := range baseFS(t) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
