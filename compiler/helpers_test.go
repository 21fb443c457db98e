package compiler

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/tools/txtar"
)

// testNow is the day every test compiles on.
var testNow = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func testOptions() Options {
	return Options{Now: testNow, Commit: "0123456789abcdef0123456789abcdef01234567", Generation: 7}
}

// baseFS returns the valid base configuration as a map.
func baseFS(t testing.TB) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := filepath.WalkDir("testdata/base", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata/base", p)
		m[filepath.ToSlash(rel)] = &fstest.MapFile{Data: b, Mode: 0o644}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// caseFiles returns the case files of the testdata directories dirs
// ("golden", "invalid"), failing the test when there are fewer than min.
func caseFiles(t testing.TB, min int, dirs ...string) []string {
	t.Helper()
	var files []string
	for _, d := range dirs {
		m, err := filepath.Glob("testdata/" + d + "/*.txtar")
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < min {
		t.Fatalf("got %d cases in %q, want at least %d", len(files), dirs, min)
	}
	return files
}

// readCase parses the testdata case file; in is the case without its
// expected outputs (the out/ files).
func readCase(t testing.TB, file string) (a, in *txtar.Archive) {
	t.Helper()
	a, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	in = &txtar.Archive{Comment: a.Comment}
	for _, f := range a.Files {
		if !strings.HasPrefix(f.Name, "out/") {
			in.Files = append(in.Files, f)
		}
	}
	return a, in
}

// overlay applies a txtar case to the base: its files replace or add to
// the base's; "delete: PATH" lines of its comment remove base files.
func overlay(t testing.TB, base fstest.MapFS, a *txtar.Archive) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	for k, v := range base {
		m[k] = v
	}
	for _, line := range strings.Split(string(a.Comment), "\n") {
		if l, ok := strings.CutPrefix(line, "symlink: "); ok {
			p, target, _ := strings.Cut(l, " -> ")
			m[strings.TrimSpace(p)] = &fstest.MapFile{Data: []byte(strings.TrimSpace(target)), Mode: fs.ModeSymlink | 0o777}
		}
		if p, ok := strings.CutPrefix(line, "delete: "); ok {
			p = strings.TrimSpace(p)
			if _, ok := m[p]; !ok {
				t.Fatalf("delete: %s is not in the base", p)
			}
			delete(m, p)
		}
	}
	for _, f := range a.Files {
		m[f.Name] = &fstest.MapFile{Data: f.Data, Mode: 0o644}
	}
	return m
}

// caseLimits reads a case's "limits: config=N spec=N repository=N
// evaltime=DURATION" comment line into opts.
func caseLimits(t testing.TB, comment []byte, opts *Options) {
	t.Helper()
	for _, line := range strings.Split(string(comment), "\n") {
		l, ok := strings.CutPrefix(line, "limits: ")
		if !ok {
			continue
		}
		for _, kv := range strings.Fields(l) {
			k, v, _ := strings.Cut(kv, "=")
			var err error
			switch k {
			case "config":
				opts.Limits.ConfigFile, err = strconv.ParseInt(v, 10, 64)
			case "spec":
				opts.Limits.SpecFile, err = strconv.ParseInt(v, 10, 64)
			case "repository":
				opts.Limits.Repository, err = strconv.ParseInt(v, 10, 64)
			case "evaltime":
				opts.Limits.EvalTime, err = time.ParseDuration(v)
			default:
				t.Fatalf("unknown limit %q", k)
			}
			if err != nil {
				t.Fatalf("limit %s: %v", kv, err)
			}
		}
	}
}

func mustCompile(t testing.TB, fsys fs.FS, opts Options) *Result {
	t.Helper()
	res, err := Compile(context.Background(), fsys, opts)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return res
}

func renderDiags(ds Diagnostics) string {
	var b strings.Builder
	_ = ds.WriteText(&b)
	return b.String()
}
