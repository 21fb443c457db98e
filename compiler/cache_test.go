package compiler

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"golang.org/x/tools/txtar"
)

// compileOutput is everything a compile shows: the snapshot's bytes and
// the diagnostics as text and as JSON.
func compileOutput(t testing.TB, fsys fs.FS, opts Options) string {
	t.Helper()
	return resultOutput(t, mustCompile(t, fsys, opts), opts)
}

// resultOutput is compileOutput of a compile's result.
func resultOutput(t testing.TB, res *Result, opts Options) string {
	t.Helper()
	var b bytes.Buffer
	b.Write(res.Bytes)
	if opts.NoEncode && res.Snapshot != nil {
		// Encoded here, as the compile would have.
		enc, err := res.Snapshot.Encode()
		if err != nil {
			t.Fatal(err)
		}
		b.Write(enc)
	}
	b.WriteString("\n--\n")
	if err := res.Diagnostics.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if err := res.Diagnostics.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for k := range res.Specs {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(&b, "spec %s %x\n", id, res.Specs[id])
	}
	return b.String()
}

// editPool is file contents to edit a repository with: every file of the
// invalid corpus (each one problem of the base), by path.
func editPool(t testing.TB) map[string][][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/invalid/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	pool := map[string][][]byte{}
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(a.Comment, []byte("limits: ")) || bytes.Contains(a.Comment, []byte("symlink: ")) {
			continue
		}
		for _, af := range a.Files {
			pool[af.Name] = append(pool[af.Name], af.Data)
		}
	}
	return pool
}

// randomEdit applies one random edit to m: a file of the pool added or
// replacing one, a file changed in place, deleted, or renamed, of any
// kind. It says what it did.
func randomEdit(r *rand.Rand, m fstest.MapFS, pool map[string][][]byte, poolPaths []string) string {
	paths := slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
	pick := paths[r.IntN(len(paths))]
	switch r.IntN(6) {
	case 0, 1: // a file of the invalid corpus, added or replacing
		p := poolPaths[r.IntN(len(poolPaths))]
		vs := pool[p]
		m[p] = &fstest.MapFile{Data: vs[r.IntN(len(vs))], Mode: 0o644}
		return "put " + p
	case 2: // changed in place: a line appended, truncated, or a byte changed
		data := bytes.Clone(m[pick].Data)
		switch r.IntN(3) {
		case 0:
			data = append(data, []byte(fmt.Sprintf("\n// edit %d\n", r.IntN(1000)))...)
		case 1:
			data = data[:r.IntN(len(data)+1)]
		default:
			if len(data) > 0 {
				data[r.IntN(len(data))] = "x\"{}:0 \n"[r.IntN(8)]
			}
		}
		m[pick] = &fstest.MapFile{Data: data, Mode: 0o644}
		return "change " + pick
	case 3:
		if len(m) > 5 {
			delete(m, pick)
			return "delete " + pick
		}
		return "none"
	case 4: // renamed within its directory, or to a path of the pool
		to := path.Join(path.Dir(pick), "renamed"+path.Ext(pick))
		if r.IntN(2) == 0 {
			to = poolPaths[r.IntN(len(poolPaths))]
		}
		f := m[pick]
		delete(m, pick)
		m[to] = f
		return "rename " + pick + " " + to
	default: // copied as another file of the same directory
		to := path.Join(path.Dir(pick), fmt.Sprintf("copy%d%s", r.IntN(3), path.Ext(pick)))
		m[to] = m[pick]
		return "copy " + pick + " " + to
	}
}

