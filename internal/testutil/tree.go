package testutil

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"
)

// WriteTree writes files (slash-separated path relative to dir → contents)
// under dir, making the directories they need.
func WriteTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		WriteFile(t, filepath.Join(dir, filepath.FromSlash(name)), []byte(data))
	}
}

// WriteFile writes b to path (mode 0644), making its directory.
func WriteFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ReadTree reads every file under dir, hidden ones included, with its mode
// into a map keyed by slash-separated path relative to dir.
func ReadTree(t testing.TB, dir string) fstest.MapFS {
	t.Helper()
	m, fsys := fstest.MapFS{}, os.DirFS(dir)
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		m[p] = &fstest.MapFile{Data: b, Mode: info.Mode()}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// FindInTree reads every file under dir and returns, sorted, "PATH
// contains WORD" for each file that contains one of words, ignoring case,
// and how many files it read.
func FindInTree(t testing.TB, dir string, words []string) (found []string, files int) {
	t.Helper()
	tree := ReadTree(t, dir)
	for p, f := range tree {
		data := bytes.ToLower(f.Data)
		for _, w := range words {
			if bytes.Contains(data, bytes.ToLower([]byte(w))) {
				found = append(found, fmt.Sprintf("%s contains %q", p, w))
			}
		}
	}
	slices.Sort(found)
	return found, len(tree)
}