// semanticEdits are valid edits of the base that change what cross-file
// rules conclude about other files: each replaces old by new in file.
var semanticEdits = []struct{ file, old, new string }{
	{"publishers/acme/publisher.cue", `owners: ["acme-dev"]`, `owners: ["acme-ops"]`},
	{"publishers/acme/publisher.cue", `dataController: true`, `dataController: false`},
	{"publishers/acme/apis/patients.cue", "\tproduction: upstream: \"https://acme.test/patients\"\n", ""},
	{"publishers/acme/apis/patients.cue", `status:       "stable"`, `status:       "deprecated"`},
	{"publishers/acme/apis/patients.cue", `status:       "stable"`, `status:       "retired"`},
	{"publishers/acme/apis/patients.cue", `accessModes: ["app-level0", "app-level3", "nhs-login-p9"]`, `accessModes: ["app-level3"]`},
	{"publishers/acme/apis/patients.cue", `personalData: true`, "specialCategory: true\ndpia: \"DPIA-1\""},
	{"consumers/clinic/consumer.cue", `dspt: "standards-met"`, `dspt: "not-met"`},
	{"consumers/clinic/consumer.cue", `owners: ["clinic-dev"]`, `owners: ["acme-dev"]`},
	{"consumers/clinic/consumer.cue", `apps: portal: {`, `apps: kiosk: {`},
	{"frontdoor.cue", "\tproduction: baseURL:  \"https://api.test\"\n", ""},
	{"publishers/acme/grants/clinic.cue", `approvedBy:  "acme-dev"`, `approvedBy:  "clinic-dev"`},
	{"publishers/acme/grants/clinic.cue", `expires:     "2026-06-01"`, `expires:     "2025-01-01"`},
}

// semanticEdit applies one of semanticEdits, or renames or deletes the
// publisher's or consumer's file, or moves a whole consumer or publisher
// directory (its grants follow or are left behind).
func semanticEdit(r *rand.Rand, m fstest.MapFS) string {
	if r.IntN(4) == 0 {
		from, to := "consumers/clinic/", "consumers/clinic2/"
		if r.IntN(2) == 0 {
			from, to = "publishers/acme/", "publishers/acme2/"
		}
		for p, f := range m {
			if rest, ok := strings.CutPrefix(p, from); ok && (r.IntN(3) > 0 || !strings.HasPrefix(rest, "grants/")) {
				delete(m, p)
				m[to+rest] = f
			}
		}
		return "move " + from + " " + to
	}
	e := semanticEdits[r.IntN(len(semanticEdits))]
	f, ok := m[e.file]
	if !ok {
		return "none"
	}
	m[e.file] = &fstest.MapFile{Data: bytes.Replace(f.Data, []byte(e.old), []byte(e.new), 1), Mode: 0o644}
	return "edit " + e.file + ": " + e.new
}

func TestCachedCompileEqualsColdCompileOverRandomEdits(t *testing.T) {
	steps := 40
	if testing.Short() {
		steps = 10
	}
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("directory/seed", seed), func(t *testing.T) {
			differential(t, seed, steps, func(m fstest.MapFS) fs.FS { return m })
		})
	}
	// A git tree: files are looked up by their blob IDs, unread.
	t.Run("git", func(t *testing.T) {
		differential(t, 7, steps, func(m fstest.MapFS) fs.FS { return gitTree(t, m) })
	})
}

// differential applies random sequences of edits to the base, and after
// each compares a compile with a cache kept across the steps with a cold
// one.
func differential(t *testing.T, seed uint64, steps int, open func(fstest.MapFS) fs.FS) {
	pool := editPool(t)
	poolPaths := slices.Sorted(func(yield func(string) bool) {
		for k := range pool {
			if !yield(k) {
				return
			}
		}
	})
	r := rand.New(rand.NewPCG(seed, 16))
	dir := t.TempDir()
	m := baseFS(t)
	var cache *Cache
	var edits []string
	for step := range steps {
		// A fresh Cache from time to time: its entries come from the
		// directory rather than from memory.
		if cache == nil || r.IntN(4) == 0 {
			if err := cache.Close(); err != nil {
				t.Fatal(err)
			}
			var err error
			if cache, err = NewCache(dir, 0); err != nil {
				t.Fatal(err)
			}
		}
		fsys := open(m)
		// Each step compiles as build does (encoding the snapshot) and
		// as validate and diff do (not encoding it, documents unread).
		for _, noEncode := range []bool{false, true} {
			opts := testOptions()
			opts.NoEncode = noEncode
			cold := compileOutput(t, fsys, opts)
			opts.Cache = cache
			warm := compileOutput(t, fsys, opts)
			if warm != cold {
				t.Fatalf("step %d (no encoding: %t), after %s: the cached compile differs from the cold one at\n%s", step, noEncode, strings.Join(edits[max(0, len(edits)-8):], "; "), firstDifference(warm, cold))
			}
		}
		for range 1 + r.IntN(3) {
			if r.IntN(3) == 0 {
				edits = append(edits, semanticEdit(r, m))
			} else {
				edits = append(edits, randomEdit(r, m, pool, poolPaths))
			}
		}
	}
	if hits, _ := cache.Stats(); hits == 0 {
		t.Error("no file was found in the cache")
	}
	if err := cache.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCachedValueDecodesEqualToTheEvaluatedOne(t *testing.T) {
	m := baseFS(t)
	pool := editPool(t)
	ev := newEvaluator(newShapes(), DefaultLimits, false)
	n, values := 0, 0
	forms := map[valueForm]int{}
	check := func(p string, data []byte) {
		lf, code, _, _ := classify(p)
		if code != "" || lf.kind == kindSpec || lf.kind == kindIgnored {
			return
		}
		var sink diagSink
		ev.node = nil
		v, err := ev.evalFile(lf, data, &sink)
		if err != nil {
			t.Fatal(err)
		}
		cf, ok := newCachedFile(int64(len(data)), sink.list, v, ev.node)
		if !ok {
			t.Fatalf("%s: its evaluation (%T) is not cacheable", p, v)
		}
		b, err := encodeValue(cf)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		var got cachedFile
		if err := decodeValue(b, &got); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		gv, err := got.value(lf)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !reflect.DeepEqual(gv, v) {
			t.Errorf("%s: decoded %#v, want %#v", p, gv, v)
		}
		if renderDiags(got.Diags) != renderDiags(sink.list) || got.Size != int64(len(data)) {
			t.Errorf("%s: decoded diagnostics %v (size %d), want %v", p, got.Diags, got.Size, sink.list)
		}
		if v != nil {
			values++
		}
		forms[cf.Form]++
		n++
	}
	for p, f := range m {
		check(p, f.Data)
	}
	for p, vs := range pool {
		for _, v := range vs {
			check(p, v)
		}
	}
	for _, f := range []valueForm{formNone, formFile, formPartialGrants, formPartial} {
		if forms[f] == 0 {
			t.Errorf("no file evaluates to form %d: the test does not cover it", f)
		}
	}
	if n < 100 || values < 50 {
		t.Errorf("checked %d files, %d with a value, want at least 100 and 50", n, values)
	}
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != "trimmed" {
			out = append(out, p)
		}
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// warmCache compiles the base with a new cache in dir and closes it.
func warmCache(t *testing.T, dir string, max int64) {
	t.Helper()
	c, err := NewCache(dir, max)
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.Cache = c
	mustCompile(t, baseFS(t), opts)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// changeEveryEntry flips the last byte of each entry of pack b, whichever
// the next compile reads (an entry it finds elsewhere first, such as a
// grants file's evaluation behind its cached check, is never read).
func changeEveryEntry(b []byte) []byte {
	count := int(binary.BigEndian.Uint32(b[20:]))
	base := packHeader + count*packIndexEntry
	for i := range count {
		e := b[packHeader+i*packIndexEntry:]
		off := int(binary.BigEndian.Uint64(e[sha256.Size:]))
		n := int(binary.BigEndian.Uint32(e[sha256.Size+8:]))
		if n > 0 {
			b[base+off+n-1] ^= 1
		}
	}
	return b
}

func TestCorruptCachePacksAreIgnoredAndRebuilt(t *testing.T) {
	corruptions := map[string]func([]byte) []byte{
		"truncated":           func(b []byte) []byte { return b[:len(b)/2] },
		"empty":               func([]byte) []byte { return nil },
		"every entry changed": changeEveryEntry,
		"foreign format":      func(b []byte) []byte { b[len(packMagic)+3]++; return b },
		"other magic":         func(b []byte) []byte { b[0] = 'F'; return b },
		"index changed":       func(b []byte) []byte { b[packHeader] ^= 0xff; return b },
		"garbage appended":    func(b []byte) []byte { return append(b, "junk"...) },
	}
	want := compileOutput(t, baseFS(t), testOptions())
	for name, corrupt := range corruptions {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			warmCache(t, dir, 0)
			files := entries(t, dir)
			if len(files) == 0 {
				t.Fatal("the cache wrote nothing")
			}
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(f, corrupt(b), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			c, err := NewCache(dir, 0)
			if err != nil {
				t.Fatal(err)
			}
			opts := testOptions()
			opts.Cache = c
			if got := compileOutput(t, baseFS(t), opts); got != want {
				t.Errorf("with a corrupt pack got:\n%s\nwant:\n%s", got, want)
			}
			if _, misses := c.Stats(); misses == 0 {
				t.Error("got no misses, want the corrupt entries evaluated again")
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			// Rebuilt: the next compile finds every file.
			fullyCached(t, dir, want, "after rebuilding")
		})
	}
}

func TestConcurrentCompilesShareACacheDirectory(t *testing.T) {
	dir := t.TempDir()
	want := compileOutput(t, baseFS(t), testOptions())
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				c, err := NewCache(dir, 0)
				if err != nil {
					errs <- err.Error()
					return
				}
				opts := testOptions()
				opts.Cache = c
				opts.Workers = 2
				if got := compileOutput(t, baseFS(t), opts); got != want {
					errs <- "a concurrent cached compile differs from a cold one"
				}
				if err := c.Close(); err != nil {
					errs <- err.Error()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	fullyCached(t, dir, want, "after concurrent runs")
}

// fullyCached compiles the base with a new cache in dir: every file must
// be found there, and the output must be want.
func fullyCached(t *testing.T, dir, want, when string) {
	t.Helper()
	c, err := NewCache(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	opts := testOptions()
	opts.Cache = c
	if got := compileOutput(t, baseFS(t), opts); got != want {
		t.Errorf("%s, a cached compile differs from a cold one", when)
	}
	if _, misses := c.Stats(); misses != 0 {
		t.Errorf("%s got %d misses, want 0", when, misses)
	}
}

// dirSize is the bytes and number of files under dir.
func dirSize(t *testing.T, dir string) (total int64, n int) {
	t.Helper()
	for _, f := range entries(t, dir) {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
		n++
	}
	return total, n
}

// editedRuns compiles n variants of the base with a cache in dir, each
// with one file changed: each run writes a small pack.
func editedRuns(t *testing.T, dir string, n int, max int64) {
	t.Helper()
	for i := range n {
		m := baseFS(t)
		f := m["publishers/acme/grants/clinic.cue"]
		m["publishers/acme/grants/clinic.cue"] = &fstest.MapFile{Data: append(bytes.Clone(f.Data), fmt.Sprintf("\n// run %d\n", i)...)}
		c, err := NewCache(dir, max)
		if err != nil {
			t.Fatal(err)
		}
		opts := testOptions()
		opts.Cache = c
		mustCompile(t, m, opts)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTrimKeepsTheCacheDirectoryWithinItsBound(t *testing.T) {
	for _, share := range []int64{2, 1, 0} {
		dir := t.TempDir()
		warmCache(t, dir, 0)
		editedRuns(t, dir, 4, 0)
		total, n := dirSize(t, dir)
		bound := total * share / 2
		if bound == 0 {
			bound = 1
		}
		c, err := NewCache(dir, bound)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Trim(); err != nil {
			t.Fatal(err)
		}
		got, left := dirSize(t, dir)
		if got > bound {
			t.Errorf("bound %d: %d bytes left", bound, got)
		}
		if bound >= total && left != n {
			t.Errorf("bound %d over the %d bytes held: %d of %d packs left", bound, total, left, n)
		}
		c.Close()
	}
}

func TestCloseEvictsWhenARunWritesPastTheBound(t *testing.T) {
	dir := t.TempDir()
	const bound = 4 << 10
	warmCache(t, dir, bound)
	editedRuns(t, dir, 3, bound)
	if got, _ := dirSize(t, dir); got > bound {
		t.Errorf("the directory holds %d bytes after Close, want at most %d", got, bound)
	}
}

func TestManySmallRunsAreMergedIntoFewPacks(t *testing.T) {
	dir := t.TempDir()
	warmCache(t, dir, 0)
	editedRuns(t, dir, 3*packsMerged, 0)
	if _, n := dirSize(t, dir); n > packsMerged+1 {
		t.Errorf("%d packs after %d runs, want at most %d", n, 3*packsMerged+1, packsMerged+1)
	}
	fullyCached(t, dir, compileOutput(t, baseFS(t), testOptions()), "after merging")
}

func TestACompileWithoutCacheWritesNothing(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", dir)
	t.Setenv("HOME", dir)
	mustCompile(t, baseFS(t), testOptions())
	if files := entries(t, dir); len(files) != 0 {
		t.Errorf("a compile without a cache wrote %q", files)
	}
}

func TestTheCacheKeyCoversWhatEvaluationDependsOn(t *testing.T) {
	lf := layoutFile{path: "publishers/p/apis/a.cue", kind: kindAPI, pub: "p", api: "a"}
	id := evalIdentity(DefaultLimits, false)
	base := fileKey(&id, lf, []byte("x"))
	tight := DefaultLimits
	tight.EvalTime /= 2
	idTight := evalIdentity(tight, false)
	idNoFast := evalIdentity(DefaultLimits, true)
	other := lf
	other.path, other.api = "publishers/p/apis/b.cue", "b"
	variants := map[string]cacheKey{
		"content":   fileKey(&id, lf, []byte("y")),
		"path":      fileKey(&id, other, []byte("x")),
		"kind":      fileKey(&id, layoutFile{path: lf.path, kind: kindSpec, pub: "p", api: "a"}, []byte("x")),
		"limits":    fileKey(&idTight, lf, []byte("x")),
		"fast path": fileKey(&idNoFast, lf, []byte("x")),
	}
	for name, k := range variants {
		if k == base {
			t.Errorf("a different %s gives the same key", name)
		}
	}
	if again := fileKey(&id, lf, []byte("x")); again != base {
		t.Error("the same file gives two keys")
	}
}

// firstDifference shows the first line where got and want differ.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\ncached: %s\ncold:   %s", i+1, gl, wl)
		}
	}
	return "(no difference)"
}

func TestACachedSpecCheckFollowsTheFilesItsRefsRead(t *testing.T) {
	a, err := txtar.ParseFile("testdata/invalid/fd403-ref-to-missing-file.txtar")
	if err != nil {
		t.Fatal(err)
	}
	const ref = "publishers/acme/apis/schemas/Patient.yaml"
	variants := []struct {
		name string
		edit func(m fstest.MapFS)
	}{
		{"added", func(m fstest.MapFS) { m[ref] = &fstest.MapFile{Data: []byte("type: object\n")} }},
		{"changed", func(m fstest.MapFS) { m[ref] = &fstest.MapFile{Data: []byte("type: string\n")} }},
		{"invalid", func(m fstest.MapFS) { m[ref] = &fstest.MapFile{Data: []byte("type: [\n")} }},
		{"not a schema", func(m fstest.MapFS) { m[ref] = &fstest.MapFile{Data: []byte("type: 7\n")} }},
		{"deleted", func(m fstest.MapFS) { delete(m, ref) }},
		{"added again", func(m fstest.MapFS) { m[ref] = &fstest.MapFile{Data: []byte("type: object\n")} }},
	}
	m := overlay(t, baseFS(t), a)
	c, err := NewCache(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, v := range variants {
		v.edit(m)
		opts := testOptions()
		cold := compileOutput(t, m, opts)
		opts.Cache = c
		if warm := compileOutput(t, m, opts); warm != cold {
			t.Errorf("referenced file %s: the cached compile differs from the cold one at\n%s", v.name, firstDifference(warm, cold))
		}
	}
}

// A recompile's cache misses are the files evaluated again and the
// grants files checked again: those whose dependencies changed.
func TestARecompileEvaluatesOnlyTheFilesThatChanged(t *testing.T) {
	appendTo := func(m fstest.MapFS, p, comment string) {
		m[p] = &fstest.MapFile{Data: append(bytes.Clone(m[p].Data), "\n"+comment+"\n"...)}
	}
	edits := map[string]func(m fstest.MapFS) int{
		"one grants file": func(m fstest.MapFS) int {
			appendTo(m, "publishers/acme/grants/clinic.cue", "// edited")
			return 2 // its evaluation, its check
		},
		"an API and its document": func(m fstest.MapFS) int {
			appendTo(m, "publishers/acme/apis/patients.cue", "// edited")
			appendTo(m, "publishers/acme/apis/patients.yaml", "# edited")
			return 4 // the API, the document's secrets scan, the document's check, the publisher's grants
		},
		"the consumer": func(m fstest.MapFS) int {
			appendTo(m, "consumers/clinic/consumer.cue", "// edited")
			return 2 // the consumer, the grants to it
		},
		"a launch approval, which no grant's check reads": func(m fstest.MapFS) int {
			appendTo(m, "approvals/launch/acme.patients.cue", "// edited")
			return 1
		},
		"nothing": func(fstest.MapFS) int { return 0 },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			c, err := NewCache("", 0)
			if err != nil {
				t.Fatal(err)
			}
			m := baseFS(t)
			opts := testOptions()
			opts.Cache = c
			mustCompile(t, m, opts)
			_, before := c.Stats()
			want := edit(m)
			mustCompile(t, m, opts)
			if _, after := c.Stats(); after-before != int64(want) {
				t.Errorf("the recompile evaluated %d files, want %d", after-before, want)
			}
		})
	}
}

func TestTheMemoryCacheKeepsWhatWasUsedLast(t *testing.T) {
	c, err := NewCache("", 0)
	if err != nil {
		t.Fatal(err)
	}
	entry := make([]byte, memCacheSize/8)
	for i := range 20 {
		c.remember(cacheKey{byte(i)}, entry)
		if c.memBytes > memCacheSize/2 {
			t.Fatalf("after %d entries %d bytes in the recent half", i+1, c.memBytes)
		}
	}
	kept := 0
	for i := range 20 {
		c.mu.Lock()
		_, inMem := c.mem[cacheKey{byte(i)}]
		_, inOld := c.old[cacheKey{byte(i)}]
		c.mu.Unlock()
		if inMem || inOld {
			kept++
			if i < 12 {
				t.Errorf("entry %d of 20 kept, want only the last ones", i)
			}
		}
	}
	if kept == 0 {
		t.Error("no entry kept")
	}
}

func TestCachedFilesCountOnceTowardsTheRepositoryLimit(t *testing.T) {
	m := baseFS(t)
	var total int64
	for p, f := range m {
		if lf, code, _, _ := classify(p); code == "" && lf.kind != kindIgnored {
			total += int64(len(f.Data))
		}
	}
	opens := map[string]func(t *testing.T) fs.FS{
		"directory": func(*testing.T) fs.FS { return m },
		"git":       func(t *testing.T) fs.FS { return gitTree(t, m) },
	}
	for name, open := range opens {
		t.Run(name, func(t *testing.T) {
			fsys := open(t)
			for _, limit := range []int64{total + 1, total * 3 / 2, total / 2} {
				opts := testOptions()
				opts.Limits.Repository = limit
				cold := compileOutput(t, fsys, opts)
				c, _ := NewCache("", 0)
				opts.Cache = c
				for run := range 2 {
					if warm := compileOutput(t, fsys, opts); warm != cold {
						t.Errorf("limit %d, run %d: the cached compile differs at\n%s", limit, run, firstDifference(warm, cold))
					}
				}
			}
		})
	}
}

// gitTree commits m to a new repository and opens the commit's tree.
func gitTree(t *testing.T, m fstest.MapFS) fs.FS {
	t.Helper()
	dir := t.TempDir()
	gitRepo(t, dir, m, 0)
	fsys, _, _, err := OpenGit(dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func TestACorruptEntryFailsToDecodeWithoutPanicking(t *testing.T) {
	ev := newEvaluator(newShapes(), DefaultLimits, false)
	r := rand.New(rand.NewPCG(1, 2))
	failed := 0
	for p, f := range baseFS(t) {
		lf, code, _, _ := classify(p)
		if code != "" || lf.kind == kindSpec || lf.kind == kindIgnored {
			continue
		}
		var sink diagSink
		ev.node = nil
		v, err := ev.evalFile(lf, f.Data, &sink)
		if err != nil {
			t.Fatal(err)
		}
		cf, ok := newCachedFile(int64(len(f.Data)), sink.list, v, ev.node)
		if !ok {
			t.Fatalf("%s: not cacheable", p)
		}
		b, err := encodeValue(cf)
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			bad := slices.Clone(b)
			if r.IntN(2) == 0 {
				bad = bad[:r.IntN(len(bad))]
			} else {
				bad[r.IntN(len(bad))] ^= byte(1 + r.IntN(255))
			}
			var got cachedFile
			if decodeValue(bad, &got) != nil {
				failed++
				continue
			}
			if _, err := got.value(lf); err != nil {
				failed++
			}
		}
	}
	if failed == 0 {
		t.Error("no corrupted entry was refused")
	}
}
